"""Which process belongs to which container, whatever the id looks like.

The 64-hex cgroup pattern (runtime.container_id_from_cgroup) only serves Docker- and
Kubernetes-made ids; `ctr run ... web0ctr` or a podman --name'd cgroup has none. Here the facts
come from the runtime's own structure: a v2 shim's bundle sits beside the bundles of every
container of its namespace, each naming its init pid (init.pid); the containers this shim serves
are those whose init is the shim's child. A conmon names its pid file (-p). Then the init,
its descendants and every process in the init's cgroup are the container's (execs included).
The containerd API's cgroupsPath, when it answered, attributes the rest (see by_cgroup_path).
"""
from __future__ import annotations

import os

from .. import model as m
from .containers import pidns_path, read_pid_file


def _argv_opt(argv: list[str] | None, *names: str) -> str | None:
    for i, a in enumerate(argv or []):
        if a in names and i + 1 < len(argv):
            return argv[i + 1]
    return None


def attribute(snap_procs: list[m.Process], found: list[m.Container], cgroup_map,
              proc: str = "/proc") -> list[m.Container]:
    """Add the containers a pod shim serves and set container_id on their processes."""
    by_pid = {p.pid: p for p in snap_procs}
    by_id = {c.id: c for c in found}
    kids: dict[int, list[m.Process]] = {}
    for p in snap_procs:
        kids.setdefault(p.ppid, []).append(p)

    for c in list(found):
        shim = by_pid.get(c.shim_pid) if c.shim_pid else None
        if shim is None:
            continue
        if shim.role == m.SHIM_V2 and c.bundle:
            parent = os.path.dirname(c.bundle.rstrip("/"))
            try:
                names = os.listdir(parent)
            except OSError:
                names = []
            for name in names:
                ipid = read_pid_file(os.path.join(parent, name, "init.pid"))
                init = by_pid.get(ipid) if ipid else None
                if init is None or init.ppid != shim.pid:
                    continue
                other = by_id.get(name)
                if other is None:
                    other = by_id[name] = m.Container(id=name, runtime=shim.role)
                    found.append(other)
                other.shim_pid, other.namespace = shim.pid, other.namespace or c.namespace
                other.bundle = os.path.join(parent, name)
                other.init_pid = ipid
                other.pidns_path = other.pidns_path or pidns_path(other.bundle)
        elif shim.role == m.CONMON and not c.init_pid:
            pid_file = _argv_opt(shim.argv, "-p", "--container-pidfile")
            c.init_pid = read_pid_file(pid_file) if pid_file else None
            if c.init_pid is None:
                c.init_pid = next((k.pid for k in kids.get(shim.pid, ())
                                   if k.role not in m.RUNTIME_ROLES), None)

    for c in found:
        init = by_pid.get(c.init_pid) if c.init_pid else None
        if init is None or init.role in m.RUNTIME_ROLES:
            continue
        _claim(c.id, init, kids, snap_procs, by_id)
        if not c.cgroup_paths:
            c.cgroup_paths = dict(cgroup_map(init.pid))
    found.sort(key=lambda c: c.id)
    return found


def _claim(cid: str, init: m.Process, kids, procs: list[m.Process], known: dict) -> None:
    """INIT, its descendants and every process in its cgroup belong to CID (a process already
    attributed to another known container keeps it)."""
    def take(p: m.Process) -> None:
        if p.role in m.RUNTIME_ROLES:
            return
        if p.container_id is None or p.container_id not in known:
            p.container_id = cid
    todo = [init]
    while todo:
        p = todo.pop()
        take(p)
        todo.extend(kids.get(p.pid, ()))
    if init.cgroup and init.cgroup != "/":
        for p in procs:
            if p.cgroup == init.cgroup:
                take(p)


def by_cgroup_path(snap: m.HostSnapshot, cgroups_paths: dict[str, str]) -> None:
    """Processes in the cgroup a runtime API names for a container (its spec's cgroupsPath)
    belong to it, when /proc alone did not say so."""
    known = {c.id for c in snap.containers}
    want = {path.rstrip("/"): cid for cid, path in cgroups_paths.items()
            if path and cid in known and ":" not in path}     # systemd slice:prefix:name form skipped
    if not want:
        return
    for p in snap.processes:
        if p.container_id is None and p.role not in m.RUNTIME_ROLES and p.cgroup:
            cid = want.get(p.cgroup.rstrip("/"))
            if cid:
                p.container_id = cid
