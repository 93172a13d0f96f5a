"""The proof that the seed recordings are faithful to their field reports.

For each bundled seed recording (console/incidents/seed-NNN.hcrec) and its report, bundled
verbatim in tests/data/seeds/NNN.txt:

- every fact the report shows (ps lines: pids, parents, users, start dates, argv; strace:
  thread ids, their last call as strace printed it; lsof: every fd, its mode, pipe and socket
  inodes, FIFO paths; kernel and daemon log lines with their times; the pipe's bytes; which
  runtime calls answer, fail (with their output) and hang; goroutine counts; versions) is
  quoted here, the quote is checked to be verbatim in the report's text, and the recording
  is checked to hold it in the right field, in every frame it belongs to;
- in the other direction, every block the report prints (all ps, strace and lsof lines of the
  processes it shows, all kernel lines) is found whole in the recording;
- every evidence value in every frame (process, thread, fd, pipe, container, cgroup, log
  line, runtime call, host) is either one of those checked facts or carries the
  reconstructed mark (with its reason); a value no source gives is left unknown.

`check(n, frames)` returns the problems; the last tests break recordings on purpose and see
them reported.
"""
from __future__ import annotations

import calendar
import copy
import os
import re
import time

import pytest

from hangconsole import model as m
from hangconsole import provenance as pv
from hangconsole.incidents import HERE, find, story
from hangconsole.record.fileformat import Recording

REPORTS = os.path.join(os.path.dirname(__file__), "..", "data", "seeds")
ROOT_UID = {"root": 0}


def report(n: int) -> str:
    with open(os.path.join(REPORTS, f"{n:03d}.txt"), encoding="utf-8") as f:
        return f.read()


def recording(n: int) -> list[m.HostSnapshot]:
    rec = Recording(find(f"seed-{n:03d}").path)
    return [rec.frame(i) for i in range(len(rec))]


# --- what counts as evidence, per item -------------------------------------------------------
FIELDS = {
    m.HostSnapshot: ("hostname", "kernel", "taken_at", "uptime"),
    m.Process: ("pid", "ppid", "comm", "state", "uid", "age", "argv", "nthreads", "cgroup", "ns_pid"),
    m.Thread: ("tid", "state", "wchan", "syscall"),
    m.Fd: ("num", "target", "mode"),
    m.Pipe: ("queued", "capacity", "peek"),
    m.Container: ("id", "namespace", "shim_pid", "init_pid", "bundle", "pidns_path", "cgroup_paths",
                  "runtime_state", "docker.name", "docker.image", "docker.state", "docker.status", "docker.pid"),
    m.CgroupState: ("path", "procs"),
    m.CgroupLevel: ("path", "pids_current", "pids_max", "pids_events_max", "mem_usage", "mem_limit",
                    "mem_oom", "mem_oom_kill"),
    m.KernelLogLine: ("text", "uptime"),
    m.Probe: ("call", "target", "status", "seconds", "error", "said"),
    m.DockerState: ("host",),
}


def get(item, name: str):
    obj = item
    for part in name.split("."):
        obj = getattr(obj, part, None) if obj is not None else None
    return obj


def unknown(item, name: str, value) -> bool:
    """A value no source gave, left unknown: nothing to prove."""
    if value in (None, "", [], {}):
        return True
    if name == "state" and value == "?":
        return True
    return name == "nthreads" and value == 0


items = pv.items      # every item of a frame that can carry evidence (and a mark)


class Check:
    """The facts of one report checked against one recording's frames, and what they cover."""

    def __init__(self, n: int, frames: list[m.HostSnapshot]):
        self.n, self.text, self.frames = n, report(n), frames
        self.covered: set[tuple[int, str]] = set()
        self.problems: list[str] = []

    # -- quoting and asserting ---------------------------------------------------------------
    def quote(self, s: str) -> str:
        if s not in self.text:
            self.problems.append(f"not verbatim in report {self.n:03d}: {s[:120]!r}")
        return s

    def fail(self, msg: str) -> None:
        self.problems.append(msg)

    def cover(self, item, *names: str) -> None:
        for name in names:
            self.covered.add((id(item), name))

    def eq(self, item, name: str, want, quote: str | None = None) -> bool:
        """ITEM.NAME == WANT, backed by QUOTE (verbatim in the report); covers it."""
        if quote is not None:
            self.quote(quote)
        got = get(item, name)
        if got != want:
            self.fail(f"{type(item).__name__}.{name} is {repr(got)[:120]}, the report shows {repr(want)[:120]}"
                      + (f" ({quote[:80]!r})" if quote else ""))
            return False
        self.cover(item, name)
        return True

    def marked(self, item, *names: str) -> None:
        for name in names:
            if not pv.why(item, name):
                self.fail(f"{type(item).__name__}.{name} = {get(item, name)!r} should be marked reconstructed")

    # -- finding things in a frame -----------------------------------------------------------
    def proc(self, snap: m.HostSnapshot, pid: int, why: str) -> m.Process | None:
        p = snap.proc(pid)
        if p is None:
            self.fail(f"frame at {snap.taken_at:.0f}: no process {pid} ({why})")
        return p

    def container(self, snap: m.HostSnapshot, prefix: str) -> m.Container | None:
        c = next((c for c in snap.containers if c.id.startswith(prefix)), None)
        if c is None:
            self.fail(f"no container {prefix}")
        return c

    def probe(self, snap: m.HostSnapshot, engine: str, call: str, target: str | None, status: str,
              quote: str) -> m.Probe | None:
        """The call ENGINE CALL TARGET is there with STATUS, as the report's QUOTE says."""
        self.quote(quote)
        st = getattr(snap, engine)
        pr = next((p for p in (st.probes if st else []) if p.call == call and p.target == target), None)
        if pr is None:
            self.fail(f"no {engine} {call} {target} call (the report: {quote[:80]!r})")
            return None
        if self.eq(pr, "status", status, quote):
            self.cover(pr, "call", "target")
        return pr

    # -- the coverage walk --------------------------------------------------------------------
    def uncovered(self) -> list[str]:
        out = []
        for snap in self.frames:
            for what, item in items(snap):
                for name in FIELDS.get(type(item), ()):
                    value = get(item, name)
                    if unknown(item, name, value) or pv.why(item, name):
                        continue
                    if (id(item), name) in self.covered:
                        continue
                    if name == "comm" and isinstance(item, m.Process) and item.argv and \
                            (id(item), "argv") in self.covered and \
                            item.comm == os.path.basename(item.argv[0])[:15]:
                        continue                 # comm as the kernel derives it from argv[0]
                    out.append(f"frame at {snap.taken_at:.0f}: {what}: {name} = {str(value)[:80]!r} is "
                               f"neither a fact of the report nor marked reconstructed")
            for what, item in items(snap):     # every mark says why
                for k, v in (getattr(item, "recon", None) or {}).items():
                    if not isinstance(v, str) or len(v) < 10:
                        out.append(f"{what}: the mark on {k} gives no reason")
        return out


