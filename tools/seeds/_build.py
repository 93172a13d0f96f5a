"""Helpers to rebuild a recorded host from a field report's ps/lsof/strace/dmesg output.

Roles and container ids come from the same classifier the live collector uses, and pipes are
joined by the same code, so a rebuilt host looks exactly as the collector would have seen it.

What a report shows is stored as it shows it. What a structure needs and the report does not
give (a host pid, a full 64-hex id, a thread's state, how long a call had been pending) is
reconstructed and says so: each such item carries `recon` ({field: why}, "*" for the whole
item; see model.py and docs/recording-format.md). What a report does not show and nothing
needs is left out (None, "?", absent), never guessed. tests/unit/test_seed_facts.py checks
both against the reports' own text.
"""
from __future__ import annotations

import calendar
import copy
import hashlib
import time

from hangconsole import model as m
from hangconsole.collect import pipes as pipes_mod
from hangconsole.collect import syscalls
from hangconsole.collect.runtime import classify, container_id_from_cgroup

HZ = 100
WHOLE = m.WHOLE

# Reasons shared by the seeds (each builder adds its own where a reason is specific).
NOT_SHOWN = "not in the report"
STRACE_STATE = "inferred: strace shows the thread waiting in this call; its state is not shown"
PS_STATE = "not in the report (ps -ef shows no state)"
UNKNOWN = "?"                                    # a process state no source shows
CALL_TIME = ("it answered, failed or hung as the report says; how long it took or had waited is not in "
             "the report (a pending call is counted from the first frame it is in)")


def recon(why: str, *names: str) -> dict[str, str]:
    """{name: why} for each NAME ("*" for the whole item)."""
    return {n: why for n in names}


def full_id(short: str, salt: str = "") -> str:
    """A 64-hex id for a container the report names only by its 12-hex prefix (reconstructed:
    the prefix is the report's, the rest a stable hash)."""
    return (short + hashlib.sha256((short + salt).encode()).hexdigest())[:64]


def epoch(text: str, utc_offset_hours: int) -> float:
    """'2020-07-15 10:43:28' in the report's local time -> epoch seconds."""
    t = time.strptime(text, "%Y-%m-%d %H:%M:%S")
    return float(calendar.timegm(t) - utc_offset_hours * 3600)


def sc(name: str, *args: int, text: list[str] | None = None) -> m.Syscall:
    """A syscall; TEXT: its arguments as the report's strace printed them (ARGS then holds
    only the leading ones known as numbers)."""
    nr = syscalls.number(name)
    fd = args[0] if name in syscalls.FD_CALLS and args else None
    return m.Syscall(nr=nr, name=name, args=list(args), fd=fd, argtext=text)


def strace(line: str) -> m.Syscall:
    """A syscall from one line of the report's strace, as printed: `futex(0x818cc0,
    FUTEX_WAIT, 0, NULL <unfinished ...>`, `read(6,  <unfinished ...>`, `restart_syscall(<...
    resuming interrupted call ...> <unfinished ...>`. Numbers that strace printed as numbers
    are kept as args (up to the first that it did not); every argument is kept as text."""
    name, _, rest = line.partition("(")
    rest = rest.split(" <unfinished", 1)[0].rstrip()
    if name == "restart_syscall":
        return sc("restart_syscall", text=[rest[:rest.rindex(">") + 1]] if ">" in rest else [])
    parts = [a.strip() for a in _split_args(rest) if a.strip()]
    nums = []
    for a in parts:
        try:
            nums.append(int(a, 0))
        except ValueError:
            break
    return sc(name, *nums, text=parts)


def _split_args(s: str) -> list[str]:
    out, depth, cur, quote = [], 0, "", False
    for ch in s:
        if ch == '"':
            quote = not quote
        if not quote and ch in "{[":
            depth += 1
        elif not quote and ch in "}]":
            depth -= 1
        if ch == "," and depth == 0 and not quote:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


def thread(tid: int, state: str = "S", wchan: str | None = None, call: m.Syscall | None = None,
           rec: dict[str, str] | None = None) -> m.Thread:
    return m.Thread(tid=tid, state=state, wchan=wchan, syscall=call, recon=rec)


def traced(tid: int, line: str) -> m.Thread:
    """A thread as the report's strace shows it: its call exact; its state inferred (S: waiting
    in that call), marked; its wait channel not shown, so none."""
    return m.Thread(tid=tid, state="S", wchan=None, syscall=strace(line), recon=recon(STRACE_STATE, "state"))


