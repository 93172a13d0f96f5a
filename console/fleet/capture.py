"""Capture at detection (`check --capture DIR`, `metrics --capture DIR`): when a check first
flags a problem, keep what a restart would destroy, in DIR/<time>-<class>-<where>/, an
incident directory (`hangconsole --replay` and `hangconsole report --incident-dir` read it):

- recording.hcrec: the run's samples, the moment of detection last;
- findings.json: the findings whole, with their chains;
- lines.txt: the kernel, kubelet and daemon log lines the samples hold;
- stacks-*.log: goroutine dumps of dockerd, containerd and CRI-O (SIGUSR1; never runc, a
  container process or a shim), taken by a detached process so the check answers at once.

Captures are bounded: at most `keep` incidents and `max_mb` MiB in DIR, the oldest removed
first; a capture that alone is over the size bound keeps its recording and findings only."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

from .. import model as m
from .. import selfexec

KEEP, MAX_MB = 10, 200
RESERVE_MB = 256             # never fill the disk: no capture, no dump, below this much free


def free_mb(path: str) -> float:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize / (1 << 20)
BAD = ("warning", "critical")


def options(args) -> dict:
    """check.Options fields from the command line's --capture options."""
    return {"capture": args.capture, "capture_keep": max(1, args.capture_keep),
            "capture_max_mb": max(1.0, args.capture_max_mb)}


def new_problems(findings: list[dict], previous: list[dict]) -> list[dict]:
    """Problems this run flags on a container (or the host) the stored verdict had none on:
    the incident is first seen now. A further class on a container already flagged (zombies
    piling up under a shim flagged stopped) is the same incident, not a new capture."""
    before = {f.get("container") for f in previous if f.get("severity") in BAD}
    return [f for f in findings if f["severity"] in BAD and f.get("container") not in before]


def take(root: str, res, new: list[dict], *, keep: int = KEEP, max_mb: float = MAX_MB,
         dumps: bool = True, docker_host: str | None = None) -> str:
    """Write the capture of RES (a check's Result) for the problems NEW; returns its path."""
    from ..actions.incident import Incident
    from ..record.fileformat import RecordingWriter
    os.makedirs(root, mode=0o700, exist_ok=True)
    if (free := free_mb(root)) < RESERVE_MB:
        raise OSError(f"capture skipped: only {free:.0f} MiB free on {root} (it keeps {RESERVE_MB} MiB free)")
    f = new[0]
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(res.sampled_at or time.time()))
    where = (f.get("container") or "host")[:12]
    path = os.path.join(root, f"{stamp}-{f['class']}-{where}")
    n = 1
    while os.path.exists(path):
        n += 1
        path = os.path.join(root, f"{stamp}-{f['class']}-{where}-{n}")
    inc = Incident(path)
    with RecordingWriter(inc.file("recording.hcrec"), note=f"captured at detection: {f['class']} on {where}",
                         meta={"incident": os.path.basename(path)}) as w:
        for snap in res.snaps:
            w.write(snap)
    with open(inc.file("findings.json"), "w") as out:
        json.dump({"captured_at": res.sampled_at, "new": [x["class"] for x in new],
                   "findings": [x.to_json() for x in res.full]}, out, indent=1)
    snap = res.snaps[-1] if res.snaps else None
    with open(inc.file("lines.txt"), "w") as out:
        for kind, lines in (("kernel", snap.kernel_log if snap else []), ("kubelet", snap.kubelet_log if snap else []),
                            ("daemon", snap.daemon_log if snap else [])):
            for k in lines:
                out.write(f"{kind} [{k.uptime:.0f}] {k.kind}: {k.text}\n")
    inc.audit("capture", None, f"captured at detection: {', '.join(x['class'] for x in new)}")
    prune(root, keep, max_mb, protect=path)
    if dumps and snap is not None and os.geteuid() == 0:
        _dump_detached(path, keep, max_mb, docker_host)
    return path


