"""Run every detector over a history and tie symptoms to their root causes."""
from __future__ import annotations

from . import causes as chains
from . import evidence as ev
from . import registry
from .finding import CRITICAL, INFO, WARNING, Finding
from .history import History

CLASSES = registry.CLASSES
SEVERITIES = registry.SEVERITIES       # each class's highest severity


def diagnose(history: History, extra: chains.Extra | None = None) -> list[Finding]:
    for snap in history.snaps:
        ev.infer_frozen(snap)
    found = _drop_superseded([f for mod in registry.MODULES for f in mod.detect(history)])
    by_container: dict[str | None, dict[str, Finding]] = {}
    for f in found:
        by_container.setdefault(f.container, {})[f.cls] = f
    daemon_causes = [g for g in found if g.cls in registry.daemon_causes()]
    for f in found:
        here = by_container.get(f.container, {})
        cause = next((here[c] for c in registry.explains(f.cls) if c in here and c != f.cls), None)
        if cause:
            f.root_cause = cause.id
            if getattr(registry.BY_CLASS[f.cls], "TAKES_ROOT_PLAYBOOK", False):
                f.playbook = cause.playbook
        if f.cls == "daemon-unresponsive" and len(daemon_causes) == 1:
            f.root_cause = daemon_causes[0].id
    for f in found:
        _honest_age(history, f)
    chains.attach(history, found, extra)
    from .pod_scope import annotate
    annotate(history.latest, found)
    return sorted(found, key=lambda f: f.rank)


def _drop_superseded(found: list[Finding]) -> list[Finding]:
    """A finding another class supersedes on the same processes is dropped: the more specific
    class says it, with its own fix (a stuck pipe seen as part of an exec deadlock, or of a
    blocked log driver, is not drained)."""
    out = []
    for f in found:
        over = [g for g in found if f.cls in registry.supersedes(g.cls) and g.container == f.container
                and set(g.pids) & set(f.pids)]
        if not over:
            out.append(f)
    return out


def _honest_age(h: History, f: Finding) -> None:
    """stuck_for is what the samples saw: a lower bound. Say so, and what bounds it above."""
    if not f.stuck_for:
        return
    procs = [p for pid in f.pids if (p := h.latest.proc(pid))]
    if f.cls == "zombies-under-shim":
        procs = [p for p in procs if p.zombie]
    p = max(procs, key=lambda p: p.age) if f.cls == "zombies-under-shim" and procs else next(iter(procs), None)
    f.stuck_note = ev.stuck_text(f.stuck_for, p)


def verdict(findings: list[Finding]) -> tuple[str, int]:
    """Monitoring-plugin status: OK 0, WARNING 1, CRITICAL 2 (UNKNOWN 3 is the caller's)."""
    sev = {f.severity for f in findings}
    if CRITICAL in sev:
        return "CRITICAL", 2
    if WARNING in sev:
        return "WARNING", 1
    return "OK", 0


__all__ = ["diagnose", "verdict", "CLASSES", "SEVERITIES", "CRITICAL", "WARNING", "INFO"]
