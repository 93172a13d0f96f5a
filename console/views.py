"""Text views of a snapshot shared by the CLI and the TUI (no textual here)."""
from __future__ import annotations

from . import model as m
from . import provenance as pv
from .collect.sockets import NOT_LISTENING, endpoint
from .provenance import MARK
from .safetext import visible


def fmt_age(seconds: float) -> str:
    s = int(seconds)
    if s < 120:
        return f"{s}s"
    if s < 7200:
        return f"{s // 60}m"
    if s < 172800:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // 86400}d{(s % 86400) // 3600}h"


IDLE_CALLS = frozenset({"futex", "epoll_wait", "epoll_pwait", "epoll_pwait2", "restart_syscall",
                        "nanosleep", "clock_nanosleep", "pselect6", "select", "poll", "ppoll",
                        "rt_sigsuspend", "rt_sigtimedwait", "pause", "accept", "accept4", "none"})


def idle_wait(t: m.Thread) -> bool:
    """A thread parked the way idle Go (or any event-loop) threads park: not evidence."""
    return t.state != "D" and (t.syscall is None or t.syscall.name in IDLE_CALLS)


def blocked_in(p: m.Process, interesting: bool = False) -> str:
    """The most telling thread state of a process: a thread in D, or in a syscall on an fd
    that is not an idle wait, else the main thread. INTERESTING: "" unless something is."""
    if p.zombie:
        return "zombie (exited, not reaped)"
    best = _telling_thread(p)
    if best is None and interesting:
        return ""
    t = best or (p.threads[0] if p.threads else None)
    if t is None:
        return ""
    parts = []
    if t.syscall and t.syscall.nr >= 0:
        parts.append(visible(t.syscall.text, 400))
    if t.wchan:
        parts.append(f"wchan {visible(t.wchan, 64)}")
    if best is not None and best.tid != p.pid:
        parts.append(f"tid {best.tid}")
    return "  ".join(parts)


def _telling_thread(p: m.Process) -> m.Thread | None:
    return next((t for t in p.threads if t.state == "D"), None) or next(
        (t for t in p.threads if t.syscall and not idle_wait(t) and t.state == "S"), None)


def blocked_short(p: m.Process) -> str:
    """blocked_in's few-column form, for a narrow tree: "write(2)", "D wchan folio_wait_bit"."""
    t = _telling_thread(p)
    if t is None or p.zombie:
        return ""
    if t.syscall and t.syscall.nr >= 0:
        return f"{visible(t.syscall.name, 24)}({t.syscall.fd})" if t.syscall.fd is not None else visible(t.syscall.name, 24)
    return f"{t.state} {visible(t.wchan or '?', 32)}"


def short_cmd(p: m.Process, width: int = 40) -> str:
    """comm and the telling part of argv: runtime argv are long and mostly flags."""
    if not p.argv:
        return f"[{visible(p.comm, 64)}]"
    if p.role in (m.SHIM_V1, m.SHIM_V2, m.SHIM_LEGACY, m.CONMON, m.DOCKERD, m.CONTAINERD):
        return visible(p.comm, 64)
    if p.role == m.RUNC:
        return visible(f"{p.comm} {p.runtime_verb or ''}".strip(), 80)
    return visible(p.cmdline, width)


ID_FIELDS = ("pid", "ppid", "uid", "comm", "argv", "cgroup", "ns_pid")


def row_mark(p: m.Process) -> str:
    """MARK when anything a process row shows (pid, state, age, command) is reconstructed."""
    return pv.mark(p, *ID_FIELDS, "state", "age", "threads", "nthreads")


def process_line(p: m.Process, width: int = 100) -> str:
    argv = visible(p.cmdline, width)
    role = f"[{p.role}] " if p.role else ""
    ns = f" (pid {p.ns_pid} in its namespace)" if p.ns_pid is not None else ""
    head = (f"{pv.mark(p, *ID_FIELDS):>1}{p.pid:>6} {pv.mark(p, 'state')}{p.state} "
            f"{pv.mark(p, 'age') + fmt_age(p.age):>7} {role}{argv}{ns}")
    return head[:width]


def pending_calls(snap: m.HostSnapshot, cid: str | None, now: float | None = None) -> list[tuple[str, float, str]]:
    """pending_for, with MARK for each call whose time is reconstructed (a rebuilt recording)."""
    out = []
    for engine, st in pv.runtime_states(snap):
        for pr in st.probes:
            per_ns = engine == "containerd" and pr.call in ("containers", "tasks")
            if pr.status == "pending" and (pr.target == cid and not per_ns or cid is None and per_ns):
                secs = pr.seconds + (max(0.0, now - snap.taken_at) if now is not None else 0.0)
                out.append((pr.call if engine == "docker" else f"{engine} {pr.call}", secs, pv.mark(pr, "seconds")))
    return out


