"""B: a shim that stopped reaping (seed 001; containerd#2709). A healthy shim reaps its
children in milliseconds; zombies that stay across samples >= 10 s apart, their count not
falling, mean the reaper is stuck. (32 is the channel backlog, not a zombie count: no
">32 zombies" rule.)"""
from __future__ import annotations

from .. import model as m
from . import evidence as ev
from . import scope
from .finding import WARNING, Finding
from .history import History

CLASS = "zombies-under-shim"
SEVERITY = WARNING          # its highest: the fleet metrics count the class at this one
EXPLAINS = ("runtime-call-hung",)
TAKES_ROOT_PLAYBOOK = True         # a cause found on its container brings its own playbook
ZOMBIE_SPAN = 10.0


def lingering_zombies(h: History, shim: m.Process) -> tuple[list[m.Process], list[int], float]:
    """(zombies seen throughout, count per sample, seconds covered) for one shim."""
    now = h.latest
    zombies = [c for c in now.children(shim.pid) if c.zombie]
    if not zombies:
        return [], [], 0.0
    counts, first_seen = [], None
    keep = {z.key for z in zombies}
    for snap in h.snaps:
        if h.same_process(snap, shim) is None:
            counts.append(0)
            continue
        zs = [c for c in snap.children(shim.pid) if c.zombie]
        counts.append(len(zs))
        if first_seen is None and keep & {z.key for z in zs}:
            first_seen = snap.uptime
    span = now.uptime - first_seen if first_seen is not None else 0.0
    persisting = [z for z in zombies if all(
        (q := s.proc(z.pid)) is None or q.key == z.key for s in h.snaps)]
    return persisting, counts, span


def detect(h: History) -> list[Finding]:
    out = []
    for shim in scope.suspects(h.latest):
        if shim.role not in m.SHIM_ROLES:
            continue
        zombies, counts, span = lingering_zombies(h, shim)
        nonzero = [c for c in counts if c]
        if not zombies or span < ZOMBIE_SPAN or nonzero[-1] < nonzero[0]:
            continue
        oldest = max(z.age for z in zombies)
        out.append(Finding(
            cls=CLASS, severity=SEVERITY, container=shim.container_id,
            pids=[shim.pid] + [z.pid for z in zombies], stuck_for=span,
            playbook="shim-unresponsive",
            summary=(f"{len(zombies)} zombies under shim {shim.pid} for at least {ev.fmt_age(span)} (observed) "
                     f"(the oldest started {ev.fmt_age(oldest)} ago; when they exited is not known): the shim is not reaping"),
            evidence={"shim": ev.proc(shim), "zombies": [ev.proc(z) for z in zombies],
                      "counts_per_sample": counts}))
    return out


def _reaper(groups) -> str | None:
    for g in groups:
        funcs = " ".join(getattr(g, "funcs", ()) or ())
        if "reaper.Reap" in funcs and getattr(g, "state", "") == "chan send":
            return (f"the shim's reaper is blocked in chan send for {g.max_wait} min while it holds its lock: "
                    f"SIGCHLD handling is deadlocked (containerd#2709)")
    return None


def reap_links(f: Finding, extra) -> list[dict]:
    """The shim that does not reap (its reaper's goroutine, when a dump shows it) and its zombies."""
    zs = f.evidence.get("zombies") or []
    if not zs:
        return []
    reaper = _reaper(getattr(extra, "stacks", None) or [])
    return ([ev.link(reaper, "goroutine dump", key="shim-not-reaping")] if reaper else []) + [
        ev.link(f"shim {f.pids[0]} does not reap: {len(zs)} zombies stay across samples "
                f"(their exit times are unknown)", "/proc", {"zombies": len(zs)}, key="zombies")]


def links(h: History, f: Finding, c, others: dict, extra) -> list[dict]:
    return reap_links(f, extra)
