"""deploy/npd/hangconsole-monitor.json: checked against node-problem-detector's
custompluginmonitor validation, and its rules run the way NPD runs them (argv, timeout and
process-group kill, output trimmed and cut at max_output_length, exit 0/1/other) on healthy,
faulty and hung-daemon lab nodes: each answers before its timeout, in at most 80 bytes."""
from __future__ import annotations

import json
import os
import time

import pytest

from hangconsole.cli import _parser
from hangconsole.diagnose.engine import CLASSES
from tests.helpers.hung_docker import HungDocker
from tests.integration.test_fleet_helpers import (IMAGE_PATH, NPD_CONFIG, REPO, duration, hc,
                                                  run_like_npd, stored_findings)

HUNG_CLASSES = {"daemon-unresponsive", "shim-unresponsive", "runtime-call-hung", "exec-pipe-deadlock",
                "runc-start-blocked", "pidns-linger", "frozen-cgroup"}


@pytest.fixture(scope="module")
def cfg():
    with open(NPD_CONFIG) as f:
        return json.load(f)


def _arg(args: list[str], flag: str) -> str | None:
    return args[args.index(flag) + 1] if flag in args else None


def test_config_passes_npd_validation(cfg):
    """custompluginmonitor/types/config.go ApplyConfiguration + Validate, field by field."""
    assert cfg["plugin"] == "custom" and cfg["source"]
    g = cfg["pluginConfig"]
    global_timeout = duration(g["timeout"])
    assert duration(g["invoke_interval"]) > 0 and g["max_output_length"] > 0 and g["concurrency"] >= 1
    conditions = {c["type"]: c for c in cfg["conditions"]}
    assert all(c["reason"] and c["message"] for c in conditions.values())
    perm = [r for r in cfg["rules"] if r["type"] == "permanent"]
    assert perm and all(r["type"] in ("permanent", "temporary") for r in cfg["rules"])
    for r in cfg["rules"]:
        assert r["reason"]
        if "timeout" in r:
            assert duration(r["timeout"]) <= global_timeout, "rule timeout above the global one"
        if "invoke_interval" in r:
            assert duration(r["invoke_interval"]) > 0
        if r["type"] == "permanent":
            assert r["condition"] in conditions, "a permanent rule needs a default condition"
    assert {r["condition"] for r in perm} == {"ContainerRuntimeHung"}
    # the path exists in the image: the Dockerfile installs the command there
    with open(os.path.join(REPO, "deploy", "kubernetes", "Dockerfile")) as f:
        assert IMAGE_PATH in f.read()
    assert all(r["path"] == IMAGE_PATH for r in cfg["rules"])


def test_rules_are_valid_commands_that_fit_npd_limits(cfg):
    g = cfg["pluginConfig"]
    covered = []
    for r in cfg["rules"]:
        args = _parser().parse_args(r["args"])
        assert args.command == "check" and args.npd
        timeout = min(duration(r.get("timeout", g["timeout"])), duration(g["timeout"]))
        assert args.timeout <= timeout, "the plugin's own deadline inside NPD's"
        assert args.max_output_length == g["max_output_length"]
        classes = args.classes.split(",")
        assert set(classes) <= set(CLASSES)
        covered += classes
    assert set(cfg["rules"][0]["args"][-1].split(",")) == HUNG_CLASSES
    assert len(covered) == len(set(covered)), "a class belongs to one rule"
    assert set(covered) == set(CLASSES) - {"paused"}, "every hang class has a rule"


def say(what: str, run) -> None:
    """For the record (pytest -s): wall time against the timeout, bytes, the line."""
    print(f"\nNPD-RUN {what}: {run.status} {run.seconds:.2f}s {len(run.raw.strip().encode())}B {run.output!r}")


def run_rules(cfg, env) -> list:
    out = []
    for rule in cfg["rules"]:         # concurrency 1: one after another, as configured
        run = run_like_npd(cfg, rule, env)
        say(rule["reason"], run)
        assert not run.killed, f"NPD would have killed {rule['reason']} after {run.seconds:.1f}s"
        assert len(run.raw.strip().encode()) <= cfg["pluginConfig"]["max_output_length"], run.raw
        assert run.raw.count("\n") == 1
        out.append(run)
    return out


def lab_ids(lab) -> set[str]:
    return set(lab.docker("ps", "-aq", "--no-trunc", timeout=10).stdout.decode().split())