def container_tree(snap: m.HostSnapshot, c: m.Container) -> list[tuple[int, m.Process]]:
    """(depth, process) in tree order: the shim, runc exec/init, container processes."""
    procs = snap.runtime_tree(c)
    if c.shim_pid:   # a pod shim serves several containers: keep this one's branch only
        procs = [p for p in procs if p.pid == c.shim_pid or p.container_id in (c.id, None)
                 or p.role in (m.RUNC, m.RUNC_INIT)]
    pids = {p.pid for p in procs}
    kids: dict[int, list[m.Process]] = {}
    roots = []
    for p in procs:
        if p.ppid in pids and p.ppid != p.pid:
            kids.setdefault(p.ppid, []).append(p)
        else:
            roots.append(p)
    out: list[tuple[int, m.Process]] = []
    seen: set[int] = set()
    stack = [(0, r) for r in reversed(roots)]     # depth first, iteratively: a fork chain
    while stack:                                  # thousands deep must not overflow the stack
        depth, p = stack.pop()
        if p.pid in seen:                         # a recording may hold a loop
            continue
        seen.add(p.pid)
        out.append((depth, p))
        stack.extend((depth + 1, k) for k in reversed(kids.get(p.pid, ())))
    return out


def host_name(snap: m.HostSnapshot) -> str:
    """The hostname, marked when reconstructed; "(hostname unknown)" when no source gave it."""
    return f"{pv.mark(snap, 'hostname')}{snap.hostname}" if snap.hostname else "(hostname unknown)"


def daemons(snap: m.HostSnapshot) -> list[m.Process]:
    return [p for p in snap.processes if p.role in (m.DOCKERD, m.CONTAINERD, m.CRIO)]


def text_report(snap: m.HostSnapshot, width: int = 120) -> str:
    """The plain-text host view printed by `hangconsole snapshot`."""
    lines = [f"host {host_name(snap)}  kernel {visible(snap.kernel or 'unknown', 200)}  {visible(snap.arch, 20)}  "
             f"{len(snap.processes)} processes  {len(snap.pipes)} pipes  "
             f"collected in {snap.collect_seconds * 1000:.0f} ms"]
    if snap.versions:
        lines.append(f"versions: {visible(pv.versions_text(snap))}")
    if pv.has_reconstructed(snap):
        lines.insert(0, f"{pv.LEGEND} (a rebuilt recording: {visible('; '.join(pv.notes(snap)))})")
    for note in snap.degraded:
        lines.append(f"degraded: {visible(note)}")
    if snap.docker:
        d = snap.docker
        state = {None: "absent", True: "answering", False: "NOT ANSWERING"}[d.reachable]
        lines.append(f"docker {visible(d.host)}: {state}" + (f" (API {visible(d.version, 40)})" if d.version else ""))
        for pr in d.probes:
            if pr.status != "ok":
                lines.append(f"  {pv.mark(pr)}{visible(pr.text)}")
    for name, st in (("containerd", snap.containerd), ("cri", snap.cri), ("runc", snap.runc)):
        if st and st.reachable is not None:
            state = "answering" if st.reachable else "NOT ANSWERING"
            lines.append(f"{name} {visible(st.host)}: {state}" + (f" ({visible(st.version, 80)})" if st.version else ""))
            lines.extend(f"  {pv.mark(pr)}{visible(pr.text)}" for pr in st.probes if pr.status != "ok")
    for s in snap.stuck_reads:
        lines.append(f"stuck read: {visible(s.path)} pending {s.seconds:.0f} s")
    for k in snap.kernel_log[-5:]:
        lines.append(f"{pv.mark(k)}kernel [{k.uptime:.0f}] {visible(k.kind, 40)}: {visible(k.text)}")
    for k in snap.daemon_log[-5:]:          # the runtime daemons' own log lines that matter
        lines.append(f"{pv.mark(k)}{visible(k.kind, 40)} log: {visible(k.text)}")
    for p in daemons(snap):
        lines.append(process_line(p, width))
    for c in snap.containers:
        lines.append("")
        d = c.docker
        extra = "".join(f" {visible(x, 200)}" for x in (d.image, d.state) if x) if d else ""
        pod = f" pod {visible(c.pod.namespace, 253)}/{visible(c.pod.name, 253)}" if c.pod and c.pod.name else ""
        ns = f" ns {visible(c.namespace, 253)}" if c.namespace else ""
        task = f" task {visible(c.task_state, 40)}" if c.task_state else ""
        oci = f" runc {visible(c.runtime_state, 40)}" if c.runtime_state else ""
        lines.append(f"container {pv.mark(c, 'docker.name', 'pod.name')}{visible(c.name, 253)} {pv.short_id_mark(c)}{visible(c.short_id, 64)} "
                     f"({visible(c.runtime, 40)}){extra}{ns}{pod}{task}{oci}")
        lines.extend(f"  {MARK} {visible(n)}" for n in pv.notes(c))
        if (log := log_path(snap, c)):
            lines.append(f"  {log}")
        if c.cgroup:
            for lv in c.cgroup.levels[:1]:
                if lv.pids_current is not None:
                    lines.append(f"  pids {pv.mark(lv, 'pids_current', 'pids_max')}{lv.pids_current}/{lv.pids_max or 'max'}")
            if c.cgroup.freezer and c.cgroup.freezer != "THAWED":
                lines.append(f"  freezer {visible(c.cgroup.freezer, 20)}")
        for depth, p in container_tree(snap, c):
            blk = blocked_in(p)
            lines.append(("  " * (depth + 1) + process_line(p, width))[:width])
            if blk and p.state in ("S", "D") and p.role != m.SHIM_V2 or p.zombie:
                lines.append("  " * (depth + 2) + "  " + blk)
    return "\n".join(visible(line, 4000) for line in lines)        # host text is data: each line inert


