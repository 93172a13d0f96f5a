"""Injecting the lab's faults (listed in catalog.py), each a verified way to break a real
engine (see docs/hang-catalog.md). Containers are named hc-<fault>, or as the lab's `names`
say (a drill gives them names that do not tell the fault)."""
from __future__ import annotations

import os
import signal
import socket
import time

from .. import selfexec
from .catalog import FAULTS
from .errors import LabError
from .image import IMAGE



def _run(lab, name: str, *args: str, cmd: list[str]) -> str:
    lab.docker("rm", "-f", name, check=False, timeout=30)
    out = lab.docker("run", "-d", "--network", "none", "--name", name, *args, IMAGE, *cmd, timeout=60)
    return out.stdout.decode().strip()


def shim_of(cid: str) -> int | None:
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"containerd-shim-runc-v2") and cid.encode() in argv and b"start" not in argv[-2:]:
            return int(name)
    return None


def _wait(pred, seconds: float, what: str):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        got = pred()
        if got:
            return got
        time.sleep(0.1)
    raise LabError(f"fault did not take: {what}")


def stop(pid: int, what: str) -> int:
    """SIGSTOP PID and wait until it shows stopped: the signal is delivered asynchronously, and
    whoever looks right after the fault (a drill noting the stopped shim) must see it taken."""
    os.kill(pid, signal.SIGSTOP)

    def stopped() -> bool:
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] == "T"
        except OSError:
            return False
    _wait(stopped, 10, f"{what} {pid} stopped (state T)")
    return pid


def container_name(lab, fault: str) -> str:
    return (getattr(lab, "names", None) or {}).get(fault) or f"hc-{fault}"


def inject(lab, fault: str) -> str:
    """Inject FAULT; returns the container id it concerns (or '' for the baseline)."""
    if fault not in FAULTS:
        raise LabError(f"unknown fault {fault!r}; one of: {', '.join(FAULTS)}")
    if not lab.is_up():
        raise LabError("the lab is not up: run `hangconsole lab up` first")
    cid = globals()["_" + fault.replace("-", "_")](lab)
    lab.note("faults", {"fault": fault, "container": cid})
    return cid


def _stopped_shim(lab) -> str:
    name = container_name(lab, "stopped-shim")
    cid = _run(lab, name, cmd=["sleep", "1000000"])
    shim = _wait(lambda: shim_of(cid), 10, f"shim of {name}")
    for _ in range(3):
        lab.docker("exec", "-d", name, "sleep", "2")
    stop(shim, "shim")
    lab.note("stopped", shim)
    # an exec issued now hangs on the stopped shim, and holds the container for inspect
    lab.spawn("pending-exec", ["docker", "exec", name, "true"])
    time.sleep(2.5)                     # the detached sleeps exit: zombies nobody reaps
    return cid


def _stuck_pipe(lab) -> str:
    name = container_name(lab, "stuck-pipe")
    cid = _run(lab, name, cmd=["sleep", "1000000"])
    lab.spawn("stalled-client", ["sh", "-c",
              f"docker exec {name} sh -c 'yes | head -c 50000000' | sleep 1000000"])
    _wait(lambda: blocked_writer(_container_pids(cid), "head"), 20, "head blocked writing its stdout pipe")
    return cid


LOG_PORT_NOTE = "log-endpoint"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_endpoint(lab, port: int, deaf: bool) -> int:
    """Start the lab's fluentd endpoint on PORT (deaf: it accepts and never reads)."""
    lab.note(LOG_PORT_NOTE, port)          # `lab clear` serves it again so removal can finish
    if not port_free(port, 10):
        raise LabError(f"fault did not take: 127.0.0.1:{port} still has its old listener")
    pid = lab.spawn("log-endpoint", selfexec.argv("hangconsole.lab.log_endpoint", "--port", str(port),
                                                  *(["--deaf"] if deaf else [])))
    _wait(lambda: _listening(pid, port), 10, f"log endpoint {pid} listening on 127.0.0.1:{port}")
    return pid


def port_free(port: int, seconds: float) -> bool:
    """Wait up to SECONDS until nothing listens on PORT: an endpoint just killed may still
    listen for a moment, and a new one's bind would fail."""
    end = time.monotonic() + seconds
    while _listening(os.getpid(), port, mine=False):
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def _listening(pid: int, port: int, mine: bool = True) -> bool:
    """Whether PID itself (MINE), else anything in its network namespace, listens on PORT.
    No probe connection: a deaf endpoint would keep it."""
    from ..collect.sockets import read_table
    held = set()
    if mine:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    held.add(int(target[8:-1]))
        except OSError:
            return False
    return any(loc[1] == port and st == "LISTEN" and (not mine or ino in held)
               for ino, loc, _, st, _, _ in read_table("/proc", pid))


def _log_driver_blocked(lab) -> str:
    name = container_name(lab, "log-driver-blocked")
    port = free_port()
    log_endpoint(lab, port, deaf=True)
    cid = _run(lab, name, "--log-driver", "fluentd", "--log-opt", f"fluentd-address=127.0.0.1:{port}",
               cmd=["sh", "-c", "i=0; while :; do echo \"line $i: the lab's log line, long enough to fill "
                                "queues quickly\"; i=$((i+1)); done"])
    _wait(lambda: blocked_writer(_container_pids(cid), "sh"), 60, "sh blocked writing its stdout pipe")
    _wait(lambda: _wrote_nothing_for(blocked_writer(_container_pids(cid), "sh"), 3.0), 60,
          "sh writing nothing for 3 s (the connection's buffers grow in bursts before they stay full)")
    return cid


