"""Containers found from /proc alone: shims (v2, v1, pre-1.0), conmon, container cgroups.

Bundle files are read only after proving they are regular files (O_PATH + fstat, then a
reopen of that very inode): a runtime FIFO such as exec.fifo is never opened.
"""
from __future__ import annotations

import json
import os
import stat as st

from .. import model as m
from .runtime import container_id_from_cgroup


def read_regular(path: str, limit: int = 1 << 20) -> bytes | None:
    """Contents of PATH if (and only if) it is a regular file; never opens a FIFO."""
    try:
        pfd = os.open(path, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not st.S_ISREG(os.fstat(pfd).st_mode):
            return None
        fd = os.open(f"/proc/self/fd/{pfd}", os.O_RDONLY | os.O_CLOEXEC)
        try:
            return os.read(fd, limit)
        finally:
            os.close(fd)
    except OSError:
        return None
    finally:
        os.close(pfd)


def read_pid_file(path: str) -> int | None:
    data = read_regular(path, 64)
    try:
        return int(data.strip()) if data else None
    except ValueError:
        return None


def pidns_path(bundle: str) -> str | None:
    """The pid namespace path config.json joins, if any (shared pid namespace, seed 004)."""
    data = read_regular(os.path.join(bundle, "config.json"), 4 << 20)
    if not data:
        return None
    try:
        spec = json.loads(data)
        for ns in (spec.get("linux") or {}).get("namespaces") or []:
            if ns.get("type") == "pid" and ns.get("path"):
                return ns["path"]
    except (ValueError, AttributeError):
        return None
    return None


def cwd_of(pid: int, proc: str = "/proc") -> str | None:
    try:
        return os.readlink(f"{proc}/{pid}/cwd")
    except OSError:
        return None


def discover(processes: list[m.Process], cgroup_map, proc: str = "/proc",
             read_bundles: bool = True) -> list[m.Container]:
    """CGROUP_MAP(pid) gives a process's {controller: path} (/proc/PID/cgroup); it is asked
    once per container, of one member."""
    """Containers with their shim, bundle, init pid and cgroup paths (state read later)."""
    found: dict[str, m.Container] = {}
    by_pid = {p.pid: p for p in processes}
    kids: dict[int, list[m.Process]] = {}
    for p in processes:
        kids.setdefault(p.ppid, []).append(p)

    for p in processes:
        if p.role not in m.SHIM_ROLES or not p.container_id or exec_conmon(p.argv):
            continue
        c = found.setdefault(p.container_id, m.Container(id=p.container_id, runtime=p.role))
        c.runtime, c.shim_pid = p.role, p.pid
        c.namespace = _namespace(p.argv)
        if read_bundles:
            c.bundle = c.bundle or _bundle_of(p, proc)
        # Under Kubernetes one v2 shim serves a whole pod: each child in a container cgroup
        # of another id is another container served by this shim.
        for k in kids.get(p.pid, ()):
            cid = container_id_from_cgroup(k.cgroup)
            if cid and cid != p.container_id and k.role not in (m.RUNC, m.RUNC_INIT):
                other = found.setdefault(cid, m.Container(id=cid, runtime=p.role))
                other.shim_pid, other.namespace = p.pid, c.namespace
                if c.bundle and read_bundles:
                    other.bundle = os.path.join(os.path.dirname(c.bundle), cid)

    for p in processes:                  # containers seen only through a cgroup
        cid = container_id_from_cgroup(p.cgroup)
        if cid and cid not in found and p.role not in m.RUNTIME_ROLES:
            found[cid] = m.Container(id=cid, runtime="cgroup")

    for c in found.values():
        if read_bundles and c.bundle:
            c.init_pid = read_pid_file(os.path.join(c.bundle, "init.pid"))
            c.pidns_path = pidns_path(c.bundle)
        member = by_pid.get(c.init_pid) if c.init_pid else None
        if member is None or member.container_id != c.id:
            member = next((p for p in processes if p.container_id == c.id
                           and p.role not in m.RUNTIME_ROLES and not p.zombie), None)
        if member is not None:
            c.cgroup_paths = dict(cgroup_map(member.pid))
    return sorted(found.values(), key=lambda c: c.id)


def exec_conmon(argv: list[str] | None) -> bool:
    """A conmon that monitors one exec session (`-e`/`--exec`, its -u the session's id), not
    the container: it reads that exec's pipes, but the container's conmon is another."""
    if not argv or os.path.basename(argv[0]) != "conmon":
        return False
    if "-e" in argv or "--exec" in argv:
        return True
    ids = {a: argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("-c", "--cid", "-u", "--cuuid")}
    c, u = ids.get("-c") or ids.get("--cid"), ids.get("-u") or ids.get("--cuuid")
    return bool(c and u and c != u)


def _namespace(argv: list[str] | None) -> str | None:
    if not argv:
        return None
    for i, a in enumerate(argv[:-1]):
        if a in ("-namespace", "--namespace"):
            return argv[i + 1]
    return None


def _bundle_of(shim: m.Process, proc: str) -> str | None:
    """v2 and v1 shims run with the bundle as their working directory; the pre-1.0 shim and
    conmon name it in argv."""
    if shim.role in (m.SHIM_LEGACY, m.CONMON) and shim.argv:
        for i, a in enumerate(shim.argv):
            if shim.role == m.SHIM_LEGACY and i == 2:
                return a
            if shim.role == m.CONMON and a in ("-b", "--bundle") and i + 1 < len(shim.argv):
                return shim.argv[i + 1]
    return cwd_of(shim.pid, proc)
