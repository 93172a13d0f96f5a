"""The far end of a container's stream: the runtime client (`docker exec`, `kubectl exec`,
`crictl exec`, `ctr task exec`, `podman exec`, `docker attach`) the daemon forwards a
container's output to (`docker logs -f` reads the log file, so it cannot hold a container). A client that cannot write its own stdout stops reading
its connection, the daemon stops reading the shim, and the container's writer blocks: the
chain's root is the client's reader, wherever it runs (a CI job, a pager, a log shipper)."""
from __future__ import annotations

from .. import model as m
from ..runtime_clients import TOOLS, option_values, streaming_words
from . import scope
from .history import History
from .pipes_common import BlockedWrite, blocked_writes


def names_container(p: m.Process, c: m.Container, snap: m.HostSnapshot | None = None) -> bool:
    """Whether P is a streaming client of C: its argv names C by name, pod name or id prefix
    (or, under podman, the name C's conmon was given with -n)."""
    got = streaming_words(p.argv or [])
    if got is None:
        return False
    names = {c.name} | ({c.pod.name} if c.pod and c.pod.name else set())
    mon = snap.proc(c.shim_pid) if snap is not None and c.shim_pid and c.runtime == m.CONMON else None
    names |= set(option_values((mon.argv or []) if mon else [], "-n", "--name"))
    for w in got[1]:
        w = w.split("=", 1)[-1]
        if w in names or (len(w) >= 5 and c.id.startswith(w)):
            return True
    return False


def candidates(snap: m.HostSnapshot) -> list[m.Process]:
    """The runtime clients on the host, found once per snapshot (a few among thousands)."""
    return [p for p in scope.suspects(snap) if p.argv and p.argv[0].rsplit("/", 1)[-1] in TOOLS
            and not p.container_id and not p.role and not p.zombie and streaming_words(p.argv)]


def stalled(h: History, c: m.Container, cands: list[m.Process]) -> list[BlockedWrite]:
    """Clients of C (among CANDS) blocked writing a full pipe whose reader does not drain it."""
    out = []
    for p in cands:
        if not names_container(p, c, h.latest):
            continue
        if streaming_words(p.argv or [])[0] == "logs":     # reads the log file: cannot hold the container
            continue
        out += blocked_writes(h, p)
    return out


def stopped_clients(snap: m.HostSnapshot, c: m.Container, cands: list[m.Process]) -> list[m.Process]:
    """Clients of C (among CANDS) that are stopped (Ctrl-Z, SIGSTOP: state T) and so read nothing."""
    return [p for p in cands if p.state in ("T", "t") and names_container(p, c, snap)]
