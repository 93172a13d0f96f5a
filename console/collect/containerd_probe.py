"""containerd API probes (gRPC), with docker_probe's rules: each call on its own thread with a
deadline per sample, a pending call shown at every sample and never issued again meanwhile.

Calls: version; namespaces; per namespace the containers (with labels and the OCI spec's
annotations and cgroup path) and the tasks; per container its task's state (Tasks.Get, which
containerd answers by asking the shim). The address is --containerd-address, else
$CONTAINERD_ADDRESS, else the socket running containerd/shim processes name, else the default.
"""
from __future__ import annotations

import json
import os
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import model as m
from .api_calls import CALL_TIMEOUT, Calls

DEFAULT_ADDRESS = "/run/containerd/containerd.sock"
ALWAYS_NAMESPACES = ("k8s.io", "moby")
TASK_STATUS = {0: "unknown", 1: "created", 2: "running", 3: "stopped", 4: "paused", 5: "pausing"}

_SVC = "/containerd.services."
VERSION = _SVC + "version.v1.Version/Version"
NAMESPACES = _SVC + "namespaces.v1.Namespaces/List"
CONTAINERS = _SVC + "containers.v1.Containers/List"
TASKS = _SVC + "tasks.v1.Tasks/List"
TASK_GET = _SVC + "tasks.v1.Tasks/Get"


def _argv_opt(argv: list[str], *names: str) -> str | None:
    for i, a in enumerate(argv):
        for n in names:
            if a == n and i + 1 < len(argv):
                return argv[i + 1]
            if a.startswith(n + "="):
                return a.split("=", 1)[1]
    return None


def _config_address(path: str | None) -> str | None:
    """[grpc] address from a containerd config file (a small regular file, read once)."""
    try:
        with open(path or "/etc/containerd/config.toml", "rb") as f:
            return ((tomllib.load(f).get("grpc") or {}).get("address")) or None
    except (OSError, ValueError, AttributeError):
        return None


def addresses_named(procs: list[m.Process]) -> list[str]:
    """Sockets named by running containerd daemons (-a/--address, or their --config's [grpc]
    address) and shims (-address), most-named first."""
    count: dict[str, int] = {}
    for p in procs:
        if not p.argv or p.role not in (m.CONTAINERD, m.SHIM_V2):
            continue
        if p.role == m.SHIM_V2:
            a = _argv_opt(p.argv, "-address", "--address")
        else:
            a = _argv_opt(p.argv, "-a", "--address") or _config_address(
                _argv_opt(p.argv, "-c", "--config"))
        if a:
            a = a.removeprefix("unix://")
            count[a] = count.get(a, 0) + 1
    return sorted(count, key=lambda a: -count[a])


