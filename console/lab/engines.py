"""`hangconsole lab --engine containerd|podman`: the lab's faults where each engine can show
them (the Docker lab is lab/engine.py). containerd: a Kubernetes-shaped pod (sandbox + app on
one shim) in every scenario; podman: containers under conmon."""
from __future__ import annotations

import os
import shutil
import signal

from . import hostile
from .catalog import ENGINE_FAULTS
from .containerd_engine import ContainerdLab
from .engine import DEFAULT_DIR, LabError
from .faults import HOG, _wait, blocked_writer, wait_oom_kill
from .faults import oom_kills as _oom_kills  # noqa: F401 - tests read the count
from .podman_engine import PodmanLab

FAULTS = ENGINE_FAULTS
MIB16 = 16 << 20


def lab_for(engine: str, directory: str | None):
    base = (directory or DEFAULT_DIR).rstrip("/")
    if engine == "containerd":
        return ContainerdLab(directory or base + "-ctrd")
    if engine == "podman":
        return PodmanLab(directory or base + "-podman")
    raise LabError(f"no lab engine {engine!r}")


def hint(lab) -> str:
    if isinstance(lab, ContainerdLab):
        return (f"export CONTAINERD_ADDRESS={lab.sock}\n"
                f"ctr -a {lab.sock} -n k8s.io task ls      # crictl: --runtime-endpoint unix://{lab.sock}")
    return f"export CONTAINERS_CONF={lab.path('containers.conf')} CONTAINERS_STORAGE_CONF={lab.path('storage.conf')}"


def inject(lab, fault: str) -> str:
    """FAULT on a fresh setup; returns the id of the container it concerns."""
    engine = "containerd" if isinstance(lab, ContainerdLab) else "podman"
    if fault not in FAULTS[engine]:
        raise LabError(f"{fault} is not shown on {engine}: choose one of {', '.join(FAULTS[engine])}")
    lab.down()
    lab.up()
    if engine == "containerd":
        if fault == "oom-kill":             # the app's own limit, as a pod spec's limits.memory
            pod = lab.pod(app_cmd=HOG, app_memory_limit=MIB16)
            wait_oom_kill(lab.cgroup(pod["uid"], pod["app"]))
            return pod["app"]
        if fault == "hostile":
            return hostile_pod(lab)
        pod = lab.pod()
        if fault == "stopped-shim":
            os.kill(pod["shim"], signal.SIGSTOP)
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
    if fault == "oom-kill":
        cid = lab.run("hc-" + fault, HOG, "--memory", "16m", "--memory-swap", "16m")
        wait_oom_kill(f"/{lab.cgroup_parent}/libpod-{cid}")
        return cid
    if fault == "hostile":
        return hostile_podman(lab)
    cid = lab.run("hc-" + fault, ["sleep", "1000000"])
    if fault == "stopped-shim":
        os.kill(lab.conmon_of(cid), signal.SIGSTOP)
    elif fault == "stuck-pipe":
        lab.stuck_exec("hc-" + fault)
    elif fault == "paused":
        lab.podman("pause", "hc-" + fault, timeout=30)
    return cid if fault != "baseline" else ""


def hostile_pod(lab: ContainerdLab) -> str:
    """The hostile fault as a pod: its labels and its app's names are the attack."""
    pod = lab.pod(name=hostile.LABEL, namespace="ns[/]", uid="0c0ffee0-1ab5-4e11-9d00-000000000666",
                  sandbox="hostilesandbox0", app="hostile0ctr", app_cmd=hostile.CMD)
    os.makedirs(lab.path("fifo"), exist_ok=True)
    lab.spawn("stalled-hostile", hostile.stalled_client(
        f"{shutil.which('ctr')} -a {lab.sock} -n k8s.io task exec --fifo-dir {lab.path('fifo')} "
        f"--exec-id hostile {pod['app']}"))
    _wait(lambda: _writer_blocked(lab.cgroup(pod["uid"], pod["app"]), "head"), 20, "head blocked on its stderr pipe")
    return pod["app"]


def hostile_podman(lab: PodmanLab) -> str:
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


def status(lab) -> str:
    if isinstance(lab, ContainerdLab):
        if not lab.is_up():
            return ""
        return lab.ctr("task", "ls", timeout=10, check=False).stdout.decode().rstrip()
    if not os.path.exists(lab.path("containers.conf")):
        return ""
    return lab.podman("ps", "-a", "--format", "{{.ID}} {{.Names}} {{.Status}}", timeout=10,
                      check=False).stdout.decode().rstrip() or "(no containers)"


def cli(args) -> tuple[int, str]:
    """`lab ACTION [FAULT] --engine E`: (exit code, text); raises LabError."""
    lab = lab_for(args.engine, args.dir)
    if args.action in ("up", "inject", "clear", "down") and os.geteuid() != 0:
        raise LabError("the lab needs root")
    if args.action == "up":
        lab.up()
        return 0, f"{args.engine} lab up in {lab.dir}\n{hint(lab)}"
    if args.action == "inject":
        if not args.fault:
            raise LabError(f"inject needs a fault: one of {', '.join(FAULTS[args.engine])}")
        cid = inject(lab, args.fault)
        return 0, f"injected {args.fault} on {args.engine}" + (f" into {cid[:12]}" if cid else "") + f"\n{hint(lab)}"
    if args.action == "status":
        text = status(lab)
        return (0, f"{args.engine} lab up in {lab.dir}\n{hint(lab)}\n{text}") if text else \
            (3, f"{args.engine} lab down ({lab.dir})")
    if args.action == "clear":
        lab.down()
        lab.up()
        return 0, f"{args.engine} lab cleared: no containers, no faults"
    forced = lab.down()
    return 0, "".join(f"  {line}\n" for line in forced) + f"{args.engine} lab down"
