"""One check of the host for the fleet (the NPD plugin and the metrics textfile), quick by
default: the last sample is kept in the state file, so a run takes one new sample and
compares it with the stored one (a verdict needs two samples at least 5 s apart), or reuses
a verdict younger than `reuse` seconds as it is. Without a usable stored sample it takes
two samples `interval` apart if the deadline allows, else one, stores it and says the
verdict comes at the next run.

Docker calls still pending in the stored sample and pending again now are reported as
unanswered since the stored call started: each run's own call times out within the run,
but the daemon has not answered any of them since then."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from .. import model as m
from ..collect.engines_options import EngineAddresses
from . import state as st

STUCK_GAP = 5.0              # the least time between two samples compared (History.steady)


@dataclass
class Options:
    state_dir: str
    deadline: float                      # time.monotonic() by which the check must be done
    engines: EngineAddresses = field(default_factory=EngineAddresses)
    reuse: float = 10.0                  # a verdict younger than this is reused as it is
    max_age: float = 300.0               # a stored sample older than this is not compared
    interval: float = 5.0                # between the two samples of a run without state
    full: bool = False                   # ignore the state: two fresh samples
    save: bool = True
    capture: str | None = None           # capture at detection into this directory (capture.py)
    capture_keep: int = 10
    capture_max_mb: float = 200.0


@dataclass
class Result:
    status: str                          # ok problem unknown
    findings: list[dict] = field(default_factory=list)   # compact, every class (see compact())
    mode: str = "fresh"                  # cached paired confirmed fresh first
    gap: float = 0.0                     # seconds between the two samples compared
    age: float = 0.0                     # seconds since the verdict's latest sample
    sampled_at: float | None = None      # wall time of the latest sample
    duration: float = 0.0                # seconds the sampling took (for a cached verdict: then)
    last_good: float | None = None       # wall time of the last run that reached a verdict
    reason: str | None = None            # why unknown
    runs: dict = field(default_factory=dict)
    snapshot: m.HostSnapshot | None = None
    hostname: str | None = None
    snaps: list = field(default_factory=list)    # this run's samples, oldest first (not stored)
    full: list = field(default_factory=list)     # the findings whole, with their chains (not stored)
    suspects: list[str] | None = None            # what made the run take a second sample
    previous: list[dict] = field(default_factory=list)   # the stored verdict's findings (not stored)
    captured: str | None = None          # the capture this run took (capture.py)
    capture_dir: str | None = None       # --capture: where captures are kept (for the metrics)


def where(c: m.Container | None, cid: str | None = None) -> dict:
    """name, pod, namespace, k8s_container of a container: its pod labels (from whichever
    runtime told them), else Docker's io.kubernetes.* labels, else its name or short id."""
    d = c.docker if c else None
    pod = getattr(c, "pod", None) if c else None
    return {"name": (c.name if c else None) or (cid or "")[:12] or None,
            "pod": (getattr(pod, "name", None) or (d.pod if d else None)) or None,
            "namespace": (getattr(pod, "namespace", None) or (d.pod_namespace if d else None)) or None,
            "k8s_container": (getattr(pod, "container", None) or getattr(d, "k8s_container", None)) or None}


def compact(f, snap: m.HostSnapshot) -> dict:
    c = snap.container(f.container) if f.container else None
    return {"class": f.cls, "severity": f.severity, "container": f.container,
            **where(c, f.container),
            "summary": f.summary, "stuck_for": f.stuck_for, "root_cause": f.root_cause}


def carry_pending(prev: m.HostSnapshot, new: m.HostSnapshot) -> None:
    """A call pending in the stored sample and pending again now: unanswered since the older one."""
    for attr in ("docker", "containerd"):      # containerd: where the collector probes it
        a, b = getattr(prev, attr, None), getattr(new, attr, None)
        if not a or not b or a.host != b.host:
            continue
        old = {(p.call, p.target): p for p in a.probes if p.status == "pending"}
        for p in b.probes:
            o = old.get((p.call, p.target))
            if p.status == "pending" and o is not None and 0 < o.started < p.started:
                p.started = o.started
                p.seconds = max(p.seconds, new.taken_at - o.started)


def _decode(data) -> m.HostSnapshot | None:
    from ..record import codec
    try:
        return codec.decode(m.HostSnapshot, data)
    except (ValueError, TypeError, KeyError):
        return None