# --- parsers of the report's own blocks (independent of the builders) -------------------------
PS = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)\s+\d+ (\w{3}\d\d|\d\d:\d\d)\s+\S+\s+[\d:]+ (.*)$")
LSOF = re.compile(r"^(\S+)\s+(\d+)\s+(\S+)\s+(\d+)([rwu])\s+(\S+)\s+\S+\s+\S+\s+(\d+)\s+(.*)$")
STRACE = re.compile(r"^\[pid\s+(\d+)\] (\w+)\((.*)$")
MONTHS = {mo: i for i, mo in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
                                        "Oct", "Nov", "Dec"), start=1)}


def ps_lines(text: str, pids: set[int] | None = None) -> list[tuple]:
    """(line, user, pid, ppid, stime, cmd) of the report's ps -ef lines (of PIDS)."""
    out = []
    for line in text.splitlines():
        mt = PS.match(line.strip())
        if mt and (pids is None or int(mt.group(2)) in pids) and "grep" not in mt.group(5):
            out.append((line.strip(), mt.group(1), int(mt.group(2)), int(mt.group(3)), mt.group(4), mt.group(5)))
    return out


def strace_last_calls(text: str, pid: int) -> tuple[int, dict[int, tuple[str, str]]]:
    """(threads attached, {tid: (call, its arguments as printed)}) of the strace of PID: each
    thread's last call still waiting (not a `resumed` line, not a call that returned)."""
    head = f"Process {pid} attached with "
    start = text.index(head)
    n = int(text[start + len(head):].split()[0])
    calls = {}
    for line in text[start:].splitlines()[1:]:
        if not line.strip():
            break
        mt = STRACE.match(line)
        if not mt or "resumed>" in line or re.search(r"\) += ", line):
            continue
        args = mt.group(3).split(" <unfinished", 1)[0].rstrip().rstrip(",").strip()
        calls[int(mt.group(1))] = (mt.group(2), args)
    return n, calls


def lsof_fds(text: str, pid: int) -> list[tuple[str, int, str, str, str]]:
    """(line, fd, mode, target as /proc/PID/fd shows it, COMMAND) of the report's lsof of PID."""
    out = []
    for line in text.splitlines():
        mt = LSOF.match(line.strip())
        if not mt or int(mt.group(2)) != pid:
            continue
        kind, node, name = mt.group(6), mt.group(7), mt.group(8)
        mode = {"r": "r", "w": "w", "u": "rw"}[mt.group(5)]
        target = (f"pipe:[{node}]" if kind == "FIFO" and name == "pipe" else
                  f"socket:[{node}]" if kind == "unix" else
                  f"anon_inode:{name}" if kind == "a_inode" else name)
        out.append((line.strip(), int(mt.group(4)), mode, target, mt.group(1)))
    return out


def local(ts: float, tz: int) -> time.struct_time:
    return time.gmtime(ts + tz * 3600)


