"""The remedies on the real engine, through the installed `hangconsole fix`: a stuck pipe
drained with every byte on disk, a stopped shim's stacks dumped and the shim killed, a pids
limit raised, a paused container never touched, refusals without --yes."""
from __future__ import annotations

import json
import os
import signal
import shutil
import subprocess

from hangconsole.actions.incident import Incident
from hangconsole.lab.engine import IMAGE, Lab
from hangconsole.lab.faults import _container_pids, _wrote_nothing_for, blocked_writer

EXE = shutil.which("hangconsole") or "hangconsole"


def hc(lab: Lab, *args, timeout: float = 240):
    """The installed command against the lab. `fix` and `diagnose` sample twice 5 s apart
    (what "stuck" needs, history.STUCK_AFTER) unless a test says otherwise; the defaults
    (3 samples over 10 s, what zombies need) are proven in test_lab.py."""
    env = dict(os.environ, DOCKER_HOST=lab.docker_host)
    if args and args[0] in ("fix", "diagnose") and "--samples" not in args:
        args = (*args, "--samples", "2", "--interval", "5")
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=timeout, env=env)


def fault(lab: Lab, name: str) -> str:
    assert hc(lab, "lab", "clear", "--dir", lab.dir).returncode == 0
    r = hc(lab, "lab", "inject", name, "--dir", lab.dir)
    assert r.returncode == 0, r.stderr
    return lab._state()["faults"][-1]["container"]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def exec_returns(lab: Lab, name: str, seconds: float = 20) -> bool:
    """Whether a new attached `docker exec NAME echo hi` prints hi and returns within SECONDS:
    the call the operator's hang was about, asked of the real engine."""
    try:
        r = subprocess.run(["docker", "exec", name, "echo", "hi"], capture_output=True, timeout=seconds,
                           env=dict(os.environ, DOCKER_HOST=lab.docker_host))
    except subprocess.TimeoutExpired:
        return False
    return r.returncode == 0 and r.stdout == b"hi\n"


def pids_of(pattern: str) -> list[int]:
    r = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
    return [int(x) for x in r.stdout.split()]


