"""D: the pids cgroup is exhausted (seed 002; runc#1914, runc#4083). The limit counts
threads; `runc exec` fails with `read init-p: connection reset by peer` or a Go
`pthread_create failed` abort. Checked at every level up to the root: Kubernetes'
podPidsLimit sits on the pod cgroup. Critical when a level is full and forks are being
refused there (pids.events, the kernel's line) or an exec into the container failed the way
a full pids cgroup makes it fail (seed 002: docker, ctr and runc exec all did)."""
from __future__ import annotations

from .. import model as m
from .. import provenance as pv
from . import content, kernel_causes, scope
from . import evidence as ev
from .finding import CRITICAL, WARNING, Finding
from .history import History

CLASS = "pids-exhausted"
SEVERITY = CRITICAL          # its highest: the fleet metrics count the class at this one
EXPLAINS = ("runtime-call-hung", "zombies-under-shim")
HEADROOM = 2


def at_limit(lv: m.CgroupLevel) -> bool:
    """A level at its pids limit or within HEADROOM of it (the next few forks will not fit)."""
    return lv.pids_max is not None and lv.pids_current is not None and lv.pids_current >= lv.pids_max - HEADROOM


def full(lv: m.CgroupLevel) -> bool:
    return lv.pids_max is not None and lv.pids_current is not None and lv.pids_current >= lv.pids_max


def detect(h: History) -> list[Finding]:
    snap = h.latest
    out = []
    for c in snap.containers:
        if not c.cgroup:
            continue
        near = [lv for lv in c.cgroup.levels if at_limit(lv)]
        refused = [lv for lv in c.cgroup.levels if lv.pids_events_max]
        if not near and not refused:
            continue
        rejected = ev.kernel_lines(snap, ("pids-fork-rejected",),
                                   lambda k: any(k.text.rstrip().endswith(lv.path) for lv in c.cgroup.levels))
        lv = ([x for x in near if full(x)] or near or refused)[0]
        members = [p for p in scope.suspects(snap) if p.container_id == c.id and p.role not in m.SHIM_ROLES]
        top = sorted(members, key=lambda p: -p.nthreads)[:5]
        failed = failed_execs(snap, c.id)
        severity = CRITICAL if near and (refused or rejected or failed) else WARNING
        counters, said = _state(h, c, lv, failed)
        out.append(Finding(
            cls=CLASS, severity=severity, container=c.id, pids=[p.pid for p in top],
            playbook=CLASS,
            summary=f"pids cgroup of {c.name} {counters}{said}",
            evidence={"levels": [{k: v for k, v in x.items() if k.startswith("pids") or k in ("path", "reconstructed")}
                                 for x in ev.cgroup_levels(c)],
                      "top_thread_owners": [{**ev.proc(p), "threads": p.nthreads} for p in top],
                      "kernel_log": rejected, "failed_execs": failed,
                      "counters_said": f"pids cgroup of {c.name} {counters}"}))
    return out


def _state(h: History, c: m.Container, lv: m.CgroupLevel, failed: list[dict]) -> tuple[str, str]:
    """What the level's counters say (only what they say), and what a failed exec said: the
    chain makes that its own link. Measured on runc 1.1: at 8/8 `docker exec C echo` still runs
    (a process moved into a cgroup is not refused) while `docker exec C sh -c ls` fails to
    fork; an older runc's exec failed outright (seed 002)."""
    mk = pv.mark(lv, "pids_current", "pids_max")
    count = f"{mk}{lv.pids_current}/{lv.pids_max} tasks at {_where(c, lv.path)}"
    refusals = _refusals(h, c, lv)
    said = f"; an exec into it failed: {failed[0]['recognised']}" if failed else ""
    if full(lv):
        return (f"is full: {count}{refusals}; no process in it can fork" +
                ("" if said else ", and a command an exec starts cannot fork either")), said
    if at_limit(lv):
        free = lv.pids_max - lv.pids_current
        return f"is nearly full: {count}, room for {free} more{refusals}; the forks past that fail", said
    return (f"refused {_forks(lv.pids_events_max)} at {_where(c, lv.path)} (now {lv.pids_current}/{lv.pids_max or 'max'}); "
            f"those forks failed; there is room now, until it fills again"), said


def _refusals(h: History, c: m.Container, lv: m.CgroupLevel) -> str:
    """pids.events max is a count since the cgroup was made: say whether it is still growing."""
    if not lv.pids_events_max:
        return ""
    first = next(((s, x) for s in h.snaps[:-1] if (o := s.container(c.id)) and o.cgroup
                  for x in o.cgroup.levels if x.path == lv.path), None)
    if first is None or first[1].pids_events_max is None:
        return f", {_forks(lv.pids_events_max)} refused so far"
    new, span = lv.pids_events_max - first[1].pids_events_max, ev.fmt_age(h.latest.uptime - first[0].uptime)
    return (f", {_forks(new)} refused in the last {span} ({lv.pids_events_max} in all)" if new > 0
            else f", {_forks(lv.pids_events_max)} refused before, none in the last {span}")


def _where(c: m.Container, path: str) -> str:
    """The level, short: its own cgroup needs no 64-hex path in a headline (the levels table
    and the playbook give it); a pod's or another ancestor's is named with its path."""
    label = kernel_causes.level_label(c, path)
    return "the container's cgroup" if label == "container" else f"the pod cgroup {path}" if label == "pod" else path


def _forks(n: int) -> str:
    return "1 fork" if n == 1 else f"{n} forks"


_EXEC_FAILS = ("go-abort", "runc-init-p", "fork-eagain")


def failed_execs(snap: m.HostSnapshot, cid: str) -> list[dict]:
    """Execs into CID (docker, containerd, runc) that failed as at a pids limit: a Go
    pthread_create abort, `read init-p`, fork EAGAIN."""
    out = []
    for d in ev.probes(snap, cid, only_pending=False):
        if "exec" not in d["call"] or d["status"] != "error":
            continue
        found = content.recognise((d.get("error") or "") + "\n" + (d.get("said") or ""))
        if any(f["kind"] in _EXEC_FAILS for f in found):
            out.append({**d, "said": None, "recognised": content.headline(found)})
    return out


# --- the step only the operator can take: name the runaway before any limit is raised -------
def _runaway_text(ctx) -> str:
    owners = ctx.finding.evidence.get("top_thread_owners") or []
    top = ", ".join(f"{o['comm']} {o['pid']} ({o['threads']} task{'s' if o['threads'] != 1 else ''})" for o in owners[:3])
    return ((f"name the process that holds the tasks, and why (a thread leak, a fork loop): the top owners are {top}"
             if top else "name the process that holds the tasks, and why (a thread leak, a fork loop)")
            + "; a higher limit only buys time for it, and hides it if nobody looked")


def _simulate_runaway(snap: m.HostSnapshot, f) -> str:
    owners = f.evidence.get("top_thread_owners") or []
    return (f"noted the runaway: {owners[0]['comm']} {owners[0]['pid']} holds {owners[0]['threads']} tasks"
            if owners else "noted: no single owner stands out")


OPERATOR_TASKS = {"name-the-runaway": (_runaway_text, _simulate_runaway)}
