"""The faults of the containerd and podman labs, where each engine can show them (the Docker
lab's are lab/faults.py). containerd: a Kubernetes-shaped pod (sandbox + app on one shim) in
every scenario; podman: containers under conmon. Each lab's inject() calls its function here
(this module imports neither lab: no cycle)."""
from __future__ import annotations

import os
import shutil

from . import hostile
from .catalog import ENGINE_FAULTS
from .errors import LabError
from .faults import HOG, _wait, blocked_writer, container_name, stop, wait_oom_kill
from .faults import oom_kills as _oom_kills  # noqa: F401 - tests read the count

FAULTS = ENGINE_FAULTS
MIB16 = 16 << 20


def _check(lab, fault: str) -> None:
    if fault not in FAULTS[lab.ENGINE]:
        raise LabError(f"{fault} is not shown on {lab.ENGINE}: choose one of {', '.join(FAULTS[lab.ENGINE])}")
    lab.down()
    lab.up()


def inject_containerd(lab, fault: str) -> str:
    """FAULT on a fresh setup; returns the id of the container it concerns."""
    _check(lab, fault)
    if fault == "oom-kill":             # the app's own limit, as a pod spec's limits.memory
        pod = lab.pod(app_cmd=HOG, app_memory_limit=MIB16)
        wait_oom_kill(lab.cgroup(pod["uid"], pod["app"]))
        return pod["app"]
    if fault == "hostile":
        return hostile_pod(lab)
    pod = lab.pod()
    if fault == "stopped-shim":
        stop(pod["shim"], "the pod's shim")
        return pod["sandbox"]
    if fault == "stuck-pipe":
        lab.stuck_exec(pod["app"])
        return pod["app"]
    if fault == "pids-exhausted":
        lab.pod_pids_exhausted(pod)
        return pod["app"]
    if fault == "paused":               # ctr task pause: containerd's own PAUSED state
        lab.ctr("task", "pause", pod["app"], timeout=30)
        return pod["app"]
    return ""


def inject_podman(lab, fault: str) -> str:
    """FAULT on a fresh setup; returns the id of the container it concerns."""
    _check(lab, fault)
    name = container_name(lab, fault)
    if fault == "oom-kill":
        cid = lab.run(name, HOG, "--memory", "16m", "--memory-swap", "16m")
        wait_oom_kill(f"/{lab.cgroup_parent}/libpod-{cid}")
        return cid
    if fault == "hostile":
        return hostile_podman(lab)
    cid = lab.run(name, ["sleep", "1000000"])
    if fault == "stopped-shim":
        stop(lab.conmon_of(cid), "conmon")
    elif fault == "stuck-pipe":
        lab.stuck_exec(name)
    elif fault == "paused":
        lab.podman("pause", name, timeout=30)
    return cid if fault != "baseline" else ""


def hostile_pod(lab) -> str:
    """The hostile fault as a pod: its labels and its app's names are the attack."""
    pod = lab.pod(name=hostile.LABEL, namespace="ns[/]", uid="0c0ffee0-1ab5-4e11-9d00-000000000666",
                  sandbox="hostilesandbox0", app="hostile0ctr", app_cmd=hostile.CMD)
    os.makedirs(lab.path("fifo"), exist_ok=True)
    lab.spawn("stalled-hostile", hostile.stalled_client(
        f"{shutil.which('ctr')} -a {lab.sock} -n k8s.io task exec --fifo-dir {lab.path('fifo')} "
        f"--exec-id hostile {pod['app']}"))
    _wait(lambda: _writer_blocked(lab.cgroup(pod["uid"], pod["app"]), "head"), 20, "head blocked on its stderr pipe")
    return pod["app"]


def hostile_podman(lab) -> str:
    cid = lab.run("hc-hostile", hostile.CMD, "--label", f"io.kubernetes.pod.name={hostile.LABEL}",
                  "--label", "io.kubernetes.pod.namespace=ns[/]")
    lab.spawn("stalled-hostile", hostile.stalled_client(f"{shutil.which('podman')} exec hc-hostile"))
    _wait(lambda: _writer_blocked(f"/{lab.cgroup_parent}/libpod-{cid}", "head"), 20, "head blocked on its stderr pipe")
    return cid


def _writer_blocked(cgroup: str, comm: str) -> int | None:
    """A process COMM of CGROUP (its pids or unified path) blocked writing a pipe."""
    for base in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup"):
        try:
            with open(f"{base}{cgroup}/cgroup.procs") as f:
                return blocked_writer(f.read().split(), comm)
        except OSError:
            continue
    return None