def foreign(state_dir: str, ids: set[str]) -> list[dict]:
    """Warning/critical findings on containers that are not this lab's (other engines on a shared host)."""
    return [f for f in stored_findings(state_dir) if f["severity"] in ("warning", "critical")
            and f["container"] and f["container"] not in ids]


def test_healthy_lab_node(cfg, lab, tmp_path, root):
    assert hc("lab", "clear", "--dir", lab.dir).returncode == 0
    assert hc("lab", "inject", "baseline", "--dir", lab.dir).returncode == 0
    env = {"DOCKER_HOST": lab.docker_host, "HANGCONSOLE_STATE_DIR": str(tmp_path)}
    runs = run_rules(cfg, env)
    ids = lab_ids(lab)
    mine = [f for f in stored_findings(str(tmp_path)) if f["severity"] in ("warning", "critical")
            and (f["container"] in ids or f["class"] == "daemon-unresponsive")]
    assert mine == []
    others = {f["class"] for f in foreign(str(tmp_path), ids)}
    for rule, run in zip(cfg["rules"], runs):
        classes = set(rule["args"][-1].split(","))
        if classes & others:
            continue                   # another engine's fault on this shared host
        assert (run.status, run.output[:3]) == ("OK", "OK:"), run
    # the first rule sampled (two fresh samples); the others reused its verdict
    assert "cached" not in runs[0].output and all("cached" in r.output for r in runs[1:] if r.status == "OK")


def test_faulty_lab_node_stopped_shim(cfg, lab, tmp_path, root):
    assert hc("lab", "clear", "--dir", lab.dir).returncode == 0
    assert hc("lab", "inject", "stopped-shim", "--dir", lab.dir).returncode == 0
    cid = lab._state()["faults"][-1]["container"]
    env = {"DOCKER_HOST": lab.docker_host, "HANGCONSOLE_STATE_DIR": str(tmp_path)}
    first = run_rules(cfg, env)
    perm = first[0]
    assert perm.status == "NonOK"
    found = {f["class"] for f in stored_findings(str(tmp_path)) if f["container"] == cid}
    assert "shim-unresponsive" in found
    if not [f for f in foreign(str(tmp_path), lab_ids(lab)) if f["severity"] == "critical"]:
        assert perm.output.startswith("shim-unresponsive hc-stopped-shim"), perm.output
    # NPD's next round (its interval is 30 s; here past --reuse): the first rule takes one new
    # sample and pairs it with the stored one; zombies need samples >= 10 s apart, so now they show
    time.sleep(12)
    again = run_rules(cfg, env)
    assert again[0].status == "NonOK" and "[vs " in again[0].raw, again[0]
    found = {f["class"] for f in stored_findings(str(tmp_path)) if f["container"] == cid}
    assert {"shim-unresponsive", "zombies-under-shim"} <= found
    zombies = next(r for rule, r in zip(cfg["rules"], again) if "zombies-under-shim" in rule["args"][-1])
    assert zombies.status == "NonOK" and "[cached" in zombies.output, zombies

def test_hung_daemon_node(cfg, lab, tmp_path, root):
    """The Docker socket never answers (dockerd lives: the lab's): the plugin still answers in
    time, names daemon-unresponsive, and the call's age carries across runs."""
    hung = HungDocker(str(tmp_path / "docker.sock"))
    env = {"DOCKER_HOST": hung.url, "HANGCONSOLE_STATE_DIR": str(tmp_path / "st")}
    try:
        perm = cfg["rules"][0]
        first = run_like_npd(cfg, perm, env)
        say("hung first", first)
        assert not first.killed and first.status == "NonOK", first
        assert first.output.startswith("daemon-unresponsive host"), first.output
        time.sleep(11)                 # past --reuse: the next run samples again
        second = run_like_npd(cfg, perm, env)
        say("hung second", second)
        assert not second.killed and second.status == "NonOK" and "[vs " in second.output, second
        age = lambda r: int(r.output.split("after ")[1].split("s")[0])     # noqa: E731
        assert age(second) >= age(first) + 10
        # a plugin timeout too short for any verdict: an answer before it, never a kill
        tight = dict(perm, args=[a if a != "15" else "3" for a in perm["args"]], timeout="3s")
        for _ in range(2):
            run = run_like_npd(dict(cfg, pluginConfig=dict(cfg["pluginConfig"])), tight,
                               {**env, "HANGCONSOLE_STATE_DIR": str(tmp_path / "tight")})
            say("hung timeout 3s", run)
            assert not run.killed and run.status in ("Unknown", "NonOK") and len(run.raw.strip()) <= 80, run
    finally:
        hung.close()

