"""B/F: a shim that does not answer. Never concluded from thread states alone (an idle Go
process and a deadlocked one both sit in futex/epoll): the shim must be stopped or traced,
or a runtime call on its container must be pending while zombies pile up under it."""
from __future__ import annotations

from .. import model as m
from . import evidence as ev
from . import scope
from .finding import CRITICAL, Finding
from .history import STUCK_AFTER, History
from .zombies_under_shim import ZOMBIE_SPAN, lingering_zombies, reap_links

CLASS = "shim-unresponsive"
SEVERITY = CRITICAL          # its highest: the fleet metrics count the class at this one
EXPLAINS = ("runtime-call-hung", "zombies-under-shim")


def detect(h: History) -> list[Finding]:
    snap = h.latest
    out = []
    for shim in scope.suspects(snap):
        if shim.role not in m.SHIM_ROLES:
            continue
        cid = shim.container_id
        stopped = h.steady(shim, lambda s, p: p.state if p.state in ("T", "t") else None)
        pending = [pr for pr in ev.probes(snap, cid) if pr["seconds"] >= STUCK_AFTER] if cid else []
        zombies, counts, span = lingering_zombies(h, shim)
        frozen = h.steady(shim, lambda s, p: p.freezer) if shim.freezer else 0.0
        why = []
        if shim.freezer and (frozen >= STUCK_AFTER or pending):
            why.append(f"the shim is frozen by {ev.frozen_by_text(shim)} "
                       f"({shim.freezer}) for {ev.at_least(frozen, shim)}: its threads sit in D, not T, and "
                       f"signals (SIGUSR1 for a dump, SIGKILL) stay pending until it is thawed")
        if stopped >= STUCK_AFTER or (shim.state in ("T", "t") and pending):
            why.append(f"the shim process is {'stopped' if shim.state == 'T' else 'traced'} "
                       f"(state {shim.state}) for at least {stopped:.0f}s")
        if pending and zombies and span >= ZOMBIE_SPAN:
            why.append(f"{len(zombies)} zombies unreaped for {span:.0f}s")
        if not why:
            continue
        if pending:
            mk = "≈" if (pending[0].get("reconstructed") or {}).get("seconds") else ""
            why.append(f"{pending[0]['call']} of its container pending {mk}{pending[0]['seconds']:.0f}s")
        states: dict[str, int] = {}
        for t in shim.threads:
            key = f"{t.state} {t.wchan or ''}".strip()
            states[key] = states.get(key, 0) + 1
        out.append(Finding(
            cls=CLASS, severity=SEVERITY, container=cid, pids=[shim.pid],
            stuck_for=max(stopped, span, frozen), playbook=CLASS,
            summary=f"shim {shim.pid} of {(cid or '?')[:12]} is not answering: " + "; ".join(why),
            evidence={"shim": ev.proc(shim), "frozen_by": shim.frozen_by, "freezer": shim.freezer,
                      "kill_pending": ev.kill_pending(shim) or None, "thread_states": states,
                      "zombies": [ev.proc(z) for z in zombies], "zombie_counts": counts,
                      "pending_calls": pending}))
    return out


def links(h: History, f: Finding, c, others: dict, extra) -> list[dict]:
    """The shim stopped or traced (a freezer says its own), then its zombies (said once: a
    zombies-under-shim finding on the container says them)."""
    e = f.evidence
    state = e.get("shim", {}).get("state")
    out = []
    if "frozen-cgroup" not in others and state in ("T", "t"):
        out.append(ev.link(f"shim {f.pids[0]} is {'stopped' if state == 'T' else 'traced'} (state {state})",
                           "/proc", {"shim": e.get("shim")}, key="shim-stopped"))
    return out + ([] if "zombies-under-shim" in others else reap_links(f, extra))
