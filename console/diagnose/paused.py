"""A pause the runtime reports (`docker pause`, containerd's PAUSED task from `ctr task pause`)
is deliberate, not a hang: info only, so nobody "fixes" it. On a Kubernetes node the kubelet
cannot see a pause (the CRI has no such state): the pod's probes fail and it may be restarted."""
from __future__ import annotations

from .finding import INFO, Finding
from .history import History

CLASS = "paused"
SEVERITY = INFO          # its highest: the fleet metrics count the class at this one


def detect(h: History) -> list[Finding]:
    out = []
    for c in h.latest.containers:
        if c.docker and (c.docker.paused or c.docker.state == "paused"):
            how = "docker pause"
            resume = f"docker unpause {c.name}"
        elif c.task_state in ("paused", "pausing"):
            how = f"containerd task {c.task_state}: ctr task pause"
            resume = f"ctr -n {c.namespace or 'default'} task resume {c.id}"
        else:
            continue
        kube = (" The kubelet cannot see a pause: the pod's probes fail and it may restart the container."
                if c.pod and c.pod.namespace else "")
        out.append(Finding(
            cls=CLASS, severity=SEVERITY, container=c.id,
            summary=f"{c.name} is paused ({how}): deliberate, not a hang; resume: {resume}.{kube}",
            evidence={"freezer": c.cgroup.freezer if c.cgroup else None,
                      "docker_state": c.docker.state if c.docker else None,
                      "task_state": c.task_state}))
    return out
