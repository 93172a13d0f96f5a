"""`hangconsole metrics --textfile DIR`: the check's result as a node_exporter textfile.

Rendered and written by prometheus_client (exposition format, escaping, a temporary name in
DIR renamed to hangconsole.prom, as node_exporter's textfile collector asks). One prefix (hangconsole_), base units (_seconds), counters end in
_total. Label values are bounded: hang classes and severities are fixed sets, per-container
series exist only for containers with a finding or zombies, at most MAX_SERIES of them
(the rest are counted in hangconsole_series_dropped).
"""
from __future__ import annotations

import os
import time

from .. import model as m
from ..safetext import visible
from ..diagnose.engine import CLASSES, SEVERITIES
from . import check as ck

FILE = "hangconsole.prom"
DAEMONS = (("docker", "dockerd"), ("containerd", "containerd"))     # snapshot attribute, label
MAX_SERIES = 50


def _clean(labels: dict) -> dict:
    """Label values made inert and cut (a container name is anyone's); the exposition
    format's own escaping is prometheus_client's."""
    return {k: visible(v, 256) for k, v in labels.items()}


class _Out:
    """The families of one check, as prometheus_client metric families."""

    def __init__(self):
        self.families = []

    def family(self, name: str, kind: str, help_: str, rows: list[tuple[dict, float]]) -> None:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
        keys = list(rows[0][0]) if rows else []
        if kind == "counter":
            fam = CounterMetricFamily(name.removesuffix("_total"), help_, labels=keys)
        else:
            fam = GaugeMetricFamily(name, help_, labels=keys)
        for labels, value in rows:
            fam.add_metric([_clean(labels)[k] for k in keys], float(value))
        self.families.append(fam)

    def collect(self):                  # a prometheus_client collector
        return iter(self.families)


def _where(snap: m.HostSnapshot | None, cid: str | None) -> dict:
    w = ck.where(snap.container(cid) if snap and cid else None, cid)
    return {"container_id": (cid or "")[:12], "container": w["k8s_container"] or w["name"] or "",
            "pod": w["pod"] or "", "namespace": w["namespace"] or ""}


