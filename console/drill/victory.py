"""The condition of victory, checked on the live lab when the drill ends: the call that hung
answers again, the zombies are reaped, every byte drained from the stuck pipe is on disk, the
pids are under the limit, and the red herring is still as its owner left it. Each check asks
the engine or the kernel itself, with a deadline; none trusts the console's own word."""
from __future__ import annotations

import os
from dataclasses import dataclass

from ..lab.engine import _comm
from ..lab.errors import LabError
from ..lab.faults import _container_pids, blocked_writer

CALL_WAIT = 20.0          # seconds a call may take and still count as answering


@dataclass
class Check:
    what: str             # the condition, as the debrief says it
    ok: bool
    said: str             # what the engine or /proc answered


def _call(fn, what: str, any_answer: bool = False) -> Check:
    """FN's engine call answered in time (and, unless ANY_ANSWER, succeeded)."""
    try:
        r = fn()
    except LabError as e:                   # a deadline passed: it still hangs
        return Check(what, False, str(e))
    out = (r.stdout or b"").decode(errors="replace").strip()
    err = (r.stderr or b"").decode(errors="replace").strip()
    return Check(what, any_answer or r.returncode == 0,
                 f"answered, exit {r.returncode}" + (f": {(err or out)[-160:]}" if r.returncode else ""))


def _exec(lab, cid: str, name: str, n: int) -> Check:
    """A new exec whose process forks, into the container: what the page's users run."""
    cmd = ["sh", "-c", "sleep 0 & wait; echo hi"]
    what = f"a new exec into {name} runs (and can fork) within {CALL_WAIT:.0f} s"
    if lab.ENGINE == "docker":
        return _call(lambda: lab.docker("exec", name, *cmd, timeout=CALL_WAIT, check=False), what)
    if lab.ENGINE == "containerd":
        return _call(lambda: lab.ctr("task", "exec", "--fifo-dir", lab.path("fifo"), "--exec-id", f"victory{n}",
                                     cid, *cmd, timeout=CALL_WAIT, check=False), what)
    return _call(lambda: lab.podman("exec", name, *cmd, timeout=CALL_WAIT, check=False), what)


def _inspect(lab, cid: str, name: str) -> Check:
    what = f"the engine answers about {name} within 10 s"
    if lab.ENGINE == "docker":
        return _call(lambda: lab.docker("inspect", cid, timeout=10, check=False), what, any_answer=True)
    if lab.ENGINE == "containerd":
        return _call(lambda: lab.ctr("task", "ps", cid, timeout=10, check=False), what, any_answer=True)
    return _call(lambda: lab.podman("inspect", cid, timeout=10, check=False), what, any_answer=True)


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _reaped(shim: int | None, start: int | None, name: str) -> list[Check]:
    st = _stat(shim) if shim else None
    if st is None or int(st[19]) != start or st[0] == "Z":
        return [Check(f"the zombies under {name}'s shim are reaped", True,
                      f"its shim {shim} is gone: its children went to init, which reaps them")]
    zombies = [pid for pid in _children(shim) if (s := _stat(pid)) and s[0] == "Z"]
    return [Check(f"{name}'s shim {shim} runs", st[0] not in ("T", "t"), f"state {st[0]}"),
            Check(f"the zombies under {name}'s shim are reaped", not zombies,
                  f"{len(zombies)} zombie(s) left: {', '.join(map(str, zombies[:6]))}" if zombies else "none left")]


def _children(pid: int) -> list[int]:
    out = []
    for tid in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else ():
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
        except OSError:
            continue
    return out


def _pipe(cid: str, name: str, audit: list[dict]) -> list[Check]:
    writer = blocked_writer(_container_pids(cid), "head")
    drained = [a for a in audit if a.get("action") == "drain-pipe" and "bytes" in (a.get("detail") or {})]
    sizes = []
    for a in drained:
        d = a.get("detail") or {}
        try:
            sizes.append((d.get("to"), os.path.getsize(d.get("to") or ""), d.get("bytes")))
        except OSError:
            sizes.append((d.get("to"), None, d.get("bytes")))
    saved = bool(sizes) and all(got is not None and got == want and want for _, got, want in sizes)
    return [Check(f"no process of {name} is blocked writing a full pipe", writer is None,
                  f"head {writer} still blocked" if writer else "none is"),
            Check("every byte drained from the pipe is on disk", saved,
                  "; ".join(f"{to}: {f'{got:,}' if got is not None else 'missing'} of {want or 0:,} bytes" for to, got, want in sizes)
                  or "nothing was drained: the bytes in the pipe were never saved")]