def wall(text: str, tz: int) -> float:
    return float(calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S")) - tz * 3600)


def when(snap: m.HostSnapshot, uptime: float) -> float:
    """The wall time of kernel clock UPTIME, on SNAP's clock."""
    return snap.taken_at - (snap.uptime - uptime)


def ps_checks(c: Check, snap: m.HostSnapshot, rows: list[tuple], tz: int, *, ns: bool = False) -> None:
    """Each ps row is a process of SNAP: pid (or its pid in the namespace), parent, user,
    argv, start date (or minute); the start's time of day is marked where only a date is shown."""
    by_ns = {p.ns_pid: p for p in snap.processes if p.ns_pid is not None}
    for line, user, pid, ppid, stime, cmd in rows:
        p = by_ns.get(pid) if ns else snap.proc(pid)
        if p is None:
            c.fail(f"the report's ps line {line!r} has no process in the frame at {snap.taken_at:.0f}")
            continue
        c.quote(line)
        c.eq(p, "ns_pid" if ns else "pid", pid, line)
        if ns:                                   # the parent as the namespace sees it
            parent = snap.proc(p.ppid)
            seen = parent.ns_pid if parent is not None and parent.ns_pid is not None else 0
            if seen != ppid:
                c.fail(f"{line!r}: parent {ppid} in the namespace, the recording's is {seen}")
            if not pv.why(p, "pid"):
                c.fail(f"{line!r}: a host pid for an in-namespace pid must be marked")
            c.cover(p, "ppid") if ppid and not pv.why(p, "ppid") else c.marked(p, "ppid")
        else:
            c.eq(p, "ppid", ppid, line)
        c.eq(p, "uid", ROOT_UID.get(user, int(user) if user.isdigit() else -1), line)
        if cmd.startswith("[") and cmd.endswith("] <defunct>"):
            c.eq(p, "comm", cmd[1:-len("] <defunct>")], line)
            c.eq(p, "state", "Z", line)
        else:
            c.eq(p, "argv", cmd.split(" ") if not cmd.startswith("/bin/sh -c ") else
                 ["/bin/sh", "-c", cmd[len("/bin/sh -c "):]], line)
        start = local(snap.taken_at - p.age, tz)
        if ":" in stime:                          # HH:MM, to the minute
            if time.strftime("%H:%M", start) != stime:
                c.fail(f"{line!r}: starts {time.strftime('%H:%M', start)} in the recording")
        elif (start.tm_mon, start.tm_mday) != (MONTHS[stime[:3]], int(stime[3:])):
            c.fail(f"{line!r}: starts {time.strftime('%b%d', start)} in the recording")
        c.marked(p, "age")                        # the seconds (or the time of day) are not shown


def strace_checks(c: Check, snap: m.HostSnapshot, pid: int) -> None:
    n, calls = strace_last_calls(c.text, pid)
    p = c.proc(snap, pid, "strace'd")
    if p is None:
        return
    c.eq(p, "nthreads", n, f"Process {pid} attached with {n} threads")
    if {t.tid for t in p.threads} != set(calls):
        c.fail(f"{pid}: threads {sorted(t.tid for t in p.threads)}, strace shows {sorted(calls)}")
    for t in p.threads:
        if t.tid not in calls:
            continue
        name, args = calls[t.tid]
        sc = t.syscall
        got = (sc.name, ", ".join(sc.argtext or [])) if sc else None
        if got != (name, args):
            c.fail(f"thread {t.tid}: {got}, strace shows {name}({args}")
        else:
            c.cover(t, "tid", "syscall")
        c.marked(t, "state")                       # strace does not show it
        if t.wchan is not None and not pv.why(t, "wchan"):
            c.fail(f"thread {t.tid}: wait channel {t.wchan} is not in the report")


def lsof_checks(c: Check, snap: m.HostSnapshot, pid: int) -> None:
    rows = lsof_fds(c.text, pid)
    p = c.proc(snap, pid, "lsof'd")
    if p is None or not rows:
        c.fail(f"no lsof of {pid}") if not rows else None
        return
    fds = {f.num: f for f in p.fds or []}
    if set(fds) != {r[1] for r in rows}:
        c.fail(f"{pid}: fds {sorted(fds)}, lsof shows {sorted(r[1] for r in rows)}")
    for line, num, mode, target, command in rows:
        f = fds.get(num)
        if f is not None and c.eq(f, "target", target, line) and c.eq(f, "mode", mode, line):
            c.cover(f, "num")
        if not p.comm.startswith(command):
            c.fail(f"{pid}: comm {p.comm!r}, lsof's COMMAND is {command!r}")
        elif len(command) >= len(p.comm) or p.comm == os.path.basename((p.argv or [""])[0])[:15]:
            c.cover(p, "comm")


def each_frame(c: Check, fn) -> None:
    for snap in c.frames:
        fn(snap)


# --- seed 000 -------------------------------------------------------------------------------------
def check_000(c: Check) -> None:
    tz = 8
    cid = "bbd5e4b5f9c13666dd0ec7ff7afb2c4c2b0ede40a4adf1de43cc31c606f283f5"
    pod = "/kubepods/burstable/pod6c4333b3-a663-11ea-b39f-6c92bf85beda"
    ps = ps_lines(c.text, {11646, 11680, 15581, 15638})
    assert len(ps) == 4, ps
    oom = [ln for ln in c.text.splitlines() if ln.startswith("Jun 17 03:18:17 host-xx kernel: ")]
    kubelet = [ln for ln in c.text.splitlines() if "kubelet.go:1835] skipping pod synchronization" in ln]

    def frame(snap):
        ps_checks(c, snap, ps, tz)
        for pid in (11646, 15581, 15638):
            strace_checks(c, snap, pid)
            lsof_checks(c, snap, pid)
        for p in snap.processes:
            if p.pid not in {r[2] for r in ps} | {6655}:
                c.fail(f"process {p.pid} is not in the report")
        if (p := c.proc(snap, 15638, "runc init")):    # lsof cuts comm at 9 characters; the OOM lines show it whole
            c.eq(p, "comm", "runc:[2:INIT]", "Killed process 12788 (runc:[2:INIT])")
        if (p := c.proc(snap, 6655, "the report: 6655：containerd进程")):
            c.eq(p, "pid", 6655, "6655：containerd进程")
            c.marked(p, "argv", "ppid", "age")
        pp = snap.pipe(1070361747)               # runc init's fd 2, read only by the shim's fd 26
        if pp is not None:
            c.quote("runc:[2:I 15638 root    2w     FIFO                0,8      0t0 1070361747 pipe")
            if not (pp.peek and pp.peek.startswith("runtime/cgo: pthread_create failed: Resource temporarily "
                                                   "unavailable\nSIGABRT: abort") and pp.peek in c.text):
                c.fail("the pipe's bytes are not the report's `cat /proc/15638/fd/2`")
            else:
                c.cover(pp, "peek")
            c.marked(pp, "queued", "capacity")
            if [(e.pid, e.fd) for e in pp.readers] != [(11646, 26)]:
                c.fail(f"pipe 1070361747 readers {pp.readers}")
        else:
            c.fail("no pipe 1070361747")
        ct = c.container(snap, cid)
        if ct:
            c.eq(ct, "id", cid, cid)
            c.eq(ct, "shim_pid", 11646, "11646：异常容器的containerd-shim进程")
            c.eq(ct, "init_pid", 11680, "11680：异常容器的容器启动进程")
            c.eq(ct, "namespace", "moby", "docker-containerd-shim -namespace moby")
            c.eq(ct, "bundle", f"/run/docker/containerd/daemon/io.containerd.runtime.v1.linux/moby/{cid}",
                 f"docker-ru 15581 root  cwd       DIR               0,18      120 1066743076 "
                 f"/run/docker/containerd/daemon/io.containerd.runtime.v1.linux/moby/{cid}")
            c.eq(ct, "docker.state", "running",             # listed by docker ps, found by the loop
                 "docker ps | grep -v NAME | awk '{print $1}' | while read cid; do echo $cid; docker inspect")
            c.eq(ct, "cgroup_paths", {"memory": f"{pod}/{cid}"}, f"task_memcg={pod}/{cid}")
            c.eq(ct.cgroup, "path", f"{pod}/{cid}", f"task_memcg={pod}/{cid}")
            for lv, path in zip(ct.cgroup.levels, (f"{pod}/{cid}", pod)):
                c.eq(lv, "path", path, f"oom_memcg={pod}")
        texts = [k.text for k in snap.kernel_log]
        if texts != [ln.split(" kernel: ", 1)[1] for ln in oom]:
            c.fail("the kernel log is not the report's OOM report of Jun 17 03:18:17, whole and in order")
        for k in snap.kernel_log:
            c.eq(k, "text", k.text, f"Jun 17 03:18:17 host-xx kernel: {k.text}")
            if round(when(snap, k.uptime)) == wall("2020-06-17 03:18:17", tz):
                c.cover(k, "uptime")
        for k in snap.kubelet_log:
            c.quote(k.text)
            if k.text in kubelet:
                c.cover(k, "text")
            t = time.strftime("I%m%d %H:%M:%S", local(when(snap, k.uptime), tz))
            if k.text.startswith(t + "."):
                c.cover(k, "uptime")
        if not snap.kubelet_log or [k.text for k in snap.kubelet_log] != kubelet[:len(snap.kubelet_log)]:
            c.fail("kubelet's lines are not the report's, in order")
        c.probe(snap, "docker", "list", None, "ok", "docker ps 查看所有容器状态，执行正常")
        c.probe(snap, "docker", "inspect", cid, "pending", "docker inspect 查看某一容器详细状态，执行阻塞")
        for pr in snap.docker.probes:
            c.marked(pr, "seconds")
        c.marked(snap.docker, "host")
        c.eq(snap, "hostname", "host-xx", oom[0])
        c.eq(snap, "kernel", "3.10.0-514.16.1.el7.stable.v1.4.x86_64", oom[1])
        c.marked(snap, "taken_at", "uptime")

    each_frame(c, frame)
    v = c.frames[-1].versions
    if v != {"docker": "18.06.3", "kernel": "3.10.0-514.16.1.el7.stable.v1.4.x86_64"}:
        c.fail(f"versions {v}")
    c.quote("新宿主的docker版本都是18.06.3")
    kubelet_all = c.frames[-1].kubelet_log
    if len(kubelet_all) != 3:
        c.fail(f"{len(kubelet_all)} kubelet lines at the last frame, the report shows 3")


# --- seed 001 -------------------------------------------------------------------------------------
def check_001(c: Check) -> None:
    tz = 8
    cid = "60f253d59f26e1c573d4ba5f824e73b3a4b1bb1629edace85caba4c620755d4d"
    bundle = f"/run/docker/containerd/daemon/io.containerd.runtime.v1.linux/moby/{cid}"
    ps = [r for r in ps_lines(c.text) if r[3] == 119820 or r[2] == 119820]
    ps = list({r[2]: r for r in ps}.values())            # the shim's line is printed twice
    assert len(ps) == 44, len(ps)                         # the shim and its 43 <defunct> children
    app = "60f253d59f26 image \"/dockerinit\" 6 weeks ago Up 6 weeks k8s_CNAME_PODNAME_default_013e3b0e-8d17-11eb-8ef7-246e9693e13c_10"
    pause = "6e6fc586dc12 pause:3.1 \"/pause\" 6 weeks ago Exited (0) About an hour ago k8s_POD_PODNAME_default_013e3b0e-8d17-11eb-8ef7-246e9693e13c_1"
    runc_list = f"{cid} 0 stopped {bundle} 2021-05-07T12:43:02.62261156Z root"
    ctr = "docker-containerd-ctr -a /var/run/docker/containerd/docker-containerd.sock -n moby"
    pleg = ("I0624 11:00:26.658872   21280 kubelet.go:1923] skipping pod synchronization - [PLEG is not "
            "healthy: pleg was last seen active 3m0.439656895s ago; threshold is 3m0s]")

    def frame(snap):
        ps_checks(c, snap, ps, tz)
        lsof_checks(c, snap, 119820)
        for p in snap.processes:
            if p.pid not in {r[2] for r in ps} | {3608}:
                c.fail(f"process {p.pid} is not in the report")
        if (p := c.proc(snap, 3608, "the shim's parent")):
            c.eq(p, "pid", 3608, ps[0][0] if ps[0][2] == 119820 else "root 119820 3608 0 May07")
            c.marked(p, "argv", "comm", "ppid", "age")
        shim = snap.proc(119820)
        if shim is not None and (shim.threads or shim.nthreads):
            c.fail("the shim's threads are not in the report (it shows goroutines)")
        ct = c.container(snap, cid)
        if ct:
            c.eq(ct, "id", cid, runc_list)
            c.eq(ct, "runtime_state", "stopped", runc_list)
            c.eq(ct, "bundle", bundle, runc_list)
            c.eq(ct, "shim_pid", 119820, f"root 119820 3608 0 May07 ? 00:11:16 docker-containerd-shim -namespace moby -workdir /docker/docker_rt/containerd/daemon/io.containerd.runtime.v1.linux/moby/{cid}")
            c.eq(ct, "namespace", "moby", ctr)
            c.eq(ct, "docker.name", app.rsplit(" ", 1)[1], app)
            c.eq(ct, "docker.image", "image", app)
            c.eq(ct, "docker.status", "Up 6 weeks", app)
            c.eq(ct, "docker.state", "running", app)
            c.marked(ct, "init_pid")
        pc = c.container(snap, "6e6fc586dc12")
        if pc:
            c.marked(pc, "id")
            c.eq(pc, "docker.name", pause.rsplit(" ", 1)[1], pause)
            c.eq(pc, "docker.image", "pause:3.1", pause)
            c.eq(pc, "docker.status", "Exited (0) About an hour ago", pause)
            c.eq(pc, "docker.state", "exited", pause)
        for k in snap.kubelet_log:
            c.eq(k, "text", pleg, pleg)
            if time.strftime("I%m%d %H:%M:%S", local(when(snap, k.uptime), tz)) == "I0624 11:00:26":
                c.cover(k, "uptime")
        if len(snap.kubelet_log) != 1:
            c.fail("the PLEG line is missing")
        c.probe(snap, "docker", "list", None, "ok", "# docker ps\n// 运行正常")
        c.probe(snap, "docker", "inspect", cid, "pending", "执行到 docker inspect -f {{.State.Pid}} 60f253d59f26 时,命令卡住")
        c.probe(snap, "containerd", "containers", "moby", "ok", f"{ctr} c ls\n// 运行正常")
        c.probe(snap, "containerd", "tasks", "moby", "pending", f"{ctr} t ls\n// 命令卡死")
        c.probe(snap, "containerd", "task-ps", cid, "pending", f"执行到 {ctr} t ps {cid} 时,命令卡住")
        if (pr := c.probe(snap, "runc", "list", None, "ok", "# docker-runc --root /var/run/docker/runtime-runc/moby/ list")):
            c.eq(pr, "said", runc_list, runc_list)
        c.eq(snap.containerd, "host", "/var/run/docker/containerd/docker-containerd.sock", ctr)
        c.eq(snap.runc, "host", "docker-runc --root /var/run/docker/runtime-runc/moby/",
             "# docker-runc --root /var/run/docker/runtime-runc/moby/ list")
        for st in (snap.docker, snap.containerd, snap.runc):
            for pr in st.probes:
                c.marked(pr, "seconds")
        c.marked(snap.docker, "host")
        c.marked(snap, "taken_at", "uptime")
        if snap.hostname or snap.kernel or snap.versions:
            c.fail("the report gives no hostname, kernel or version of this host")
        # ps ran at 11:44 (its own grep line) on Jun 24 (kubelet's I0624)
        if time.strftime("%m-%d %H:%M", local(snap.taken_at, tz)) != "06-24 11:44":
            c.fail(f"sampled at {time.strftime('%m-%d %H:%M', local(snap.taken_at, tz))}")
        c.quote("stupig 1629698 1599793 0 11:44 pts/0 00:00:00 grep --color=auto 60f253d59f26")

    each_frame(c, frame)


# --- seed 002 -------------------------------------------------------------------------------------
def check_002(c: Check) -> None:
    tz = 8
    cid = "aa1e331ec24f621ab3152ebe94f1e533734164af86c9df0f551eab2b1967ec4e"
    path = "/kubepods/burstable/pod64a6c0e7-830c-11eb-86d6-b8cef604db88/" + cid
    err = ('OCI runtime exec failed: exec failed: container_linux.go:348: starting container process '
           'caused "read init-p: connection reset by peer": unknown')
    runc_cmd = "$ docker-runc --root /var/run/docker/runtime-runc/moby/ exec " + cid + " sleep\n"
    out = c.text[c.text.index(runc_cmd) + len(runc_cmd):c.text.index("\n由上可知")]
    logs = [ln for ln in c.text.splitlines() if ln.startswith("May 12 09:08:40 HOSTNAME dockerd[4085]: ")]

    def frame(snap):
        if [p.pid for p in snap.processes] != [4085]:
            c.fail(f"processes {[p.pid for p in snap.processes]}: the report shows only dockerd[4085]")
        if (p := c.proc(snap, 4085, "dockerd[4085]")):
            c.eq(p, "pid", 4085, logs[0])
            c.eq(p, "comm", "dockerd", logs[0])
            c.marked(p, "argv", "ppid", "age", "uid")
        if [k.text for k in snap.daemon_log] != [ln.split(": ", 1)[1] for ln in logs]:
            c.fail("dockerd's three lines are not the report's, whole and in order")
        for k, ln in zip(snap.daemon_log, logs):
            c.eq(k, "text", ln.split(": ", 1)[1], ln)
            stamp = re.search(r'time="([^"]+)\+08:00"', k.text).group(1)
            if abs(when(snap, k.uptime) - (wall(stamp[:19].replace("T", " "), tz) + float(stamp[19:]))) < 1e-3:
                c.cover(k, "uptime")
        if snap.kernel_log:
            c.fail("the report shows no kernel line")
        ct = c.container(snap, cid)
        if ct:
            c.eq(ct, "id", cid, f"t exec --exec-id stupig1 {cid} sleep 1")
            c.eq(ct, "namespace", "moby", "-n moby t exec")
            c.eq(ct, "cgroup_paths", {"pids": path}, f"$ cat /sys/fs/cgroup/pids{path}/pids.max")
            c.eq(ct.cgroup, "path", path, f"$ cat /sys/fs/cgroup/pids{path}/pids.max")
            c.eq(ct, "docker.state", "running", "$ sudo docker ps | grep -v pause | grep -v NAMES")
            lv = ct.cgroup.levels[0]
            c.eq(lv, "path", path, f"/sys/fs/cgroup/pids{path}/pids.max")
            c.eq(lv, "pids_max", 10000, f"{path}/pids.max\n10000")
            c.marked(lv, "pids_current")                 # a monitoring graph: "达到 1w"
            c.quote("所有容器的线程数都已经达到 1w")
            if len(ct.cgroup.levels) != 1:
                c.fail("the report shows one cgroup level")
        c.probe(snap, "docker", "list", None, "ok", "$ sudo docker ps | grep -v pause | grep -v NAMES | awk '{print $1}' | xargs -ti sudo docker exec {} sleep 1")
        if (pr := c.probe(snap, "docker", "exec", cid, "error", "sudo docker exec aa1e331ec24f sleep 1\n" + err)):
            c.eq(pr, "error", err, err)
        if (pr := c.probe(snap, "containerd", "task-exec", cid, "error", "ctr: " + err)):
            c.eq(pr, "error", "ctr: " + err, "ctr: " + err)
        if (pr := c.probe(snap, "runc", "exec", cid, "error", runc_cmd)):
            c.eq(pr, "said", out, out)
            c.eq(pr, "error", out.splitlines()[-1], out)
        c.eq(snap.containerd, "host", "/var/run/docker/containerd/docker-containerd.sock",
             "docker-containerd-ctr -a /var/run/docker/containerd/docker-containerd.sock")
        c.eq(snap.runc, "host", "docker-runc --root /var/run/docker/runtime-runc/moby/", runc_cmd)
        for st in (snap.docker, snap.containerd, snap.runc):
            for pr in st.probes:
                c.marked(pr, "seconds")
        c.marked(snap.docker, "host")
        c.eq(snap, "hostname", "HOSTNAME", logs[0])
        c.marked(snap, "taken_at", "uptime")
        if snap.kernel or snap.versions:
            c.fail("the report gives no kernel or runtime version")

    each_frame(c, frame)


# --- seed 003 -------------------------------------------------------------------------------------
def check_003(c: Check) -> None:
    tz = 8
    oom = "[7993043.926831] Memory cgroup out of memory: Kill process 20357 (runc:[2:INIT]) score 970 or sacrifice child"
    debug = [ln for ln in c.text.splitlines() if re.match(r"Dec 14 20:04:4\d dockerd\[7926\]: \S", ln)]
    assert len(debug) == 6

    def frame(snap):
        if (p := c.proc(snap, 7926, "dockerd[7926]")):
            c.eq(p, "pid", 7926, debug[0])
            c.eq(p, "comm", "dockerd", debug[0])
            c.marked(p, "argv", "ppid", "age", "uid")
        for p in snap.processes:
            if p.pid != 7926 and pv.why(p, m.WHOLE) is None:
                c.fail(f"process {p.pid}: the report shows no such process, and it is not marked")
            if p.threads:
                c.fail(f"process {p.pid}: the report shows no thread of it")
        if snap.containers:
            c.fail("the report names no container")
        k = snap.kernel_log[0] if len(snap.kernel_log) == 1 else None
        if k is None:
            c.fail("the report's one dmesg line")
        else:
            c.eq(k, "text", oom.split("] ", 1)[1], oom)
            c.eq(k, "uptime", 7993043.926831, oom)
        for k, ln in zip([k for k in snap.daemon_log if "Calling" in k.text], debug):
            c.eq(k, "text", ln.split(": ", 1)[1], ln)
            if time.strftime("Dec %d %H:%M:%S", local(when(snap, k.uptime), tz)) == ln[:15]:
                c.cover(k, "uptime")
        for k in [k for k in snap.daemon_log if "Calling" not in k.text]:
            c.eq(k, "text", k.text, k.text)
            c.marked(k, "uptime")
        if len([k for k in snap.daemon_log if "Calling" in k.text]) != 6:
            c.fail("dockerd's six debug lines")
        c.probe(snap, "docker", "list", None, "pending", "`docker ps` 无响应")
        c.quote("`dockerd`一直在请求 list containers 接口，但是没有响应。")
        for pr in snap.docker.probes:
            c.marked(pr, "seconds")
        c.marked(snap.docker, "host")
        c.marked(snap, "taken_at", "uptime")
        if snap.hostname or snap.kernel:
            c.fail("the report gives no hostname or kernel of the hung node")

    each_frame(c, frame)
    v = c.frames[-1].versions
    for key, line in (("docker", "$ Docker version "), ("containerd", "$ containerd version "),
                      ("runc", "$ runc version ")):
        c.quote(line + v.get(key, "?").split(" commit: ")[0])
    c.quote("$ commit: 54296cf40ad8143b62dbcaa1d90e520a2136ddfe\n$ spec: 1.0.0-rc2-dev")
    if set(v) != {"docker", "containerd", "runc"}:
        c.fail(f"versions {v}")


# --- seed 004 -------------------------------------------------------------------------------------
def check_004(c: Check) -> None:
    tz = 0
    ps1 = c.text[c.text.index("UID         PID"):].split("\n```")[0]
    ps2 = c.text[c.text.index("UID         PID", c.text.index(ps1) + 10):].split("\n```")[0]
    rows1, rows2 = ps_lines(ps1), ps_lines(ps2)
    assert len(rows1) == 6 and len(rows2) == 5
    daemons = ps_lines(c.text, {836, 831})
    docker_ps = [ln for ln in c.text.splitlines() if ln.startswith("a46c18158270 ")][0]

    def frame(snap, i):
        rows = rows1 if i == 0 else rows2
        ps_checks(c, snap, [r for r in rows if not (r[5] == "ps -ef" and i > 1)], tz, ns=True)
        ps_checks(c, snap, daemons, tz)
        seen = {p.ns_pid for p in snap.processes if p.ns_pid is not None}
        want = {r[2] for r in rows if not (r[5] == "ps -ef" and i > 1)}
        if seen != want:
            c.fail(f"frame {i}: pids in the namespace {sorted(seen)}, the report's ps -ef shows {sorted(want)}")
        for p in snap.processes:
            if p.ns_pid is None and p.pid not in (836, 831) and not pv.why(p, m.WHOLE):
                c.fail(f"process {p.pid} is not in the report and not marked")
        c2 = c.container(snap, "a46c18158270")
        if c2:
            c.eq(c2, "docker.name", docker_ps.split()[-1], docker_ps)
            c.eq(c2, "docker.image", "1d622ef86b13", docker_ps)
            c.eq(c2, "docker.state", "running", docker_ps)
            c.marked(c2, "id", "pidns_path", "init_pid", "docker.status")
            c.eq(c2, "docker.status", "Up 7 minutes", docker_ps)
        c1 = c.container(snap, "259da1678e8c")
        if c1:
            c.eq(c1, "docker.state", "running", "docker exec 259da1678e8c ps -ef")
            c.eq(c1, "docker.image", "ubuntu", "    name: container1\n    image: ubuntu")
            c.marked(c1, "id", "docker.name", "pidns_path", "init_pid")
        for ct in snap.containers:
            c.marked(ct, "namespace", "cgroup_paths")
            c.marked(ct.cgroup, "procs", "path")
            for lv in ct.cgroup.levels:
                c.marked(lv, "path")
        exec1 = c.probe(snap, "docker", "exec", next(x.id for x in snap.containers if x.id.startswith("259da1678e8c")),
                        "ok", "root@ubuntu:~# docker exec 259da1678e8c ps -ef")
        if exec1:
            c.eq(exec1, "said", ps1 if i == 0 else ps2, ps1 if i == 0 else ps2)
        if i > 0:
            cid2 = c2.id if c2 else None
            if (pr := c.probe(snap, "docker", "restart", cid2, "pending", "现在使用 `docker restart a46c18158270` 命令重启 container2 容器")):
                c.quote("命令卡主了，直到`sleep 1000`执行结束")
                if "命令卡主了，直到`sleep 1000`执行结束" not in (pr.said or ""):
                    c.fail("the restart does not say it returns when `sleep 1000` ends")
                else:
                    c.cover(pr, "said")
            c.probe(snap, "docker", "inspect", cid2, "pending", "root@ubuntu:~# docker inspect a46c18158270\n^C")
            c.probe(snap, "docker", "logs", cid2, "pending", "root@ubuntu:~# docker logs a46c18158270\n^C")
            if (pr := c.probe(snap, "docker", "list", None, "ok", "root@ubuntu:~# docker ps | grep touch")):
                c.eq(pr, "said", docker_ps, docker_ps)
        elif any(p.call == "restart" for p in snap.docker.probes):
            c.fail("the restart came after the first ps -ef (01:41)")
        for pr in snap.docker.probes:
            c.marked(pr, "seconds")
        c.marked(snap.docker, "host")
        c.eq(snap, "hostname", "ubuntu", "root@ubuntu:~# docker exec 259da1678e8c ps -ef")
        c.marked(snap, "taken_at", "uptime")
        if snap.kernel or snap.versions:
            c.fail("the report gives no kernel or runtime version")

    for i, snap in enumerate(c.frames):
        frame(snap, i)
    times = [time.strftime("%H:%M", local(s.taken_at, tz)) for s in c.frames]
    if times[0] != "01:41" or set(times[1:]) != {"01:49"}:
        c.fail(f"frames at {times}: the report's two ps -ef ran at 01:41 and 01:49")


CHECKS = {0: check_000, 1: check_001, 2: check_002, 3: check_003, 4: check_004}


def check(n: int, frames: list[m.HostSnapshot]) -> list[str]:
    c = Check(n, frames)
    try:
        CHECKS[n](c)
    except (ValueError, IndexError, AttributeError, StopIteration) as e:
        c.fail(f"the recording does not have what the check reads: {type(e).__name__}: {e}")
    return c.problems + c.uncovered()


# --- the tests ----------------------------------------------------------------------------------
@pytest.mark.parametrize("n", range(5))
def test_every_fact_and_every_reconstruction(n):
    problems = check(n, recording(n))
    assert not problems, f"seed-{n:03d}:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("n", range(5))
def test_story_facts_are_verbatim_in_the_report(n):
    st, text = story(f"seed-{n:03d}"), report(n)
    assert len(st["facts"]) >= 15
    assert not [f for f in st["facts"] if f not in text]
    if "drained" in st:                       # what the simulated drain saves: the report's own bytes
        assert st["drained"].strip("\n") in text


@pytest.mark.parametrize("name,n", [("seed-000-dockerd-goroutines.txt", 0), ("seed-000-containerd-goroutines.txt", 0),
                                    ("seed-001-shim-stacks.log", 1), ("seed-003-dockerd-goroutines.log", 3)])
def test_bundled_dumps_are_the_reports_own(name, n):
    text = report(n)
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        dump = f.read()
    assert not [ln for ln in dump.splitlines() if ln.strip() and ln not in text]


def test_goroutine_counts_are_the_reports():
    from hangconsole import stacks
    text = report(0)
    counts = sorted((g.count for g in stacks.summarise(os.path.join(HERE, "seed-000-dockerd-goroutines.txt")).groups),
                    reverse=True)
    assert counts == [717594, 4175, 1, 1]
    assert "有 717594 个协程被阻塞在docker inspect" in text and "有 4175 个协程被阻塞在docker stats" in text
    assert "goroutine profile: total 722373" in text and "goroutine profile: total 430" in text
    shim = stacks.summarise(os.path.join(HERE, "seed-001-shim-stacks.log")).groups
    assert ("chan send", 83) in {(g.state, g.max_wait) for g in shim}
    assert "goroutine 1 [chan send, 83 minutes]:" in report(1)


# --- the proof can fail -------------------------------------------------------------------------
def broken(n: int, how) -> list[str]:
    frames = copy.deepcopy(recording(n))
    for s in frames:
        s._index = None
        how(s)
    return check(n, frames)


def test_a_changed_syscall_is_caught():
    def how(s):
        t = next(t for t in s.proc(15638).threads if t.tid == 15638)
        t.syscall.argtext = ["2", '"/usr/local/go/src/runtime/proc.g"...', "64"]
    assert any("thread 15638" in p for p in broken(0, how))


def test_an_invented_kernel_line_is_caught():
    def how(s):
        s.kernel_log.append(m.KernelLogLine(uptime=s.uptime - 5, kind="pids-fork-rejected",
                                            text="cgroup: fork rejected by pids controller in /kubepods"))
    problems = broken(2, how)
    assert any("no kernel line" in p for p in problems) and any("fork rejected" in p for p in problems)


def test_an_invented_process_is_caught():
    def how(s):
        s.processes.append(m.Process(pid=52040, ppid=1, start_ticks=1, comm="java", state="S", uid=0, age=9.0,
                                     argv=["java", "-jar", "/app/service.jar"], nthreads=9999))
    problems = broken(2, how)
    assert any("52040" in p for p in problems)


def test_a_dropped_mark_is_caught():
    def how(s):
        s.processes[0].recon = None                      # 6655: containerd's argv is reconstructed
    assert any("6655" in p or "should be marked" in p for p in broken(0, how))


def test_a_wait_channel_the_report_does_not_show_is_caught():
    def how(s):
        next(t for t in s.proc(15638).threads if t.tid == 15638).wchan = "pipe_wait"
    assert any("wait channel pipe_wait" in p for p in broken(0, how))


def test_a_hanging_call_that_answers_is_caught():
    def how(s):
        next(p for p in s.containerd.probes if p.call == "tasks").status = "ok"
    assert any("status" in p and "'pending'" in p for p in broken(1, how))


def test_a_missing_zombie_is_caught():
    def how(s):
        s.processes = [p for p in s.processes if p.pid != 2897662]
    assert any("2897662" in p for p in broken(1, how))
