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


@dataclass
class Result:
    status: str                          # ok problem unknown
    findings: list[dict] = field(default_factory=list)   # compact, every class (see compact())
    mode: str = "fresh"                  # cached paired fresh first
    gap: float = 0.0                     # seconds between the two samples compared
    age: float = 0.0                     # seconds since the verdict's latest sample
    sampled_at: float | None = None      # wall time of the latest sample
    duration: float = 0.0                # seconds the sampling took (for a cached verdict: then)
    last_good: float | None = None       # wall time of the last run that reached a verdict
    reason: str | None = None            # why unknown
    runs: dict = field(default_factory=dict)
    snapshot: m.HostSnapshot | None = None
    hostname: str | None = None


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
                              _decode(stored.get("snapshot")), stored.get("hostname"))
        prev = None
        if stored and not opts.full and STUCK_GAP <= now - float(stored.get("sampled_at") or 0) <= opts.max_age:
            prev = _decode(stored.get("snapshot"))
        res = _sample(opts, prev, source_factory, t0)
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
        if prev is None:
            cost = time.monotonic() - t0
            if opts.deadline - time.monotonic() > opts.interval + 1.5 * cost + 0.3:
                time.sleep(opts.interval)
                snaps.append(src.snapshot())
                mode = "fresh"
    finally:
        src.close()
    if prev is not None:
        carry_pending(prev, snaps[-1])
    latest = snaps[-1]
    res = Result("unknown", mode=mode, snapshot=latest, sampled_at=latest.taken_at,
                 gap=round(latest.taken_at - snaps[0].taken_at, 1), hostname=latest.hostname)
    if len(snaps) < 2:
        res.reason = "first sample stored; verdict next run (2 samples >=5s apart)"
        return res
    h = History(snaps)
    findings = report.diagnose(h)
    res.findings = [compact(f, latest) for f in findings]
    res.reason = report.unknown_reason(h)
    res.status = status_of(res.findings, res.reason)
    return res


def status_of(findings: list[dict], reason: str | None, classes: set[str] | None = None) -> str:
    bad = [f for f in findings if f["severity"] in ("warning", "critical")
           and (not classes or f["class"] in classes)]
    if bad:
        return "problem"
    return "unknown" if reason else "ok"


def default_state_dir() -> str:
    return st.state_dir(None)


__all__ = ["Options", "Result", "run", "status_of", "carry_pending", "compact", "where", "default_state_dir"]
