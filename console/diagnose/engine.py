"""Run every detector over a history and tie symptoms to their root causes."""
from __future__ import annotations

from . import (d_state_io, daemon_unresponsive, exec_pipe_deadlock, frozen_cgroup, oom_kill,
               paused, pids_exhausted, pidns_linger, runc_start_blocked, runtime_call_hung,
               shim_unresponsive, stuck_pipe, zombies_under_shim)
from . import causes as chains
from . import evidence as ev
from .finding import CRITICAL, INFO, WARNING, Finding
from .history import History

DETECTORS = [exec_pipe_deadlock, stuck_pipe, zombies_under_shim, shim_unresponsive,
             runtime_call_hung, daemon_unresponsive, runc_start_blocked, oom_kill,
             pids_exhausted, pidns_linger, frozen_cgroup, d_state_io, paused]
CLASSES = [d.CLASS for d in DETECTORS]
SEVERITIES = {d.CLASS: d.SEVERITY for d in DETECTORS}      # each class's highest severity

# What a hung call on a container is most likely waiting for, most specific first.
ROOT_CAUSES = ["exec-pipe-deadlock", "runc-start-blocked", "pidns-linger", "frozen-cgroup",
               "shim-unresponsive", "d-state-io", "stuck-pipe", "pids-exhausted",
               "zombies-under-shim"]


def diagnose(history: History, extra: chains.Extra | None = None) -> list[Finding]:
    for snap in history.snaps:
        ev.infer_frozen(snap)
    found = [f for d in DETECTORS for f in d.detect(history)]
    deadlocked = {pid for f in found if f.cls == "exec-pipe-deadlock" for pid in f.pids}
    found = [f for f in found if not (f.cls == "stuck-pipe" and set(f.pids) & deadlocked)]
    by_container: dict[str | None, dict[str, Finding]] = {}
    for f in found:
        by_container.setdefault(f.container, {})[f.cls] = f
    for f in found:
        if f.cls == "shim-unresponsive" and "frozen-cgroup" in by_container.get(f.container, {}):
            f.root_cause = by_container[f.container]["frozen-cgroup"].id
        if f.cls == "runtime-call-hung" or f.cls == "zombies-under-shim":
            here = by_container.get(f.container, {})
            cause = next((here[c] for c in ROOT_CAUSES if c in here and c != f.cls), None)
            if cause:
                f.root_cause, f.playbook = cause.id, cause.playbook
        if f.cls == "daemon-unresponsive":
            causes = [g for g in found if g.cls in ("runc-start-blocked", "exec-pipe-deadlock")]
            if len(causes) == 1:
                f.root_cause = causes[0].id
    for f in found:
        _honest_age(history, f)
    chains.attach(history, found, extra)
    from .pod_scope import annotate
    annotate(history.latest, found)
    return sorted(found, key=lambda f: f.rank)


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