def run(opts: Options, clock=time.time, source_factory=None) -> Result:
    from ..collect.docker_probe import resolve_host
    t0 = time.monotonic()
    e = opts.engines        # a stored sample is compared only with one of the same engines
    host = (resolve_host(e.docker_host) if e.docker else "none") + "".join(
        f" {k}={v}" for k, v in (("containerd", e.containerd_address), ("cri", e.cri_endpoint)) if v)
    lock = st.Lock(opts.state_dir)
    try:
        if not lock.acquire(opts.deadline - 1.0):
            return Result("unknown", reason="another check held the state lock until the deadline")
        stored = st.load(opts.state_dir)
        if stored and stored.get("host") != host:
            stored = None
        runs = dict((stored or {}).get("runs") or {})
        last_good = (stored or {}).get("last_good")
        now = clock()
        if stored and not opts.full:
            age = now - float(stored.get("sampled_at") or 0)
            single = stored.get("mode") == "first"
            if 0 <= age < opts.reuse and (not single or age < STUCK_GAP):
                return Result(stored["status"], stored.get("findings") or [], "cached",
                              stored.get("gap", 0.0), age, stored.get("sampled_at"),
                              stored.get("duration", 0.0), last_good, stored.get("reason"), runs,
                              _decode(stored.get("snapshot")), stored.get("hostname"),
                              capture_dir=opts.capture)
        prev = None
        if stored and not opts.full and STUCK_GAP <= now - float(stored.get("sampled_at") or 0) <= opts.max_age:
            prev = _decode(stored.get("snapshot"))
        res = _sample(opts, prev, source_factory, t0)
        res.previous = list((stored or {}).get("findings") or [])
        res.capture_dir = opts.capture
        if opts.capture and res.status == "problem":
            from . import capture
            if (new := capture.new_problems(res.findings, res.previous)):
                try:
                    res.captured = capture.take(opts.capture, res, new, keep=opts.capture_keep,
                                                max_mb=opts.capture_max_mb,
                                                docker_host=e.docker_host if e.docker else None)
                except OSError as e:          # a full disk must not cost the verdict
                    res.captured = f"capture failed: {e}"
        res.duration = time.monotonic() - t0
        runs[res.status] = runs.get(res.status, 0) + 1
        res.runs = runs
        res.last_good = clock() if res.mode != "first" and res.status != "unknown" else last_good
        if opts.save and res.snapshot is not None:
            from ..record import codec
            st.save(opts.state_dir, {
                "host": host, "hostname": res.hostname, "status": res.status, "mode": res.mode,
                "gap": res.gap, "sampled_at": res.sampled_at, "duration": res.duration,
                "reason": res.reason, "findings": res.findings, "last_good": res.last_good,
                "runs": runs, "snapshot": codec.encode(res.snapshot)})
        return res
    finally:
        lock.release()


def _sample(opts: Options, prev, source_factory, t0: float) -> Result:
    from ..diagnose import report
    from ..diagnose.history import History
    left = opts.deadline - time.monotonic()
    if source_factory is None:
        def source_factory():
            return opts.engines.source(docker_wait=max(0.2, min(1.5, (left - 1.0) / 3)))
    src = source_factory()
    try:
        first = src.snapshot()
        snaps = [prev, first] if prev is not None else [first]
        mode = "paired" if prev is not None else "first"
        cost = time.monotonic() - t0
        wait = opts.interval if prev is None else STUCK_GAP
        # a second sample within the run: without a stored one, or for what looks stuck now and
        # the stored one cannot vouch for (it predates it): so a fault is named at the first run
        # after it, and a healthy node pays one sample
        suspects = suspicious(prev, first) if prev is not None else []
        if (prev is None or suspects) and opts.deadline - time.monotonic() > wait + 1.5 * cost + 0.3:
            time.sleep(wait)
            snaps.append(src.snapshot())
            mode = "fresh" if prev is None else "confirmed"
    finally:
        src.close()
    if prev is not None:
        carry_pending(prev, snaps[-1])
    latest = snaps[-1]
    res = Result("unknown", mode=mode, snapshot=latest, sampled_at=latest.taken_at,
                 gap=round(latest.taken_at - snaps[0].taken_at, 1), hostname=latest.hostname,
                 snaps=snaps, suspects=suspects or None)
    if len(snaps) < 2:
        res.reason = "first sample stored; verdict next run (2 samples >=5s apart)"
        return res
    h = History(snaps)
    findings = report.diagnose(h)
    res.full = findings
    res.findings = [compact(f, latest) for f in findings]
    res.reason = report.unknown_reason(h)
    res.status = status_of(res.findings, res.reason)
    return res


def suspicious(prev: m.HostSnapshot, now: m.HostSnapshot) -> list[str]:
    """What looks stuck in NOW that PREV (the stored sample) cannot vouch for, because it did
    not see it so: a runtime process stopped, traced, frozen or in D; a call pending now that
    was not then; a full pipe, or a shim's zombie, that is new. Empty on a healthy node."""
    def ident(snap):
        return {(p.pid, p.start_ticks): p for p in snap.processes}
    before = ident(prev)
    out = []
    for key, p in ident(now).items():
        q = before.get(key)
        if p.role in m.RUNTIME_ROLES and (p.state in ("T", "t", "D") or p.freezer) and (
                q is None or (q.state, q.freezer) != (p.state, p.freezer)):
            out.append(f"{p.comm} {p.pid} {p.state}{' frozen' if p.freezer else ''}")
        if p.zombie and q is None and (par := now.proc(p.ppid)) is not None and par.role in m.SHIM_ROLES:
            out.append(f"zombie {p.pid} under shim {par.pid}")
    was_pending = {(pr.call, pr.target) for st in (prev.docker, prev.containerd, prev.cri) if st
                   for pr in st.probes if pr.status == "pending"}
    out += [f"{pr.call} {(pr.target or '')[:12]} pending".strip() for st in (now.docker, now.containerd, now.cri)
            if st for pr in st.probes if pr.status == "pending" and (pr.call, pr.target) not in was_pending]
    was_full = {pp.inode for pp in prev.pipes if pp.full}
    out += [f"pipe:[{pp.inode}] full" for pp in now.pipes if pp.full and pp.inode not in was_full
            and any((now.proc(e.pid) or m.Process(0, 0, 0, "", "", 0, 0)).container_id for e in pp.writers)]
    return out


def status_of(findings: list[dict], reason: str | None, classes: set[str] | None = None) -> str:
    bad = [f for f in findings if f["severity"] in ("warning", "critical")
           and (not classes or f["class"] in classes)]
    if bad:
        return "problem"
    return "unknown" if reason else "ok"


def default_state_dir() -> str:
    return st.state_dir(None)


__all__ = ["Options", "Result", "run", "status_of", "carry_pending", "compact", "where", "default_state_dir"]
