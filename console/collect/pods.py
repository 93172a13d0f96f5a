"""Pods: containers grouped under their Kubernetes pod, from labels (containerd's CRI plugin,
the CRI, dockershim's Docker labels) and, without labels, from the one shim they share."""
from __future__ import annotations

from .. import model as m

_KIND = {"sandbox": "sandbox", "podsandbox": "sandbox", "container": "container"}


def from_labels(labels: dict[str, str], annotations: dict[str, str] | None = None,
                source: str = "containerd") -> m.PodInfo | None:
    """io.kubernetes.* labels (and the CRI's sandbox annotations) as a PodInfo, or None."""
    ann = annotations or {}
    name = labels.get("io.kubernetes.pod.name") or ann.get("io.kubernetes.cri.sandbox-name")
    if not name:
        return None
    kind = (labels.get("io.cri-containerd.kind") or labels.get("io.kubernetes.docker.type")
            or ann.get("io.kubernetes.cri.container-type"))
    return m.PodInfo(
        name=name,
        namespace=labels.get("io.kubernetes.pod.namespace") or ann.get("io.kubernetes.cri.sandbox-namespace"),
        uid=labels.get("io.kubernetes.pod.uid") or ann.get("io.kubernetes.cri.sandbox-uid"),
        container=labels.get("io.kubernetes.container.name") or ann.get("io.kubernetes.cri.container-name"),
        kind=_KIND.get(kind or "", "container" if labels.get("io.kubernetes.container.name") else None),
        sandbox_id=(labels.get("io.kubernetes.sandbox.id") or ann.get("io.kubernetes.cri.sandbox-id")
                    or ann.get("io.containerd.runc.v2.group")),
        source=source)


def from_docker(info: m.DockerInfo | None) -> m.PodInfo | None:
    if info is None or not info.pod:
        return None
    return m.PodInfo(name=info.pod, namespace=info.pod_namespace, container=info.k8s_container,
                     kind="container" if info.k8s_container and info.k8s_container != "POD" else "sandbox",
                     source="docker")


def complete(snap: m.HostSnapshot) -> None:
    """Fill what labels leave open from the shims: containers under one v2 shim are one pod
    whose sandbox is the shim's -id; a pod's sandbox id is its sandbox member's id."""
    by_shim: dict[int, list[m.Container]] = {}
    for c in snap.containers:
        if c.pod is None and c.docker is not None:
            c.pod = from_docker(c.docker)
        if c.shim_pid:
            by_shim.setdefault(c.shim_pid, []).append(c)
    for shim_pid, members in by_shim.items():
        shim = snap.proc(shim_pid)
        sid = shim.container_id if shim and shim.role == m.SHIM_V2 else None
        if sid is None or len(members) < 2:
            continue
        named = next((c.pod for c in members if c.pod and c.pod.name), None)
        for c in members:
            if c.pod is None:
                c.pod = m.PodInfo(name=named.name if named else None,
                                  namespace=named.namespace if named else None,
                                  uid=named.uid if named else None, source="shim")
            c.pod.sandbox_id = c.pod.sandbox_id or sid
            if c.pod.kind is None:
                c.pod.kind = "sandbox" if c.id == sid else "container"
    for c in snap.containers:         # a labelled pod's sandbox names the id its members lack
        if c.pod and c.pod.kind == "sandbox" and not c.pod.sandbox_id:
            c.pod.sandbox_id = c.id


def key(c: m.Container) -> tuple | None:
    """What makes two containers one pod: the uid, else namespace/name, else the sandbox."""
    p = c.pod
    if p is None:
        return None
    if p.uid:
        return ("uid", p.uid)
    if p.name:
        return ("name", p.namespace, p.name)
    return ("sandbox", p.sandbox_id) if p.sandbox_id else None


def members(snap: m.HostSnapshot, c: m.Container) -> list[m.Container]:
    """Every container of C's pod (C included), sandbox first."""
    k = key(c)
    if k is None:
        return [c]
    out = [x for x in snap.containers if key(x) == k]
    return sorted(out, key=lambda x: (x.pod.kind != "sandbox", x.name))


def label(c: m.Container) -> str:
    p = c.pod
    if p is None:
        return ""
    if p.name:
        return f"{p.namespace}/{p.name}" if p.namespace else p.name
    return f"pod of {p.sandbox_id[:12]}" if p.sandbox_id else ""


def grouped(containers: list[m.Container]) -> list[m.Container]:
    """CONTAINERS in their order, each pod's members pulled up behind its first (worst) one,
    sandbox first: the overview groups by pod without losing worst-first between pods."""
    out: list[m.Container] = []
    seen: set[str] = set()
    for c in containers:
        if c.id in seen:
            continue
        k = key(c)
        group = [c] if k is None else sorted((x for x in containers if key(x) == k),
                                             key=lambda x: (x.pod.kind != "sandbox",))
        for x in group:
            if x.id not in seen:
                seen.add(x.id)
                out.append(x)
    return out