def daemons(snap: m.HostSnapshot, containers: list[str | None], docker_host: str | None) -> list[m.Process]:
    """The daemons behind the flagged CONTAINERS whose goroutine dump is safe to take now: the
    dockerd behind the probed socket, the containerd each container's shim reports to, the
    CRI-O of a conmon; each running (not stopped, traced, frozen or in D: it would not dump).
    Never runc, a container process or a shim; never a daemon it cannot tell is the one."""
    from ..actions.daemons import containerd_of, crio_of, dockerd_of
    out = {p.pid: p for p in dockerd_of(snap, docker_host).procs}
    for cid in containers:
        c = snap.container(cid) if cid else None
        shim = snap.proc(c.shim_pid) if c and c.shim_pid else None
        out.update((p.pid, p) for p in containerd_of(snap, shim).procs)
        if shim is not None and shim.role == m.CONMON:
            out.update((p.pid, p) for p in crio_of(snap, shim).procs)
    return [p for p in out.values() if p.state not in ("T", "t", "D") and not p.freezer]


def _dump_detached(path: str, keep: int, max_mb: float, docker_host: str | None) -> None:
    """The dumps take seconds each: a process of its own session does them, so the check's
    answer (NPD's rule timeout) does not wait and NPD's kill of the rule does not stop them."""
    subprocess.Popen(selfexec.argv("hangconsole.fleet.capture", path, str(keep), str(max_mb), docker_host or ""),
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True, close_fds=True)


def dump_daemons(path: str, docker_host: str | None) -> list[str]:
    """Goroutine dumps of the capture's daemons that are still the same processes (pid and
    start time) into PATH; what was done, one line each."""
    from ..actions.dump import dump_stacks
    from ..actions.guard import Refused
    from ..actions.incident import Incident
    from ..record.fileformat import Recording
    rec = Recording(os.path.join(path, "recording.hcrec"))
    snap = rec.frame(len(rec) - 1)
    inc = Incident(path)
    with open(inc.file("findings.json")) as f:
        flagged = [x.get("container") for x in json.load(f)["findings"] if x.get("severity") in BAD]
    said = []
    for p in daemons(snap, flagged, docker_host):
        if (free := free_mb(path)) < RESERVE_MB:
            said.append(f"{p.comm} {p.pid}: not dumped, only {free:.0f} MiB free")
            continue
        try:
            d = dump_stacks(p, snap, inc, wait=8.0)      # re-checks pid + start time before the signal
        except Refused as e:
            said.append(f"{p.comm} {p.pid}: {e}")
            continue
        said.append(f"{p.comm} {p.pid}: {d.path or d.note}")
    return said


def _size(path: str) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
    return total


def captures(root: str) -> list[str]:
    """The capture directories in ROOT, oldest first (their names start with the UTC time)."""
    try:
        names = sorted(n for n in os.listdir(root) if os.path.isfile(os.path.join(root, n, "recording.hcrec")))
    except OSError:
        return []
    return [os.path.join(root, n) for n in names]


def prune(root: str, keep: int, max_mb: float, protect: str | None = None) -> list[str]:
    """Remove the oldest captures until at most KEEP remain and they hold at most MAX_MB MiB;
    the newest (PROTECT) is trimmed to its recording and findings if it alone is too big."""
    removed = []
    limit = max_mb * 1024 * 1024
    caps = captures(root)
    while caps and (len(caps) > keep or sum(_size(c) for c in caps) > limit):
        if caps[0] == protect:
            break
        shutil.rmtree(caps[0], ignore_errors=True)
        removed.append(caps.pop(0))
    if protect and protect in caps and sum(_size(c) for c in caps) > limit:
        for f in os.listdir(protect):
            if f.startswith("stacks-"):
                os.unlink(os.path.join(protect, f))
    return removed


def stats(root: str | None) -> tuple[int, float | None]:
    """(captures kept, when the newest was taken: epoch seconds) for the metrics."""
    caps = captures(root) if root else []
    if not caps:
        return 0, None
    try:
        return len(caps), os.path.getmtime(os.path.join(caps[-1], "recording.hcrec"))
    except OSError:
        return len(caps), None


def main(argv: list[str]) -> int:
    path, keep, max_mb = argv[0], int(argv[1]), float(argv[2])
    from ..actions.incident import Incident
    said = dump_daemons(path, (argv[3:] or [""])[0] or None)
    Incident(path).audit("capture", None, "dumps: " + ("; ".join(said) or "no daemon to dump"))
    prune(os.path.dirname(path), keep, max_mb, protect=path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
