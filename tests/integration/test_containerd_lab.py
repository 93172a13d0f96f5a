"""Kubernetes-shaped nodes without Docker: a private containerd (no dockerd) with a pod whose
sandbox and app container share one containerd-shim-runc-v2, labelled as the CRI plugin labels
them, ids that are not 64-hex. Diagnosed by the installed `hangconsole` with its defaults.
Needs root and Debian's containerd; skips outside CI otherwise. One containerd per module."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from tests.conftest import LAB_DIR, need

EXE = shutil.which("hangconsole") or "hangconsole"


@pytest.fixture(scope="module")
def ctrd():
    from hangconsole.lab.containerd_engine import ContainerdLab
    need(os.geteuid() == 0, "the containerd lab needs root")
    need(bool(shutil.which("containerd", path=os.environ["PATH"] + ":/usr/sbin")), "needs Debian's containerd")
    need(os.path.exists("/bin/busybox"), "needs busybox-static")
    lab = ContainerdLab(LAB_DIR.rstrip("/") + "-ctrd")
    lab.down()
    lab.up()
    lab.pod()
    yield lab
    lab.down()
    assert lab.leftovers() == [], "containerd lab down left something behind"


# Two samples 5 s apart: what "stuck" and "pending" need (history.STUCK_AFTER); no class here
# needs the 10 s of zombies. diagnose's defaults (3 samples over 10 s) are proven in test_lab.py.
SAMPLING = ("--samples", "2", "--interval", "5")


def diagnose(lab, *extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "CONTAINERD_ADDRESS")}
    r = subprocess.run([EXE, "diagnose", "--json", "--no-docker", "--containerd-address", lab.sock, *SAMPLING, *extra],
                       capture_output=True, text=True, timeout=120, env=env)
    report = json.loads(r.stdout)
    assert r.returncode == report["exit"], r.stderr
    return report


def on(report: dict, cid: str) -> dict[str, dict]:
    return {f["class"]: f for f in report["findings"] if f["container"] == cid}


def test_pod_grouped_from_labels_and_non_hex_ids_attributed(ctrd):
    from hangconsole.collect.live import LiveSource
    src = LiveSource(docker=False, containerd_address=ctrd.sock)
    try:
        snap = src.snapshot()
    finally:
        src.close()
    assert snap.containerd.reachable and snap.containerd.version
    app, sandbox = snap.container("web0ctr"), snap.container("websandbox0")
    assert app.shim_pid == sandbox.shim_pid == ctrd.shim_of("websandbox0")
    assert app.namespace == sandbox.namespace == "k8s.io"
    assert (app.pod.name, app.pod.namespace, app.pod.container, app.pod.kind) == ("web", "default", "app", "container")
    assert sandbox.pod.kind == "sandbox" and app.pod.sandbox_id == "websandbox0"
    assert app.name == "app" and app.task_state == "running"
    assert app.cgroup_paths["pids"].endswith("/kubepods/besteffort/pod" + app.pod.uid + "/web0ctr")
    # attribution from the shim's bundle and the task's cgroup, not from the id's shape
    init = snap.proc(ctrd.task_pid("web0ctr"))
    assert init.container_id == "web0ctr"
    from hangconsole.collect import pods
    assert [c.id for c in pods.members(snap, app)] == ["websandbox0", "web0ctr"]
    calls = {p.call for p in snap.containerd.probes if p.status == "ok"}
    assert {"version", "namespaces", "containers", "tasks", "task-state"} <= calls


def test_stuck_exec_pipe_in_non_hex_container(ctrd):
    ctrd.stuck_exec("web0ctr")
    end = time.monotonic() + 20
    while time.monotonic() < end:          # the writer fills its pipe within a second or two
        time.sleep(0.5)
        if any(_comm(p) == "head" for p in _pids_in(ctrd, "web0ctr")):
            break
    report = diagnose(ctrd)
    f = on(report, "web0ctr")["stuck-pipe"]
    ev = f["evidence"]             # the `ctr task exec` client is named, and its reader that never reads
    assert ev["client"]["comm"] == "ctr" and [r["comm"] for r in ev["pipe"]["readers"]] == ["sleep"]
    side = ev["exec_side"]
    assert side["pipe"]["queued"] == side["pipe"]["capacity"] > 0
    assert [r["comm"] for r in side["pipe"]["readers"]] == ["containerd-shim"]
    assert f["stuck_for"] >= 5 and report["exit"] >= 1


def test_stopped_pod_shim(ctrd):
    shim = ctrd.shim_of("websandbox0")
    os.kill(shim, signal.SIGSTOP)
    try:
        report = diagnose(ctrd)
    finally:
        os.kill(shim, signal.SIGCONT)
    f = on(report, "websandbox0")["shim-unresponsive"]
    assert f["severity"] == "critical" and f["evidence"]["shim"]["state"] == "T"
    pod = f["evidence"]["pod"]
    assert (pod["name"], pod["namespace"], pod["sandbox"]) == ("web", "default", "websandbox0")
    assert {c["id"]: c["name"] for c in pod["containers"]} == {"websandbox0": "web (sandbox)", "web0ctr": "app"}
    assert "every container of the pod goes with it" in f["summary"]
    pending = {p["call"]: p for p in f["evidence"]["pending_calls"]}
    assert pending["task-state"]["seconds"] >= 5 and "still pending" in pending["task-state"]["text"]
    assert report["exit"] == 2


def _pids_in(lab, cid: str) -> list[int]:
    rows = lab.ctr("task", "ps", cid, timeout=15, check=False).stdout.decode().split("\n")[1:]
    return [int(r.split()[0]) for r in rows if r.strip()]


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def test_goroutine_dumps_of_the_pod_shim_and_containerd(ctrd, tmp_path):
    """SIGUSR1: the v2 shim's dump goes to its log FIFO and so to containerd's log; containerd
    writes /tmp/containerd.<pid>.stacks.log. Both are found, saved and parsed."""
    from hangconsole.actions.dump import dump_stacks
    from hangconsole.actions.incident import Incident
    from hangconsole.collect.live import LiveSource
    src = LiveSource(docker=False, containerd_address=ctrd.sock)
    try:
        snap = src.snapshot()
    finally:
        src.close()
    inc = Incident(str(tmp_path / "inc"))
    shim = dump_stacks(snap.proc(ctrd.shim_of("websandbox0")), snap, inc)
    assert shim.source == ctrd.path("containerd.log") and shim.groups, shim.note
    pid = int(open(ctrd.path("containerd.pid")).read())
    daemon = dump_stacks(snap.proc(pid), snap, inc)
    assert daemon.source == f"/tmp/containerd.{pid}.stacks.log" and daemon.groups, daemon.note


def test_stopped_containerd_pends_its_api_and_the_cri(ctrd):
    """What the kubelet's PLEG waits on (ListPodSandbox/ListContainers) shows as pending, and
    a sample still returns on time."""
    from hangconsole.collect.live import LiveSource
    pid = int(open(ctrd.path("containerd.pid")).read())
    src = LiveSource(docker=False, containerd_address=ctrd.sock)
    os.kill(pid, signal.SIGSTOP)
    try:
        src.snapshot()
        time.sleep(5)
        snap = src.snapshot()
    finally:
        os.kill(pid, signal.SIGCONT)
        src.close()
    assert snap.collect_seconds < 5
    assert snap.containerd.reachable is False and snap.cri.reachable is False
    cri = {p.call: p for p in snap.cri.probes}
    for call in ("Version", "ListPodSandbox", "ListContainers"):
        assert cri[call].status == "pending" and cri[call].seconds >= 5, cri[call]
    assert "still pending" in cri["ListPodSandbox"].text
    assert {p.call for p in snap.containerd.probes if p.status == "pending"} >= {"version", "namespaces"}


def test_pod_pids_limit_names_both_containers(ctrd):
    """podPidsLimit on the pod cgroup: the app forks up to it, and every container of the pod
    is at the limit (the level named is the pod's)."""
    pod = {"uid": "0c0ffee0-1ab5-4e11-9d00-000000000001", "app": "web0ctr"}
    pod_cg = ctrd.pod_pids_exhausted(pod)
    time.sleep(1)
    report = diagnose(ctrd)
    for cid in ("web0ctr", "websandbox0"):
        f = on(report, cid)["pids-exhausted"]
        pod_level = next(lv for lv in f["evidence"]["levels"] if lv["path"] == pod_cg)
        assert pod_level["pids_max"] == 8 and pod_level["pids_current"] >= 7
    assert on(report, "web0ctr")["pids-exhausted"]["severity"] == "critical"   # its fork was refused


def test_paused_pod_container_is_deliberate_not_frozen(ctrd):
    """`ctr task pause`: containerd's own PAUSED state makes it deliberate (info, with the
    resume command), not a frozen-cgroup hang; the pod's sandbox is left alone."""
    ctrd.ctr("task", "pause", "web0ctr", timeout=30)
    try:
        report = diagnose(ctrd)
    finally:
        ctrd.ctr("task", "resume", "web0ctr", timeout=30, check=False)
    app = on(report, "web0ctr")
    assert app["paused"]["severity"] == "info" and app["paused"]["evidence"]["task_state"] == "paused"
    assert "ctr -n k8s.io task resume web0ctr" in app["paused"]["summary"]
    assert "kubelet cannot see a pause" in app["paused"]["summary"]
    assert "frozen-cgroup" not in app                # (earlier tests' faults stay in the pod)
    assert not {"paused", "frozen-cgroup"} & set(on(report, "websandbox0"))


def test_oom_kill_in_a_pod_container(ctrd):
    """The app's own 16 MiB limit (limits.memory), a hog: oom-kill named on that container,
    with its limit, read from the memory cgroup under /kubepods/."""
    from hangconsole.lab.engines import MIB16
    from hangconsole.lab.faults import HOG, wait_oom_kill
    pod = ctrd.pod(name="hog", uid="0c0ffee0-1ab5-4e11-9d00-000000000002", sandbox="hogsandbox0",
                   app="hog0ctr", app_cmd=HOG, app_memory_limit=MIB16)
    assert wait_oom_kill(ctrd.cgroup(pod["uid"], "hog0ctr")) == 1      # raises, saying why, if not
    report = diagnose(ctrd)
    f = on(report, "hog0ctr")["oom-kill"]
    assert "memory limit 16 MiB" in f["summary"], f["summary"]
    assert f["evidence"]["memory"][0]["oom_kill"] >= 1
    assert f["evidence"]["memory"][0]["path"].endswith("/kubepods/besteffort/pod" + pod["uid"] + "/hog0ctr")
    assert "oom-kill" not in on(report, "hogsandbox0")


def test_fix_names_crictl_and_verifies_with_containerd(ctrd, tmp_path):
    """The shim-unresponsive playbook on a stopped pod shim: steps in crictl/ctr words, the
    shim resumed (SIGCONT) rather than killed, so both containers of the pod keep running, and
    the verify step asks containerd (not Docker)."""
    shim = ctrd.shim_of("websandbox0")
    os.kill(shim, signal.SIGSTOP)
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "CONTAINERD_ADDRESS")}
    r = subprocess.run([EXE, "fix", "shim-unresponsive", "--container", "websandbox0", "--yes", "--no-docker",
                        "--containerd-address", ctrd.sock, "--incident-dir", str(tmp_path / "inc")],
                       capture_output=True, text=True, timeout=240, env=env)
    out = r.stdout
    if shim and _comm(shim):                   # never leave a stopped shim behind a failure
        os.kill(shim, signal.SIGCONT)
    assert "crictl rm -f (ctr -n k8s.io task delete -f)" in out and "docker rm" not in out
    assert f"sent SIGCONT to containerd-shim {shim}" in out, out[-1500:]
    verify = [ln for ln in out.splitlines() if ln.startswith("[ok] verify: crictl inspect")]
    assert verify and "containerd task state answered" in verify[0] and "fixed without a kill" in verify[0], out[-1500:]
    assert "sent SIGKILL" not in out and r.returncode == 0, out[-1500:]
    tasks = ctrd.ctr("task", "ls", timeout=15).stdout.decode()
    assert all(any(ln.startswith(c) and "RUNNING" in ln for ln in tasks.splitlines())
               for c in ("websandbox0", "web0ctr")), tasks


def test_hostile_pod_text_stays_inert(ctrd):
    """The hostile fault as a pod (labels, names, argv, an exec's stderr full of escapes):
    snapshot and diagnose show it literally, nothing a terminal would act on; JSON exact."""
    from hangconsole.lab.engines import hostile_pod
    from tests.helpers.hostile import raw_controls
    app = hostile_pod(ctrd)
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "CONTAINERD_ADDRESS")}
    snap = subprocess.run([EXE, "snapshot", "--no-docker", "--containerd-address", ctrd.sock],
                          capture_output=True, text=True, timeout=120, env=env)
    assert snap.returncode == 0 and raw_controls(snap.stdout) == [], raw_controls(snap.stdout)
    assert "[/]" in snap.stdout and "\\x1b]0;PWNED\\x07" in snap.stdout
    report = diagnose(ctrd)
    f = on(report, app)["stuck-pipe"]
    assert "stderr" in " ".join(c["text"] for c in f["causes"]), f["causes"]
    text = subprocess.run([EXE, "diagnose", "--no-docker", "--containerd-address", ctrd.sock, *SAMPLING],
                          capture_output=True, text=True, timeout=120, env=env).stdout
    assert raw_controls(text) == [] and "stuck-pipe" in text
