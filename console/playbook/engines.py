"""Playbooks per engine: the same steps, with the tools of the container's engine named
(`crictl`/`ctr` on a Kubernetes node with containerd, `crictl` on CRI-O, `podman` under a bare
conmon) and the "runtime answers" check asked of that engine's API instead of Docker's."""
from __future__ import annotations

import dataclasses
import re
import time

from .. import model as m
from ..runtime_clients import option_values

# (Docker words, containerd/CRI words, CRI-O/conmon words), applied in order
_WORDS = [
    ("docker inspect", "crictl inspect (ctr -n {ns} task ls)", "crictl inspect"),
    ("docker ps", "crictl ps (ctr -n {ns} task ls)", "crictl ps"),
    ("docker rm -f", "crictl rm -f (ctr -n {ns} task delete -f)", "crictl rm -f"),
    ("docker exec", "crictl exec (ctr -n {ns} task exec)", "crictl exec"),
    ("docker logs", "crictl logs", "crictl logs"),
    ("docker unpause", "ctr -n {ns} task resume", "crictl (podman unpause)"),
    ("docker pause", "ctr -n {ns} task pause", "podman pause"),
    ("dockerd's and containerd's", "containerd's", "CRI-O's"),
    ("dockerd and containerd", "containerd", "CRI-O"),
    ("Docker's restart policy", "the restart policy", "the restart policy"),
]


def engine_of(snap: m.HostSnapshot, c: m.Container | None) -> str:
    """docker, containerd or cri-o: who runs container C."""
    if c is None:
        return "docker"
    if c.runtime == m.CONMON:
        return "cri-o"
    if c.docker is not None or c.namespace in (None, "moby"):
        return "docker"
    return "containerd"


def words(text: str, engine: str, ns: str | None = None) -> str:
    if engine == "docker" or not text:
        return text
    col = 1 if engine == "containerd" else 2
    for row in _WORDS:
        text = re.sub(re.escape(row[0]), row[col].replace("{ns}", ns or "k8s.io"), text)
    return text


def for_engine(pb, ctx):
    """PB with its texts in the words of the finding's container's engine (a copy)."""
    c = ctx.container
    engine = engine_of(ctx.snapshot, c)
    ns = c.namespace if c else None
    ctx.notes.setdefault("engine", engine)    # the container may be gone by the verify steps
    ctx.notes.setdefault("namespace", ns)
    if engine == "docker":
        return pb
    steps = [dataclasses.replace(s, text=words(s.text, engine, ns)) for s in pb.steps]
    return dataclasses.replace(pb, summary=words(pb.summary, engine, ns), steps=steps)


def podman_argv(snap: m.HostSnapshot, c: m.Container | None) -> list[str] | None:
    """`podman` with the global options (--root, --runroot, ...) that reached C, from its
    conmon's --exit-command (podman's own cleanup call); None when C's conmon is not podman's
    (CRI-O)."""
    mon = snap.proc(c.shim_pid) if c is not None and c.shim_pid and c.runtime == m.CONMON else None
    argv = (mon.argv or []) if mon else []
    exe = next(iter(option_values(argv, "--exit-command")), None)
    if not exe or not exe.endswith("podman"):
        return None
    args = option_values(argv, "--exit-command-arg")
    return [exe, *args[:args.index("container")]] if "container" in args else [exe]


def podman_call(pm: list[str], call: list[str], what: str, seconds: float) -> tuple[bool | None, str]:
    """Run podman CALL with a deadline, first as the operator's own `podman` (its environment's
    configuration), then with the options C's conmon names (PM): (answered, what was seen);
    None when neither podman sees the container, so nothing was proven."""
    ok, seen = _podman_once([pm[0], *call], what, seconds)
    if ok is None and len(pm) > 1:
        ok, seen = _podman_once([*pm, *call], what, seconds)
    return ok, seen


def _podman_once(argv: list[str], what: str, seconds: float) -> tuple[bool | None, str]:
    import subprocess
    t0 = time.monotonic()
    try:
        r = subprocess.run(argv, capture_output=True, timeout=seconds, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return False, f"`{what}` did not return within {seconds:.0f} s"
    except OSError as e:
        return False, f"`{what}` could not run: {e.strerror}"
    said = (r.stdout or r.stderr).decode("utf-8", "replace").strip().splitlines()
    if r.returncode == 125 and "no container with name or ID" in r.stderr.decode("utf-8", "replace"):
        return None, (f"could not check: `{what}` says podman knows no such container, yet its conmon runs; "
                      f"this podman has another configuration (run hangconsole with podman's "
                      f"CONTAINERS_CONF / CONTAINERS_STORAGE_CONF)")
    return True, (f"`{what}` returned in {time.monotonic() - t0:.1f} s (exit {r.returncode})"
                  + (f": {said[0][:80]}" if said else ""))


def runtime_answers(ctx):
    """(ok, text) from the container's own engine, asked right now with a 5 s deadline; None
    for Docker containers (the caller asks `docker inspect`)."""
    c = ctx.container
    engine = ctx.notes.get("engine") or engine_of(ctx.snapshot, c)
    if engine == "docker":
        return None
    if (pm := podman_argv(ctx.snapshot, c)) is not None:
        return podman_call(pm, ["inspect", "--format", "{{.State.Status}}", ctx.finding.container],
                           f"podman inspect {c.name}", 5.0)
    cid, ns = ctx.finding.container, (c.namespace if c else None) or ctx.notes.get("namespace")
    import grpc
    what = f"{engine} API"
    try:
        if engine == "containerd":
            from ..collect.containerd_probe import TASK_GET, TASK_STATUS, resolve_address
            from ..rtapi.services.tasks.v1 import tasks_pb2 as tpb
            known = ctx.snapshot.containerd.host if ctx.snapshot.containerd else None
            addr = resolve_address(known, ctx.snapshot.processes)      # where the collector asked
            req, resp, method, md = (tpb.GetRequest(container_id=cid), tpb.GetResponse, TASK_GET,
                                     [("containerd-namespace", ns or "k8s.io")])
            what = "containerd task state"
        else:
            from ..collect.cri_probe import _SVC, resolve_endpoint
            from ..rtapi.cri import api_pb2 as cpb
            addr = resolve_endpoint(None, None) or ""
            req, resp, method, md = (cpb.ContainerStatusRequest(container_id=cid),
                                     cpb.ContainerStatusResponse, _SVC + "ContainerStatus", None)
            what = "crictl inspect (CRI ContainerStatus)"
        with grpc.insecure_channel(f"unix://{addr}") as ch:
            r = ch.unary_unary(method, request_serializer=lambda x: x.SerializeToString(),
                               response_deserializer=resp.FromString)(req, timeout=5, metadata=md)
        if engine == "containerd":
            state = TASK_STATUS.get(r.process.status, "unknown")
            if state == "unknown":    # containerd's own deadline on the shim fired
                return False, f"{what} came back UNKNOWN: the shim still does not answer"
            return True, f"{what} answered: {state}"
        return True, f"{what} answered"
    except Exception as e:            # a timeout is the answer being tested for
        if "not found" in str(e).lower() or "NOT_FOUND" in str(getattr(e, "code", lambda: "")()):
            return True, f"{what} answered: no such task (it is gone)"
        detail = getattr(e, "details", lambda: None)() or str(e)
        return False, f"{what} did not answer: {detail.splitlines()[0][:80]}"
