"""The live source: one HostSnapshot from /proc, cgroups, the kernel log and Docker probes.

Cost is spent where hangs live. Every process gets stat, uid, cgroup, argv and its fd table
(pipes need both ends, wherever they are). The detail scope (daemons, shims, runc, conmon,
container processes, every process in D state, and the writers of every full pipe wherever
they run) also gets each thread's state, wchan and decoded syscall, and the kernel stack of
D-state tasks.
"""
from __future__ import annotations

import os
import platform
import socket
import threading
import time
from collections.abc import Callable

from .. import model as m
from . import (attribution, cgroups, containers, holds, kmsg, kubelet_log, pipes, pods, procfs, runtime, sockets,
               syscalls)
from . import containerd_probe, cri_probe
from .docker_probe import DockerProber
from .guarded import GuardedReader, read_file
from .scan_cache import ScanCache
from .scanner import ScanPool


def _cid_cache():
    """container_id_from_cgroup, memoised for one snapshot: paths repeat across processes."""
    seen: dict[str | None, str | None] = {}

    def cid(path: str | None) -> str | None:
        if path not in seen:
            seen[path] = runtime.container_id_from_cgroup(path)
        return seen[path]
    return cid


class LiveSource:
    """Call snapshot() repeatedly; state (pending docker calls, stuck reads, the kernel log
    cursor) carries across samples."""
    live = True

    def __init__(self, docker_host: str | None = None, *, docker: bool = True,
                 proc: str = "/proc", per_read: float = 0.5, docker_wait: float = 1.5,
                 clock: Callable[[], float] = time.time, containerd_address: str | None = None,
                 containerd: bool = True, cri_endpoint: str | None = None, incremental: bool = True):
        self.proc = proc
        self.clock = clock
        self.root = os.geteuid() == 0
        self.arch = platform.machine()
        self.clk_tck = os.sysconf("SC_CLK_TCK")
        self.hostname = socket.gethostname()
        self.kernel = platform.release()
        self.reads = GuardedReader(per_read)
        self.pool = ScanPool(per_read=per_read, argv_reader=self.reads)
        self.pool.warm()           # the helpers boot while the caller does other work
        # None: every process is read in full at every sample (--full-scan, the comparison)
        self.cache = ScanCache() if incremental else None
        self.stats = GuardedReader(per_read, reader=procfs.stat_kind)
        self.kernel_log = kmsg.KernelLog()
        self.kubelet = kubelet_log.KubeletLog()
        self.prober = DockerProber(docker_host, clock=clock) if docker else None
        self.docker_wait = docker_wait
        self.containerd = containerd_probe.ContainerdProber(containerd_address, clock=clock) \
            if containerd and proc == "/proc" else None
        self.cri = cri_probe.CriProber(cri_endpoint, clock=clock) if self.containerd else None
        self.mnt = cgroups.mounts()
        self._last_ids: list[str] = []
        self._fds: dict[int, tuple[int, list[m.Fd]]] = {}     # pid -> (start, the fds last built)
        self._ends: dict = {}                                  # pipes.join's, between samples

    def close(self) -> None:
        self.kernel_log.close()
        self.kubelet.close()
        self.pool.close()

    def prefetch(self) -> None:
        """Start the first snapshot now, on a thread (while the console is still importing
        its UI); the next snapshot() call returns it."""
        box: list = []
        t = threading.Thread(target=lambda: box.append(self._take()), daemon=True,
                             name="hangconsole-prefetch")
        t.start()
        self._prefetched = (t, box)

    # ------------------------------------------------------------------------------
    def snapshot(self) -> m.HostSnapshot:
        pre, self._prefetched = getattr(self, "_prefetched", None), None
        if pre is not None:
            pre[0].join()
            if pre[1]:
                return pre[1][0]
        return self._take()

    def _take(self) -> m.HostSnapshot:
        t0 = time.monotonic()
        snap = m.HostSnapshot(taken_at=self.clock(), uptime=procfs.uptime(self.proc),
                              hostname=self.hostname, kernel=self.kernel, arch=self.arch,
                              clk_tck=self.clk_tck, root=self.root)
        docker_box: list[m.DockerState] = []
        dthread = None
        if self.prober is not None:   # the probes wait on their own thread, beside the scan
            dthread = threading.Thread(target=lambda: docker_box.append(
                self.prober.sample(self.docker_wait, proc_ids=self._last_ids)), daemon=True)
            dthread.start()

        procs, cgroup_map, unreadable_fds, measured = self._scan(snap.uptime)
        snap.processes = procs
        cthread, cbox = self._start_containerd(procs)
        self._resolve_paths(procs)
        snap.pipes = pipes.join(procs, measured, self.proc, kept=self._ends if self.cache is not None else None)
        # writers of pipes at least half full: a writer blocked there is waiting for room
        full_pipe_writers = {e.pid for pp in snap.pipes if pp.full or (
            pp.queued is not None and pp.capacity and pp.queued * 2 >= pp.capacity) for e in pp.writers}
        self._threads(procs, full_pipe_writers)
        if self.root and self.proc == "/proc":
            holds.mark_frozen(procs, self.mnt, self.proc)
            holds.mark_pending(procs, self.proc)
            holds.peek_full_pipes(snap, self.proc)
        snap.containers = attribution.attribute(
            procs, containers.discover(procs, cgroup_map, self.proc), cgroup_map, self.proc)
        for c in snap.containers:
            if c.cgroup_paths:
                c.cgroup = cgroups.read_state(c.cgroup_paths, self.mnt)
        snap.kernel_log = self.kernel_log.poll()
        snap.kubelet_log = self.kubelet.lines()
        self._last_ids = [c.id for c in snap.containers if c.namespace in (None, "moby")]

        if dthread is not None:
            dthread.join(self.docker_wait + 5.0)
            snap.docker = docker_box[0] if docker_box else m.DockerState(
                host=self.prober.host, reachable=False, note="docker probe thread did not report")
            self._merge_docker(snap)
            if self.root:
                sockets.fill_log_configs(snap, self.reads)
            snap.sockets = sockets.log_connections(snap, self.proc) or None
        if cthread is not None:
            cthread.join(self.docker_wait + 5.0)
            snap.containerd = cbox[0] if cbox else m.DockerState(
                host=self.containerd.address, reachable=False, note="containerd probe thread did not report")
            containerd_probe.merge(snap, self.containerd)
        if getattr(self, "_cri_thread", None) is not None:
            self._cri_thread.join(self.docker_wait + 5.0)
            snap.cri = self._cri_box[0] if self._cri_box else m.DockerState(
                host=str(self.cri.endpoint), reachable=False, note="CRI probe thread did not report")
            cri_probe.merge(snap, self.cri)
        pods.complete(snap)
        snap.stuck_reads = [m.StuckRead(path=p, seconds=round(s, 1)) for p, s in
                            sorted({**self.pool.stuck(), **self.reads.stuck(), **self.stats.stuck()}.items())]
        snap.degraded = self._degraded(snap, unreadable_fds)
        snap.collect_seconds = time.monotonic() - t0
        return snap

    def _start_containerd(self, procs: list[m.Process]):
        """containerd probes on their own thread, once the processes name its socket."""
        if self.containerd is None:
            return None, []
        box: list[m.DockerState] = []

        def run() -> None:
            try:
                box.append(self.containerd.sample(self.docker_wait, procs))
            except Exception as e:          # no grpc, a broken stub: degraded, never fatal
                box.append(m.DockerState(host=self.containerd.address, reachable=None,
                                         note=f"containerd probes unavailable: {e}"))
        t = threading.Thread(target=run, daemon=True, name="hangconsole-containerd")
        t.start()
        if self.cri is not None:
            self._cri_box = []

            def run_cri() -> None:
                addr = None
                try:
                    addr = containerd_probe.resolve_address(self.containerd.explicit, procs)
                    self._cri_box.append(self.cri.sample(self.docker_wait, addr))
                except Exception as e:      # no grpc, a broken stub: degraded, never fatal
                    self._cri_box.append(m.DockerState(host=str(addr), reachable=None,
                                                       note=f"CRI probes unavailable: {e}"))
            self._cri_thread = threading.Thread(target=run_cri, daemon=True, name="hangconsole-cri")
            self._cri_thread.start()
        return t, box

    # --- every process ---------------------------------------------------------------
    def _scan(self, up: float):
        """Every process, scanned by the helper pool while this thread maps pids to cgroups;
        returns the processes, a reader of cgroup maps, the count of unreadable fd tables,
        and the measured pipes."""
        proc = self.proc
        procs: list[m.Process] = []
        measured: dict[int, tuple[int, int]] = {}
        unreadable = 0
        tck = self.clk_tck
        where: dict[int, str] = {}

        def map_cgroups() -> None:
            if proc == "/proc":          # the walk sees this host's pids only
                where.update(cgroups.pid_cgroups(self.mnt) or {})
        pids = procfs.list_pids(proc)
        cache = self.cache
        recs = self.pool.scan(pids, proc, meanwhile=map_cgroups, known=cache.plan(pids) if cache else None)
        if cache is not None:
            recs = cache.update(recs)
            if peers := cache.stale_peers():
                recs = cache.update(self.pool.scan(peers, proc), more=True)
        fresh = cache.fresh if cache is not None else None
        kept, self._fds = self._fds, {}
        cid_of = _cid_cache()
        for pid, comm, state, ppid, nthreads, start, uid, raw_fds, argv, role in recs:
            fds = None
            if raw_fds is None:
                unreadable += 1
            elif fresh is not None and pid not in fresh and (k := kept.get(pid)) and k[0] == start:
                fds = k[1]                       # not read again: its Fd objects, shared with the last sample
                for _, _, _, inode, _, q, cap in raw_fds:
                    if q is not None and inode not in measured:
                        measured[inode] = (q, cap)
            else:
                fds = []
                for num, target, kind, inode, mode, q, cap in raw_fds:
                    fds.append(m.Fd(num, kind, target, inode, mode))
                    if q is not None and (fresh is None or pid in fresh or inode not in measured):
                        measured[inode] = (q, cap)     # a queue read at this refresh wins over a kept one
                fds.sort(key=lambda f: f.num)
            if fds is not None and fresh is not None:
                self._fds[pid] = (start, fds)
            cg = where.get(pid)
            if cg is None:               # started after the walk (or no walk): ask the process
                cg = procfs.primary_cgroup(procfs.parse_cgroup(read_file(f"{proc}/{pid}/cgroup")))
            p = m.Process(pid, ppid, start, comm, state, uid, max(0.0, up - start / tck),
                          argv=argv, nthreads=nthreads, fds=fds, cgroup=cg)
            if role:
                p.role, p.container_id, p.runtime_verb, p.exec_id = role
            if p.container_id is None and p.role not in (m.DOCKERD, m.CONTAINERD):
                p.container_id = cid_of(cg)
            procs.append(p)
        procs.sort(key=lambda p: p.pid)
        if cache is not None:
            cache.keep_hot(p.pid for p in procs if p.role or p.container_id or p.state == "D")
        return procs, self._cgroup_map, unreadable, measured

    def _cgroup_map(self, pid: int) -> dict[str, str]:
        return procfs.parse_cgroup(read_file(f"{self.proc}/{pid}/cgroup"))

    # --- threads of the runtime scope --------------------------------------------------
    def _threads(self, procs: list[m.Process], also: set[int]) -> None:
        proc = self.proc
        scoped = [p for p in procs if p.role or p.container_id or p.state == "D" or p.pid in also]
        wanted: list[str] = []
        for p in scoped:
            for f in p.fds or ():
                if f.kind == "pipe":
                    procfs.read_fdinfo(p.pid, f, proc)
            if any(f.kind in ("pipe", "fifo") for f in p.fds or ()):
                wanted.append(f"{proc}/{p.pid}/io")      # progress: its write count, sample to sample
            tids = procfs.list_tids(p.pid, proc) or [p.pid]
            for tid in tids:
                base = f"{proc}/{p.pid}/task/{tid}"
                s = procfs.read_stat(f"{base}/stat")
                if s is None:
                    continue
                if tid == p.pid and s.tty_nr:
                    p.terminal_job = s.pgrp != s.tpgid
                p.threads.append(m.Thread(tid=tid, state=s.state,
                                          wchan=procfs.read_wchan(f"{base}/wchan")))
                if s.state != "Z":
                    wanted.append(f"{base}/syscall")
                if s.state == "D" and self.root:
                    wanted.append(f"{base}/stack")
        got = self.reads.read_many(wanted)
        for p in scoped:
            p.wchar = procfs.parse_io(got.get(f"{proc}/{p.pid}/io")).get("wchar")
            by_num = {f.num: f for f in p.fds or ()}
            for t in p.threads:
                base = f"{proc}/{p.pid}/task/{t.tid}"
                raw = got.get(f"{base}/syscall")
                if raw:
                    t.syscall = syscalls.parse(raw.decode("ascii", "replace"), self.arch)
                    if t.syscall and t.syscall.fd is not None and (f := by_num.get(t.syscall.fd)):
                        t.syscall.fd_target = f.target + (f" {f.mode}" if f.mode else "")
                stack = got.get(f"{base}/stack")
                if stack:
                    t.stack = [ln.split("] ", 1)[-1] for ln in stack.decode().splitlines() if ln]
        self._thread_writes(scoped)

    def _thread_writes(self, scoped: list[m.Process]) -> None:
        """Each thread in a write to a pipe: its own write count (one small read per such
        thread), so another thread's writes do not pass for its progress."""
        proc = self.proc
        writing = [(p, t, f"{proc}/{p.pid}/task/{t.tid}/io") for p in scoped for t in p.threads
                   if t.syscall and t.syscall.name in ("write", "writev") and t.syscall.fd_target
                   and t.syscall.fd_target.startswith("pipe:")]
        got = self.reads.read_many([path for _, _, path in writing]) if writing else {}
        for _, t, path in writing:
            t.wchar = procfs.parse_io(got.get(path)).get("wchar")

    # --- fds that name a path: stat(2) them, guarded ------------------------------------
    def _resolve_paths(self, procs: list[m.Process]) -> None:
        # One stat per distinct target per snapshot (most processes share /dev/null).
        by_target: dict[str, list[tuple[int, m.Fd]]] = {}
        for p in procs:
            for f in p.fds or ():
                if f.kind == "path":
                    by_target.setdefault(f.target, []).append((p.pid, f))
        links = {f"{self.proc}/{fds[0][0]}/fd/{fds[0][1].num}": t for t, fds in by_target.items()}
        got = self.stats.read_many(links)
        kinds = {links[link]: res for link, res in got.items()}
        for target, fds in by_target.items():
            res = kinds.get(target)
            for pid, f in fds:
                f.kind, f.inode = res if res else ("file", None)
                if f.kind == "fifo":
                    procfs.read_fdinfo(pid, f, self.proc)

    # --- docker enrichment and degraded-mode notes -----------------------------------
    def _merge_docker(self, snap: m.HostSnapshot) -> None:
        if not self.prober:
            return
        seen = {c.id for c in snap.containers}
        for cid, info in self.prober.info.items():
            if cid in seen:
                snap.container(cid).docker = info
            elif cid in self.prober.known_ids:
                snap.containers.append(m.Container(id=cid, runtime="docker", docker=info))

    def _degraded(self, snap: m.HostSnapshot, unreadable_fds: int) -> list[str]:
        notes = []
        if not self.root:
            notes.append("not root: other users' fds, syscalls and kernel stacks are hidden; "
                         "pipe panels and blocked-task decoding are partial; no actions")
        if self.pool.fallback:
            notes.append(self.pool.fallback)
        if unreadable_fds:
            notes.append(f"fd tables of {unreadable_fds} processes unreadable (permission)")
        if self.kernel_log.error:
            notes.append(self.kernel_log.error)
        if snap.docker and snap.docker.note:
            notes.append(snap.docker.note)
        if snap.containerd and snap.containerd.note and any(
                p.role in (m.CONTAINERD, m.SHIM_V2) for p in snap.processes):
            notes.append(snap.containerd.note)
        if not self.mnt:
            notes.append("no cgroup filesystem mounted: cgroup panels unavailable")
        if snap.stuck_reads:
            notes.append(f"{len(snap.stuck_reads)} /proc reads did not return (shown as evidence)")
        return notes