def log_path(snap: m.HostSnapshot, c: m.Container) -> str | None:
    """Where a network log driver sends the container's output, and what its queues hold:
    "log fluentd -> 127.0.0.1:24224 (blocking): dockerd 3,862,528 bytes unsent; endpoint
    python 2309 114,000 bytes unread" (the numbers as the findings say them). None for a file driver (json-file, local, journald) or an unknown one."""
    d = c.docker
    ep = endpoint(d.log_driver, d.log_opts) if d else None
    if ep is None:
        return None
    mode = (d.log_opts or {}).get("mode", "blocking")
    out = f"log {visible(d.log_driver, 40)} -> {visible(ep[0], 200)} ({visible(mode, 20)})"
    mine = [s for s in snap.sockets or () if s.endpoint == ep[0]]
    sent = [s for s in mine if any(e.comm == "dockerd" for e in s.holders)]
    if sent:
        out += f": dockerd {sum(s.send_queue for s in sent):,} bytes unsent"
    for s in mine:
        if s.peer in {x.inode for x in sent} and s.holders:
            e = s.holders[0]
            out += f"; endpoint {visible(e.comm, 64)} {e.pid} {s.recv_queue:,} bytes unread"
    if any(s.state == NOT_LISTENING for s in mine):
        out += ": nothing listens there"
    return out


# --- rows for the console (plain data; the screens only style them) -----------------------
SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


def gauge(queued: int | None, capacity: int | None, width: int = 10) -> str:
    if queued is None or not capacity:
        return "?" * width
    filled = min(width, round(width * queued / capacity))
    return "█" * filled + "░" * (width - filled)


def fmt_bytes(n: int | None) -> str:
    if n is None:
        return "?"
    for unit, size in (("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.0f}{unit}" if n % size == 0 else f"{n / size:.1f}{unit}"
    return f"{n}B"


def container_rank(c: m.Container, findings: list) -> tuple:
    sev = min((SEVERITY_RANK.get(f.severity, 3) for f in findings if f.container == c.id), default=3)
    return (sev, -(c.docker is not None), c.name)


def containers_worst_first(snap: m.HostSnapshot, findings: list) -> list[m.Container]:
    return sorted(snap.containers, key=lambda c: container_rank(c, findings))


def pending_for(snap: m.HostSnapshot, cid: str | None, now: float | None = None) -> list[tuple[str, float]]:
    """(call, seconds pending) of runtime calls still pending, counted to NOW (wall clock) when
    given: the console ticks them between samples."""
    return [(call, secs) for call, secs, _ in pending_calls(snap, cid, now)]


def pipes_of(snap: m.HostSnapshot, pids: set[int]) -> list[m.Pipe]:
    """Pipes with an end in PIDS, fullest first."""
    out = [pp for pp in snap.pipes if any(e.pid in pids for e in pp.readers + pp.writers)]
    return sorted(out, key=lambda pp: (-(pp.queued or 0) / (pp.capacity or 1), pp.inode))
