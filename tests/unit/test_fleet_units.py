"""The fleet pieces without a host: the NPD line (classes, bytes, cut), the textfile
(names, labels, bounds), the state (directory, round trip, reuse and pairing), the watchdog."""
from __future__ import annotations

import shutil
import subprocess
import sys
import time

from hangconsole.collect.engines_options import EngineAddresses

import pytest

from hangconsole import model as m
from hangconsole.fleet import check as ck
from hangconsole.fleet import metrics, npd
from hangconsole.fleet import state as st
from tests.conftest import need

CID = "60f253d59f26e1c573d4ba5f824e73b3a4b1bb1629edace85caba4c620755d4d"


def finding(cls="shim-unresponsive", sev="critical", cid=CID, **kw):
    return {"class": cls, "severity": sev, "container": cid, "name": "k8s_app_web-1_shop_0",
            "pod": "web-1", "namespace": "shop", "k8s_container": "app",
            "summary": f"shim 119820 of {cid[:12]} is not answering: 43 zombies unreaped for 10s; "
                       "inspect of its container pending 70s", "stuck_for": 10.0, "root_cause": None, **kw}


def test_state_dir_follows_root_xdg_and_override():
    assert st.state_dir(None, env={}, euid=0) == "/var/lib/hangconsole"
    assert st.state_dir(None, env={"XDG_STATE_HOME": "/x"}, euid=1000) == "/x/hangconsole"
    assert st.state_dir(None, env={"HOME": "/home/u"}, euid=1000) == "/home/u/.local/state/hangconsole"
    assert st.state_dir(None, env={"HANGCONSOLE_STATE_DIR": "/s"}, euid=0) == "/s"
    assert st.state_dir("/given", env={"HANGCONSOLE_STATE_DIR": "/s"}, euid=0) == "/given"


def test_state_round_trip_and_damage(tmp_path):
    st.save(str(tmp_path), {"status": "ok", "findings": []})
    assert st.load(str(tmp_path))["status"] == "ok"
    (tmp_path / st.FILE).write_bytes(b"\x1f\x8b not gzip at all")
    assert st.load(str(tmp_path)) is None
    assert st.load(str(tmp_path / "absent")) is None


def test_npd_line_names_class_pod_and_evidence_within_the_limit():
    res = ck.Result("problem", [finding(), finding("zombies-under-shim", "warning")], "paired", gap=30.0)
    code, text = npd.line(res, None, 80)
    assert code == 1 and len(text.encode()) <= 80
    assert text.startswith("shim-unresponsive shop/web-1/app +1 [vs 30s ago]: shim 119820 is not answ")
    assert CID[:12] not in text           # the line already says where
    code, text = npd.line(res, None, 200)
    assert "inspect of its container pending 70s" in text and not text.endswith("~")
    # another rule's classes: not this rule's problem
    assert npd.line(res, {"pids-exhausted"}, 80) == (0, "OK: no pids-exhausted recognised [vs 30s ago]")


def test_npd_line_unknown_ok_cached_and_info():
    assert npd.line(ck.Result("unknown", reason="not root"), None, 80) == (2, "UNKNOWN: not root")
    res = ck.Result("ok", [finding("paused", "info")], "cached", age=3.4)
    assert npd.line(res, None, 80) == (0, "OK: no hang recognised [cached 3s]")
    # a problem outranks not being root: what was seen is said
    res = ck.Result("problem", [finding()], "fresh", reason="not root")
    assert npd.line(res, None, 80)[0] == 1


def test_cut_counts_bytes_and_keeps_characters_whole():
    text = "é" * 50                       # 100 bytes
    out = npd.cut(text, 80)
    assert len(out.encode()) <= 80 and out.endswith("~") and out.rstrip("~") == "é" * 39
    assert npd.cut("a  b\nc", 80) == "a b c"


def samples(text: str) -> dict:
    """{(name, sorted labels): value} of an exposition text, read by prometheus_client's parser."""
    from prometheus_client.parser import text_string_to_metric_families
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


def test_textfile_labels_bounds_and_names(tmp_path):
    res = ck.Result("problem", [finding(), finding("pids-exhausted", cid="b5" * 32, pod=None, namespace=None,
                                                    k8s_container=None, name="hc-pids")],
                    "paired", duration=1.25, sampled_at=1000.0, last_good=1001.0,
                    runs={"problem": 2, "ok": 5})
    text = metrics.render(res, now=1002.0)
    got = samples(text)
    assert got[("hangconsole_finding", (("class", "shim-unresponsive"), ("container", "app"),
                ("container_id", "60f253d59f26"), ("namespace", "shop"), ("pod", "web-1"),
                ("severity", "critical")))] == 1
    assert got[("hangconsole_finding", (("class", "pids-exhausted"), ("container", "hc-pids"),
                ("container_id", "b5b5b5b5b5b5"), ("namespace", ""), ("pod", ""),
                ("severity", "critical")))] == 1
    assert got[("hangconsole_findings", (("class", "oom-kill"), ("severity", "warning")))] == 0
    assert got[("hangconsole_checks_total", (("result", "ok"),))] == 5
    assert got[("hangconsole_check_duration_seconds", ())] == 1.25
    assert got[("hangconsole_last_success_timestamp_seconds", ())] == 1001
    assert all(name.startswith("hangconsole_") for name, _ in got)
    # bounded: 80 findings give 50 series and say how many were left out
    many = ck.Result("problem", [finding(cid=f"{i:064x}") for i in range(80)])
    text = metrics.render(many, max_series=50)
    got = samples(text)
    assert text.count("\nhangconsole_finding{") == 50
    assert got[("hangconsole_series_dropped", ())] == 30
    assert got[("hangconsole_findings", (("class", "shim-unresponsive"), ("severity", "critical")))] == 80
    path = metrics.write(str(tmp_path), many)
    assert path.endswith("/hangconsole.prom") and [p.name for p in tmp_path.iterdir()] == ["hangconsole.prom"]


