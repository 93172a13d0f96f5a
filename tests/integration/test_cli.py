"""The installed `hangconsole` command: record, replay, and one-line errors on bad input."""
from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys

import pytest

from hangconsole.record.fileformat import Recording
from tests.helpers.procs import kill, spawn_argv

EXE = shutil.which("hangconsole")


def run(*args, **kw):
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=60, **kw)


@pytest.fixture(autouse=True)
def installed():
    if EXE is None:
        pytest.fail("hangconsole is not installed on PATH (pip install -e .)")


def test_help_and_version():
    h = run("--help")
    assert h.returncode == 0 and "record" in h.stdout and "--replay" in h.stdout
    assert run("--version").stdout.strip().startswith("hangconsole ")
    assert "--frames" in run("record", "--help").stdout


def test_record_then_replay(tmp_path):
    out = tmp_path / "host.hcrec"
    secret = spawn_argv(["hc-test-app", "--password", "hunter2"])
    try:
        r = run("record", "-o", str(out), "--frames", "3", "--interval", "0.2", "--no-docker")
    finally:
        kill(secret)
    assert r.returncode == 0, r.stderr
    assert "wrote 3 frames" in r.stderr
    rec = Recording(str(out))
    assert len(rec) == 3 and rec.times[0] < rec.times[1] < rec.times[2]
    argvs = [p.argv for p in rec.frame(0).processes if p.pid == secret.pid]
    assert argvs == [["hc-test-app", "--password", "<redacted>"]]
    j = run("snapshot", "--replay", str(out), "--frame", "2", "--json")
    assert j.returncode == 0 and json.loads(j.stdout)["taken_at"] == rec.times[2]
    t = run("snapshot", "--replay", str(out))
    assert t.returncode == 0 and t.stdout.startswith("host ")


def test_record_duration(tmp_path):
    out = tmp_path / "d.hcrec"
    r = run("record", "-o", str(out), "--duration", "0.5", "--interval", "0.2", "--no-docker")
    # it stops by itself at the duration; how many frames fit depends on the host's load (a
    # loaded CI host takes longer than 0.5 s for one sample), so only the bounds are asserted
    assert r.returncode == 0 and 1 <= len(Recording(str(out))) <= 4
    assert f"wrote {len(Recording(str(out)))} frames" in r.stderr


BAD = {
    "missing": None,
    "text": b"not a recording\n",
    "foreign-gzip": gzip.compress(b'{"some": "json"}\n'),
    "newer": gzip.compress(b'{"format": "hangconsole-recording", "version": 7}\n'),
    "truncated": gzip.compress(b'{"format": "hangconsole-recording", "version": 1}\n')[:-12],
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_recordings_get_one_line_and_nonzero_exit(tmp_path, kind):
    f = tmp_path / kind
    if BAD[kind] is not None:
        f.write_bytes(BAD[kind])
    for args in (["--replay", str(f)], ["snapshot", "--replay", str(f)]):
        r = run(*args)
        assert r.returncode != 0
        assert "Traceback" not in r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("hangconsole: ")


def test_bad_arguments_and_unwritable_output(tmp_path):
    r = run("record", "-o", "/nonexistent-dir/x.hcrec", "--frames", "1", "--no-docker")
    assert r.returncode != 0 and "Traceback" not in r.stderr and "cannot write" in r.stderr
    r = run("record", "-o", str(tmp_path / "x"), "--frames", "0")
    assert r.returncode == 64 and "must be positive" in r.stderr


def test_console_without_a_terminal_says_so():
    r = run("--no-docker", stdin=subprocess.DEVNULL)
    assert r.returncode != 0 and "needs a terminal" in r.stderr and "Traceback" not in r.stderr


def test_diagnose_bad_recording_is_unknown(tmp_path):
    f = tmp_path / "junk"
    f.write_bytes(b"junk\n")
    r = run("diagnose", "--replay", str(f))
    assert r.returncode == 3 and r.stderr.startswith("hangconsole: UNKNOWN: ") and len(r.stderr.splitlines()) == 1


def test_diagnose_live_json_exit_matches_findings():
    r = run("diagnose", "--json", "--samples", "2", "--interval", "0.5", "--no-docker")
    report = json.loads(r.stdout)
    sev = {f["severity"] for f in report["findings"]}
    want = 2 if "critical" in sev else 1 if "warning" in sev else 0
    assert r.returncode == report["exit"] == (want if report["reason"] is None else 3)
    assert report["samples"] == 2 and report["span_seconds"] >= 0.4


def test_diagnose_as_nobody_is_unknown(root):
    # The interpreter here lives under /root (pyenv), unreadable once we are nobody: import
    # what the run needs first. A real unprivileged user reads its own Python.
    code = ("import os, sys, locale, gettext, json, shutil, argparse, textwrap\n"
            "import hangconsole.diagnose.report, hangconsole.collect.live, hangconsole.record.codec\n"
            "from hangconsole.cli import main\n"
            "os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
            "sys.exit(main(['diagnose', '--samples', '1', '--no-docker']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", timeout=60)
    assert r.returncode == 3, r.stderr
    assert r.stdout.startswith("UNKNOWN: not root")


def test_replay_by_incident_name():
    r = run("diagnose", "--replay", "seed-002")
    assert r.returncode == 2 and r.stdout.startswith("CRITICAL: pids-exhausted")
    assert run("snapshot", "--replay", "lab-stuck-pipe").stdout.startswith("host lab")