def resolve_address(explicit: str | None, procs: list[m.Process] | None = None,
                    env: dict[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    if explicit or env.get("CONTAINERD_ADDRESS"):
        return (explicit or env["CONTAINERD_ADDRESS"]).removeprefix("unix://")
    named = addresses_named(procs or [])
    return named[0] if named else DEFAULT_ADDRESS


@dataclass
class ContainerdInfo:
    namespace: str
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    image: str | None = None
    runtime: str | None = None
    cgroups_path: str | None = None
    task_state: str | None = None
    task_pid: int | None = None


class ContainerdProber:
    def __init__(self, address: str | None = None, clock: Callable[[], float] = time.time):
        self.explicit = address
        self.address = resolve_address(address, [])
        self.calls = Calls("containerd", clock)
        self.info: dict[str, ContainerdInfo] = {}
        self.version: str | None = None
        # containerd bounds a shim state request itself (2 s in 1.6/1.7: the task comes back
        # UNKNOWN); calls answered that way, one after another, are one unanswered request:
        # (call, target) -> (wall start, monotonic start, times it came back unknown, last call)
        self._unanswered: dict[tuple[str, str | None], tuple[float, float, int, int]] = {}

    # --- one unary call on its own channel ----------------------------------------------
    def _unary(self, method: str, request, response_cls, namespace: str | None = None):
        import grpc     # lazily: a host without containerd does not pay for it
        ch = grpc.insecure_channel(f"unix://{self.address}")
        try:
            fn = ch.unary_unary(method, request_serializer=lambda r: r.SerializeToString(),
                                response_deserializer=response_cls.FromString)
            md = [("containerd-namespace", namespace)] if namespace else None
            return fn(request, timeout=CALL_TIMEOUT, metadata=md)
        finally:
            ch.close()

    # --- a sample --------------------------------------------------------------------------
    def sample(self, wait: float = 1.5, procs: list[m.Process] | None = None) -> m.DockerState:
        from google.protobuf import empty_pb2

        from ..rtapi.services.containers.v1 import containers_pb2 as cpb
        from ..rtapi.services.namespaces.v1 import namespace_pb2 as npb
        from ..rtapi.services.tasks.v1 import tasks_pb2 as tpb
        from ..rtapi.services.version.v1 import version_pb2 as vpb
        procs = procs or []
        self.address = resolve_address(self.explicit, procs)
        if not os.path.exists(self.address):
            return m.DockerState(host=self.address, reachable=None,
                                 note=f"no containerd socket at {self.address}: no containerd API probes")
        end = time.monotonic() + wait
        issue, u = self.calls.issue, self._unary
        issued = [issue("version", None, lambda: u(VERSION, empty_pb2.Empty(), vpb.VersionResponse))]
        nsc = issue("namespaces", None, lambda: u(NAMESPACES, npb.ListNamespacesRequest(),
                                                    npb.ListNamespacesResponse))
        Calls.wait([nsc], end)
        names = set(ALWAYS_NAMESPACES)
        done = self.calls.get("namespaces")
        if done and done.done.is_set() and done.error is None:
            names |= {n.name for n in done.result.namespaces}
        names |= {_argv_opt(p.argv, "-namespace") for p in procs if p.role == m.SHIM_V2 and p.argv} - {None}
        lists = []
        for ns in sorted(names):
            lists.append(issue("containers", ns, lambda ns=ns: u(
                CONTAINERS, cpb.ListContainersRequest(), cpb.ListContainersResponse, ns)))
            self._settle(("tasks", ns))
            issued.append(issue("tasks", ns, lambda ns=ns: u(
                TASKS, tpb.ListTasksRequest(), tpb.ListTasksResponse, ns)))
        Calls.wait(lists, end)
        for ns in sorted(names):
            c = self.calls.get("containers", ns)
            if c and c.done.is_set() and c.error is None:
                self._absorb_containers(ns, c.result)
        targets = list(self.info)     # one Tasks.Get each: NotFound comes back at once
        for cid in targets:
            ns = self.info[cid].namespace
            self._settle(("task-state", cid))
            issued.append(issue("task-state", cid, lambda cid=cid, ns=ns: u(
                TASK_GET, tpb.GetRequest(container_id=cid), tpb.GetResponse, ns)))
        Calls.wait(issued, end)
        return self._report(set(targets))

    def _absorb_containers(self, ns: str, resp) -> None:
        seen = set()
        for c in resp.containers:
            seen.add(c.id)
            info = self.info.get(c.id)
            if info is None or info.namespace != ns:
                info = self.info[c.id] = ContainerdInfo(namespace=ns)
            info.labels = dict(c.labels)
            info.image = c.image or None
            info.runtime = c.runtime.name or None
            try:
                spec = json.loads(c.spec.value) if c.spec.value else {}
                info.annotations = dict(spec.get("annotations") or {})
                info.cgroups_path = (spec.get("linux") or {}).get("cgroupsPath") or None
            except (ValueError, AttributeError):
                pass
        for cid in [k for k, v in self.info.items() if v.namespace == ns and k not in seen]:
            del self.info[cid]

    def _unknown(self, c) -> bool:
        """The call came back, but containerd's own deadline on the shim fired."""
        if c.error is not None:
            return "deadline" in c.error.lower()
        if c.call == "task-state":
            return c.result.process.status == 0
        if c.call == "tasks":
            return any(t.status == 0 for t in c.result.tasks)
        return False

    def _settle(self, key: tuple[str, str | None]) -> None:
        """Fold a returned call into its unanswered run (called before it is issued again and
        when reported): a real state ends the run, an UNKNOWN one extends it."""
        c = self.calls.get(*key)
        if c is None or not c.done.is_set():
            return
        ep = self._unanswered.get(key)
        if not self._unknown(c):
            self._unanswered.pop(key, None)
        elif ep is None:
            self._unanswered[key] = (c.started_wall, c.started, 1, id(c))
        elif ep[3] != id(c):
            self._unanswered[key] = (ep[0], ep[1], ep[2] + 1, id(c))

    def _episodes(self, probes: list[m.Probe]) -> None:
        """A state request the shim has not answered shows as one pending call, aged from
        the first of the unanswered run, whether containerd is still waiting or gave up."""
        now = time.monotonic()
        for pr in probes:
            if pr.call not in ("task-state", "tasks"):
                continue
            self._settle((pr.call, pr.target))
            ep = self._unanswered.get((pr.call, pr.target))
            if ep is None:
                continue
            pr.status, pr.started, pr.seconds = "pending", ep[0], now - ep[1]
            pr.error = (f"the shim has not answered: containerd's state deadline fired "
                        f"{ep[2]} time(s) (task status UNKNOWN), asked again each sample")

    def _report(self, targets: set[str]) -> m.DockerState:
        probes = self.calls.report(lambda c: c.call != "task-state" or c.target in targets)
        self._episodes(probes)
        reachable = None
        for pr in probes:
            c = self.calls.get(pr.call, pr.target)
            if pr.call == "version":
                reachable = pr.status == "ok"
                if reachable:
                    self.version = c.result.version
            elif pr.call == "task-state" and pr.target in self.info:
                info = self.info[pr.target]
                if pr.status == "pending":
                    info.task_state = "unknown (no answer)"
                elif pr.status == "ok":
                    info.task_state = TASK_STATUS.get(c.result.process.status, "unknown")
                    info.task_pid = c.result.process.pid or None
                elif "not found" in (pr.error or ""):
                    info.task_state = "absent"
        return m.DockerState(host=f"unix://{self.address}", reachable=reachable,
                             version=self.version, probes=probes)


def merge(snap: m.HostSnapshot, prober: ContainerdProber) -> None:
    """containerd's view into the snapshot: namespace, image, task state and pod labels on
    the containers /proc found (and running tasks it did not), then cgroupsPath attribution."""
    from . import attribution, pods
    by_id = {c.id: c for c in snap.containers}
    for cid, info in prober.info.items():
        c = by_id.get(cid)
        if c is None:
            if info.task_state not in ("running", "paused", "pausing", "created", "unknown (no answer)"):
                continue
            c = by_id[cid] = m.Container(id=cid, runtime="containerd", namespace=info.namespace)
            snap.containers.append(c)
        c.namespace = c.namespace or info.namespace
        c.image = info.image or c.image
        c.task_state = info.task_state
        c.pod = pods.from_labels(info.labels, info.annotations, "containerd") or c.pod
    attribution.by_cgroup_path(snap, {cid: i.cgroups_path for cid, i in prober.info.items()
                                      if i.cgroups_path})
