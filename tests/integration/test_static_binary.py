"""The single executable (packaging/build.sh -> dist/hangconsole-linux-amd64) where there is no
Python at all: inside a container of the lab's busybox-static image (no libc, no Python),
`--pid=host`, the lab engine's socket and /sys/fs/cgroup mounted, it names an injected fault on
the right container and opens the console through `docker run -it`; on this host under
`env -i`, in a read-only directory, it opens a bundled incident's training and writes nothing
there. The build is the CI's (it runs packaging/build.sh first); outside CI a missing binary
is built here, or the test skips saying why."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

import pytest

from tests.conftest import need
from tests.integration.test_fix_lab import fault

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("HANGCONSOLE_BINARY") or os.path.join(REPO, "dist", "hangconsole-linux-amd64")


@pytest.fixture(scope="module")
def binary():
    if not os.path.exists(BINARY):
        r = subprocess.run(["bash", os.path.join(REPO, "packaging", "build.sh")], capture_output=True,
                           text=True, timeout=1800, cwd=REPO)
        need(r.returncode == 0, f"packaging/build.sh failed: {r.stdout[-500:]}{r.stderr[-500:]}")
    return BINARY


def _tmux_screen(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-t", session, "-p"], capture_output=True, text=True).stdout


def _wait_screen(session: str, text: str, seconds: float) -> str:
    end = time.monotonic() + seconds
    screen = ""
    while time.monotonic() < end:
        screen = _tmux_screen(session)
        if text in screen:
            return screen
        time.sleep(0.5)
    raise AssertionError(f"{text!r} never on screen:\n{screen}")


def _session_gone(session: str, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if subprocess.run(["tmux", "has-session", "-t", session], capture_output=True).returncode != 0:
            return True
        time.sleep(0.3)
    return False


def _in_busybox(lab, binary: str, *args: str, tty: bool = False) -> list[str]:
    """docker run argv: the lab's busybox-static image, nothing else in it but the file."""
    from hangconsole.lab.engine import IMAGE
    return ["docker", "-H", lab.docker_host, "run", "--rm", *(["-it"] if tty else []), "--pid=host",
            *CAPS, "--device", "/dev/kmsg", "--network", "none", "--tmpfs", "/tmp:exec",
            "-v", f"{lab.dir}:{lab.dir}", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro",      # its sockets, as the host names them
            "-v", f"{binary}:/hangconsole:ro", "-e", f"DOCKER_HOST=unix://{lab.sock}",
            IMAGE, "/hangconsole", *args]


# what the collector needs of the host (docs/static-binary.md); --privileged works too where
# the engine may grant every capability (this CI's sandbox may not)
CAPS = ["--cap-add", "SYS_PTRACE", "--cap-add", "DAC_READ_SEARCH", "--cap-add", "SYSLOG"]


def test_names_a_lab_fault_from_a_busybox_container(lab, binary):
    cid = fault(lab, "stopped-shim")
    argv = _in_busybox(lab, binary, "diagnose", "--json", "--samples", "2", "--interval", "5")
    r = subprocess.run(argv, capture_output=True, text=True, timeout=180)
    assert r.stdout.startswith("{"), r.stdout[-1000:] + r.stderr[-2000:]
    d = json.loads(r.stdout)
    named = {(f["class"], f["container"]) for f in d["findings"]}
    assert ("shim-unresponsive", cid) in named, (d["findings"], r.stderr[-2000:])
    assert r.returncode == 2, r.stderr[-2000:]
    probe = subprocess.run(["docker", "-H", lab.docker_host, "run", "--rm", "--tmpfs", "/tmp:exec",
                            "-v", f"{binary}:/hangconsole:ro", "--entrypoint", "/bin/sh", _image(),
                            "-c", "ls /usr/lib /usr/lib64 /lib 2>/dev/null | grep -c -E 'libc|python' || true"],
                           capture_output=True, text=True, timeout=60)
    assert probe.stdout.strip() in ("", "0"), f"the image has a libc or a Python: {probe.stdout}"


def test_the_image_of_deploy_runs(lab, binary, tmp_path):
    """deploy/kubernetes/Dockerfile.static on the lab's busybox image: the file is its entrypoint."""
    ctx = tmp_path / "ctx"
    (ctx / "dist").mkdir(parents=True)
    shutil.copy(binary, ctx / "dist" / "hangconsole-linux-amd64")
    shutil.copy(os.path.join(REPO, "deploy", "kubernetes", "Dockerfile.static"), ctx / "Dockerfile")
    b = subprocess.run(["docker", "-H", lab.docker_host, "build", "-q", "--build-arg", f"BASE={_image()}",
                        "-t", "hangconsole:static-test", str(ctx)], capture_output=True, text=True, timeout=300)
    assert b.returncode == 0, b.stderr[-2000:]
    r = subprocess.run(["docker", "-H", lab.docker_host, "run", "--rm", "--network", "none", "hangconsole:static-test",
                        "diagnose", "--replay", "seed-004"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "pidns-linger" in r.stdout, r.stdout[-1000:] + r.stderr[-1000:]


def _image() -> str:
    from hangconsole.lab.engine import IMAGE
    return IMAGE


def test_console_opens_through_docker_run_it_and_quits_on_q(lab, binary):
    need(bool(shutil.which("tmux")), "needs tmux")
    session = "hc-static-console"
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    cmd = " ".join(_in_busybox(lab, binary, tty=True))
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", cmd], check=True)
    try:
        _wait_screen(session, "Findings", 90)           # the overview's footer: the first frame is up
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        assert _session_gone(session, 30), _tmux_screen(session)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def test_runs_under_env_i_in_a_read_only_directory(binary, tmp_path):
    need(os.geteuid() == 0 and bool(shutil.which("tmux")), "needs root (a read-only bind mount) and tmux")
    ro = tmp_path / "ro"
    ro.mkdir()
    subprocess.run(["mount", "--bind", str(ro), str(ro)], check=True)
    subprocess.run(["mount", "-o", "remount,ro,bind", str(ro)], check=True)
    session = "hc-static-train"
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    try:
        r = subprocess.run(["env", "-i", binary, "diagnose", "--replay", "seed-000"], capture_output=True,
                           text=True, timeout=120, cwd=ro)
        assert r.returncode == 2 and "exec-pipe-deadlock" in r.stdout, r.stdout[-1000:] + r.stderr[-1000:]
        subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", "-c", str(ro),
                        f"env -i {binary} train seed-000"], check=True)
        _wait_screen(session, "hypothesis", 90)         # the page: commit to a hypothesis
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        assert os.listdir(ro) == [], "nothing written in the current directory"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        subprocess.run(["umount", "-l", str(ro)], capture_output=True)   # lazy: a pane that was in it may linger
