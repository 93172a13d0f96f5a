"""A container's main process stopped by a signal (state T: SIGSTOP, or a stop signal from a
terminal): it runs nothing and answers nothing, reaps none of its children (they stay zombies
under it), and stopping the container waits its whole grace period before the SIGKILL. The
runtime still says "running" and every engine call answers, so nothing else names it. Not a
freezer (a frozen task shows D: frozen-cgroup, paused), not a debugger's stop (state t).
SIGCONT lets it run on from where it stopped; nothing needs killing."""
from __future__ import annotations

from .. import model as m
from . import evidence as ev
from .finding import WARNING, Finding
from .history import STUCK_AFTER, History

CLASS = "stopped-process"
SEVERITY = WARNING          # its highest: the fleet metrics count the class at this one
STANDS_ALONE = True         # a signal stopped it: nothing else on the container is its cause


def main_process(snap: m.HostSnapshot, c: m.Container) -> m.Process | None:
    pid = c.init_pid or (c.docker.pid if c.docker else None)
    return snap.proc(pid) if pid else None


def _stopped(snap: m.HostSnapshot, p: m.Process):
    return "T" if p.state == "T" and not p.freezer else None


def detect(h: History) -> list[Finding]:
    out = []
    snap = h.latest
    for c in snap.containers:
        p = main_process(snap, c)
        if p is None or _stopped(snap, p) is None or (c.docker and c.docker.paused):
            continue
        stuck = h.steady(p, _stopped)
        if stuck < STUCK_AFTER:
            continue
        zombies = [z for z in snap.children(p.pid) if z.zombie]
        reaps = (f", and reaps none of its children: {_zombies(len(zombies))} on it" if zombies else "")
        stop = f"`docker stop {c.name}`" if c.docker else "Stopping the container"
        out.append(Finding(
            cls=CLASS, severity=SEVERITY, container=c.id, pids=[p.pid] + [z.pid for z in zombies],
            stuck_for=stuck, playbook=CLASS,
            summary=(f"{p.comm} {p.pid}, the container's main process, has been stopped "
                     f"{ev.at_least(stuck, p)} (state T: SIGSTOP, or a terminal's stop signal): it runs "
                     f"nothing and answers nothing{reaps}; the runtime still says running. {stop} would "
                     f"wait its whole grace period, then SIGKILL; SIGCONT {p.pid} resumes it where it stopped"),
            evidence={"stopped_procs": [ev.proc(p)], "zombies": [ev.proc(z) for z in zombies]}))
    return out


def _zombies(n: int) -> str:
    return "1 zombie waits" if n == 1 else f"{n} zombies wait"


def links(h: History, f: Finding, c: m.Container | None, others: dict, extra) -> list[dict]:
    p = f.evidence["stopped_procs"][0]
    zs = f.evidence.get("zombies") or []
    more = f"; {_zombies(len(zs))} on it: a stopped process reaps nothing" if zs else ""
    return [ev.link(f"{p['comm']} {p['pid']}, the container's main process, is stopped (state T) "
                    f"{ev.at_least(f.stuck_for or 0)}: it runs nothing{more}", "/proc stat",
                    {"process": p, "zombies": len(zs)}, age=f.stuck_for, key="process-stopped")]


# --- its playbook's conditions ------------------------------------------------------------
def _main_now(ctx) -> tuple[m.Process | None, int]:
    pid = ctx.finding.evidence["stopped_procs"][0]["pid"]
    return ctx.proc(pid), pid


def main_stopped(ctx):
    p, pid = _main_now(ctx)
    if p is None:
        return False, f"process {pid} is gone"
    return p.state == "T", f"{p.comm} {p.pid} is in state {p.state}"


def main_runs(ctx):
    p, pid = _main_now(ctx)
    if p is None:
        return False, f"process {pid} is gone: the container's main process exited"
    if p.state == "T":
        return False, f"{p.comm} {p.pid} is still stopped (state T): send SIGCONT {p.pid}"
    return True, f"{p.comm} {p.pid} runs again (state {p.state})"


CONDITIONS = {"main-stopped": main_stopped, "main-runs": main_runs}