def _pids(cid: str, name: str) -> Check:
    """Every pids cgroup level of the container has room for a new task."""
    pids = _container_pids(cid)
    full = []
    for path in _pids_levels(pids[0]) if pids else []:
        try:
            with open(os.path.join(path, "pids.current")) as f:
                cur = int(f.read())
            with open(os.path.join(path, "pids.max")) as f:
                mx = f.read().strip()
        except (OSError, ValueError):
            continue
        if mx != "max" and cur >= int(mx):
            full.append(f"{path}: {cur}/{mx}")
    return Check(f"{name}'s pids are under their limit", bool(pids) and not full,
                 "; ".join(full) if full else "room at every level" if pids else "the container has no process")


def _pids_levels(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cgroup") as f:
            rows = [ln.rstrip("\n").split(":", 2) for ln in f]
    except OSError:
        return []
    rel = next((p for _, ctl, p in rows if "pids" in ctl.split(",")), None)
    base = "/sys/fs/cgroup/pids"
    if rel is None:
        rel, base = next((p for h, ctl, p in rows if h == "0" and ctl == ""), None), "/sys/fs/cgroup"
    out = []
    while rel and rel != "/":
        out.append(base + rel)
        rel = os.path.dirname(rel)
    return out


def _running(lab, cid: str, name: str) -> Check:
    """The workload survived the fix: a fix that ends the container is no fix where the
    runtime could have been resumed. The engine's word and its init process, alive in /proc
    (an engine says "running" for a while after a killed shim took the container with it)."""
    what = f"{name} still runs (the fix did not end its workload)"
    try:
        if lab.ENGINE == "docker":
            got = lab.docker("inspect", "-f", "{{.State.Status}} {{.State.Pid}}", cid, timeout=10, check=False)
            status, _, pid = got.stdout.decode().strip().partition(" ")
        elif lab.ENGINE == "containerd":
            rows = lab.ctr("task", "ls", timeout=10, check=False).stdout.decode().splitlines()
            row = next((r.split() for r in rows[1:] if r.split()[:1] == [cid] and len(r.split()) > 2), ["", "0", "gone"])
            status, pid = row[2].lower(), row[1]
        else:
            got = lab.podman("inspect", "-f", "{{.State.Status}} {{.State.Pid}}", cid, timeout=10, check=False)
            status, _, pid = got.stdout.decode().strip().partition(" ")
    except LabError as e:
        return Check(what, False, str(e))
    if status != "running":
        return Check(what, False, status or "unknown")
    st = _stat(int(pid)) if pid.isdigit() and int(pid) > 0 else None
    if st is None or st[0] == "Z":
        return Check(what, False, f"the engine says running, but its init process {pid} is gone")
    parent = _comm(int(st[1]))                 # managed: its shim (conmon) is its parent
    if not (parent.startswith(("containerd-shim", "docker-containe")) or parent == "conmon"):
        return Check(what, False, f"its init {pid} runs without its shim (parent {st[1]} {parent}): "
                                  f"nothing manages it; the engine says running until it notices")
    return Check(what, True, f"running, init {pid} under its shim {st[1]}")


def _still_paused(lab, cid: str, name: str) -> Check:
    what = f"{name}, paused on purpose, is still paused"
    try:
        r = lab.docker("inspect", "-f", "{{.State.Paused}}", cid, timeout=10, check=False)
    except LabError as e:
        return Check(what, False, str(e))
    got = r.stdout.decode().strip()
    return Check(what, got == "true", "paused" if got == "true" else f"State.Paused is {got or 'unknown'}")


def check(lab, hidden: list[dict], audit: list[dict]) -> list[Check]:
    """Every condition of victory for the HIDDEN faults ({fault, cid, name, shim, shim_start})."""
    out: list[Check] = []
    for n, h in enumerate(hidden):
        fault, cid, name = h["fault"], h["cid"], h["name"]
        if fault == "stuck-pipe":
            out += _pipe(cid, name, audit)
            out.append(_exec(lab, cid, name, n))
        elif fault == "stopped-shim":
            out += _reaped(h.get("shim"), h.get("shim_start"), name)
            out.append(_inspect(lab, cid, name))
            out.append(_exec(lab, cid, name, n))     # the health checks' call
        elif fault == "pids-exhausted":
            out.append(_pids(cid, name))
            out.append(_exec(lab, cid, name, n))
        elif fault == "paused":
            out.append(_still_paused(lab, cid, name))
        if fault != "paused":
            out.append(_running(lab, cid, name))
    return out