def test_textfile_passes_promtool(tmp_path):
    need(bool(shutil.which("promtool")), "needs promtool (Debian prometheus)")
    res = ck.Result("problem", [finding(summary='quote " and \\ back')], "fresh", duration=2.0)
    r = subprocess.run(["promtool", "check", "metrics"], input=metrics.render(res), capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def snap(t: float, pending_since: float | None = None) -> m.HostSnapshot:
    s = m.HostSnapshot(taken_at=t, uptime=t - 500.0, hostname="h", kernel="6", arch="x86_64")
    probes = [m.Probe("ping", None, "pending", pending_since, t - pending_since)] if pending_since else []
    s.docker = m.DockerState(host="unix:///x.sock", reachable=not probes, probes=probes)
    return s


def test_pending_calls_carry_their_first_start_across_runs():
    prev, new = snap(1000.0, pending_since=998.5), snap(1030.0, pending_since=1028.5)
    ck.carry_pending(prev, new)
    assert new.docker.probes[0].started == 998.5 and new.docker.probes[0].seconds == pytest.approx(31.5)
    answered = snap(1060.0)
    ck.carry_pending(new, answered)
    assert answered.docker.probes == []


class FakeSource:
    def __init__(self, clock):
        self.clock, self.taken = clock, 0

    def snapshot(self):
        self.taken += 1
        return snap(self.clock())

    def close(self):
        pass


def test_quick_runs_reuse_then_pair_with_the_stored_sample(tmp_path):
    now = [1000.0]
    clock = lambda: now[0]          # noqa: E731
    src = FakeSource(clock)

    def opts(**kw):
        return ck.Options(state_dir=str(tmp_path), deadline=time.monotonic() + 30,
                          engines=EngineAddresses(docker=False), interval=0.0, **kw)
    first = ck.run(opts(), clock=clock, source_factory=lambda: src)
    assert first.mode == "fresh" and first.status == "ok" and src.taken == 2
    now[0] += 3
    again = ck.run(opts(), clock=clock, source_factory=lambda: src)
    assert again.mode == "cached" and again.age == 3 and src.taken == 2
    now[0] += 27
    paired = ck.run(opts(), clock=clock, source_factory=lambda: src)
    assert paired.mode == "paired" and paired.gap == 30 and src.taken == 3
    assert paired.runs == {"ok": 2} and paired.last_good == now[0]
    now[0] += 1000                 # too old to compare: two fresh samples again
    assert ck.run(opts(), clock=clock, source_factory=lambda: src).mode == "fresh"


def test_no_time_for_two_samples_stores_one_and_says_so(tmp_path):
    src = FakeSource(time.time)
    res = ck.run(ck.Options(state_dir=str(tmp_path), deadline=time.monotonic() + 2,
                            engines=EngineAddresses(docker=False), interval=5.0), source_factory=lambda: src)
    assert res.mode == "first" and res.status == "unknown" and "next run" in res.reason
    assert npd.line(res, None, 80)[0] == 2
    assert st.load(str(tmp_path))["mode"] == "first"


def test_watchdog_answers_unknown_before_the_timeout():
    code = ("import sys, time\nfrom hangconsole.fleet.npd import watchdog\n"
            "watchdog(0.3, 80, sys.stdout)\ntime.sleep(30)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20)
    assert r.returncode == 2 and r.stdout == "UNKNOWN: check did not finish within 0.3s\n"


def test_daemonset_mounts_read_only_and_runs_no_fix():
    import os
    import re
    here = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "deploy", "kubernetes", "daemonset.yaml")
    with open(here) as f:
        text = re.sub(r"#.*", "", f.read())          # what the cluster reads, not the comments
    assert re.search(r"^\s+hostPID: true", text, re.M)
    mounts = re.findall(r"- \{name: ([\w-]+), mountPath: ([^,}]+)(, readOnly: true)?\}", text)
    paths = {p for _, p, _ in mounts}
    assert {"/sys/fs/cgroup", "/run/docker.sock", "/run/containerd/containerd.sock", "/dev/kmsg"} <= paths
    writable = {p for _, p, ro in mounts if not ro}
    assert writable == {"/var/lib/hangconsole", "/textfile", "/var/lib/hangconsole-metrics"}, writable
    assert "privileged: true" not in text and "--yes" not in text and '"fix"' not in text
    assert re.findall(r"drop: \[\"ALL\"\]", text) and "readOnlyRootFilesystem: true" in text


def test_check_and_metrics_keep_the_engine_addresses_they_are_given():
    """`check` and `metrics` accept --containerd-address and --cri-endpoint: the source they
    sample with uses them (they used to be dropped)."""
    from hangconsole.cli import _parser as build_parser
    for cmd in (["check"], ["metrics", "--textfile", "/tmp"]):
        args = build_parser().parse_args([*cmd, "--no-docker", "--containerd-address", "/run/x.sock",
                                          "--cri-endpoint", "/run/y.sock"])
        e = EngineAddresses.from_args(args)
        assert (e.docker, e.containerd_address, e.cri_endpoint) == (False, "/run/x.sock", "/run/y.sock")
        src = e.source()
        try:
            assert src.containerd.explicit == "/run/x.sock" and src.cri.explicit == "/run/y.sock"
        finally:
            src.close()
