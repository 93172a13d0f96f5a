"""Kernel log lines tied to a container: OOM kills and pids-controller fork refusals, by the
memory/pids cgroup the line names (the container's own or a pod-level cgroup above it), with
the limit at the level that hit it, when it happened, and who was killed: a runtime process
or not, and the process now stuck or another one."""
from __future__ import annotations

import re

from .. import model as m
from ..views import fmt_age

_MEMCG = re.compile(r"oom_memcg=([^,\s]+)")
_TASKCG = re.compile(r"task_memcg=([^,\s]+)")
_TASK = re.compile(r"task=([^,]+),pid=(\d+)")
_KILLED = re.compile(r"(?:Killed process|Kill process) (\d+) \(([^)]+)\)")
_USAGE = re.compile(r"^memory: usage (\d+)kB, limit (\d+)kB")     # the OOM report's own figures
_RUNTIME_NAMES = ("runc", "containerd", "dockerd", "conmon", "docker-runc", "docker-containe")


def fmt_limit(n: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.0f} {unit}" if n % size == 0 else f"{n / size:.1f} {unit}"
    return f"{n} B"


def _level(c: m.Container, path: str | None) -> m.CgroupLevel | None:
    for lv in (c.cgroup.levels if c.cgroup else []):
        if lv.path == path:
            return lv
    return None


def level_label(c: m.Container, path: str) -> str:
    """"container", "pod", or the path itself: which of C's cgroups PATH is, as said in a line."""
    leaf = c.cgroup.levels[0].path if c.cgroup and c.cgroup.levels else None
    if path == leaf or path.rstrip("/").endswith(c.id) or c.id in path.rsplit("/", 1)[-1]:
        return "container"
    if "pod" in path.rsplit("/", 1)[-1]:
        return "pod"
    return path


def _ours(c: m.Container, path: str | None) -> bool:
    return bool(path) and (unique_id(c) and c.id in path or _level(c, path) is not None and path != "/")


def unique_id(c: m.Container) -> bool:
    """Is C's id unique enough to find it in any cgroup path or kernel line? A 64-hex id is;
    a name-like id (`ctr run ... web0ctr`) also names an earlier container's cgroup, in
    another parent, whose kernel lines are not this one's: those match only by cgroup path."""
    return len(c.id) >= 32


def mentions(c: m.Container, text: str) -> bool:
    """Does a kernel line name container C (its unique id, or one of its cgroup paths)?"""
    if unique_id(c):
        return c.id in text
    leaf = c.cgroup.levels[0].path if c.cgroup and c.cgroup.levels else None
    return bool(leaf) and leaf != "/" and re.search(re.escape(leaf) + r"(?=[,\s]|$)", text) is not None


def runtime_name(name: str) -> bool:
    return name.startswith(_RUNTIME_NAMES) or "shim" in name


def oom_kills(snap: m.HostSnapshot, c: m.Container, runc_init_gone: bool = False) -> list[dict]:
    """OOM kill events tied to C, oldest first: {"killed_pid", "task", "memcg", "level",
    "limit", "age", "lines", "observed"}. The limit is the OOM report's own (its "memory: usage
    NkB, limit NkB" line) when the log holds it, else the level's as read now. A line naming no cgroup (older kernels) is tied only
    when RUNC_INIT_GONE (a start waits for a runc init that is not there): then inferred."""
    events: dict[int, dict] = {}
    for k in snap.kernel_log:
        if k.kind not in ("oom", "oom-kill"):
            continue
        ev = events.setdefault(round(k.uptime), {"uptime": k.uptime, "lines": []})
        ev["lines"].append(k.text)
        if (mt := _MEMCG.search(k.text)):
            ev["memcg"] = mt.group(1)
            ev["task_memcg"] = (_TASKCG.search(k.text) or mt).group(1)
            if (t := _TASK.search(k.text)):
                ev.setdefault("task", t.group(1))
        if (mt := _KILLED.search(k.text)):
            if k.kind == "oom-kill" or "killed_pid" not in ev:
                ev["killed_pid"], ev["task"] = int(mt.group(1)), mt.group(2)
        if (mt := _USAGE.match(k.text)):
            ev["line_limit"] = int(mt.group(2)) * 1024
    out = []
    for ev in sorted(events.values(), key=lambda e: e["uptime"]):
        named = _ours(c, ev.get("memcg")) or _ours(c, ev.get("task_memcg"))
        if not named and not (runc_init_gone and "memcg" not in ev and ev.get("task", "").startswith("runc:[2:INIT]")):
            continue
        lv = _level(c, ev.get("memcg"))
        ev.update(observed=named, age=snap.uptime - ev["uptime"],
                  level=level_label(c, ev["memcg"]) if ev.get("memcg") else None,
                  limit=ev.get("line_limit") or (lv.mem_limit if lv else None))
        out.append(ev)
    return out


def oom_link(snap: m.HostSnapshot, c: m.Container, ev: dict, stuck: list[m.Process]) -> dict:
    task, pid = ev.get("task", "?"), ev.get("killed_pid")
    limit = f"{ev['level']} memory limit {fmt_limit(ev['limit'])}" if ev.get("limit") else (
        f"memory cgroup {ev['memcg']}" if ev.get("memcg") else "the cgroup is not named in the line")
    who = ""
    if runtime_name(task):
        same = [p for p in stuck if p.pid == pid]
        alike = [p for p in stuck if p.comm == task or (task.startswith("runc") and p.role == m.RUNC_INIT)]
        if same:
            who = f"; a runtime process, and the same one that is stuck now ({pid})"
        elif alike:
            who = (f"; a runtime process ({task}), not the one stuck now ({alike[0].pid}): "
                   f"an earlier attempt on the same container")
        else:
            who = f"; a runtime process ({task}), no longer there"
    text = f"OOM kill of {task} {pid or ''} {fmt_age(ev['age'])} ago ({limit}){who}".replace("  ", " ")
    return {"key": "memory-limit", "text": text, "kind": "observed" if ev["observed"] else "inferred", "source": "kernel log",
            "age": round(ev["age"], 1),
            "evidence": {"lines": ev["lines"][-4:], "memcg": ev.get("memcg"), "limit": ev.get("limit"),
                         "killed_pid": pid, "task": task}}


def pids_refusals(snap: m.HostSnapshot, c: m.Container) -> dict | None:
    """Fork refusals by the pids controller at C's cgroup or an ancestor, as one link."""
    hits = [k for k in snap.kernel_log if k.kind == "pids-fork-rejected"]
    mine = []
    for k in hits:
        path = k.text.rsplit(" in ", 1)[-1].strip()
        if _ours(c, path):
            mine.append((k, path))
    if not mine:
        return None
    last, path = mine[-1]
    lv = _level(c, path)
    limit = (f"pids.max {lv.pids_max}, now {lv.pids_current}" if lv and lv.pids_max is not None
             else "limit not readable")
    age = snap.uptime - last.uptime
    return {"key": "fork-rejected", "text": f"fork rejected by the pids controller at the {level_label(c, path)} cgroup ({limit}), "
                    f"{len(mine)} time(s), last {fmt_age(age)} ago",
            "kind": "observed", "source": "kernel log", "age": round(age, 1),
            "evidence": {"lines": [k.text for k, _ in mine][-3:], "cgroup": path,
                         "pids_max": lv.pids_max if lv else None, "pids_current": lv.pids_current if lv else None}}
