"""One host at one instant: plain dataclasses, no I/O and no textual.

Everything the field reports looked at (ps, lsof, strace, cgroup files, the kernel log,
`docker inspect` that never returns) has a home here. A recording stores these objects and
replay gives them back unchanged, so every consumer works the same on live and recorded hosts.
A process is identified by (pid, start_ticks): pids are reused, start times are not.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Provenance. A rebuilt recording (a field report turned into frames) holds what the report
# showed and, where a structure needs a value the report does not give (a host pid, a 64-hex
# id, a thread state), a reconstruction. Every item that can carry evidence has `recon`: None
# when everything in it was observed (live, or exactly as the report shows it); else
# {field: why} for each reconstructed field, or {"*": why} when the whole item is
# reconstructed. A live collector never sets it. See docs/recording-format.md.
SPARSE = {"sparse": True}           # the codec writes such a field only when it is not None
WHOLE = "*"


def _sparse():
    return field(default=None, metadata=SPARSE)


# Process roles, from argv (never from comm: the kernel cuts comm at 15 characters).
DOCKERD = "dockerd"
CONTAINERD = "containerd"
CRIO = "crio"                   # CRI-O's daemon (its containers run under conmon)
SHIM_V2 = "shim-v2"
SHIM_V1 = "shim-v1"
SHIM_LEGACY = "shim-legacy"     # docker-containerd-shim before containerd 1.0 (Docker <= 17.09)
CONMON = "conmon"
RUNC = "runc"                   # any runc verb; the verb is in Process.runtime_verb
RUNC_INIT = "runc-init"
PAUSE = "pause"
SHIM_ROLES = (SHIM_V2, SHIM_V1, SHIM_LEGACY, CONMON)
RUNTIME_ROLES = (DOCKERD, CONTAINERD, CRIO, *SHIM_ROLES, RUNC, RUNC_INIT)


@dataclass(slots=True)
class Syscall:
    """What /proc/PID/task/TID/syscall said, decoded."""
    nr: int                          # -1: blocked outside a syscall; -2: running
    name: str                        # "write", "openat", ..., "running", "none", "syscall_NNN"
    args: list[int] = field(default_factory=list)
    fd: int | None = None            # the fd argument, when the call takes one
    fd_target: str | None = None     # what that fd is: "pipe:[1070361747] write end"
    argtext: list[str] | None = _sparse()   # the arguments as a report's strace printed them
                                     # (args then holds only those known as numbers)

    @property
    def text(self) -> str:
        """strace -y style: write(2<pipe:[1070361747]>, 0x7f.., 33)."""
        if self.nr < 0:
            return self.name
        shown = []
        n = len(self.argtext) if self.argtext is not None else len(self.args)
        for i in range(min(n, 3)):
            if i == 0 and self.fd is not None:
                shown.append(f"{self.fd}<{self.fd_target}>" if self.fd_target else str(self.fd))
            elif self.argtext is not None:
                shown.append(self.argtext[i])
            else:
                a = self.args[i]
                shown.append(hex(a) if a > 0xFFFF else str(a))
        return f"{self.name}({', '.join(shown)})"


@dataclass(slots=True)
class Thread:
    tid: int
    state: str                       # R S D Z T t X I
    wchan: str | None = None
    syscall: Syscall | None = None
    stack: list[str] | None = None   # kernel stack frames, when read (root)
    recon: dict[str, str] | None = _sparse()
    wchar: int | None = _sparse()    # bytes this thread has written (/proc/PID/task/TID/io), read
    #                                  for a thread in a write to a pipe: its own progress, which
    #                                  the process's count hides when another thread writes


@dataclass(slots=True)
class Fd:
    num: int
    kind: str                        # pipe fifo socket file dir device anon other
    target: str                      # the /proc/PID/fd/N link text
    inode: int | None = None
    mode: str | None = None          # "r", "w", "rw" (fdinfo flags & 3)
    flags: int | None = None         # fdinfo flags, octal in the file
    recon: dict[str, str] | None = _sparse()


@dataclass(slots=True)
class Process:
    pid: int
    ppid: int
    start_ticks: int                 # /proc/PID/stat field 22: with pid, the identity
    comm: str
    state: str                       # "?" when no source shows it (a rebuilt recording)
    uid: int
    age: float                       # seconds alive at the snapshot
    argv: list[str] | None = None    # None: unreadable, or the read is still pending
    threads: list[Thread] = field(default_factory=list)   # filled for the runtime scope
    nthreads: int = 1                # 0: not known (a rebuilt recording whose report shows none)
    fds: list[Fd] | None = None      # None: not readable (not root, or vanished)
    cgroup: str | None = None        # the pids (v1) or unified (v2) cgroup path
    role: str | None = None          # one of the roles above, or None
    container_id: str | None = None
    runtime_verb: str | None = None  # runc verb: create start exec kill delete ...
    exec_id: str | None = None       # runc exec --pid-file <bundle>/<exec id>.pid
    freezer: str | None = None       # FROZEN / FREEZING when a freezer cgroup holds it
    frozen_by: list[str] | None = None   # the freezer cgroup(s) that froze it (itself or ancestors)
    sig_pending: int | None = None   # SigPnd|ShdPnd bitmask (read for frozen and D tasks)
    ns_pid: int | None = _sparse()   # its pid inside its own pid namespace, when that is what a
                                     # source showed (`docker exec ... ps -ef`)
    wchar: int | None = _sparse()    # bytes it has written in all (/proc/PID/io): a writer whose
                                     # count moves between samples is making progress, not stuck
    terminal_job: bool | None = _sparse()   # it has a controlling terminal and is not in its
                                     # foreground group: a shell's job, which job control stops
                                     # (Ctrl-Z, a background read) and `fg` resumes
    recon: dict[str, str] | None = _sparse()

    @property
    def key(self) -> tuple[int, int]:
        return (self.pid, self.start_ticks)

    @property
    def zombie(self) -> bool:
        return self.state == "Z"

    @property
    def cmdline(self) -> str:
        """argv as ps shows it, led by comm when argv[0] does not name it (busybox applets,
        rewritten titles)."""
        if not self.argv:
            return f"[{self.comm}]"
        line = " ".join(self.argv)
        base = self.argv[0].rsplit("/", 1)[-1]
        if self.comm and not base.startswith(self.comm[:15]) and not self.comm.startswith(base[:15]):
            return f"{self.comm}: {line}"
        return line

    def fd(self, num: int) -> Fd | None:
        for f in self.fds or ():
            if f.num == num:
                return f
        return None


@dataclass(slots=True)
class PipeEnd:
    pid: int
    start_ticks: int
    comm: str
    fd: int
    mode: str | None


@dataclass(slots=True)
class Pipe:
    """One pipe (or named FIFO), joined by inode across every process that holds it."""
    inode: int
    kind: str = "pipe"               # "pipe" or "fifo"
    path: str | None = None          # FIFO path; never opened
    readers: list[PipeEnd] = field(default_factory=list)
    writers: list[PipeEnd] = field(default_factory=list)
    queued: int | None = None        # FIONREAD; None for FIFOs (never opened) and unknowns
    capacity: int | None = None      # F_GETPIPE_SZ
    peek: str | None = None          # the head of a full pipe's bytes, copied with tee(2), not consumed
    recon: dict[str, str] | None = _sparse()

    @property
    def full(self) -> bool:
        """No room for a write: under a page free. The kernel holds a pipe's bytes in whole
        pages, so a small write blocks once every page slot is taken (a `while echo` loop
        blocks at 65472/65536), well before the last byte."""
        return self.queued is not None and self.capacity is not None and self.capacity > 0 \
            and self.queued > self.capacity - PAGE


PAGE = 4096


@dataclass(slots=True)
class Socket:
    """A TCP connection a runtime daemon holds to a log endpoint (a log driver's), with the
    kernel's queues from /proc/PID/net/tcp: bytes sent but not acknowledged or not yet sent
    (send_queue), bytes received that no one has read (recv_queue). Its local peer, when the
    endpoint runs on this host, is a second Socket with `peer` pointing back."""
    inode: int
    local: str                       # "127.0.0.1:41266"
    remote: str
    state: str                       # ESTABLISHED LISTEN CLOSE_WAIT ...; NONE: nothing listens at
                                     # a local endpoint (looked for, not found; inode 0)
    send_queue: int
    recv_queue: int
    holders: list[PipeEnd] = field(default_factory=list)   # who holds it (pid, fd)
    endpoint: str | None = None      # the log endpoint it reaches, as the driver's options name it
    peer: int | None = None          # inode of the other end, when that end is on this host
    recon: dict[str, str] | None = _sparse()


@dataclass(slots=True)
class CgroupLevel:
    """One level of a container's cgroup ancestry (container first, root last)."""
    path: str
    pids_current: int | None = None
    pids_max: int | None = None      # None: "max" (no limit) or no pids controller here
    pids_events_max: int | None = None   # forks refused at this level
    mem_usage: int | None = None
    mem_limit: int | None = None     # None: no limit
    mem_oom: int | None = None       # v2 memory.events oom; v1 under_oom
    mem_oom_kill: int | None = None  # oom_kill counter
    recon: dict[str, str] | None = _sparse()


@dataclass(slots=True)
class CgroupState:
    version: int                     # 1 or 2
    path: str
    levels: list[CgroupLevel] = field(default_factory=list)
    freezer: str | None = None       # THAWED FREEZING FROZEN
    procs: list[int] | None = None   # cgroup.procs of the container level
    recon: dict[str, str] | None = _sparse()


@dataclass(slots=True)
class DockerInfo:
    """What `docker inspect` said, reduced to what an operator needs (no env, no secrets)."""
    name: str | None = None
    image: str | None = None
    state: str | None = None         # running exited paused created restarting dead
    status: str | None = None        # `docker ps` STATUS text
    paused: bool = False
    pid: int | None = None
    pod: str | None = None           # io.kubernetes.pod.name
    pod_namespace: str | None = None
    k8s_container: str | None = None
    log_driver: str | None = _sparse()          # HostConfig.LogConfig.Type: json-file fluentd ...
    log_opts: dict[str, str] | None = _sparse()  # its address and mode options only (never tokens)
    exec_ids: list[str] | None = _sparse()       # ExecIDs: execs dockerd has not yet closed


@dataclass(slots=True)
class PodInfo:
    """A container's place in a Kubernetes pod, from io.kubernetes.* / io.cri-containerd.*
    labels (read from containerd, the CRI or Docker), or from the one shim it shares."""
    name: str | None = None          # io.kubernetes.pod.name
    namespace: str | None = None     # io.kubernetes.pod.namespace
    uid: str | None = None           # io.kubernetes.pod.uid
    container: str | None = None     # io.kubernetes.container.name (None for the sandbox)
    kind: str | None = None          # sandbox or container
    sandbox_id: str | None = None    # the sandbox's container id (a pod shim's -id)
    source: str | None = None        # containerd cri docker shim


@dataclass(slots=True)
class Container:
    id: str
    runtime: str                     # shim-v2 shim-v1 shim-legacy conmon docker cgroup
    namespace: str | None = None     # containerd namespace: moby, k8s.io
    shim_pid: int | None = None
    bundle: str | None = None
    init_pid: int | None = None      # <bundle>/init.pid: the container's main process
    cgroup_paths: dict[str, str] = field(default_factory=dict)
    cgroup: CgroupState | None = None
    pidns_path: str | None = None    # config.json joins this pid namespace (shared pid ns)
    docker: DockerInfo | None = None
    pod: PodInfo | None = None
    task_state: str | None = None    # containerd's task status: running stopped paused unknown ...
    image: str | None = None         # from containerd (Docker's is in .docker)
    runtime_state: str | None = _sparse()   # the OCI runtime's own state (`runc list`): created
                                     # running paused stopped
    recon: dict[str, str] | None = _sparse()   # keys: fields, and "docker.<field>" / "pod.<field>"

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def name(self) -> str:
        if self.docker and self.docker.name:
            return self.docker.name
        if self.pod and (self.pod.container or self.pod.kind == "sandbox"):
            return self.pod.container or f"{self.pod.name or '?'} (sandbox)"
        return self.short_id


@dataclass(slots=True)
class KernelLogLine:
    uptime: float                    # seconds since boot, as the kernel stamps it
    kind: str                        # oom-kill oom pids-fork-rejected hung-task; kubelet; dockerd
    text: str
    pid: int | None = None
    recon: dict[str, str] | None = _sparse()


@dataclass(slots=True)
class Probe:
    """One runtime API call (Docker, containerd, CRI). A call that has not returned is "pending", never waited on."""
    call: str                        # ping, list, inspect
    target: str | None = None        # container id for inspect
    status: str = "pending"          # ok error pending
    started: float = 0.0             # wall clock when the call was issued
    seconds: float = 0.0             # latency when done; time so far when pending
    error: str | None = None
    said: str | None = _sparse()     # what the call printed, or what its source says it did
    recon: dict[str, str] | None = _sparse()

    @property
    def text(self) -> str:
        what = self.call + (f" {self.target[:12]}" if self.target else "")
        if self.status == "pending":
            if self.seconds < 0.5 or (self.recon and "seconds" in self.recon):   # a report gave no time
                return f"{what}: still pending (for how long, the source does not say)"
            return f"{what}: timed out after {self.seconds:.0f} s, still pending"
        if self.status == "error":
            return f"{what}: failed after {self.seconds:.2f} s: {self.error}"
        return f"{what}: {self.seconds * 1000:.0f} ms"


@dataclass(slots=True)
class DockerState:
    host: str                        # the daemon address probed
    reachable: bool | None = None    # None: no daemon configured/present; False: not answering
    version: str | None = None
    probes: list[Probe] = field(default_factory=list)
    note: str | None = None
    recon: dict[str, str] | None = _sparse()

    def pending(self) -> list[Probe]:
        return [p for p in self.probes if p.status == "pending"]


@dataclass(slots=True)
class StuckRead:
    """A /proc read that did not return within its deadline (it is left running)."""
    path: str
    seconds: float


def _by_parent(procs: list[Process]) -> dict[int, list[Process]]:
    kids: dict[int, list[Process]] = {}
    for p in procs:
        kids.setdefault(p.ppid, []).append(p)
    return kids


@dataclass(slots=True)
class HostSnapshot:
    taken_at: float                  # wall clock (epoch seconds)
    uptime: float                    # /proc/uptime at the sample: the clock for ages
    hostname: str
    kernel: str
    arch: str                        # x86_64 or aarch64: decides syscall numbers
    clk_tck: int = 100
    root: bool = True
    processes: list[Process] = field(default_factory=list)
    pipes: list[Pipe] = field(default_factory=list)
    containers: list[Container] = field(default_factory=list)
    kernel_log: list[KernelLogLine] = field(default_factory=list)
    kubelet_log: list[KernelLogLine] = field(default_factory=list)   # lines that matter (kind kubelet-*)
    docker: DockerState | None = None
    containerd: DockerState | None = None   # containerd's API probes (same shape as Docker's)
    cri: DockerState | None = None          # the CRI (containerd's plugin, CRI-O), as the kubelet calls it
    runc: DockerState | None = _sparse()    # the OCI runtime's CLI (`runc list`, `runc exec`), as a report ran it
    daemon_log: list[KernelLogLine] = field(default_factory=list)   # dockerd/containerd log lines that matter
    sockets: list[Socket] | None = _sparse()   # daemons' connections to log endpoints (None: not read)
    versions: dict[str, str] = field(default_factory=dict)   # docker containerd runc kernel ...: as a
                                     # source gives them; a component not given is absent (unknown)
    degraded: list[str] = field(default_factory=list)   # what cannot be seen, and why
    stuck_reads: list[StuckRead] = field(default_factory=list)
    collect_seconds: float = 0.0
    recon: dict[str, str] | None = _sparse()   # hostname kernel taken_at uptime frames
    _frozen_inferred: bool = field(default=False, repr=False, compare=False)   # not recorded:
                                     # diagnosis read its freezer marks once (evidence.infer_frozen)
    _index: dict[int, Process] | None = field(default=None, repr=False, compare=False)
    # Indexes built once per list of processes (or pipes) they were built from: a refresh asks
    # for children and pipes by the hundred, and a list scan each time grows with the host.
    _kids: tuple | None = field(default=None, repr=False, compare=False)
    _by_inode: tuple | None = field(default=None, repr=False, compare=False)
    _suspects: tuple | None = field(default=None, repr=False, compare=False)   # diagnose.scope

    def proc(self, pid: int | None) -> Process | None:
        if pid is None:
            return None
        if self._index is None or len(self._index) != len(self.processes):
            self._index = {p.pid: p for p in self.processes}
        return self._index.get(pid)

    def memo(self, slot: str, of: list, build):
        """BUILD(OF), kept in SLOT until OF is replaced or changes length (a simulation that
        drops processes makes a new list)."""
        k = getattr(self, slot)
        if k is None or k[0] is not of or k[1] != len(of):
            k = (of, len(of), build(of))
            setattr(self, slot, k)
        return k[2]

    def children(self, pid: int) -> list[Process]:
        return list(self.memo("_kids", self.processes, _by_parent).get(pid, ()))

    def container(self, cid: str) -> Container | None:
        for c in self.containers:
            if c.id == cid or c.id.startswith(cid):
                return c
        return None

    def pipe(self, inode: int) -> Pipe | None:
        return self.memo("_by_inode", self.pipes, lambda ps: {p.inode: p for p in reversed(ps)}).get(inode)

    def runtime_tree(self, container: Container) -> list[Process]:
        """The shim and everything under it, plus processes in the container's cgroup."""
        out: dict[int, Process] = {}
        if container.shim_pid and (shim := self.proc(container.shim_pid)):
            out[shim.pid] = shim
            todo = [shim.pid]
            while todo:
                for k in self.children(todo.pop()):
                    if k.pid not in out:
                        out[k.pid] = k
                        todo.append(k.pid)
        for p in self.processes:
            if p.container_id == container.id:
                out.setdefault(p.pid, p)
        return sorted(out.values(), key=lambda p: (p.start_ticks, p.pid))
