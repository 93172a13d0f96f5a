"""Run every detector over a history and tie symptoms to their root causes."""
from __future__ import annotations

from . import (d_state_io, daemon_unresponsive, exec_pipe_deadlock, frozen_cgroup, oom_kill,
               paused, pids_exhausted, pidns_linger, runc_start_blocked, runtime_call_hung,
               shim_unresponsive, stuck_pipe, zombies_under_shim)
from .finding import CRITICAL, INFO, WARNING, Finding
from .history import History

DETECTORS = [exec_pipe_deadlock, stuck_pipe, zombies_under_shim, shim_unresponsive,
             runtime_call_hung, daemon_unresponsive, runc_start_blocked, oom_kill,
             pids_exhausted, pidns_linger, frozen_cgroup, d_state_io, paused]
CLASSES = [d.CLASS for d in DETECTORS]

# What a hung call on a container is most likely waiting for, most specific first.
ROOT_CAUSES = ["exec-pipe-deadlock", "runc-start-blocked", "pidns-linger", "shim-unresponsive",
               "frozen-cgroup", "d-state-io", "stuck-pipe", "pids-exhausted",
               "zombies-under-shim"]


def diagnose(history: History) -> list[Finding]:
    found = [f for d in DETECTORS for f in d.detect(history)]
    deadlocked = {pid for f in found if f.cls == "exec-pipe-deadlock" for pid in f.pids}
    found = [f for f in found if not (f.cls == "stuck-pipe" and set(f.pids) & deadlocked)]
    by_container: dict[str | None, dict[str, Finding]] = {}
    for f in found:
        by_container.setdefault(f.container, {})[f.cls] = f
    for f in found:
        if f.cls == "runtime-call-hung" or f.cls == "zombies-under-shim":
            here = by_container.get(f.container, {})
            cause = next((here[c] for c in ROOT_CAUSES if c in here and c != f.cls), None)
            if cause:
                f.root_cause, f.playbook = cause.id, cause.playbook
        if f.cls == "daemon-unresponsive":
            causes = [g for g in found if g.cls in ("runc-start-blocked", "exec-pipe-deadlock")]
            if len(causes) == 1:
                f.root_cause = causes[0].id
    return sorted(found, key=lambda f: f.rank)


def verdict(findings: list[Finding]) -> tuple[str, int]:
    """Monitoring-plugin status: OK 0, WARNING 1, CRITICAL 2 (UNKNOWN 3 is the caller's)."""
    sev = {f.severity for f in findings}
    if CRITICAL in sev:
        return "CRITICAL", 2
    if WARNING in sev:
        return "WARNING", 1
    return "OK", 0


__all__ = ["diagnose", "verdict", "CLASSES", "CRITICAL", "WARNING", "INFO"]
