"""A finding on a shim that serves a whole pod says so: every container of the pod (the
sandbox and each app container, by name) goes with that shim, for better or worse."""
from __future__ import annotations

from .. import model as m
from ..collect import pods
from .finding import Finding


def annotate(snap: m.HostSnapshot, findings: list[Finding]) -> None:
    for f in findings:
        shims = [p for pid in f.pids if (p := snap.proc(pid)) and p.role in m.SHIM_ROLES]
        if not shims:
            continue
        served = [c for c in snap.containers if c.shim_pid == shims[0].pid]
        if len(served) < 2:
            continue
        c = next((x for x in served if x.id == f.container), served[0])
        where = pods.label(c) or f"the pod of {shims[0].container_id or '?'}"
        names = [f"{x.name} ({x.pod.kind if x.pod and x.pod.kind else 'container'} {x.id[:12]})"
                 for x in pods.members(snap, c) if x.shim_pid == shims[0].pid] or \
                [f"{x.name} ({x.id[:12]})" for x in served]
        f.summary += (f"; shim {shims[0].pid} serves pod {where}: every container of the pod "
                      f"goes with it ({', '.join(names)})")
        f.evidence["pod"] = {"name": c.pod.name if c.pod else None,
                             "namespace": c.pod.namespace if c.pod else None,
                             "sandbox": (c.pod.sandbox_id if c.pod else None) or shims[0].container_id,
                             "containers": [{"id": x.id, "name": x.name,
                                             "kind": x.pod.kind if x.pod else None} for x in served]}
