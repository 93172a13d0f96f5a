"""The call that hung, made again: a new exec in the container, with a deadline. A stuck exec
stream leaves `docker inspect` answering while every attached `docker exec` on the container
hangs, so only an exec round trip proves the fix. The exec runs `true`; a refusal (no `true`
in the image, the container not running) is an answer too: the call came back."""
from __future__ import annotations

import time

from .. import model as m
from ..diagnose import clients
from ..diagnose.pipes_common import no_room
from .context import RunContext

DEADLINE = 10.0


def still_holding(snap: m.HostSnapshot, c: m.Container | None) -> str | None:
    """What on this host still holds C's exec streams: a client of C in a write to a full pipe."""
    if c is None:
        return None
    for p in clients.candidates(snap):
        if not clients.names_container(p, c, snap):
            continue
        for t in p.threads:
            sc = t.syscall
            f = p.fd(sc.fd) if sc and sc.name in ("write", "writev") and sc.fd is not None else None
            pp = snap.pipe(f.inode) if f is not None and f.kind == "pipe" else None
            if pp is not None and no_room(pp, t):
                readers = ", ".join(f"{e.comm} {e.pid}" for e in pp.readers) or "nobody"
                return (f"{p.comm} {p.pid} (`{' '.join(p.argv or [])[:60]}`) is still blocked writing fd {sc.fd} "
                        f"(pipe:[{pp.inode}] full, read by {readers}, which does not read). Next: drain it "
                        f"(this playbook again) or end that client (kill {p.pid}); its exec's output is lost then")
    return None


def _remote_hint() -> str:
    return ("nothing on this host is seen holding its streams: the client that stopped reading is remote "
            "(on another host, behind a proxy, or kubectl through the API server). Next: dump dockerd's stacks "
            "(waiters in ProcessEvent/CloseStreams confirm it), find the client's connection to dockerd "
            "(ss -xp / ss -tp) and end that client or the connection")


def exec_answers(ctx: RunContext) -> tuple[bool | None, str]:
    """(answered, what was seen) for a new exec of `true` in the finding's container."""
    c = ctx.container
    name = (c.name if c else None) or (ctx.finding.container or "")[:12]
    if ctx.simulate:                   # training: the simulated host says whether it would hang
        held = still_holding(ctx.snapshot, c)
        return held is None, (f"a new exec in {name} would answer" if held is None
                              else f"a new exec in {name} would not return: {held}")
    from .engines import engine_of, podman_argv, podman_call
    from .engines import runtime_answers as other_engine
    if (pm := podman_argv(ctx.snapshot, c)) is not None:     # podman: its own CLI, no daemon
        return podman_call(pm, ["exec", ctx.finding.container, "true"], f"podman exec {name} true", DEADLINE)
    if (ctx.notes.get("engine") or engine_of(ctx.snapshot, c)) != "docker":
        return other_engine(ctx)       # their task state / CRI status, asked with a deadline
    import docker
    from ..collect.docker_probe import resolve_host
    api = docker.APIClient(base_url=resolve_host(ctx.docker_host), version="1.24", timeout=DEADLINE)
    t0 = time.monotonic()
    try:
        ex = api.exec_create(ctx.finding.container, ["true"], stdout=True, stderr=True)
        api.exec_start(ex["Id"], detach=False)    # returns when dockerd closes the exec's streams
        code = api.exec_inspect(ex["Id"]).get("ExitCode")
        return True, f"`docker exec {name} true` returned in {time.monotonic() - t0:.1f} s (exit {code})"
    except docker.errors.APIError as e:           # refused, not hung: the call answered
        return True, (f"`docker exec {name} true` answered in {time.monotonic() - t0:.1f} s: "
                      f"{(e.explanation or str(e)).splitlines()[0][:100]}")
    except Exception as e:                        # the deadline: the answer being tested for
        held = still_holding(ctx.fresh(), c)
        return False, (f"`docker exec {name} true` did not return within {DEADLINE:.0f} s "
                       f"({type(e).__name__}); " + (held or _remote_hint()))
    finally:
        api.close()
