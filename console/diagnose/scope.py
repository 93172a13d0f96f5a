"""The processes of a snapshot that any class can name: picked out once per snapshot, so each
class looks at a few dozen processes instead of every process on the host (docs/collector.md,
"Incremental diagnosis").

A class names a runtime process (a daemon, shim, runc, conmon), a container's process, a
runtime client (docker exec, kubectl logs ...), a zombie, a task in D or stopped, or a process
whose threads the collector read (it holds the write end of a full pipe, or is in the detail
scope for another reason). Every other process - the crowd of a busy host - is none of these,
and no class has a rule about it. A class still asks the snapshot (proc, children, pipe) for
anything its rule leads to; this only decides where each class starts looking.
"""
from __future__ import annotations

from .. import model as m
from ..runtime_clients import TOOLS

_STATES = frozenset("DTtZ")


def named(p: m.Process) -> bool:
    """P is a process some class can name (its rule can start from it)."""
    return bool(p.role or p.container_id or p.threads or p.state in _STATES or p.zombie
                or (p.argv and p.argv[0].rsplit("/", 1)[-1] in TOOLS))


def suspects(snap: m.HostSnapshot) -> list[m.Process]:
    """The processes of SNAP some class can name, in SNAP's order; computed once for each list
    of processes a snapshot holds (a simulation that replaces the list gets a new pick)."""
    return snap.memo("_suspects", snap.processes, lambda procs: [p for p in procs if named(p)])
