"""Every hang class, one module each, the most specific root cause first: when a symptom on a
container (a hung call, zombies) has several candidate causes, the first one here is named.

A class module holds CLASS, SEVERITY (its highest: the fleet metrics count it there) and
detect(history). It may also say:
  EXPLAINS          symptom classes on the same container it can be the root cause of
  EXPLAINS_DAEMON   True: it can be the cause of a daemon that does not answer
  SUPERSEDES        classes whose finding on the same processes it replaces
  links(h, f, c, others, extra)
                    its part of the causal chain (causes.py builds the roots and the daemons'
                    side); OTHERS: {class: finding} on the same container, EXTRA: dumps etc.
  CONDITIONS        {name: fn(ctx)} for its playbook's check and verify steps
  OPERATOR_TASKS    {name: (say(ctx) -> str, simulate(snap, finding) -> str)}: a fix only
                    the operator can make (restart a log collector), said with the finding's
                    facts; in training, its effect on the simulated host
  STANDS_ALONE      True: its chain is its own links only, never the container's shared roots
                    (a process stopped by a signal has no kernel cause: an OOM kill on the
                    same container is not one)
  SIMULATED         {action: fn(snap, finding) -> str | None}: in training, what the class's
                    own mechanism does after an act's simulated effect (playbook/simulate.py),
                    said in a sentence
Adding a class: its module, its playbook file (playbooks/<class>.toml), one line here."""
from __future__ import annotations

from . import (d_state_io, daemon_unresponsive, exec_pipe_deadlock, frozen_cgroup, log_driver_blocked,
               oom_kill, paused, pids_exhausted, pidns_linger, runc_start_blocked, runtime_call_hung,
               shim_unresponsive, stopped_process, stuck_pipe, zombies_under_shim)

MODULES = [
    exec_pipe_deadlock,
    log_driver_blocked,
    runc_start_blocked,
    pidns_linger,
    frozen_cgroup,
    shim_unresponsive,
    d_state_io,
    stuck_pipe,
    stopped_process,
    pids_exhausted,
    zombies_under_shim,
    runtime_call_hung,
    daemon_unresponsive,
    oom_kill,
    paused,
]
BY_CLASS = {mod.CLASS: mod for mod in MODULES}
CLASSES = [mod.CLASS for mod in MODULES]
SEVERITIES = {mod.CLASS: mod.SEVERITY for mod in MODULES}
CONDITIONS = {name: fn for mod in MODULES for name, fn in getattr(mod, "CONDITIONS", {}).items()}
OPERATOR_TASKS = {name: t for mod in MODULES for name, t in getattr(mod, "OPERATOR_TASKS", {}).items()}


def explains(symptom: str) -> list[str]:
    """Classes that can be the root cause of SYMPTOM on the same container, most specific first."""
    return [mod.CLASS for mod in MODULES if symptom in getattr(mod, "EXPLAINS", ())]


def daemon_causes() -> list[str]:
    return [mod.CLASS for mod in MODULES if getattr(mod, "EXPLAINS_DAEMON", False)]


def supersedes(cls: str) -> tuple[str, ...]:
    return getattr(BY_CLASS[cls], "SUPERSEDES", ())


def simulated(action: str, snap, f) -> str | None:
    fn = getattr(BY_CLASS.get(f.cls), "SIMULATED", {}).get(action)
    return fn(snap, f) if fn else None


def links(h, f, c, others: dict, extra) -> list[dict]:
    fn = getattr(BY_CLASS.get(f.cls), "links", None)
    return fn(h, f, c, others, extra) if fn else []


def stands_alone(cls: str) -> bool:
    return getattr(BY_CLASS.get(cls), "STANDS_ALONE", False)
