"""Per-container cgroup state, cgroup v1 and v2: pids at every level up to the root
(Kubernetes podPidsLimit sits on the pod cgroup), memory OOM counters, freezer state."""
from __future__ import annotations

import os

from ..model import CgroupLevel, CgroupState
from .guarded import read_file


def mounts(mountinfo: str = "/proc/self/mountinfo") -> dict[str, tuple[str, str]]:
    """{controller: (mount root, mount point)}; cgroup v2 is under key ''."""
    out: dict[str, tuple[str, str]] = {}
    data = read_file(mountinfo) or b""
    for line in data.decode("utf-8", "replace").splitlines():
        left, _, right = line.partition(" - ")
        f, r = left.split(), right.split()
        if len(f) < 5 or len(r) < 3:
            continue
        root, point, fstype = f[3], f[4], r[0]
        if fstype == "cgroup2":
            out.setdefault("", (root, point))
        elif fstype == "cgroup":
            for opt in r[2].split(","):
                if opt in ("pids", "memory", "freezer", "cpu", "cpuacct", "blkio", "devices",
                           "cpuset") or opt.startswith("name="):
                    out.setdefault(opt.removeprefix("name="), (root, point))
    return out


def pid_cgroups(mnt: dict[str, tuple[str, str]]) -> dict[int, str] | None:
    """pid -> cgroup path in the primary hierarchy (pids on v1, else the unified one), from
    every cgroup's cgroup.procs: a read per cgroup rather than one per process. None when
    there is no cgroup filesystem to walk."""
    key = "pids" if "pids" in mnt else "" if "" in mnt else None
    if key is None:
        return None
    root, point = mnt[key]
    base = "" if root == "/" else root
    out: dict[int, str] = {}
    stack = [point]
    while stack:
        d = stack.pop()
        data = read_file(f"{d}/cgroup.procs")
        if data:
            rel = base + d[len(point):] or "/"
            for pid in data.split():
                out[int(pid)] = rel
        try:
            with os.scandir(d) as it:
                stack.extend(e.path for e in it if e.is_dir(follow_symlinks=False))
        except OSError:
            pass
    return out


def dir_of(controller: str, path: str, mnt: dict | None = None) -> str | None:
    """The directory of cgroup PATH in CONTROLLER's hierarchy ('' for v2) on this host."""
    return _dir(mnt if mnt is not None else mounts(), controller, path)


def _dir(mnt: dict[str, tuple[str, str]], ctl: str, path: str) -> str | None:
    if ctl not in mnt:
        return None
    root, point = mnt[ctl]
    if root != "/" and path.startswith(root):
        path = path[len(root):] or "/"
    return point + path if path != "/" else point


def _int(path: str) -> int | None:
    data = read_file(path)
    if data is None:
        return None
    text = data.strip()
    if text == b"max":
        return None
    try:
        v = int(text)
    except ValueError:
        return None
    return None if v >= 1 << 62 else v     # v1 "no limit" is PAGE_COUNTER_MAX pages


def _kv(path: str) -> dict[str, int]:
    out = {}
    for line in (read_file(path) or b"").decode().splitlines():
        k, _, v = line.partition(" ")
        try:
            out[k] = int(v)
        except ValueError:
            pass
    return out


def _ancestry(path: str) -> list[str]:
    out = []
    while True:
        out.append(path)
        if path in ("/", ""):
            return out
        path = os.path.dirname(path.rstrip("/")) or "/"


def read_state(paths: dict[str, str], mnt: dict[str, tuple[str, str]]) -> CgroupState | None:
    """State of a container's cgroups given its /proc/PID/cgroup map."""
    if "pids" in mnt or "memory" in mnt or "freezer" in mnt:
        return _read_v1(paths, mnt)
    if "" in mnt and "" in paths:
        return _read_v2(paths[""], mnt)
    return None


