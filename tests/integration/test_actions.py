"""Actions on real processes: the pid + start-time guard, the SIGUSR1 rule, the audit log,
and draining a real blocked writer with every byte on disk."""
from __future__ import annotations

import json
import os
import signal

import pytest

from hangconsole import model as m
from hangconsole.actions.drain import drain
from hangconsole.actions.guard import Refused, Target, send, start_ticks
from hangconsole.actions.incident import Incident
from tests.helpers.procs import blocked_writer, kill, spawn_argv, wait_for


def test_signal_goes_only_to_the_same_process(tmp_path):
    inc = Incident(str(tmp_path / "inc"))
    p = spawn_argv(["hc-victim"])
    try:
        t = Target(p.pid, start_ticks(p.pid), "hc-victim")
        wrong = Target(p.pid, t.start_ticks + 1, "hc-victim")      # as if the pid were reused
        with pytest.raises(Refused, match="pid was reused"):
            send(wrong, signal.SIGKILL, inc, dry_run=False, why="test")
        assert p.poll() is None, "the reused-pid process was not touched"
        assert "dry run" in send(t, signal.SIGKILL, inc, dry_run=True, why="test")
        assert p.poll() is None
        send(t, signal.SIGKILL, inc, dry_run=False, why="test")
        assert p.wait(5) == -signal.SIGKILL
    finally:
        kill(p)
    results = [(a["action"], a["result"], a["dry_run"]) for a in inc.audit_lines()]
    assert results == [("SIGKILL", "refused: pid reused or gone", False),
                       ("SIGKILL", "dry-run: would send", True), ("SIGKILL", "sent", False)]
    assert all(a["target"]["pid"] == p.pid and a["user"] and a["host"] for a in inc.audit_lines())


def test_never_sigusr1_to_runc_or_container_processes(tmp_path):
    inc = Incident(str(tmp_path / "inc"))
    for role, cid in ((m.RUNC, None), (m.RUNC_INIT, None), (None, "a" * 64)):
        with pytest.raises(Refused, match="refusing SIGUSR1"):
            send(Target(os.getpid(), start_ticks(os.getpid()), "x", role, cid), signal.SIGUSR1, inc,
                 dry_run=True, why="test")


def test_drain_saves_every_byte_and_frees_the_writer(tmp_path):
    inc = Incident(str(tmp_path / "inc"))
    writer, reader = blocked_writer()               # writes 1 MiB into a pipe nobody reads
    try:
        fd = next(int(n) for n in os.listdir(f"/proc/{writer.pid}/fd")
                  if os.readlink(f"/proc/{writer.pid}/fd/{n}").startswith("pipe:") and
                  os.stat(f"/proc/{writer.pid}/fd/{n}").st_mode and n not in ("0", "1", "2"))
        inode = int(os.readlink(f"/proc/{writer.pid}/fd/{fd}")[6:-1])
        wait_for(lambda: "pipe" in open(f"/proc/{writer.pid}/wchan").read())
        t = Target(writer.pid, start_ticks(writer.pid), "python3")
        r = drain(t, fd, inode, inc, idle_seconds=1.0)
        assert writer.wait(10) == 0, "the writer finished its write and exited"
    finally:
        kill(writer, reader)
    assert r.bytes == os.path.getsize(r.path) == 1 << 20
    assert open(r.path, "rb").read() == b"E" * (1 << 20)
    last = inc.audit_lines()[-1]
    assert last["action"] == "drain-pipe" and last["result"].startswith(f"drained {1 << 20} bytes")


def test_drain_refuses_anything_but_that_anonymous_pipe(tmp_path):
    inc = Incident(str(tmp_path / "inc"))
    with pytest.raises(Refused, match="not pipe"):
        drain(Target(os.getpid(), start_ticks(os.getpid()), "me"), 0, 12345, inc)
    assert not any(f.startswith("drained-") and os.path.getsize(os.path.join(inc.path, f))
                   for f in os.listdir(inc.path))


def test_audit_log_is_append_only_json_lines(tmp_path):
    inc = Incident(str(tmp_path / "inc"))
    inc.audit("a", None, "one")
    inc.audit("b", {"pid": 1, "start_ticks": 2}, "two", dry_run=True)
    lines = open(os.path.join(inc.path, "audit.log")).read().splitlines()
    assert [json.loads(x)["action"] for x in lines] == ["a", "b"]
    assert oct(os.stat(os.path.join(inc.path, "audit.log")).st_mode & 0o777) == "0o600"
