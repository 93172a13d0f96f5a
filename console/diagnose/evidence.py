"""Evidence pieces shared by the detectors: plain dicts, ready for JSON and the console."""
from __future__ import annotations

from .. import model as m
from ..collect.holds import kill_pending  # noqa: F401  (the one SIGKILL-pending test, for detectors)
from ..views import fmt_age  # noqa: F401  (re-exported for detectors)
from . import scope
from .vocabulary import LINKS


def link(text: str, source: str, evidence: dict | None = None, kind: str = "observed",
         age: float | None = None, key: str | None = None) -> dict:
    """One link of a causal chain: its step (KEY, from vocabulary.LINKS: what the faces and
    training compare; None for an inferred explanation that is no step of its own), what was
    seen (TEXT, for people only: nothing reads it back), where (SOURCE), observed or inferred
    (KIND), and the evidence it rests on. A link whose evidence a rebuilt recording
    reconstructed is marked "reconstructed" when the chain is built (causes.attach)."""
    assert key is None or key in LINKS, key
    return {"key": key, "text": text, "kind": kind, "source": source, "age": age, "evidence": evidence or {}}


def count_mark(pipe: dict) -> str:
    """'≈' before a pipe's queued/capacity when the recording reconstructed them (the evidence
    dict of pipe() carries its marks)."""
    from .. import provenance as pv
    rec = pipe.get("reconstructed") or {}
    return pv.MARK if {"queued", "capacity", "*"} & set(rec) else ""


def _recon(d: dict, item) -> dict:
    """Carry ITEM's provenance marks into its evidence: {field: why} of what was reconstructed."""
    if getattr(item, "recon", None):
        d["reconstructed"] = dict(item.recon)
    return d


def reconstructed(fields: dict) -> dict:
    """{"reconstructed": {evidence key: why}} for the evidence values FIELDS maps to (item,
    field) that a rebuilt recording reconstructed; {} when none is."""
    from .. import provenance as pv
    out = {k: why for k, (item, name) in fields.items() if item is not None and (why := pv.why(item, name))}
    return {"reconstructed": out} if out else {}


def proc(p: m.Process) -> dict:
    d = {"pid": p.pid, "comm": p.comm, "role": p.role, "state": p.state,
         "age": round(p.age, 1), "age_text": fmt_age(p.age), "argv": p.cmdline}
    if p.zombie:            # a zombie's age counts from its start: when it exited is not known
        d["age_text"] = f"started {fmt_age(p.age)} ago, exit time unknown"
    if p.ns_pid is not None:
        d["ns_pid"] = p.ns_pid
    if p.freezer:
        d["frozen_by"] = p.frozen_by
    return _recon(d, p)


_FROZEN_WAIT = ("refrigerator", "freezer", "do_freezer_trap")


def infer_frozen(snap: m.HostSnapshot) -> None:
    """A process with no freezer data (an older recording, a cgroup not readable) whose threads
    all sit in D in the freezer (wchan/stack `__refrigerator`) is frozen, by a cgroup unknown.
    Once per snapshot: a history holds the last ones, diagnosed again at every refresh."""
    if snap._frozen_inferred:
        return
    snap._frozen_inferred = True
    for p in scope.suspects(snap):
        if p.freezer or p.zombie or not p.threads:
            continue
        live = [t for t in p.threads if t.state != "Z"]
        if live and all(t.state == "D" for t in live) and any(
                any(k in " ".join([t.wchan or ""] + (t.stack or [])) for k in _FROZEN_WAIT) for t in live):
            p.freezer = "FROZEN"


def frozen_by_text(p: m.Process) -> str:
    if p.frozen_by:
        return f"freezer cgroup {', '.join(p.frozen_by)}"
    return "a freezer cgroup (not named in this data; its threads sit in __refrigerator)"


def _age_mark(p: m.Process) -> str:
    from .. import provenance as pv
    return pv.mark(p, "age")


