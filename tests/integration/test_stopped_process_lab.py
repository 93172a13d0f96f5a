"""stopped-process on the real engine: a container whose main process is stopped (SIGSTOP)
while one of its children exits. Docker still says running and every call answers; diagnose
names the stopped process with its zombie; `fix --yes` continues it (SIGCONT), kills nothing,
and the process runs again: checked on the host by its own /proc state, not by the tool."""
from __future__ import annotations

import json
import os
import signal
import time

from hangconsole.actions.incident import Incident
from hangconsole.lab.engine import IMAGE
from hangconsole.lab.faults import _container_pids
from tests.integration.test_fix_lab import _cmdline, _wait_for, exec_returns, hc


def _state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def _started(lab, name: str, script: str) -> tuple[str, int]:
    """A fresh container NAME running `sh -c SCRIPT` on a cleared lab: its id and main pid."""
    assert hc(lab, "lab", "clear", "--dir", lab.dir).returncode == 0
    lab.docker("rm", "-f", name, check=False, timeout=30)
    cid = lab.docker("run", "-d", "--network", "none", "--name", name, IMAGE, "sh", "-c",
                     script, timeout=60).stdout.decode().strip()
    return cid, int(lab.docker("inspect", "-f", "{{.State.Pid}}", name).stdout)


def test_a_stopped_main_process_is_named_and_continued(lab, tmp_path):
    name = "hc-stopped-main"
    cid, init = _started(lab, name, "sleep 4 & while :; do sleep 3600; done")
    os.kill(init, signal.SIGSTOP)
    try:
        # its child `sleep 4` exits while it is stopped: a zombie nobody reaps
        _wait_for(lambda: any(_state(p) == "Z" for p in _container_pids(cid)), 30)
        assert lab.docker("inspect", "-f", "{{.State.Status}}", name).stdout.strip() == b"running"
        assert exec_returns(lab, name, 10), "the world: the engine answers; only the process is stopped"
        d = json.loads(hc(lab, "diagnose", "--json").stdout)
        got = {f["class"]: f for f in d["findings"] if f["container"] == cid}
        f = got["stopped-process"]
        zombie = next(p for p in _container_pids(cid) if _state(p) == "Z")
        assert f["pids"] == [init, zombie], f
        assert f"sh {init}, the container's main process, has been stopped" in f["summary"]
        assert "1 zombie waits on it" in f["summary"] and f"SIGCONT {init}" in f["summary"]
        assert "zombies-under-shim" not in got, "the zombie is the stopped process's, not the shim's"

        r = hc(lab, "fix", "stopped-process", "--container", name, "--yes",
               "--incident-dir", str(tmp_path / "inc"))
        assert r.returncode == 0, r.stdout + r.stderr
        assert f"SIGCONT sh {init} (stopped)" in r.stdout and f"sh {init} runs (state" in r.stdout, r.stdout
        assert _state(init) != "T", "the world: it runs"
        assert "sleep\x003600" in [_cmdline(p) for p in _container_pids(cid)], "nothing was killed"
        assert lab.docker("inspect", "-f", "{{.State.Status}}", name).stdout.strip() == b"running"
        # the shell reaps its child once it runs again
        _wait_for(lambda: not any(_state(p) == "Z" for p in _container_pids(cid)), 20)
        acts = [a for a in Incident(str(tmp_path / "inc")).audit_lines() if a["target"]]
        assert [(a["action"], a["target"]["pid"]) for a in acts] == [("SIGCONT", init)], acts
    finally:
        try:
            os.kill(init, signal.SIGCONT)
        except ProcessLookupError:
            pass
        lab.docker("rm", "-f", name, check=False, timeout=30)


def test_a_stopped_worker_is_named_and_a_job_stopped_at_a_terminal_is_not(lab, tmp_path):
    """A worker SIGSTOPped while its parent runs on is named, and continued alone. Beside it, an
    operator's interactive `docker exec -it` shell with a job stopped by Ctrl-Z: a job of a
    terminal (outside its foreground group), which `fg` resumes. Not named, not touched."""
    from ptyprocess import PtyProcess
    name = "hc-stopped-worker"
    cid, init = _started(lab, name, "sleep 3601 & sleep 3602 & wait")
    by_argv = lambda argv: next((p for p in _container_pids(cid) if _cmdline(p) == argv), None)  # noqa: E731
    _wait_for(lambda: by_argv("sleep\x003602"), 20)
    worker = by_argv("sleep\x003602")
    shell = PtyProcess.spawn(["docker", "-H", lab.docker_host, "exec", "-it", name, "sh"], dimensions=(24, 80))
    try:
        time.sleep(1.5)
        shell.write(b"sleep 3603\n")
        _wait_for(lambda: by_argv("sleep\x003603"), 20)
        shell.write(b"\x1a")                     # Ctrl-Z: the shell's job control stops it
        job = by_argv("sleep\x003603")
        _wait_for(lambda: _state(job) == "T", 20)
        os.kill(worker, signal.SIGSTOP)
        d = json.loads(hc(lab, "diagnose", "--json").stdout)
        f = {f["class"]: f for f in d["findings"] if f["container"] == cid}["stopped-process"]
        assert f["pids"] == [worker], f
        assert f"sleep {worker}, a process of the container, has been stopped" in f["summary"]
        # busybox's `wait` builtin sleeps in sigsuspend, not wait4: not a wait the tool can tie to
        # this child, so it says only what it knows (a shell's foreground child: "waits for it")
        assert f"its parent sh {init} is not stopped (state S)" in f["summary"]
        assert f"SIGCONT {worker}" in f["summary"]

        r = hc(lab, "fix", "stopped-process", "--container", name, "--yes",
               "--incident-dir", str(tmp_path / "inc"))
        assert r.returncode == 0, r.stdout + r.stderr
        assert _state(worker) != "T", "the world: the worker runs"
        assert _state(job) == "T", "the operator's stopped job is left to its shell"
        acts = [a for a in Incident(str(tmp_path / "inc")).audit_lines() if a["target"]]
        assert [(a["action"], a["target"]["pid"]) for a in acts] == [("SIGCONT", worker)], acts
    finally:
        shell.terminate(force=True)
        try:
            os.kill(worker, signal.SIGCONT)
        except ProcessLookupError:
            pass
        lab.docker("rm", "-f", name, check=False, timeout=30)
