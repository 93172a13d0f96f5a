"""The CRI as the kubelet calls it (runtime.v1.RuntimeService over gRPC): Version,
ListPodSandbox and ListContainers (what PLEG's relist waits on), then PodSandboxStatus and
ContainerStatus of each. Same rules as every probe here: a deadline per sample, a pending call
shown at every sample and never issued again meanwhile.

The endpoint is --cri-endpoint, else $CONTAINER_RUNTIME_ENDPOINT (crictl's variable), else
CRI-O's socket when it exists, else containerd's socket (its CRI plugin serves there).
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable

from .. import model as m
from . import pods
from .api_calls import CALL_TIMEOUT, Calls

CRIO_SOCKET = "/var/run/crio/crio.sock"
_SVC = "/runtime.v1.RuntimeService/"


def resolve_endpoint(explicit: str | None, containerd_address: str | None,
                     env: dict[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    ep = explicit or env.get("CONTAINER_RUNTIME_ENDPOINT")
    if ep:
        return ep.removeprefix("unix://")
    if os.path.exists(CRIO_SOCKET):
        return CRIO_SOCKET
    return containerd_address


class CriProber:
    def __init__(self, endpoint: str | None = None, clock: Callable[[], float] = time.time):
        self.explicit = endpoint
        self.endpoint: str | None = None
        self.calls = Calls("cri", clock)
        self.labels: dict[str, tuple[dict, dict]] = {}   # id -> (labels, annotations)
        self.version: str | None = None

    def _unary(self, method: str, request, response_cls):
        import grpc
        ch = grpc.insecure_channel(f"unix://{self.endpoint}")
        try:
            fn = ch.unary_unary(_SVC + method, request_serializer=lambda r: r.SerializeToString(),
                                response_deserializer=response_cls.FromString)
            return fn(request, timeout=CALL_TIMEOUT)
        finally:
            ch.close()

    def sample(self, wait: float = 1.5, containerd_address: str | None = None) -> m.DockerState:
        from ..rtapi.cri import api_pb2 as c
        self.endpoint = resolve_endpoint(self.explicit, containerd_address)
        if not self.endpoint or not os.path.exists(self.endpoint):
            return m.DockerState(host=f"unix://{self.endpoint}", reachable=None,
                                 note=f"no CRI endpoint at {self.endpoint}: no CRI probes")
        end = time.monotonic() + wait
        issue, u = self.calls.issue, self._unary
        issued = [issue("Version", None, lambda: u("Version", c.VersionRequest(version="v1"), c.VersionResponse))]
        sb = issue("ListPodSandbox", None, lambda: u("ListPodSandbox", c.ListPodSandboxRequest(),
                                                      c.ListPodSandboxResponse))
        ct = issue("ListContainers", None, lambda: u("ListContainers", c.ListContainersRequest(),
                                                      c.ListContainersResponse))
        Calls.wait([sb, ct], end)
        sandboxes, containers = [], []
        got = self.calls.get("ListPodSandbox")
        if got and got.done.is_set() and got.error is None:
            sandboxes = [s.id for s in got.result.items]
            for s in got.result.items:
                self.labels[s.id] = ({**s.labels, "io.kubernetes.pod.name": s.metadata.name,
                                      "io.kubernetes.pod.namespace": s.metadata.namespace,
                                      "io.kubernetes.pod.uid": s.metadata.uid,
                                      "io.cri-containerd.kind": "sandbox"}, dict(s.annotations))
        got = self.calls.get("ListContainers")
        if got and got.done.is_set() and got.error is None:
            containers = [x.id for x in got.result.containers]
            for x in got.result.containers:
                self.labels[x.id] = ({**x.labels, "io.kubernetes.container.name": x.metadata.name,
                                      "io.cri-containerd.kind": "container"},
                                     {**x.annotations, "io.kubernetes.cri.sandbox-id": x.pod_sandbox_id})
        for sid in sandboxes:
            issued.append(issue("PodSandboxStatus", sid, lambda sid=sid: u(
                "PodSandboxStatus", c.PodSandboxStatusRequest(pod_sandbox_id=sid), c.PodSandboxStatusResponse)))
        for cid in containers:
            issued.append(issue("ContainerStatus", cid, lambda cid=cid: u(
                "ContainerStatus", c.ContainerStatusRequest(container_id=cid), c.ContainerStatusResponse)))
        Calls.wait(issued, end)
        live = set(sandboxes) | set(containers)
        probes = self.calls.report(lambda x: x.target is None or x.target in live)
        reachable, note = None, None
        for pr in probes:
            if pr.call == "Version":
                reachable = pr.status == "ok"
                if reachable:
                    r = self.calls.get("Version").result
                    self.version = f"{r.runtime_name} {r.runtime_version} ({r.runtime_api_version})"
                elif pr.status == "error" and "unknown service" in (pr.error or ""):
                    # it answered, at once: the socket serves no CRI (containerd without its
                    # CRI plugin, or not a CRI socket); that is not a runtime that hangs
                    reachable, note = None, f"no CRI at {self.endpoint}: it answered {pr.error.strip()[:120]!r}"
                    probes = [p for p in probes if p.status != "error" or "unknown service" not in (p.error or "")]
        return m.DockerState(host=f"unix://{self.endpoint}", reachable=reachable,
                             version=self.version, probes=probes, note=note)


def merge(snap: m.HostSnapshot, prober: CriProber) -> None:
    """Pod labels the CRI reports, on containers that have none yet (the kubelet's names)."""
    for c in snap.containers:
        if c.pod is None and c.id in prober.labels:
            labels, ann = prober.labels[c.id]
            c.pod = pods.from_labels(labels, ann, "cri")
