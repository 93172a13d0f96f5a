"""Helpers to rebuild a recorded host from a field report's ps/lsof/strace/dmesg output.

Roles and container ids come from the same classifier the live collector uses, and pipes are
joined by the same code, so a rebuilt host looks exactly as the collector would have seen it.
"""
from __future__ import annotations

import calendar
import hashlib
import time

from .. import model as m
from ..collect import pipes as pipes_mod
from ..collect import syscalls
from ..collect.runtime import classify, container_id_from_cgroup

HZ = 100


def full_id(short: str, salt: str = "") -> str:
    """A 64-hex id for a container the report names only by its 12-hex prefix (reconstructed:
    the prefix is the report's, the rest a stable hash)."""
    return (short + hashlib.sha256((short + salt).encode()).hexdigest())[:64]


def epoch(text: str, utc_offset_hours: int) -> float:
    """'2020-07-15 10:43:28' in the report's local time -> epoch seconds."""
    t = time.strptime(text, "%Y-%m-%d %H:%M:%S")
    return float(calendar.timegm(t) - utc_offset_hours * 3600)


def sc(name: str, *args: int, fd_target: str | None = None) -> m.Syscall:
    nr = syscalls.number(name)
    fd = args[0] if name in syscalls.FD_CALLS and args else None
    return m.Syscall(nr=nr, name=name, args=list(args), fd=fd, fd_target=fd_target)


def thread(tid: int, state: str = "S", wchan: str | None = None, call: m.Syscall | None = None) -> m.Thread:
    return m.Thread(tid=tid, state=state, wchan=wchan, syscall=call)


def fd(num: int, target: str, mode: str | None = None, kind: str | None = None, inode: int | None = None) -> m.Fd:
    if kind is None:
        kind = ("pipe" if target.startswith("pipe:[") else "socket" if target.startswith("socket:[")
                else "anon" if target.startswith("anon_inode:") else "device" if target.startswith("/dev/")
                else "file")
    if inode is None and kind in ("pipe", "socket"):
        inode = int(target[target.index("[") + 1:-1])
    return m.Fd(num=num, kind=kind, target=target, inode=inode, mode=mode)


class Host:
    """One host as a report describes it; frame(i) gives sample i, `step` seconds apart."""

    def __init__(self, hostname: str, kernel: str, taken_at: float, uptime: float, step: float = 5.0):
        self.hostname, self.kernel = hostname, kernel
        self.taken_at, self.uptime, self.step = taken_at, uptime, step
        self.procs: list[dict] = []
        self.containers: list[m.Container] = []
        self.kernel_log: list[m.KernelLogLine] = []
        self.probes: list[tuple] = []
        self.queues: dict[int, tuple[int, int]] = {}
        self.peeks: dict[int, str] = {}          # pipe inode -> its head, as tee(2) would copy it
        self.kubelet_log: list[m.KernelLogLine] = []
        self.reachable = True

    def proc(self, pid: int, ppid: int, comm: str, argv: list[str] | None, *, age: float,
             state: str = "S", uid: int = 0, threads: list[m.Thread] | None = None,
             fds: list[m.Fd] | None = None, cgroup: str | None = None, nthreads: int | None = None,
             gone_after: int | None = None, from_frame: int = 0) -> None:
        self.procs.append(dict(pid=pid, ppid=ppid, comm=comm, argv=argv, age=age, state=state, uid=uid,
                               threads=threads, fds=fds, cgroup=cgroup, nthreads=nthreads,
                               gone_after=gone_after, from_frame=from_frame))

    def probe(self, call: str, target: str | None, status: str, seconds: float, error: str | None = None) -> None:
        """A Docker call; a pending one has been pending SECONDS at frame 0."""
        self.probes.append((call, target, status, seconds, error))

    def kubelet(self, text: str) -> None:
        from ..diagnose.kubelet import classify
        self.kubelet_log.append(m.KernelLogLine(uptime=0.0, kind=classify(text) or "kubelet", text=text))

    def klog(self, uptime: float, kind: str, text: str, pid: int | None = None) -> None:
        self.kernel_log.append(m.KernelLogLine(uptime=uptime, kind=kind, text=text, pid=pid))

    def frame(self, i: int) -> m.HostSnapshot:
        dt = i * self.step
        up = self.uptime + dt
        procs = []
        for d in self.procs:
            if (d["gone_after"] is not None and i > d["gone_after"]) or i < d["from_frame"]:
                continue
            age = d["age"] + dt
            start = int(round((up - age) * HZ))
            threads = [m.Thread(t.tid, t.state, t.wchan, t.syscall, t.stack) for t in (d["threads"] or [])]
            if not threads and d["state"] != "Z":
                threads = [m.Thread(d["pid"], d["state"])]
            p = m.Process(pid=d["pid"], ppid=d["ppid"], start_ticks=start, comm=d["comm"], state=d["state"],
                          uid=d["uid"], age=age, argv=d["argv"], threads=threads,
                          nthreads=d["nthreads"] or max(1, len(threads)),
                          fds=[] if d["state"] == "Z" else list(d["fds"] or []), cgroup=d["cgroup"])
            info = classify(p.argv, p.comm)
            if info:
                p.role, p.container_id, p.runtime_verb, p.exec_id = info.role, info.container_id, info.verb, info.exec_id
            if p.container_id is None and p.role not in (m.DOCKERD, m.CONTAINERD):
                p.container_id = container_id_from_cgroup(p.cgroup)
            for t in p.threads:                         # resolve fd arguments as the collector does
                if t.syscall and t.syscall.fd is not None and (f := p.fd(t.syscall.fd)):
                    t.syscall = m.Syscall(t.syscall.nr, t.syscall.name, t.syscall.args, t.syscall.fd,
                                          f.target + (f" {f.mode}" if f.mode else ""))
            procs.append(p)
        procs.sort(key=lambda p: p.pid)
        probes = [m.Probe(call, target, status, self.taken_at + dt - (secs + dt if status == "pending" else 0),
                          secs + dt if status == "pending" else secs, (rest or [None])[0])
                  for call, target, status, secs, *rest in self.probes]
        snap = m.HostSnapshot(
            taken_at=self.taken_at + dt, uptime=up, hostname=self.hostname, kernel=self.kernel,
            arch="x86_64", clk_tck=HZ, root=True, processes=procs,
            pipes=_peeked(pipes_mod.join(procs, self.queues), self.peeks),
            kubelet_log=list(self.kubelet_log),
            containers=[_copy(c) for c in self.containers],
            kernel_log=[k for k in self.kernel_log if k.uptime <= up],
            docker=m.DockerState(host="unix:///var/run/docker.sock", reachable=self.reachable,
                                 version=None, probes=probes) if self.probes else None,
            collect_seconds=0.0)
        return snap


def _peeked(pipes: list[m.Pipe], peeks: dict[int, str]) -> list[m.Pipe]:
    for pp in pipes:
        pp.peek = peeks.get(pp.inode)
    return pipes


def _copy(c: m.Container) -> m.Container:
    import copy
    return copy.deepcopy(c)