def families(res: ck.Result, now: float | None = None, max_series: int = MAX_SERIES) -> "_Out":
    """The check's metric families (a prometheus_client collector)."""
    now = time.time() if now is None else now
    snap = res.snapshot
    o = _Out()
    dropped = 0
    counts = {(c, SEVERITIES[c]): 0 for c in CLASSES}
    rows = []
    for f in res.findings:
        key = (f["class"], f["severity"])
        counts[key] = counts.get(key, 0) + 1
        if len(rows) >= max_series:
            dropped += 1
            continue
        cid = f.get("container")
        lab = {"class": f["class"], "severity": f["severity"], "container_id": (cid or "")[:12],
               "container": (f.get("k8s_container") or f.get("name") or "") if cid else "",
               "pod": f.get("pod") or "", "namespace": f.get("namespace") or ""}
        rows.append((lab, f.get("stuck_for") or 0.0))
    o.family("hangconsole_findings", "gauge",
             "Hangs recognised by the last check, by class and severity.",
             [({"class": c, "severity": s}, n) for (c, s), n in sorted(counts.items())])
    o.family("hangconsole_finding", "gauge",
             "One series per hang recognised by the last check (value 1), with where it is.",
             [(lab, 1) for lab, _ in rows])
    o.family("hangconsole_finding_stuck_seconds", "gauge",
             "How long the samples saw the finding's state unchanged (a lower bound).",
             rows)

    pend: dict[str, list[float]] = {}
    full = 0
    zombies = []
    if snap is not None:
        for attr, daemon in DAEMONS:          # containerd's probes where the collector has them
            state = getattr(snap, attr, None)
            for p in (state.probes if state else []):
                if p.status == "pending":
                    pend.setdefault((daemon, p.call), []).append(p.seconds)
        full = sum(1 for p in snap.pipes if p.full)
        shims = {c.shim_pid: c for c in snap.containers if c.shim_pid}
        for p in snap.processes:
            if p.role in m.SHIM_ROLES:
                n = sum(1 for q in snap.children(p.pid) if q.zombie)
                if n:
                    c = shims.get(p.pid)
                    zombies.append((dict(_where(snap, c.id if c else None), shim_pid=str(p.pid)), n))
    if len(zombies) > max_series:
        dropped += len(zombies) - max_series
        zombies = sorted(zombies, key=lambda z: -z[1])[:max_series]
    keys = sorted(set(pend) | {("dockerd", c) for c in ("ping", "list", "inspect")})
    o.family("hangconsole_runtime_calls_pending", "gauge",
             "Runtime API calls issued by the check and still unanswered, per daemon and call.",
             [({"daemon": d, "call": c}, len(pend.get((d, c), []))) for d, c in keys])
    o.family("hangconsole_runtime_call_pending_seconds", "gauge",
             "Age of the oldest unanswered runtime call, per daemon and call (0: none pending).",
             [({"daemon": d, "call": c}, max(pend.get((d, c), [0.0]))) for d, c in keys])
    o.family("hangconsole_pipes_full", "gauge", "Pipes whose queue is at capacity.", [({}, full)])
    o.family("hangconsole_shim_zombies", "gauge", "Unreaped zombie children per runtime shim.", zombies)
    o.family("hangconsole_series_dropped", "gauge",
             f"Per-container series left out to bound cardinality (at most {max_series} a family).",
             [({}, dropped)])
    o.family("hangconsole_check_up", "gauge",
             "1 if the last check reached a verdict, 0 if it could not (unknown).",
             [({}, 0 if res.status == "unknown" else 1)])
    o.family("hangconsole_check_duration_seconds", "gauge", "Seconds the last check took to sample.",
             [({}, res.duration)])
    o.family("hangconsole_check_cached", "gauge", "1 if the last check reused a verdict less than "
             "--reuse seconds old instead of sampling.", [({}, 1 if res.mode == "cached" else 0)])
    o.family("hangconsole_last_sample_timestamp_seconds", "gauge",
             "Unix time of the sample the verdict comes from.", [({}, res.sampled_at or 0)])
    o.family("hangconsole_last_success_timestamp_seconds", "gauge",
             "Unix time of the last check that reached a verdict (0: never).", [({}, res.last_good or 0)])
    if res.capture_dir is not None:
        from .capture import stats
        kept, last = stats(res.capture_dir)
        o.family("hangconsole_captures", "gauge", "Captures at detection kept in the --capture directory.",
                 [({}, kept)])
        o.family("hangconsole_last_capture_timestamp_seconds", "gauge",
                 "Unix time of the newest capture at detection (0: none).", [({}, last or 0)])
    o.family("hangconsole_checks_total", "counter", "Checks run, by result.",
             [({"result": r}, (res.runs or {}).get(r, 0)) for r in ("ok", "problem", "unknown")])
    return o


def render(res: ck.Result, now: float | None = None, max_series: int = MAX_SERIES) -> str:
    """The exposition text of one check's families (prometheus_client's text format)."""
    from prometheus_client import CollectorRegistry, generate_latest
    reg = CollectorRegistry(auto_describe=False)
    reg.register(families(res, now, max_series))
    return generate_latest(reg).decode()


def write(directory: str, res: ck.Result) -> str:
    """DIR/hangconsole.prom, written by prometheus_client through a temporary name in DIR and
    rename(2), as node_exporter's textfile collector asks."""
    from prometheus_client import CollectorRegistry, write_to_textfile
    os.makedirs(directory, exist_ok=True)
    reg = CollectorRegistry(auto_describe=False)
    reg.register(families(res))
    path = os.path.join(directory, FILE)
    write_to_textfile(path, reg)
    os.chmod(path, 0o644)
    return path
