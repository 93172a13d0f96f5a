"""The installed command in a pseudo-terminal, as an SSH session runs it: it draws, answers
keys, quits cleanly and gives the terminal back as it found it."""
from __future__ import annotations

import os
import select
import shutil
import time

import pyte
import pytest
from ptyprocess import PtyProcess

COLS, ROWS = 120, 32


class Term:
    def __init__(self, argv: list[str]):
        env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS))
        self.p = PtyProcess.spawn(argv, dimensions=(ROWS, COLS), env=env)
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = b""

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            r, _, _ = select.select([self.p.fd], [], [], 0.05)
            if r:
                try:
                    data = self.p.read(65536)
                except EOFError:
                    return
                self.raw += data
                self.stream.feed(data)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, needle: str, seconds: float = 15.0) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.pump(0.1)
            if needle in self.text():
                return
        raise AssertionError(f"{needle!r} never appeared; screen:\n{self.text()}")

    def key(self, k: str) -> None:
        self.p.write(k.encode())


@pytest.fixture
def exe():
    path = shutil.which("hangconsole")
    if not path:
        pytest.fail("hangconsole is not installed on PATH")
    return path


def test_replay_in_a_terminal(exe):
    t = Term([exe, "--replay", "seed-000"])
    try:
        t.wait_for("exec-pipe-deadlock")
        t.wait_for("inspect stuck ≈10s")              # ≈: the report says it hangs, not for how long
        t.key("\r")                                  # open the container
        t.wait_for("runc:[2:INIT] 15638")
        t.wait_for("stuck ≥10s")                     # the write on the full pipe: a lower bound
        t.wait_for("64KiB/64KiB")
        t.key("g")                                   # this incident's goroutine dumps
        t.wait_for("717594")
        t.key("\x1b")
        t.key("\x1b")                                # back
        t.wait_for("pending calls")
        t.key("f")
        t.wait_for("playbook: exec-pipe-deadlock")
        mark = len(t.raw)
        t.key("q")
        t.key("q")
        t.pump(3.0)
        assert not t.p.isalive() and t.p.wait() == 0
    finally:
        if t.p.isalive():
            t.p.terminate(force=True)
    tail = t.raw[mark:]
    assert b"\x1b[?1049l" in tail, "left the alternate screen"
    assert b"\x1b[?25h" in tail, "cursor shown again"
    assert b"\x1b[?1000l" in tail or b"\x1b[?1003l" in tail, "mouse reporting switched off"
