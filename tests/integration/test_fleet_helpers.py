"""Helpers shared by the fleet tests (run hangconsole, run a plugin the way NPD does,
node_exporter on loopback, read an exposition), and a test of the parsers among them."""
from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass

EXE = shutil.which("hangconsole") or "hangconsole"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
NPD_CONFIG = os.path.join(REPO, "deploy", "npd", "hangconsole-monitor.json")
IMAGE_PATH = "/usr/local/bin/hangconsole"       # where deploy/kubernetes/Dockerfile installs it


def hc(*args, env: dict | None = None, timeout: float = 120):
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def duration(text: str) -> float:
    """A Go duration as NPD parses it (time.ParseDuration), for the units a config uses."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text)
    assert parts and "".join(a + b for a, b in parts) == text, f"not a Go duration: {text!r}"
    return sum(float(v) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[u] for v, u in parts)


@dataclass
class PluginRun:
    status: str          # OK NonOK Unknown, as NPD maps the exit status
    output: str          # trimmed, cut at max_output_length bytes
    raw: str             # stdout as the plugin wrote it
    seconds: float
    killed: bool         # NPD's timeout fired and killed the process group


def run_like_npd(cfg: dict, rule: dict, env: dict) -> PluginRun:
    """pkg/custompluginmonitor/plugin.run: the rule's timeout if below the global one, a new
    process group, stdout and stderr read to EOF, the group SIGKILLed at the timeout, output
    trimmed and cut at max_output_length bytes, exit 0 OK, 1 NonOK, anything else Unknown."""
    g = cfg["pluginConfig"]
    timeout = duration(g.get("timeout", "5s"))
    if "timeout" in rule and duration(rule["timeout"]) < timeout:
        timeout = duration(rule["timeout"])
    path = EXE if rule["path"] == IMAGE_PATH else rule["path"]
    t0 = time.monotonic()
    p = subprocess.Popen([path, *rule.get("args", [])], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True, env={**os.environ, **env})
    killed = False
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        killed = True
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
    secs = time.monotonic() - t0
    raw = out.decode(errors="replace")
    text = out.strip()[:g.get("max_output_length", 80)].decode(errors="replace")
    status = {0: "OK", 1: "NonOK"}.get(p.returncode, "Unknown")
    return PluginRun(status, text, raw, secs, killed)


def stored_findings(state_dir: str) -> list[dict]:
    with gzip.open(os.path.join(state_dir, "check-state.json.gz"), "rt") as f:
        return json.load(f)["findings"]


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class NodeExporter:
    """Debian's prometheus-node-exporter on a free loopback port, textfile collector only."""

    def __init__(self, textfile_dir: str):
        exe = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/metrics"
        self.p = subprocess.Popen([exe, f"--web.listen-address=127.0.0.1:{self.port}",
                                   "--collector.disable-defaults", "--collector.textfile",
                                   f"--collector.textfile.directory={textfile_dir}"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while True:
            try:
                self.scrape()
                return
            except OSError:
                if self.p.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("node_exporter did not come up: " + self.p.stderr.read().decode()[-500:])
                time.sleep(0.1)

    def scrape(self) -> str:
        with urllib.request.urlopen(self.url, timeout=5) as r:
            return r.read().decode()

    def stop(self) -> None:
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def series(text: str, name: str) -> list[tuple[dict, float]]:
    """(labels, value) of every sample of metric NAME in an exposition."""
    out = []
    for line in text.splitlines():
        if line.startswith("#") or not (line.startswith(name + "{") or line.startswith(name + " ")):
            continue
        head, value = line.rsplit(" ", 1)
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', head[len(name):]))
        out.append((labels, float(value)))
    return out


def test_go_durations_and_exposition_parsing_helpers():
    assert duration("15s") == 15 and duration("1m30s") == 90 and duration("500ms") == 0.5
    import pytest
    with pytest.raises(AssertionError):
        duration("15")
    text = '# HELP a x\na{b="c",d="e \\"q\\""} 2\na_total 3\na 1.5\n'
    assert series(text, "a") == [({"b": "c", "d": 'e \\"q\\"'}, 2.0), ({}, 1.5)]
