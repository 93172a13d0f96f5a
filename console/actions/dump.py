"""Goroutine dumps: SIGUSR1 to dockerd, containerd or a shim (never runc or a container
process), then find where the dump went and save it to the incident directory.

dockerd writes <exec-root>/goroutine-stacks-<timestamp>.log; CRI-O writes
/tmp/crio-goroutine-stacks-<timestamp>.log; containerd >= 1.3 writes
/tmp/containerd.<pid>.stacks.log; a v2 shim logs one logrus line to its stderr, the bundle's
log FIFO, which containerd copies to its own stderr (and that may be a pipe to dockerd, which
writes it to its log file; under systemd it is a journald stream, read back with journalctl). A v1 shim's stderr is usually /dev/null: the dump
would be lost (seed 001 needed a kprobe), so it is read from the shim's write() calls with
strace attached while the signal is sent (strace_capture.py); without strace we say so. A stopped process cannot dump until it
runs again: we say that too instead of waiting.
"""
from __future__ import annotations

import glob
import os
import signal
import time
from dataclasses import dataclass, field

from .. import model as m
from .. import stacks
from . import strace_capture
from .guard import Refused, Target, send
from .incident import Incident


@dataclass
class Dump:
    target: Target
    path: str | None = None          # the saved dump in the incident directory
    source: str | None = None        # where the daemon wrote it
    groups: list = field(default_factory=list)
    note: str | None = None


def _opt(argv: list[str], name: str) -> str | None:
    for i, a in enumerate(argv):
        if a == name and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def _stderr_files(pid: int, snap: m.HostSnapshot, depth: int = 0) -> list[str]:
    """Regular files the process's stderr ends up in, following pipes to their reader."""
    try:
        target = os.readlink(f"/proc/{pid}/fd/2")
    except OSError:
        return []
    if target.startswith("/") and os.path.isfile(target):
        return [target]
    if target.startswith("pipe:[") and depth < 3:
        pp = snap.pipe(int(target[6:-1]))
        for end in (pp.readers if pp else []):
            if end.pid != pid:
                return _stderr_files(end.pid, snap, depth + 1)
    return []


def _journal_pid(pid: int, snap: m.HostSnapshot) -> int | None:
    """The pid whose stderr is a journald stream (systemd hosts), following pipes."""
    seen = 0
    while pid and seen < 4:
        try:
            target = os.readlink(f"/proc/{pid}/fd/2")
        except OSError:
            return None
        if target.startswith("socket:["):
            return pid
        if not target.startswith("pipe:["):
            return None
        pp = snap.pipe(int(target[6:-1]))
        pid = next((e.pid for e in (pp.readers if pp else []) if e.pid != pid), None)
        seen += 1
    return None