def _read_v1(paths: dict[str, str], mnt) -> CgroupState | None:
    main = paths.get("pids") or paths.get("memory") or paths.get("freezer")
    if not main:
        return None
    levels: dict[str, CgroupLevel] = {}
    order = _ancestry(main)
    for p in order:
        levels[p] = CgroupLevel(path=p)
    if "pids" in paths and (base := paths["pids"]):
        for p in _ancestry(base):
            d = _dir(mnt, "pids", p)
            lv = levels.setdefault(p, CgroupLevel(path=p))
            if d and p != "/":
                lv.pids_current = _int(f"{d}/pids.current")
                lv.pids_max = _int(f"{d}/pids.max")
                lv.pids_events_max = _kv(f"{d}/pids.events").get("max")
            elif d:
                lv.pids_current = _count_tasks(d)
    if "memory" in paths:
        for p in _ancestry(paths["memory"]):
            d = _dir(mnt, "memory", p)
            if not d:
                continue
            lv = levels.setdefault(p, CgroupLevel(path=p))
            lv.mem_usage = _int(f"{d}/memory.usage_in_bytes")
            lv.mem_limit = _int(f"{d}/memory.limit_in_bytes")
            oc = _kv(f"{d}/memory.oom_control")
            lv.mem_oom, lv.mem_oom_kill = oc.get("under_oom"), oc.get("oom_kill")
    freezer = None
    if "freezer" in paths and (d := _dir(mnt, "freezer", paths["freezer"])):
        freezer = ((read_file(f"{d}/freezer.state") or b"").decode().strip() or None)
    procs = None
    if (d := _dir(mnt, "pids", main) or _dir(mnt, "memory", main)):
        procs = _procs(d)
    ordered = sorted(levels.values(), key=lambda lv: -lv.path.count("/") if lv.path != "/" else 1)
    return CgroupState(version=1, path=main, levels=ordered, freezer=freezer, procs=procs)


def _read_v2(path: str, mnt) -> CgroupState:
    levels = []
    for p in _ancestry(path):
        d = _dir(mnt, "", p)
        lv = CgroupLevel(path=p)
        if d and p != "/":
            lv.pids_current = _int(f"{d}/pids.current")
            lv.pids_max = _int(f"{d}/pids.max")
            lv.pids_events_max = _kv(f"{d}/pids.events").get("max")
            lv.mem_usage = _int(f"{d}/memory.current")
            lv.mem_limit = _int(f"{d}/memory.max")
            ev = _kv(f"{d}/memory.events")
            lv.mem_oom, lv.mem_oom_kill = ev.get("oom"), ev.get("oom_kill")
        levels.append(lv)
    d = _dir(mnt, "", path)
    freezer = None
    if d:
        freeze = _int(f"{d}/cgroup.freeze")
        frozen = _kv(f"{d}/cgroup.events").get("frozen")
        if freeze is not None:
            freezer = ("FROZEN" if frozen else "FREEZING") if freeze else "THAWED"
    return CgroupState(version=2, path=path, levels=levels, freezer=freezer,
                       procs=_procs(d) if d else None)


def _procs(d: str) -> list[int] | None:
    data = read_file(f"{d}/cgroup.procs")
    if data is None:
        return None
    return [int(x) for x in data.split()]


def _count_tasks(d: str) -> int | None:
    data = read_file(f"{d}/tasks")
    return None if data is None else len(data.split())


def frozen_by(paths: dict[str, str], mnt: dict[str, tuple[str, str]]) -> tuple[str, list[str]] | None:
    """(FROZEN|FREEZING, the cgroups whose own setting froze it) for a process with the
    /proc/PID/cgroup map PATHS, or None when no freezer holds it. A freezer at any ancestor
    freezes everything below it, so every level is read: v1 `freezer.state` (effective) and
    `freezer.self_freezing` (this level's own request); v2 `cgroup.freeze` (own request) and
    `cgroup.events` `frozen` (effective, at the process's own level)."""
    if "freezer" in mnt and paths.get("freezer") is not None:
        leaf = paths["freezer"]
        d = _dir(mnt, "freezer", leaf)
        state = (read_file(f"{d}/freezer.state") or b"").decode().strip() if d else ""
        if state not in ("FROZEN", "FREEZING"):
            return None
        by = []
        for p in _ancestry(leaf):
            dd = _dir(mnt, "freezer", p)
            if not dd or p == "/":
                continue
            own = _int(f"{dd}/freezer.self_freezing")
            st = (read_file(f"{dd}/freezer.state") or b"").decode().strip()
            if own == 1 or (own is None and st in ("FROZEN", "FREEZING")):
                by.append(p)
        return state, by or [leaf]
    if "" in mnt and paths.get("") is not None:
        leaf = paths[""]
        by = [p for p in _ancestry(leaf) if p != "/" and (dd := _dir(mnt, "", p))
              and _int(f"{dd}/cgroup.freeze") == 1]
        if not by:
            return None
        d = _dir(mnt, "", leaf)
        frozen = _kv(f"{d}/cgroup.events").get("frozen") if d else None
        return ("FROZEN" if frozen else "FREEZING"), by
    return None


def thaw_file(version: int, path: str, mnt: dict | None = None) -> tuple[str, str] | None:
    """(file, value) that thaws freezer cgroup PATH: v1 freezer.state THAWED, v2 cgroup.freeze 0."""
    d = dir_of("freezer" if version == 1 else "", path, mnt)
    if not d:
        return None
    return (f"{d}/freezer.state", "THAWED") if version == 1 else (f"{d}/cgroup.freeze", "0")