def at_least(stuck: float, p: m.Process | None = None) -> str:
    """'at least 10s' and, for an old process, '(alive 28d7h)': the observation is a lower bound."""
    old = p is not None and p.age > stuck * 2 + 60
    return f"at least {fmt_age(stuck)}" + (f" (alive {_age_mark(p)}{fmt_age(p.age)})" if old else "")


def stuck_text(stuck: float, p: m.Process | None = None) -> str:
    """How long a state has been seen unchanged, honestly: the observation is a lower bound;
    the process's age is the upper one."""
    s = f"at least {fmt_age(stuck)} (observed across samples"
    if p is not None and p.age > stuck * 2 + 60:
        mk = _age_mark(p)
        s += f"; the process is {mk}{fmt_age(p.age)} old, so it may have sat there for up to {mk}{fmt_age(p.age)}"
    return s + ")"


def proc_name(d: dict) -> str:
    """'runc init 15638', 'shim 11646', 'sleep 30018': a process of the evidence (proc()) as
    a chain link names it."""
    role = {m.RUNC_INIT: "runc init", m.RUNC: "runc"}.get(d.get("role"), None)
    if d.get("role") in m.SHIM_ROLES:
        role = "shim"
    return f"{role or d['comm']} {d['pid']}"


def chain(snap: m.HostSnapshot, p: m.Process, stop_roles=(m.CONTAINERD, m.DOCKERD)) -> list[dict]:
    """P and its ancestors up to (and including) the shim, outermost first."""
    out = []
    seen = set()
    while p is not None and p.pid not in seen:
        seen.add(p.pid)
        out.append(proc(p))
        if p.role in m.SHIM_ROLES or p.role in stop_roles:
            break
        p = snap.proc(p.ppid)
    return list(reversed(out))


def thread(t: m.Thread, stuck_for: float | None = None) -> dict:
    d = {"tid": t.tid, "state": t.state, "wchan": t.wchan,
         "syscall": t.syscall.text if t.syscall else None}
    if stuck_for is not None:
        d["stuck_for"] = round(stuck_for, 1)
    if t.stack:
        d["stack"] = t.stack
    return _recon(d, t)


def pipe(pp: m.Pipe) -> dict:
    def end(e: m.PipeEnd) -> dict:
        return {"pid": e.pid, "comm": e.comm, "fd": e.fd, "mode": e.mode}
    return _recon({"inode": pp.inode, "queued": pp.queued, "capacity": pp.capacity,
                   "readers": [end(e) for e in pp.readers], "writers": [end(e) for e in pp.writers]}, pp)


ENGINES = ("docker", "containerd", "cri", "runc")


def probes(snap: m.HostSnapshot, target: str | None = None, only_pending: bool = True) -> list[dict]:
    """Runtime calls (Docker, containerd, the CRI, the runc CLI), pending ones only by default;
    a call not Docker's says its engine."""
    out = []
    for engine in ENGINES:
        st = getattr(snap, engine)
        for pr in st.probes if st else ():
            if (target is None or pr.target == target) and (pr.status == "pending" or not only_pending):
                d = {"call": pr.call, "target": pr.target, "status": pr.status,
                     "seconds": round(pr.seconds, 1), "text": pr.text}
                if engine != "docker":
                    d["engine"] = engine
                if pr.error and pr.status == "error":
                    d["error"] = pr.error
                if pr.said:
                    d["said"] = pr.said
                out.append(_recon(d, pr))
    return out


def cgroup_levels(c: m.Container) -> list[dict]:
    if not c.cgroup:
        return []
    return [_recon({"path": lv.path, "pids_current": lv.pids_current, "pids_max": lv.pids_max,
                    "pids_events_max": lv.pids_events_max, "mem_usage": lv.mem_usage,
                    "mem_limit": lv.mem_limit, "oom_kill": lv.mem_oom_kill}, lv) for lv in c.cgroup.levels]


def kernel_lines(snap: m.HostSnapshot, kinds: tuple[str, ...], match=None) -> list[str]:
    return [k.text for k in snap.kernel_log if k.kind in kinds and (match is None or match(k))]
