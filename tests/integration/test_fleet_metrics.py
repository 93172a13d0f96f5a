"""`hangconsole metrics --textfile DIR` read by Debian's real prometheus-node-exporter,
scraped over loopback and checked with `promtool check metrics`: a healthy lab exports no
finding on its containers, a stopped shim exports one with its labels and its zombies, a hung
Docker socket shows pending calls whose age grows."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from tests.conftest import need
from tests.helpers.hung_docker import HungDocker
from tests.integration.test_fleet_helpers import EXE, NodeExporter, hc, series


@pytest.fixture
def exporter(tmp_path):
    need(bool(shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")),
         "needs Debian's prometheus-node-exporter")
    need(bool(shutil.which("promtool")), "needs promtool (Debian prometheus)")
    d = tmp_path / "textfile"
    d.mkdir()
    ne = NodeExporter(str(d))
    yield ne, str(d)
    ne.stop()


def scrape_checked(ne: NodeExporter) -> str:
    text = ne.scrape()
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    errors = series(text, "node_textfile_scrape_error")
    assert errors and errors[0][1] == 0, "node_exporter could not read the textfile"
    return text


def lab_fault(lab, name: str) -> list[str]:
    assert hc("lab", "clear", "--dir", lab.dir).returncode == 0
    r = hc("lab", "inject", name, "--dir", lab.dir)
    assert r.returncode == 0, r.stderr
    return lab.docker("ps", "-aq", "--no-trunc", timeout=10).stdout.decode().split()


def test_healthy_lab_exports_no_finding(lab, exporter, tmp_path):
    ne, d = exporter
    ids = lab_fault(lab, "baseline")
    r = hc("metrics", "--textfile", d, "--docker-host", lab.docker_host, "--state-dir", str(tmp_path / "st"))
    assert r.returncode in (0, 1), r.stderr
    text = scrape_checked(ne)
    short = {i[:12] for i in ids}
    assert len(short) >= 4
    mine = [lab_ for lab_, _ in series(text, "hangconsole_finding") if lab_["container_id"] in short]
    assert mine == []
    assert series(text, "hangconsole_check_up") == [({}, 1.0)]
    pending = series(text, "hangconsole_runtime_calls_pending")
    assert {x["call"] for x, _ in pending} == {"ping", "list", "inspect"} and all(v == 0 for _, v in pending)
    counts = series(text, "hangconsole_findings")
    assert {x["class"] for x, _ in counts} >= {"shim-unresponsive", "daemon-unresponsive", "stuck-pipe"}
    if r.returncode == 0:          # a host with nothing else wrong (as in CI): every count is 0
        assert all(v == 0 for x, v in counts if x["severity"] != "info")
    assert series(text, "hangconsole_last_success_timestamp_seconds")[0][1] > time.time() - 120
    assert [x for x, _ in series(text, "node_textfile_mtime_seconds")] == [{"file": f"{d}/hangconsole.prom"}]


def test_stopped_shim_exports_one_finding_with_labels(lab, exporter, tmp_path):
    ne, d = exporter
    lab_fault(lab, "stopped-shim")
    cid = lab._state()["faults"][-1]["container"]
    caps = str(tmp_path / "caps")
    r = hc("metrics", "--textfile", d, "--docker-host", lab.docker_host, "--state-dir", str(tmp_path / "st"),
           "--capture", caps)
    assert r.returncode == 1, r.stdout + r.stderr
    text = scrape_checked(ne)
    assert [v for _, v in series(text, "hangconsole_captures")] == [1.0], "the detection was captured"
    assert [v for _, v in series(text, "hangconsole_last_capture_timestamp_seconds")][0] > 0
    shim = [(x, v) for x, v in series(text, "hangconsole_finding")
            if x["class"] == "shim-unresponsive" and x["container_id"] == cid[:12]]
    assert shim == [({"class": "shim-unresponsive", "severity": "critical", "container_id": cid[:12],
                      "container": "hc-stopped-shim", "pod": "", "namespace": ""}, 1.0)]
    zombies = [v for x, v in series(text, "hangconsole_shim_zombies") if x["container_id"] == cid[:12]]
    assert zombies == [3.0]
    pend = {x["call"]: v for x, v in series(text, "hangconsole_runtime_calls_pending")}
    assert pend["inspect"] >= 1 and pend["ping"] == 0
    counts = {(x["class"], x["severity"]): v for x, v in series(text, "hangconsole_findings")}
    assert counts[("shim-unresponsive", "critical")] >= 1


def test_hung_docker_pending_calls_age_while_looping(exporter, tmp_path):
    """A socket that never answers: the loop's one pending ping and list age, never re-issued.
    (Containers other engines run on this host may be inspected through it too.)"""
    ne, d = exporter
    hung = HungDocker(str(tmp_path / "docker.sock"))
    p = subprocess.Popen([EXE, "metrics", "--textfile", d, "--loop", "1", "--docker-host", hung.url,
                          "--state-dir", str(tmp_path / "st")], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        ages = []
        deadline = time.monotonic() + 60
        while len(ages) < 2 and time.monotonic() < deadline:
            time.sleep(1.0)
            if not os.path.exists(os.path.join(d, "hangconsole.prom")):
                continue
            text = scrape_checked(ne)
            age = {x["call"]: v for x, v in series(text, "hangconsole_runtime_call_pending_seconds")}
            count = {x["call"]: v for x, v in series(text, "hangconsole_runtime_calls_pending")}
            # one ping and one list pending at every scrape: never issued twice while pending
            assert count["ping"] == 1 and count["list"] == 1, text
            if not ages or age["ping"] > ages[-1] + 2:
                ages.append(age["ping"])
                assert age["list"] > 0
        assert len(ages) == 2 and ages[1] > ages[0], ages
    finally:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
        hung.close()
    assert p.returncode == 0, err


def test_alert_rules_pass_promtool_check_and_unit_tests():
    need(bool(shutil.which("promtool")), "needs promtool (Debian prometheus)")
    here = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "deploy", "prometheus")
    r = subprocess.run(["promtool", "check", "rules", "hangconsole-rules.yml"], cwd=here,
                       capture_output=True, text=True)
    assert r.returncode == 0 and "SUCCESS: 5 rules found" in r.stdout, r.stdout + r.stderr
    r = subprocess.run(["promtool", "test", "rules", "hangconsole-rules.test.yml"], cwd=here,
                       capture_output=True, text=True)
    assert r.returncode == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr
    # every metric an alert reads is one the textfile has
    from hangconsole.fleet import check as ck
    from hangconsole.fleet import metrics
    names = {ln.split()[2] for ln in metrics.render(ck.Result("ok")).splitlines() if ln.startswith("# TYPE")}
    with open(os.path.join(here, "hangconsole-rules.yml")) as f:
        used = set(re.findall(r"\bhangconsole_[a-z_]+", f.read()))
    assert used and used <= names, used - names