def _from_journal(pid: int, since: float, timeout: float = 5.0) -> str | None:
    import shutil
    import subprocess
    if not shutil.which("journalctl"):
        return None
    try:
        r = subprocess.run(["journalctl", f"_PID={pid}", "--since", f"@{int(since) - 1}", "-o", "cat",
                            "--no-pager"], capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return r.stdout if "goroutine " in r.stdout else None


def _sizes(paths: list[str]) -> dict[str, int]:
    out = {}
    for p in paths:
        try:
            out[p] = os.path.getsize(p)
        except OSError:
            out[p] = 0
    return out


FREEZER_WCHANS = ("__refrigerator", "do_freezer_trap")     # cgroup v1, v2 freezer


def cannot_dump(p: m.Process, snap: m.HostSnapshot, live: bool = True) -> str | None:
    """Why a SIGUSR1 would give no dump, said before anything is sent; None if it can."""
    if p.state in ("T", "t"):
        return f"{p.comm} {p.pid} is stopped (state {p.state}): it cannot dump until it runs again"
    if p.threads and all(th.wchan in FREEZER_WCHANS for th in p.threads):
        return f"{p.comm} {p.pid} is frozen by a freezer cgroup: it cannot dump until it is thawed"
    if p.role == m.CONMON:
        return (f"conmon {p.pid} is a C program with no goroutines to dump (and SIGUSR1 is not "
                f"its dump signal): no signal is sent; CRI-O's own dump shows the Go side")
    if p.role in (m.SHIM_V1, m.SHIM_LEGACY):
        where = _where(p.pid) if live else (p.fd(2).target if p.fd(2) else None)
        if where == "/dev/null" and live and not strace_capture.available():
            return (f"{p.comm} {p.pid} ({p.role}) writes its dump to /dev/null: it would be lost, "
                    f"so no signal is sent (install strace: its write() calls are then captured)")
    return None


def to_dev_null(p: m.Process, live: bool = True) -> bool:
    """A v1 shim whose dump goes to /dev/null: captured from its write() calls (strace)."""
    where = _where(p.pid) if live else (p.fd(2).target if p.fd(2) else None)
    return p.role in (m.SHIM_V1, m.SHIM_LEGACY) and where == "/dev/null"


def dump_stacks(p: m.Process, snap: m.HostSnapshot, incident: Incident, *, dry_run: bool = False,
                wait: float = 10.0) -> Dump:
    t = Target.of(p)
    d = Dump(t)
    if p.role not in (m.DOCKERD, m.CONTAINERD, m.CRIO) and p.role not in m.SHIM_ROLES:
        raise Refused(f"{p.comm} {p.pid} is not dockerd, containerd, CRI-O or a shim: no stack dump")
    if why := cannot_dump(p, snap):
        d.note = why
        incident.audit("SIGUSR1", t.as_dict(), f"skipped: {why}", dry_run=dry_run)
        return d
    argv = p.argv or []
    watch_glob, follow = None, []
    if p.role == m.DOCKERD:
        watch_glob = os.path.join(_opt(argv, "--exec-root") or "/var/run/docker", "goroutine-stacks-*.log")
    elif p.role == m.CRIO:                    # CRI-O writes each SIGUSR1 dump to a new file
        watch_glob = "/tmp/crio-goroutine-stacks-*.log"
    elif p.role == m.CONTAINERD:
        watch_glob = f"/tmp/containerd.{p.pid}.stacks.log"
        follow = _stderr_files(p.pid, snap)
    elif p.role == m.SHIM_V2:
        ctr = _containerd_of(p, snap)
        follow = _stderr_files(ctr.pid, snap) if ctr else []
    else:
        follow = _stderr_files(p.pid, snap)
        if not follow:
            return _from_writes(p, t, d, incident, dry_run, wait)
    journal = None
    if p.role in (m.CONTAINERD, m.SHIM_V2) or (p.role == m.SHIM_V1 and not follow):
        ctr = p if p.role == m.CONTAINERD else _containerd_of(p, snap)
        journal = _journal_pid(ctr.pid, snap) if ctr else None
    sent_at = time.time()
    before_files = set(glob.glob(watch_glob)) if watch_glob else set()
    before_mtime = {f: os.path.getmtime(f) for f in before_files}
    before = _sizes(follow)
    msg = send(t, signal.SIGUSR1, incident, dry_run=dry_run, why="goroutine dump")
    if dry_run:
        d.note = msg
        return d
    end = time.monotonic() + wait
    while time.monotonic() < end:
        time.sleep(0.2)
        if watch_glob:
            fresh = [f for f in glob.glob(watch_glob)
                     if f not in before_files or os.path.getmtime(f) > before_mtime.get(f, 0)]
            if fresh:
                time.sleep(0.3)                       # let the writer finish
                d.source = max(fresh, key=os.path.getmtime)
                with open(d.source, errors="replace") as f:
                    text = f.read()
                return _save(d, text, incident)
        for path, size in before.items():
            try:
                with open(path, errors="replace") as f:
                    f.seek(size)
                    text = f.read()
            except OSError:
                continue
            if "=== END goroutine stack dump ===" in text or (p.role == m.CONTAINERD and "goroutine " in text):
                d.source = path
                return _save(d, text, incident)
        if journal and (text := _from_journal(journal, sent_at)) and (
                "=== END goroutine stack dump ===" in text or p.role == m.CONTAINERD):
            d.source = f"journal (_PID={journal})"
            return _save(d, text, incident)
    where = " ".join(x for x in [watch_glob or "", *follow, f"journal _PID={journal}" if journal else ""] if x)
    d.note = f"sent SIGUSR1 but found no dump within {wait:.0f}s (looked at {where})"
    return d


def _from_writes(p: m.Process, t: Target, d: Dump, incident: Incident, dry_run: bool, wait: float) -> Dump:
    """A shim whose stderr is /dev/null: its dump is read from its write() calls (strace)."""
    where = _where(p.pid)
    if not strace_capture.available():
        d.note = (f"{p.comm} {p.pid} ({p.role}) writes its dump to {where}: it would be lost, so no "
                  f"signal was sent (install strace: its write() calls are then captured)")
        incident.audit("SIGUSR1", t.as_dict(), "skipped: dump would be lost", dry_run=dry_run)
        return d
    if dry_run:
        d.note = send(t, signal.SIGUSR1, incident, dry_run=True, why="goroutine dump, captured with strace")
        return d
    trace = incident.file(f"strace-{t.comm.replace('/', '_')}-{t.pid}.txt")
    try:
        text = strace_capture.capture(p.pid, trace, lambda: send(t, signal.SIGUSR1, incident, dry_run=False,
                                                                 why=f"goroutine dump; its stderr is {where}, so "
                                                                     f"its write() calls are captured with strace"),
                                      wait, "=== END goroutine stack dump ===")
    except OSError as e:
        d.note = f"{e}: no signal was sent"
        incident.audit("SIGUSR1", t.as_dict(), f"skipped: {e}")
        return d
    if "goroutine " not in text:
        d.note = f"sent SIGUSR1 under strace, but {p.comm} {p.pid} wrote no dump within {wait:.0f}s"
        return d
    d.source = f"its write() calls, captured with strace (its stderr is {where})"
    return _save(d, text, incident)


def _containerd_of(shim: m.Process, snap: m.HostSnapshot) -> m.Process | None:
    """The containerd this shim reports to (not just any containerd: a host can run two)."""
    from .daemons import containerd_of
    ch = containerd_of(snap, shim)
    return ch.procs[0] if ch.procs else None


def _where(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/fd/2")
    except OSError:
        return "an unreadable stderr"


def _save(d: Dump, text: str, incident: Incident) -> Dump:
    d.path = incident.file(f"stacks-{d.target.comm.replace('/', '_')}-{d.target.pid}.log")
    with open(d.path, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    try:
        d.groups = stacks.load(text)
    except stacks.StackError as e:
        d.note = f"saved, but could not parse it: {e}"
    incident.audit("stack-dump", d.target.as_dict(), f"saved {len(text)} bytes from {d.source}",
                   detail={"path": d.path})
    return d
