"""A container's process stopped by a signal (state T: SIGSTOP, or a stop signal from a
terminal): it runs nothing and answers nothing, reaps none of its children (they stay zombies
under it); a stopped main process makes stopping the container wait its whole grace period
before the SIGKILL. The runtime still says "running" and every engine call answers, so nothing
else names it. Not a freezer (a frozen task shows D: frozen-cgroup, paused), not a debugger's
stop (state t), not a job a shell stopped at its terminal (Ctrl-Z in an interactive exec: its
shell's `fg` resumes it; Process.terminal_job). SIGCONT lets it run on from where it stopped;
nothing needs killing."""
from __future__ import annotations

from .. import model as m
from . import evidence as ev
from . import scope
from .finding import WARNING, Finding
from .history import STUCK_AFTER, History

CLASS = "stopped-process"
SEVERITY = WARNING          # its highest: the fleet metrics count the class at this one
STANDS_ALONE = True         # a signal stopped it: nothing else on the container is its cause


def main_process(snap: m.HostSnapshot, c: m.Container) -> m.Process | None:
    pid = c.init_pid or (c.docker.pid if c.docker else None)
    return snap.proc(pid) if pid else None


def _stopped(snap: m.HostSnapshot, p: m.Process):
    return "T" if p.state == "T" and not p.freezer and not p.terminal_job else None


def detect(h: History) -> list[Finding]:
    out = []
    snap = h.latest
    for c in snap.containers:
        if c.docker and c.docker.paused:
            continue
        main = main_process(snap, c)
        mine = [p for p in scope.suspects(snap) if p.container_id == c.id and p.role not in m.RUNTIME_ROLES]
        if main is not None and main not in mine:
            mine.insert(0, main)
        held = [(p, s) for p in mine if _stopped(snap, p) and (s := h.steady(p, _stopped)) >= STUCK_AFTER]
        if not held:
            continue
        held.sort(key=lambda x: x[0] is not main)        # the main process first
        procs = [p for p, _ in held]
        stuck = max(s for _, s in held)
        zombies = [z for p in procs for z in snap.children(p.pid) if z.zombie]
        out.append(Finding(
            cls=CLASS, severity=SEVERITY, container=c.id, pids=[p.pid for p in procs] + [z.pid for z in zombies],
            stuck_for=stuck, playbook=CLASS,
            summary=_summary(snap, c, main, held, zombies),
            evidence={"stopped_procs": [ev.proc(p) for p in procs], "zombies": [ev.proc(z) for z in zombies],
                      "main_stopped": procs[0] is main}))
    return out


def _summary(snap: m.HostSnapshot, c: m.Container, main: m.Process | None, held: list, zombies: list) -> str:
    p, stuck = held[0]
    reaps = (f", and reaps none of its children: {_zombies(len(zombies))} on it" if zombies else "")
    sig = "SIGCONT " + " ".join(str(q.pid) for q, _ in held)
    others = [q for q, _ in held[1:]]
    if p is main:
        more = (f"; {_names(others)} of the container {'is' if len(others) == 1 else 'are'} stopped too"
                if others else "")
        stop = f"`docker stop {c.name}`" if c.docker else "Stopping the container"
        return (f"{p.comm} {p.pid}, the container's main process, has been stopped "
                f"{ev.at_least(stuck, p)} (state T: SIGSTOP, or a terminal's stop signal): it runs "
                f"nothing and answers nothing{reaps}{more}; the runtime still says running. {stop} would "
                f"wait its whole grace period, then SIGKILL; {sig} resumes it where it stopped")
    parent = snap.proc(p.ppid)
    one = len(held) == 1
    runs = _parent(parent) if parent is not None and one else ""
    who = (f"{p.comm} {p.pid}, a process of the container, has" if one
           else f"{len(held)} processes of the container ({_names([q for q, _ in held])}) have")
    return (f"{who} been stopped {ev.at_least(stuck, p)} (state T: SIGSTOP, or a terminal's stop "
            f"signal): {'it runs' if one else 'they run'} nothing, and whatever waits on "
            f"{'it' if one else 'them'} waits{reaps if one else ''}; {runs}the runtime still says running and "
            f"every call answers. {sig} resumes {'it' if one else 'them'} where {'it' if one else 'they'} stopped")


def _parent(parent: m.Process) -> str:
    """What the parent of a stopped process does: a shell waiting for its children waits for
    this one too (seen on the lab: wait4, wchan do_wait), which is not "runs"."""
    for t in parent.threads:
        call = t.syscall.name if t.syscall else None
        if t.wchan == "do_wait" or call in ("wait4", "waitid"):
            how = call if call in ("wait4", "waitid") else "wait"
            return f"its parent {parent.comm} {parent.pid} waits for it ({how}), so the parent's work waits too; "
    if parent.state in ("T", "Z"):
        return ""
    return f"its parent {parent.comm} {parent.pid} is not stopped (state {parent.state}); "


def _names(procs: list[m.Process]) -> str:
    return ", ".join(f"{q.comm} {q.pid}" for q in procs[:4]) + (f" and {len(procs) - 4} more" if len(procs) > 4 else "")


def _zombies(n: int) -> str:
    return "1 zombie waits" if n == 1 else f"{n} zombies wait"


def links(h: History, f: Finding, c: m.Container | None, others: dict, extra) -> list[dict]:
    ps = f.evidence["stopped_procs"]
    zs = f.evidence.get("zombies") or []
    more = f"; {_zombies(len(zs))} on it: a stopped process reaps nothing" if zs else ""
    who = (f"{ps[0]['comm']} {ps[0]['pid']}, the container's main process, is"
           if f.evidence.get("main_stopped", True) else
           f"{ps[0]['comm']} {ps[0]['pid']}, a process of the container, is" if len(ps) == 1 else
           f"{len(ps)} processes of the container are")
    return [ev.link(f"{who} stopped (state T) {ev.at_least(f.stuck_for or 0)}: "
                    f"{'it runs' if len(ps) == 1 else 'they run'} nothing{more}", "/proc stat",
                    {"process": ps[0], "stopped": len(ps), "zombies": len(zs)}, age=f.stuck_for, key="process-stopped")]


# --- its playbook's conditions ------------------------------------------------------------
def _named_now(ctx) -> list[tuple[int, m.Process | None]]:
    return [(d["pid"], ctx.proc(d["pid"])) for d in ctx.finding.evidence["stopped_procs"]]


def still_stopped(ctx):
    now = _named_now(ctx)
    stopped = [p for _, p in now if p is not None and p.state == "T"]
    if stopped:
        return True, ", ".join(f"{p.comm} {p.pid}" for p in stopped) + " in state T"
    return False, "none of " + ", ".join(str(pid) for pid, _ in now) + " is stopped now"


def all_run(ctx):
    now = _named_now(ctx)
    stopped = [p for _, p in now if p is not None and p.state == "T"]
    if stopped:
        return False, ("still stopped (state T): " + ", ".join(f"{p.comm} {p.pid}" for p in stopped)
                       + ": send SIGCONT " + " ".join(str(p.pid) for p in stopped))
    if ctx.finding.evidence.get("main_stopped") and now[0][1] is None:
        return False, f"process {now[0][0]} is gone: the container's main process exited"
    return True, ", ".join(f"{p.comm} {p.pid} runs (state {p.state})" if p is not None
                           else f"{pid} ran on and has exited" for pid, p in now)


CONDITIONS = {"still-stopped": still_stopped, "all-run": all_run}
