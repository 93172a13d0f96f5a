"""The fleet sees it first, on the real lab engine, through the permanent rule's own command
run the way NPD runs it (scaled-down interval; the check's reuse and age rules at their real
values): a healthy node pays one sample a run and stays OK; a shim stopped between two runs
is named by the first run after it; that run captures the moment (a replayable recording whose
findings name the shim, the daemons' goroutine dumps); a second fault on a full capture
directory removes the oldest capture."""
from __future__ import annotations

import json
import os
import time

from tests.integration.test_fleet_helpers import NPD_CONFIG, hc, run_like_npd

RULE_INTERVAL = 12.0         # NPD's invoke_interval is 30 s; scaled down, the check's rules unchanged


def _rule(capture: str, keep: int = 10):
    with open(NPD_CONFIG) as f:
        cfg = json.load(f)
    rule = dict(cfg["rules"][0])            # the permanent ContainerRuntimeHung rule
    rule["args"] = [*rule["args"], "--capture", capture, "--capture-keep", str(keep), "-v"]
    return cfg, rule


def _wait_for(pred, seconds: float):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if (got := pred()):
            return got
        time.sleep(0.5)
    return pred()


def test_first_run_after_a_fault_names_it_and_captures_the_moment(lab, tmp_path, root):
    assert hc("lab", "clear", "--dir", lab.dir).returncode == 0
    assert hc("lab", "inject", "baseline", "--dir", lab.dir).returncode == 0
    caps = tmp_path / "captures"
    cfg, rule = _rule(str(caps))
    env = {"DOCKER_HOST": lab.docker_host, "HANGCONSOLE_STATE_DIR": str(tmp_path / "state")}
    healthy = []
    for i in range(3):                                   # a healthy node, at the rule's interval
        r = run_like_npd(cfg, rule, env)
        assert r.status == "OK" and not r.killed, r.output
        healthy.append(r.seconds)
        time.sleep(RULE_INTERVAL - r.seconds)
    assert not caps.exists() or not os.listdir(caps), "a healthy node captures nothing"
    assert max(healthy[1:]) < 5.0, f"a healthy run with a stored sample takes one sample: {healthy}"

    assert hc("lab", "inject", "stopped-shim", "--dir", lab.dir).returncode == 0
    cid = lab._state()["faults"][-1]["container"]
    time.sleep(10)                                       # the fault is 10 s old at the next run
    r = run_like_npd(cfg, rule, env)
    assert r.status == "NonOK" and not r.killed, r.output
    assert r.output.startswith(("shim-unresponsive", "runtime-call-hung")), r.output
    assert r.seconds < 15, r.seconds

    got = os.listdir(caps)
    assert len(got) == 1, got
    cap = caps / got[0]
    d = json.loads(hc("diagnose", "--replay", str(cap), "--json").stdout)
    named = [f for f in d["findings"] if f["class"] == "shim-unresponsive"]
    assert named and named[0]["container"] == cid, d["findings"]
    audit = cap / "audit.log"
    done = _wait_for(lambda: "dumps:" in audit.read_text(), 40)     # the detached dumper finished
    dumps = [f for f in os.listdir(cap) if f.startswith("stacks-")]
    assert done and any("dockerd" in f for f in dumps) and any("containerd" in f for f in dumps), \
        (dumps, audit.read_text()[-2000:])
    assert not any("shim" in f for f in dumps), "never a shim"
    rep = hc("report", "--incident-dir", str(cap))
    assert rep.returncode == 0 and "shim-unresponsive" in open(rep.stdout.strip()).read()

    # the same fault at the next run is not captured again
    time.sleep(RULE_INTERVAL)
    assert run_like_npd(cfg, rule, env).status == "NonOK"
    assert len(os.listdir(caps)) == 1


def test_a_full_capture_directory_drops_the_oldest(lab, tmp_path, root):
    caps = tmp_path / "captures"
    cfg, rule = _rule(str(caps), keep=1)
    env = {"DOCKER_HOST": lab.docker_host, "HANGCONSOLE_STATE_DIR": str(tmp_path / "state")}
    names = []
    for _ in range(2):
        assert hc("lab", "clear", "--dir", lab.dir).returncode == 0
        run_like_npd(cfg, rule, env)                     # a healthy run stores its sample
        time.sleep(6)
        assert hc("lab", "inject", "stopped-shim", "--dir", lab.dir).returncode == 0
        time.sleep(10)
        r = run_like_npd(cfg, rule, env)
        assert r.status == "NonOK", r.output
        _wait_for(lambda: any("dumps:" in (caps / c / "audit.log").read_text() for c in os.listdir(caps)), 40)
        names.append(sorted(os.listdir(caps)))
    assert len(names[0]) == 1 and len(names[1]) == 1 and names[0] != names[1], names
    assert hc("lab", "clear", "--dir", lab.dir).returncode == 0
