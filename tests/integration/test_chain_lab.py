"""Causal chains on the real engine: an OOM kill of a container process tied to that container
by the memory cgroup the kernel names, with its limit and age; bytes drained from a stuck
stderr pipe carrying a Go runtime abort, named as the cause in the chain and the report."""
from __future__ import annotations

import json
import os
import time

from hangconsole.lab.engine import IMAGE
from hangconsole.lab.faults import _container_pids, blocked_writer
from tests.integration.test_fix_lab import hc
from tests.integration.test_lab import fault, on

ABORT = ("runtime/cgo: pthread_create failed: Resource temporarily unavailable\\nSIGABRT: abort\\n"
         "PC=0x46c4e1 m=0 sigcode=18446744073709551610\\n\\ngoroutine 1 [running]:\\nmain.main()\\n"
         "\\t/go/src/app/main.go:12 +0x2f\\n")


def test_oom_kill_linked_to_its_container_with_limit_and_age(lab):
    cid, report, _ = fault(lab, "oom-kill")
    f = on(report, cid)["oom-kill"]
    root = f["causes"][0]
    assert root["text"].startswith("OOM kill of dd "), root
    assert "container memory limit 16 MiB" in root["text"] and " ago" in root["text"]
    assert root["kind"] == "observed" and root["source"] == "kernel log"
    assert cid in root["evidence"]["memcg"] and root["evidence"]["limit"] == 16 * 2**20
    assert root["age"] is not None and root["age"] < 600
    assert "container memory limit 16 MiB" in f["summary"]


def _blocked(cid: str, comm: str) -> int | None:
    return blocked_writer(_container_pids(cid), comm)


def test_drained_stderr_with_a_go_abort_is_named_as_the_cause(lab, tmp_path):
    assert hc(lab, "lab", "clear", "--dir", lab.dir).returncode == 0
    name = "hc-go-abort"
    lab.docker("rm", "-f", name, check=False, timeout=30)
    cid = lab.docker("run", "-d", "--network", "none", "--name", name, IMAGE, "sleep", "1000000",
                     timeout=60).stdout.decode().strip()
    # 50 MB of noise on stderr to a client that never reads, then (once unblocked) a Go abort
    script = f"head -c 50000000 /dev/zero | tr '\\\\0' x >&2; printf '\\n{ABORT}' >&2; exec sleep 1000000"
    lab.spawn("stalled-stderr-client", ["sh", "-c", f"docker exec {name} sh -c \"{script}\" 2>&1 | sleep 1000000"])
    writer = None
    for _ in range(200):
        writer = _blocked(cid, "tr")
        if writer:
            break
        time.sleep(0.1)
    assert writer, "tr never blocked writing stderr"
    inc = tmp_path / "inc"
    r = hc(lab, "fix", "stuck-pipe", "--container", name, "--incident-dir", str(inc), "--yes")
    assert "drained" in r.stdout, r.stdout + r.stderr
    drained = [f for f in os.listdir(inc) if f.startswith("drained-")]
    assert drained, os.listdir(inc)
    data = open(inc / drained[0], "rb").read()
    assert b"runtime/cgo: pthread_create failed" in data
    report = open(inc / "report.md").read()
    # drained at the far end: from the stalled `docker exec` client's pipe, which carries tr's stderr
    ev = json.load(open(inc / "findings.json"))["findings"][0]["evidence"]
    assert ev["exec_side"]["fd"]["pid"] == writer and ev["client"]["comm"] == "docker"
    client = ev["fd"]["pid"]
    assert f"Go abort in the drained bytes of {client}: runtime/cgo: pthread_create failed" in report, report
    # the same file given to diagnose joins the chain of the container's finding
    d = hc(lab, "diagnose", "--json", "--samples", "1", "--drained", str(inc / drained[0]))
    rep = json.loads(d.stdout)
    links = [c for f in rep["findings"] if f["container"] == cid for c in f["causes"]]
    assert not links or any(c["source"] == "drained file" and "Go abort" in c["text"] for c in links)
    from hangconsole.diagnose.content import recognise
    assert {"go-abort", "sigabrt", "goroutines"} <= {x["kind"] for x in recognise(data)}