def _wrote_nothing_for(pid: int | None, seconds: float) -> bool:
    def wchar():
        with open(f"/proc/{pid}/io") as f:
            return next(int(x.split()[1]) for x in f if x.startswith("wchar:"))
    if pid is None:
        return False
    try:
        before = wchar()
        time.sleep(seconds)
        return wchar() == before
    except (OSError, StopIteration):
        return False


def _pids_exhausted(lab) -> str:
    name = container_name(lab, "pids-exhausted")
    cid = _run(lab, name, "--pids-limit", "8",
               cmd=["sh", "-c", "for i in 1 2 3 4 5 6 7; do sleep 1000000 & done; wait"])
    _wait(lambda: len(_container_pids(cid)) >= 8, 10, f"8 tasks in {name}")
    # runc exec attaches its process even over the limit; the fork inside is refused
    lab.docker("exec", name, "sh", "-c", "sleep 1 & wait", check=False, timeout=30)
    return cid


# One process allocates 64 MiB and touches all of it in a single read(2) from /dev/zero: under
# a 16 MiB limit the kernel OOM-kills it within a second, every time. (The hog before, `head
# -c 100000000 /dev/zero | tail`, grew tail's buffer 8 KiB per read through a pipe, and now and
# then was not killed within 10-30 s; see docs/testing.md.)
HOG_CMD = "dd if=/dev/zero of=/dev/null bs=64M count=1"
HOG = ["sh", "-c", HOG_CMD + "; exec sleep 1000000"]


def wait_oom_kill(cgroup: str, seconds: float = 30) -> int:
    """The oom_kill count of CGROUP once the hog is killed; a LabError that says what the
    cgroup held and used if it is not."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        n = oom_kills(cgroup)
        if n:
            return n
        time.sleep(0.1)
    raise LabError(f"no OOM kill in {cgroup} within {seconds:.0f} s: {_memcg_state(cgroup)}")


def _memcg_state(cgroup: str) -> str:
    base = f"/sys/fs/cgroup/memory{cgroup}" if os.path.isdir(f"/sys/fs/cgroup/memory{cgroup}") else f"/sys/fs/cgroup{cgroup}"
    out = []
    for f in ("memory.usage_in_bytes", "memory.limit_in_bytes", "memory.current", "memory.max", "memory.failcnt"):
        try:
            with open(f"{base}/{f}") as fh:
                out.append(f"{f} {fh.read().strip()}")
        except OSError:
            pass
    try:
        with open(f"{base}/cgroup.procs") as fh:
            pids = fh.read().split()
    except OSError:
        pids = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                st = fh.read()
            with open(f"/proc/{pid}/wchan") as fh:
                out.append(f"{pid} {st[st.index('(') + 1:st.rindex(')')]} {st[st.rindex(')') + 2]} {fh.read()}")
        except (OSError, ValueError):
            pass
    return "; ".join(out) or "(cgroup gone)"


def _oom_kill(lab) -> str:
    name = container_name(lab, "oom-kill")
    cid = _run(lab, name, "--memory", "16m", "--memory-swap", "16m", cmd=HOG)
    wait_oom_kill(f"/{lab.cgroup_parent}/{cid}")
    return cid


def _hostile(lab) -> str:
    from . import hostile
    name = container_name(lab, "hostile")
    cid = _run(lab, name, "--label", f"io.kubernetes.pod.name={hostile.LABEL}",
               "--label", "io.kubernetes.pod.namespace=ns[/]", "--label", f"hc.note={hostile.LABEL}",
               cmd=hostile.CMD)
    lab.spawn("stalled-hostile", ["sh", "-c", hostile.stalled_client(f"docker exec {name}")])
    _wait(lambda: blocked_writer(_container_pids(cid), "head"), 20, "head blocked writing its stderr pipe")
    return cid


def blocked_writer(pids, comm: str) -> int | None:
    """The process COMM among PIDS that is blocked writing a pipe (its wchan says so)."""
    for pid in pids:
        try:
            with open(f"/proc/{pid}/comm") as f:
                c = f.read().strip()
            with open(f"/proc/{pid}/wchan") as f:
                w = f.read()
        except OSError:
            continue
        if c == comm and "pipe" in w:
            return int(pid)
    return None


def _paused(lab) -> str:
    name = container_name(lab, "paused")
    cid = _run(lab, name, cmd=["sleep", "1000000"])
    lab.docker("pause", name)
    return cid


def _baseline(lab) -> str:
    names = [f"hc-baseline-{i}" for i in range(4)]
    for n in names:
        _run(lab, n, cmd=["sh", "-c", "while :; do echo tick; sleep 1; done"])
    loop = " ; ".join(f"docker exec {n} sh -c 'echo hi; ls /bin >/dev/null'" for n in names)
    lab.spawn("baseline-driver", ["sh", "-c", f"while :; do {loop}; docker exec -d {names[0]} sleep 1; sleep 0.5; done"])
    return ""


def _container_pids(cid: str) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cgroup") as f:
                if cid in f.read():
                    out.append(int(name))
        except OSError:
            continue
    return out


def _oom_kills(lab, cid: str) -> int:
    return oom_kills(f"/{lab.cgroup_parent}/{cid}")


def oom_kills(cgroup: str) -> int:
    """The oom_kill count of memory cgroup CGROUP (v1 memory.oom_control, v2 memory.events)."""
    for path in (f"/sys/fs/cgroup/memory{cgroup}/memory.oom_control", f"/sys/fs/cgroup{cgroup}/memory.events"):
        try:
            with open(path) as f:
                for line in f:
                    k, _, v = line.partition(" ")
                    if k == "oom_kill":
                        return int(v)
        except OSError:
            continue
    return 0