def test_stuck_pipe_drained_at_the_stalled_client_every_byte_on_disk(lab, tmp_path):
    """The lab's exec client writes into a pipe that `sleep` never reads: the finding names
    that client and its reader, the drain reads the client's pipe (the far end), and the whole
    exec's output (50,000,000 bytes) lands on disk, in order; then a new exec returns."""
    fault(lab, "stuck-pipe")
    client = pids_of("^docker exec hc-stuck-pipe")
    reader = pids_of("^sleep 1000000$")
    r = hc(lab, "fix", "stuck-pipe", "--container", "hc-stuck-pipe", "--incident-dir", str(tmp_path / "a"))
    refused = [x for x in r.stdout.splitlines() if "refused without --yes" in x]
    assert r.returncode == 3 and len(refused) == 1 and "step 5 'Drain the pipe'" in refused[0], r.stdout
    assert "[skipped] act: Continue the client if it is stopped" in r.stdout     # none is stopped
    assert not list((tmp_path / "a").glob("drained-*")), "a drain takes bytes from their reader: not without --yes"
    inc = tmp_path / "inc"
    r = hc(lab, "fix", "stuck-pipe", "--container", "hc-stuck-pipe", "--incident-dir", str(inc), "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    finding = json.load(open(inc / "findings.json"))["findings"][0]
    ev = finding["evidence"]
    assert ev["fd"]["pid"] == ev["client"]["pid"] and ev["client"]["pid"] in client, ev["client"]
    [sleep] = [x["pid"] for x in ev["pipe"]["readers"]]
    assert sleep in reader and f"sleep {sleep}, is not reading" in finding["summary"]
    head = ev["exec_side"]["fd"]["pid"]
    drains = [a for a in Incident(str(inc)).audit_lines() if a["action"] == "drain-pipe"]
    assert len(drains) == 1
    path = drains[0]["detail"]["to"]
    count = int(drains[0]["result"].split()[1])
    assert count == os.path.getsize(path) == 50_000_000, "the exec's whole output is on disk"
    with open(path, "rb") as f:
        assert f.read() == b"y\n" * 25_000_000
    assert not alive(ev["client"]["pid"]) and not alive(head), "the client and the exec's head finished"
    assert "[ok] verify: The writer moved on" in r.stdout
    assert "[ok] verify: A new exec in the container returns: `docker exec hc-stuck-pipe true` returned" in r.stdout
    assert f"drained {count:,} bytes" in r.stdout and f"saved to {path}" in r.stdout
    assert "first lines:\n    y\n    y" in r.stdout                 # what was in the pipe, shown
    assert exec_returns(lab, "hc-stuck-pipe"), "the symptom is gone: a new docker exec returns"
    assert hc(lab, "diagnose").returncode == 0


def test_exec_drained_inside_still_hangs_and_the_client_is_named(lab, tmp_path):
    """Draining only the container's side (what the tool used to do) lets the exec exit while
    its client still does not read: dockerd cannot close that exec, and every new attached
    exec on the container hangs. `diagnose` says so and names the client; `fix` ends it."""
    cid = fault(lab, "stuck-pipe")
    client = pids_of("^docker exec hc-stuck-pipe")
    head = blocked_writer(_container_pids(cid), "head")
    # while its exec still runs, it holds up no other exec; diagnose says exactly that
    assert exec_returns(lab, "hc-stuck-pipe", 10), "the world: a new exec answers while head is blocked"
    r = hc(lab, "diagnose", "--json")
    f = json.loads(r.stdout)["findings"][0]
    assert "new `docker exec` calls on the container still answer" in f["summary"], f["summary"]
    with open(f"/proc/{head}/fd/1", "rb") as f:          # the test plays the old drain
        while f.read(1 << 16):
            pass
    assert not exec_returns(lab, "hc-stuck-pipe", 10), "the world: a new exec hangs behind the stalled client"
    r = hc(lab, "diagnose", "--json")
    assert r.returncode == 1, r.stdout
    f = json.loads(r.stdout)["findings"][0]
    assert f["class"] == "stuck-pipe" and f["evidence"]["client"]["pid"] == client[0], f
    assert "new attached `docker exec` calls on the container wait behind it" in f["summary"]
    r = hc(lab, "fix", "stuck-pipe", "--container", "hc-stuck-pipe", "--incident-dir", str(tmp_path / "inc"), "--yes")
    assert r.returncode == 0 and "[ok] verify: A new exec in the container returns" in r.stdout, r.stdout
    assert exec_returns(lab, "hc-stuck-pipe")


def test_a_client_stalled_after_its_exec_ended_holds_up_nobody_else(lab):
    """An exec whose 500 KB dockerd takes whole ends; its client never reads. The client is
    stuck, the container is not: dockerd closed the exec, a new exec answers, and diagnose
    says the output waits for this client alone (not that other execs hang)."""
    assert hc(lab, "lab", "clear", "--dir", lab.dir).returncode == 0
    name = "hc-client"
    lab.docker("rm", "-f", name, check=False, timeout=30)
    cid = lab.docker("run", "-d", "--network", "none", "--name", name, IMAGE, "sleep", "1000000",
                     timeout=60).stdout.decode().strip()
    client = subprocess.Popen(["sh", "-c", f"docker exec {name} sh -c 'yes | head -c 500000' | sleep 1000000"],
                              env=dict(os.environ, DOCKER_HOST=lab.docker_host), start_new_session=True)
    try:
        _wait_for(lambda: lab.docker("inspect", "-f", "{{len .ExecIDs}}", name).stdout.strip() == b"0"
                  and not [p for p in _container_pids(cid) if _cmdline(p).startswith("sh")], 30)
        assert exec_returns(lab, name, 10), "the world: nothing else waits"
        r = hc(lab, "diagnose", "--json")
        [f] = [f for f in json.loads(r.stdout)["findings"] if f["container"] == cid]
        assert f["class"] == "stuck-pipe" and f["evidence"]["held_execs"] == {"listed": 0, "running": 0}
        assert "other execs on the container are not held up" in f["summary"], f["summary"]
    finally:
        os.killpg(client.pid, signal.SIGKILL)
        client.wait()
    lab.docker("rm", "-f", name, check=False, timeout=30)


def test_stopped_client_is_continued_not_drained(lab, tmp_path):
    """A `docker exec` client stopped with SIGSTOP (Ctrl-Z) reads nothing: the least harmful
    remedy is SIGCONT. Nothing is drained, the client gets all its output and exits 0."""
    assert hc(lab, "lab", "clear", "--dir", lab.dir).returncode == 0
    name = "hc-client"
    lab.docker("rm", "-f", name, check=False, timeout=30)
    cid = lab.docker("run", "-d", "--network", "none", "--name", name, IMAGE, "sleep", "1000000",
                     timeout=60).stdout.decode().strip()
    client = subprocess.Popen(["docker", "exec", name, "sh", "-c", "sleep 3; yes | head -c 20000000"],
                              stdout=subprocess.DEVNULL, env=dict(os.environ, DOCKER_HOST=lab.docker_host))
    try:        # stopped once its exec runs (sleep 3 in the container), before the output starts
        _wait_for(lambda: "sleep\x003" in [_cmdline(p) for p in _container_pids(cid)], 20)
        os.kill(client.pid, signal.SIGSTOP)
        _wait_for(lambda: _wrote_nothing_for(blocked_writer(_container_pids(cid), "head"), 3.0), 60)
        r = hc(lab, "fix", "stuck-pipe", "--container", name, "--incident-dir", str(tmp_path / "inc"), "--yes")
        assert r.returncode == 0, r.stdout + r.stderr
        assert f"SIGCONT docker {client.pid} (stopped)" in r.stdout and "resumed, fixed without a kill" in r.stdout
        assert not list((tmp_path / "inc").glob("drained-*")), "nothing drained"
        assert client.wait(timeout=60) == 0, "the client got all of its output"
    finally:
        client.kill()
    assert exec_returns(lab, name)
    lab.docker("rm", "-f", name, check=False, timeout=30)


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline") as f:
            return f.read().strip("\0")
    except OSError:
        return ""


def _wait_for(pred, seconds: float):
    import time
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def test_dry_run_changes_nothing(lab, tmp_path):
    fault(lab, "stuck-pipe")
    inc = tmp_path / "inc"
    r = hc(lab, "fix", "stuck-pipe", "--container", "hc-stuck-pipe", "--incident-dir", str(inc), "--dry-run")
    assert r.returncode == 1 and "dry-run" in r.stdout, r.stdout     # the state it found: a warning
    step = next(x for x in r.stdout.splitlines() if x.startswith("step 5/8 act:"))
    assert "through /proc/" in step and "[targets: docker pid" in step and "(start " in step
    assert "nothing done and nothing written" in r.stdout
    assert not inc.exists(), "a dry run writes nothing: no incident directory"
    writer = next(int(w.split()[0]) for w in step.split("[targets: docker pid ")[1:])
    assert alive(writer), "the client is still blocked"


def test_stopped_shim_refused_without_yes_then_resumed_not_killed(lab, tmp_path):
    """A SIGSTOPped shim: the least harmful remedy, SIGCONT, fixes it; nothing is killed, the
    container keeps running and a new exec into it answers."""
    cid = fault(lab, "stopped-shim")
    r = hc(lab, "fix", "shim-unresponsive", "--container", cid[:12], "--incident-dir", str(tmp_path / "a"))
    assert r.returncode == 3 and "refused without --yes" in r.stdout
    shim = json.load(open(tmp_path / "a" / "findings.json"))["findings"][0]["evidence"]["shim"]["pid"]
    assert alive(shim), "refused means untouched"
    inc = tmp_path / "b"
    r = hc(lab, "fix", "shim-unresponsive", "--container", cid[:12], "--incident-dir", str(inc), "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "[ok] verify: docker inspect of the container answers again after the thaw or SIGCONT" in r.stdout, r.stdout
    acts = [a["action"] for a in Incident(str(inc)).audit_lines()]
    assert "SIGCONT" in acts and "SIGKILL" not in acts, acts
    cont = next(a for a in Incident(str(inc)).audit_lines() if a["action"] == "SIGCONT")
    assert cont["target"]["pid"] == shim and cont["target"]["start_ticks"] and cont["result"] == "sent"
    with open(f"/proc/{shim}/stat") as f:
        assert f.read().rsplit(")", 1)[1].split()[0] != "T", "the shim runs again"
    state = lab.docker("inspect", "-f", "{{.State.Status}}", cid, timeout=20).stdout.decode().strip()
    assert state == "running", state
    # the call that hung answers now: a new exec into the container, with a deadline
    assert lab.docker("exec", cid, "echo", "hi", timeout=20).stdout.decode().strip() == "hi"


def test_pids_limit_raised(lab, tmp_path):
    cid = fault(lab, "pids-exhausted")
    r = hc(lab, "fix", "pids-exhausted", "--container", cid[:12], "--incident-dir", str(tmp_path / "a"))
    assert r.returncode == 3 and "refused without --yes" in r.stdout
    r = hc(lab, "fix", "pids-exhausted", "--container", cid[:12], "--incident-dir", str(tmp_path / "b"), "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    with open(f"/sys/fs/cgroup/pids/{lab.cgroup_parent}/{cid}/pids.max") as f:
        assert int(f.read()) > 8
    assert lab.docker("exec", "hc-pids-exhausted", "sh", "-c", "sleep 1 & wait", timeout=30).returncode == 0


def test_paused_container_is_never_touched(lab, tmp_path):
    cid = fault(lab, "paused")
    inc = tmp_path / "inc"
    r = hc(lab, "fix", "frozen-cgroup", "--container", "hc-paused", "--incident-dir", str(inc), "--yes")
    assert r.returncode == 0 and "nothing to fix" in r.stdout
    assert not inc.exists(), "no action, no incident"
    assert lab.docker("inspect", "-f", "{{.State.Paused}}", cid, timeout=15).stdout.decode().strip() == "true"


def test_two_engines_only_the_containers_daemons_are_signalled(lab, tmp_path):
    """A second private engine beside the lab, both dockerds stopped with the lab's shim: the
    SIGCONTs go to the shim and to the dockerd at the chosen Docker host, never to the other
    engine's (chosen by the socket it listens on)."""
    other = Lab(lab.dir + "-other")
    other.down()
    other.up()
    mine_d, theirs_d = int(open(lab.path("docker.pid")).read()), int(open(other.path("docker.pid")).read())
    try:
        cid = fault(lab, "stopped-shim")
        shim = lab._state()["stopped"][-1]
        os.kill(mine_d, signal.SIGSTOP)
        os.kill(theirs_d, signal.SIGSTOP)
        inc = tmp_path / "inc"
        r = hc(lab, "fix", "shim-unresponsive", "--container", cid[:12], "--incident-dir", str(inc), "--yes")
        conts = {a["target"]["pid"] for a in Incident(str(inc)).audit_lines() if a["action"] == "SIGCONT"
                 and a["result"] == "sent"}
        assert conts == {shim, mine_d}, (conts, shim, mine_d, theirs_d, r.stdout)
        with open(f"/proc/{theirs_d}/stat") as f:
            assert f.read().rsplit(")", 1)[1].split()[0] == "T", "the other engine's dockerd is untouched"
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        for pid in (mine_d, theirs_d):
            os.kill(pid, signal.SIGCONT)
        other.down()
    assert other.leftovers() == []


def daemon_pids(lab: Lab, comm: str) -> list[int]:
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv[0].endswith(comm.encode()) and (lab.dir + "/").encode() in b" ".join(argv):
            out.append(int(pid))
    return out


def test_stopped_dockerd_is_named_and_resumed(lab, tmp_path):
    """dockerd behind the lab's socket SIGSTOPped: diagnose names that dockerd (its pid, its
    socket, state T) as the root; the playbook resumes it with SIGCONT, docker ps answers and
    the container keeps running."""
    cid = fault(lab, "paused")                  # any container: it must still run afterwards
    lab.docker("unpause", "hc-paused", timeout=30)
    dockerd = int(open(lab.path("docker.pid")).read())
    os.kill(dockerd, signal.SIGSTOP)
    try:
        d = hc(lab, "diagnose", "--json")
        report = json.loads(d.stdout)
        f = next(x for x in report["findings"] if x["class"] == "daemon-unresponsive")
        assert f"dockerd {dockerd} behind {lab.docker_host} is stopped (state T)" in f["summary"], f["summary"]
        assert f["evidence"]["dockerd"]["pid"] == dockerd
        inc = tmp_path / "inc"
        r = hc(lab, "fix", "daemon-unresponsive", "--incident-dir", str(inc), "--yes", "--container", cid[:12])
        conts = [a["target"]["pid"] for a in Incident(str(inc)).audit_lines() if a["action"] == "SIGCONT"]
        assert conts == [dockerd], (conts, r.stdout)
        assert "[ok] verify: docker ps answers again after the SIGCONT" in r.stdout, r.stdout
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        os.kill(dockerd, signal.SIGCONT)
    assert lab.docker("inspect", "-f", "{{.State.Status}}", cid, timeout=20).stdout.decode().strip() == "running"


def test_a_busy_healthy_writer_is_no_finding_and_keeps_its_log(lab, tmp_path):
    """`yes` as a container's main process fills its stdout pipe as fast as the shim copies it
    into the json-file log: the pipe is full at every sample, but the writer makes progress
    (its write count moves), so nothing is stuck and nothing drains its log."""
    assert hc(lab, "lab", "clear", "--dir", lab.dir).returncode == 0
    lab.docker("rm", "-f", "hc-yes", check=False, timeout=30)
    cid = lab.docker("run", "-d", "--network", "none", "--name", "hc-yes", IMAGE, "yes", timeout=60).stdout.decode().strip()
    d = json.loads(hc(lab, "diagnose", "--json").stdout)
    assert [f["class"] for f in d["findings"] if f["container"] == cid] == [], d["findings"]
    r = hc(lab, "fix", "stuck-pipe", "--container", "hc-yes", "--incident-dir", str(tmp_path / "inc"), "--yes")
    assert r.returncode == 0 and "nothing to fix" in r.stdout, r.stdout
    assert not (tmp_path / "inc").exists()
    logs = lab.docker("logs", "--tail", "3", "hc-yes", timeout=30).stdout.decode().split()
    assert logs == ["y", "y", "y"], logs
    lab.docker("rm", "-f", "hc-yes", check=False, timeout=30)


def test_stalled_attach_client_stops_the_container_and_its_log_and_is_named(lab, tmp_path):
    """`docker attach` into a container that prints without end, its output piped to a reader
    that never reads: dockerd's copy to that client stops the container's stdout and its log.
    The client is named; a drain is refused (the stream never ends); the fix says SIGKILL the
    client (a plain kill is forwarded to the container). The test does that: the log resumes."""
    assert hc(lab, "lab", "clear", "--dir", lab.dir).returncode == 0
    name = "hc-chatty"
    lab.docker("rm", "-f", name, check=False, timeout=30)
    lab.docker("run", "-d", "--network", "none", "--name", name, IMAGE, "sh", "-c",
               "i=0; while :; do i=$((i+1)); echo line $i; done", timeout=60)
    env = dict(os.environ, DOCKER_HOST=lab.docker_host)
    shell = subprocess.Popen(["sh", "-c", f"docker attach --no-stdin {name} | sleep 1000000"], env=env,
                             start_new_session=True)
    try:
        def tail():
            return lab.docker("logs", "--tail", "1", name, timeout=20).stdout.decode().strip()
        _wait_for(lambda: pids_of(f"^docker attach --no-stdin {name}"), 10)
        [client] = pids_of(f"^docker attach --no-stdin {name}")
        r = hc(lab, "fix", "stuck-pipe", "--container", name, "--incident-dir", str(tmp_path / "inc"), "--yes")
        assert r.returncode == 2, r.stdout + r.stderr
        assert f"docker {client} (`docker attach --no-stdin {name}`), a client of this container" in r.stdout
        assert "dockerd copies none of the container's output" in r.stdout
        assert f"[skipped] act: Drain the pipe: docker {client} is a client of `docker attach`" in r.stdout
        assert f"Next: end the client: kill -9 {client}" in r.stdout
        assert not list((tmp_path / "inc").glob("drained-*")), "a never-ending stream is not drained"
        stuck = tail()
        assert tail() == stuck, "the world: the log stopped"
        os.kill(client, signal.SIGKILL)
        _wait_for(lambda: tail() != stuck, 20)            # the container and its log move again
    finally:
        os.killpg(shell.pid, signal.SIGKILL)
        lab.docker("rm", "-f", name, check=False, timeout=30)