def fd(num: int, target: str, mode: str | None = None, kind: str | None = None, inode: int | None = None,
       rec: dict[str, str] | None = None) -> m.Fd:
    if kind is None:
        kind = ("pipe" if target.startswith("pipe:[") else "socket" if target.startswith("socket:[")
                else "anon" if target.startswith("anon_inode:") else "device" if target.startswith("/dev/")
                else "file")
    if inode is None and kind in ("pipe", "socket"):
        inode = int(target[target.index("[") + 1:-1])
    return m.Fd(num=num, kind=kind, target=target, inode=inode, mode=mode, recon=rec)


class Host:
    """One host as a report describes it. frame(i) is sample i, TIMES[i] seconds after the
    first (default: three frames five seconds apart)."""

    def __init__(self, hostname: str, kernel: str, taken_at: float, uptime: float,
                 times: list[float] | None = None, recon: dict[str, str] | None = None,
                 versions: dict[str, str] | None = None):
        self.hostname, self.kernel = hostname, kernel
        self.taken_at, self.uptime = taken_at, uptime
        self.times = times or [0.0, 5.0, 10.0]
        self.recon = recon or {}
        self.versions = versions or {}
        self.procs: list[dict] = []
        self.containers: list[m.Container] = []
        self.procs_at: dict[str, dict[int, list[int]]] = {}   # container -> frame -> cgroup.procs, when they change
        self.kernel_log: list[m.KernelLogLine] = []
        self.kubelet_log: list[m.KernelLogLine] = []
        self.daemon_log: list[m.KernelLogLine] = []
        self.engines: dict[str, dict] = {}       # docker containerd runc -> host, recon
        self.probes: list[dict] = []
        self.pipes: dict[int, dict] = {}         # inode -> queued, capacity, peek, recon

    # --- the clock: wall time <-> the host's uptime ----------------------------------------
    def uptime_at(self, wall: float) -> float:
        """The kernel's clock at wall time WALL (for lines the report stamps with wall time)."""
        return self.uptime - (self.taken_at - wall)

    def proc(self, pid: int, ppid: int, comm: str, argv: list[str] | None, *, age: float,
             state: str = "S", uid: int = 0, threads: list[m.Thread] | None = None,
             fds: list[m.Fd] | None = None, cgroup: str | None = None, nthreads: int | None = None,
             frames: set[int] | None = None, ns_pid: int | None = None,
             rec: dict[str, str] | None = None) -> None:
        """A process, AGE seconds old at frame 0; in FRAMES only when given. Threads not given
        are not known: none are made up (nthreads 0 unless given)."""
        self.procs.append(dict(pid=pid, ppid=ppid, comm=comm, argv=argv, age=age, state=state, uid=uid,
                               threads=threads or [], fds=fds, cgroup=cgroup,
                               nthreads=nthreads if nthreads is not None else len(threads or []),
                               frames=frames, ns_pid=ns_pid, recon=rec or None))

    def engine(self, name: str, host: str, rec: dict[str, str] | None = None) -> None:
        """Where the calls of ENGINE (docker, containerd, runc) went."""
        self.engines[name] = {"host": host, "recon": rec or None}

    def probe(self, engine: str, call: str, target: str | None, status: str, seconds: float,
              error: str | None = None, said: str | None = None, rec: dict[str, str] | None = None,
              frames: set[int] | None = None) -> None:
        """A call; a pending one has been pending SECONDS at the first frame it is in."""
        self.probes.append(dict(engine=engine, call=call, target=target, status=status, seconds=seconds,
                                error=error, said=said, recon=rec or None, frames=frames))

    def pipe(self, inode: int, queued: int | None = None, capacity: int | None = None,
             peek: str | None = None, rec: dict[str, str] | None = None) -> None:
        """What is known of pipe INODE besides its ends (those come from the fds)."""
        self.pipes[inode] = dict(queued=queued, capacity=capacity, peek=peek, recon=rec or None)

    def klog(self, uptime: float, kind: str, text: str, pid: int | None = None,
             rec: dict[str, str] | None = None) -> None:
        self.kernel_log.append(m.KernelLogLine(uptime=uptime, kind=kind, text=text, pid=pid, recon=rec))

    def kubelet(self, text: str, wall: float, rec: dict[str, str] | None = None) -> None:
        from hangconsole.diagnose.kubelet import classify as kclassify
        self.kubelet_log.append(m.KernelLogLine(uptime=self.uptime_at(wall), kind=kclassify(text) or "kubelet",
                                                text=text, recon=rec))

    def daemon(self, kind: str, text: str, wall: float, rec: dict[str, str] | None = None) -> None:
        """A line of a runtime daemon's log (KIND: dockerd, containerd), logged at WALL."""
        self.daemon_log.append(m.KernelLogLine(uptime=self.uptime_at(wall), kind=kind, text=text, recon=rec))

    # --- a frame ----------------------------------------------------------------------------
    def frame(self, i: int) -> m.HostSnapshot:
        dt = self.times[i]
        up = self.uptime + dt
        procs = []
        for d in self.procs:
            if d["frames"] is not None and i not in d["frames"]:
                continue
            age = d["age"] + dt
            start = int(round((up - age) * HZ))
            threads = [copy.deepcopy(t) for t in d["threads"]]
            p = m.Process(pid=d["pid"], ppid=d["ppid"], start_ticks=start, comm=d["comm"], state=d["state"],
                          uid=d["uid"], age=age, argv=d["argv"], threads=threads, nthreads=d["nthreads"],
                          fds=[] if d["state"] == "Z" else (copy.deepcopy(d["fds"]) if d["fds"] is not None else None),
                          cgroup=d["cgroup"], ns_pid=d["ns_pid"],
                          recon=dict(d["recon"]) if d["recon"] else None)
            info = classify(p.argv, p.comm)
            if info:
                p.role, p.container_id, p.runtime_verb, p.exec_id = info.role, info.container_id, info.verb, info.exec_id
            if p.container_id is None and p.role not in (m.DOCKERD, m.CONTAINERD):
                p.container_id = container_id_from_cgroup(p.cgroup)
            for t in p.threads:                         # resolve fd arguments as the collector does
                if t.syscall and t.syscall.fd is not None and (f := p.fd(t.syscall.fd)):
                    t.syscall.fd_target = f.target + (f" {f.mode}" if f.mode else "")
            procs.append(p)
        procs.sort(key=lambda p: p.pid)
        queues = {ino: (d["queued"], d["capacity"]) for ino, d in self.pipes.items()
                  if d["queued"] is not None}
        pipes = pipes_mod.join(procs, queues)
        for pp in pipes:
            d = self.pipes.get(pp.inode)
            if d:
                pp.queued, pp.capacity, pp.peek = d["queued"], d["capacity"], d["peek"]
                pp.recon = dict(d["recon"]) if d["recon"] else None
            elif pp.kind == "pipe":
                pp.queued = pp.capacity = None          # not shown: not known
        states = {}
        for name, e in self.engines.items():
            probes = []
            for d in self.probes:
                if d["engine"] != name or (d["frames"] is not None and i not in d["frames"]):
                    continue
                first = min(d["frames"]) if d["frames"] else 0
                waited = d["seconds"] + (dt - self.times[first])
                pending = d["status"] == "pending"
                probes.append(m.Probe(d["call"], d["target"], d["status"],
                                      self.taken_at + dt - (waited if pending else 0),
                                      waited if pending else d["seconds"], d["error"], said=d["said"],
                                      recon=dict(d["recon"]) if d["recon"] else None))
            answered = any(p.status in ("ok", "error") for p in probes)
            reachable = True if answered else (False if probes else None)
            states[name] = m.DockerState(host=e["host"], reachable=reachable, probes=probes,
                                         recon=dict(e["recon"]) if e["recon"] else None)
        containers = copy.deepcopy(self.containers)
        for c in containers:
            if c.id in self.procs_at and c.cgroup and i in self.procs_at[c.id]:
                c.cgroup.procs = list(self.procs_at[c.id][i])
        return m.HostSnapshot(
            taken_at=self.taken_at + dt, uptime=up, hostname=self.hostname, kernel=self.kernel,
            arch="x86_64", clk_tck=HZ, root=True, processes=procs, pipes=pipes,
            containers=containers,
            kernel_log=sorted((k for k in self.kernel_log if k.uptime <= up), key=lambda k: k.uptime),
            kubelet_log=sorted((k for k in self.kubelet_log if k.uptime <= up), key=lambda k: k.uptime),
            daemon_log=sorted((k for k in self.daemon_log if k.uptime <= up), key=lambda k: k.uptime),
            docker=states.get("docker"), containerd=states.get("containerd"), runc=states.get("runc"),
            versions=dict(self.versions), recon=dict(self.recon) or None, collect_seconds=0.0)
