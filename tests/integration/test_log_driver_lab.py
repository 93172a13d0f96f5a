"""log-driver-blocked on the real engine: Docker's fluentd driver pointed at a local endpoint
that accepts and never reads (the lab fault), one that is stopped, and one that keeps up. Each
claim is checked against the host by a second means: the process named is the one holding the
endpoint's side of dockerd's connection (psutil), the writer called stuck writes nothing
(/proc/PID/io), and the fix leaves the container running, its log undrained."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import psutil

from hangconsole.lab.engine import IMAGE
from hangconsole.lab.faults import _container_pids, _wrote_nothing_for, blocked_writer, free_port, log_endpoint
from tests.integration.test_fix_lab import _wait_for, exec_returns, fault, hc


def _wchar(pid: int) -> int:
    with open(f"/proc/{pid}/io") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("wchar:"))


def _endpoint_holder(port: int) -> set[int]:
    """Who holds the endpoint's side of an established connection to PORT, as psutil sees it."""
    return {c.pid for c in psutil.net_connections(kind="tcp")
            if c.laddr and c.laddr.port == port and c.status == psutil.CONN_ESTABLISHED and c.pid}


def _finding(lab, cid: str) -> dict:
    d = json.loads(hc(lab, "diagnose", "--json").stdout)
    got = {f["class"]: f for f in d["findings"] if f["container"] == cid}
    assert "stuck-pipe" not in got, "the stuck pipe is the log driver's: its drain would hide the cause"
    assert "log-driver-blocked" in got, d["findings"]
    return got["log-driver-blocked"]


def test_deaf_endpoint_is_named_and_the_fix_is_at_the_endpoint(lab, tmp_path):
    cid = fault(lab, "log-driver-blocked")
    port = lab._state()["log-endpoint"][-1]
    deaf = next(h["pid"] for h in lab._state()["helpers"] if h["name"] == "log-endpoint")
    writer = blocked_writer(_container_pids(cid), "sh")
    f = _finding(lab, cid)
    before = _wchar(writer)
    e = f["evidence"]
    assert e["log_endpoint"] == f"127.0.0.1:{port}" and e["log_driver"] == "fluentd"
    assert e["endpoint_proc"]["pid"] == deaf and _endpoint_holder(port) == {deaf}, "the endpoint named holds the socket"
    assert e["connections"][0]["send_queue"] > 1_000_000 and e["endpoint_side"]["recv_queue"] > 0
    time.sleep(3)
    assert e["fd"]["pid"] == writer and _wchar(writer) == before, "the writer called stuck writes nothing"
    assert f"{e['connections'][0]['send_queue']:,} bytes unsent" in f["summary"]
    assert [c["source"] for c in f["causes"]][:2] == ["/proc/net/tcp rx_queue", "/proc/PID/net/tcp tx_queue"]

    # the operator runs the playbook, and meanwhile brings the collector back (a reading one)
    inc = tmp_path / "inc"
    env = dict(os.environ, DOCKER_HOST=lab.docker_host)
    fix = subprocess.Popen(["hangconsole", "fix", "log-driver-blocked", "--container", cid, "--yes",
                            "--incident-dir", str(inc), "--samples", "2", "--interval", "5"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        _wait_for(lambda: list(inc.glob("**/*dockerd*")), 60)       # the dump is taken first
        os.killpg(deaf, signal.SIGKILL)
        log_endpoint(lab, port, deaf=False)
        out, _ = fix.communicate(timeout=180)
    finally:
        fix.kill()
    assert fix.returncode == 0, out
    assert "takes the container's logs again" in out or "moves again" in out, out
    assert not list(inc.glob("**/drained-*")), "nothing of the container drained"
    assert _container_pids(cid) and writer in _container_pids(cid), "the container was not restarted"
    moved = _wchar(writer)
    time.sleep(1)
    assert _wchar(writer) > moved > before, "the writer writes again"
    assert exec_returns(lab, "hc-log-driver-blocked")
    _remove_while_read(lab, cid)


def _remove_while_read(lab, cid: str) -> None:
    """Remove a fluentd-logged container while its endpoint still reads: once the endpoint is
    gone, dockerd's close of the driver retries with a back-off of up to a minute, and a later
    `lab clear` can wait past its deadline on it (seen once in CI)."""
    lab.docker("rm", "-f", cid, timeout=100)


def test_stopped_endpoint_is_continued_nothing_killed(lab, tmp_path):
    """A collector stopped with SIGSTOP: the least harmful fix is SIGCONT, and it is what runs."""
    assert hc(lab, "lab", "clear", "--dir", lab.dir).returncode == 0
    port = free_port()
    ep = log_endpoint(lab, port, deaf=False)
    name = "hc-log-stopped"
    cid = lab.docker("run", "-d", "--network", "none", "--name", name, "--log-driver", "fluentd",
                     "--log-opt", f"fluentd-address=127.0.0.1:{port}", IMAGE, "sh", "-c",
                     "while :; do echo a line for a collector that was stopped; done",
                     timeout=60).stdout.decode().strip()
    os.kill(ep, signal.SIGSTOP)
    # blocked for good, not between bursts: the stopped endpoint's socket buffers still take
    # data for a while (what the lab fault waits for too)
    _wait_for(lambda: _wrote_nothing_for(blocked_writer(_container_pids(cid), "sh"), 3.0), 90)
    f = _finding(lab, cid)
    assert f["evidence"]["endpoint_proc"]["pid"] == ep and f"SIGCONT {ep}" in f["summary"]
    r = hc(lab, "fix", "log-driver-blocked", "--container", name, "--yes", "--incident-dir", str(tmp_path / "inc"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"SIGCONT python3 {ep} (stopped)" in r.stdout or f"SIGCONT python {ep} (stopped)" in r.stdout, r.stdout
    assert psutil.Process(ep).status() != psutil.STATUS_STOPPED
    assert exec_returns(lab, name)
    _remove_while_read(lab, cid)


def test_a_busy_container_with_a_working_endpoint_is_throttled_not_stuck(lab):
    """`yes` logging to an endpoint that reads: dockerd's fluentd driver sends ~1 MB at a time,
    so the writer waits seconds between bursts (seen: wchar still for 5 s, then 1 MB more). It
    is said as throttled (info), never as a stuck pipe to drain; the check says OK."""
    assert hc(lab, "lab", "clear", "--dir", lab.dir).returncode == 0
    port = free_port()
    log_endpoint(lab, port, deaf=False)
    cid = lab.docker("run", "-d", "--network", "none", "--name", "hc-log-busy", "--log-driver", "fluentd",
                     "--log-opt", f"fluentd-address=127.0.0.1:{port}", IMAGE, "yes",
                     timeout=60).stdout.decode().strip()
    for _ in range(3):
        d = json.loads(hc(lab, "diagnose", "--json").stdout)
        mine = [f for f in d["findings"] if f["container"] == cid]
        assert all(f["severity"] == "info" and f["class"] == "log-driver-blocked" and not f["playbook"]
                   for f in mine), [f["summary"] for f in mine]
        assert all("Throttled, not stuck" in f["summary"] for f in mine)
    _remove_while_read(lab, cid)
    assert hc(lab, "lab", "clear", "--dir", lab.dir).returncode == 0
