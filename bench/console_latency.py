"""Benchmark: the console's first frame and key-to-frame latency, measured as an operator
sees them: the installed `hangconsole` in a pseudo-terminal (as over SSH), on a live host
with a crowd of 3,000 processes holding pipes, and on a recording of that host (the
largest recording we make).

    python3 bench/console_latency.py [--procs 3000] [--keys 60]

first frame: from spawning the command to the host's data on screen.
key-to-frame: from writing a key to the end of the output burst it causes (the frame is
complete when the terminal has been quiet for 30 ms; those 30 ms are not counted).
Targets (issue 4): first frame <= 1 s, key-to-frame p95 <= 100 ms.
"""
from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import sys
import tempfile
import time

import pyte
from ptyprocess import PtyProcess

sys.path.insert(0, os.path.dirname(__file__))
from crowd import Crowd  # noqa: E402

from hangconsole.collect.live import LiveSource  # noqa: E402
from hangconsole.record.fileformat import RecordingWriter  # noqa: E402

QUIET = 0.03


class Term:
    def __init__(self, argv: list[str], cols: int = 160, rows: int = 48):
        env = dict(os.environ, TERM="xterm-256color")
        self.t0 = time.perf_counter()
        self.p = PtyProcess.spawn(argv, dimensions=(rows, cols), env=env)
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)

    def _read(self, timeout: float) -> float | None:
        r, _, _ = select.select([self.p.fd], [], [], timeout)
        if not r:
            return None
        try:
            self.stream.feed(self.p.read(1 << 20))
        except EOFError:
            return None
        return time.perf_counter()

    def wait_for(self, needle: str, timeout: float = 30.0) -> float:
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            t = self._read(0.01)
            if t and needle in "\n".join(self.screen.display):
                return t - self.t0
        raise RuntimeError(f"{needle!r} never appeared")

    def settle(self) -> None:
        while self._read(0.2) is not None:
            pass

    def key(self, k: str) -> float:
        """Seconds from the key to the last byte of the frame it caused."""
        self.settle()
        t0 = time.perf_counter()
        self.p.write(k.encode())
        last = self._read(2.0)
        if last is None:
            raise RuntimeError(f"no frame after {k!r}")
        while (t := self._read(QUIET)) is not None:
            last = t
        return last - t0

    def close(self) -> None:
        self.p.write(b"q")
        time.sleep(0.3)
        if self.p.isalive():
            self.p.terminate(force=True)


def run(argv: list[str], needle: str, keys: list[str], n: int) -> dict:
    t = Term(argv)
    try:
        first = t.wait_for(needle)
        lat = sorted(t.key(keys[i % len(keys)]) for i in range(n))
    finally:
        t.close()
    return {"first_frame_s": round(first, 3), "keys": n,
            "key_p50_ms": round(1000 * lat[len(lat) // 2], 1),
            "key_p95_ms": round(1000 * lat[int(0.95 * (len(lat) - 1))], 1),
            "key_max_ms": round(1000 * lat[-1], 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--procs", type=int, default=3000)
    ap.add_argument("--keys", type=int, default=60)
    args = ap.parse_args()
    exe = shutil.which("hangconsole")
    out = {}
    # calibration: a trivial Textual app pushing and popping a modal, same harness, same machine
    trivial = os.path.join(os.path.dirname(__file__), "trivial_textual.py")
    out["calibration_trivial_app_screen_switch"] = run([sys.executable, trivial], "ready", ["?", "?"], args.keys)
    with Crowd(args.procs), tempfile.TemporaryDirectory() as d:
        # live: the refresh interval is long so a key's burst is the key's own frame
        out["live_screen_switch"] = run([exe, "--no-docker", "--interval", "60"], "procs", ["?", "?"], args.keys)
        path = os.path.join(d, "crowd.hcrec")
        src = LiveSource(docker=False)
        with RecordingWriter(path) as w:
            for _ in range(5):
                w.write(src.snapshot())
        src.close()
        out["recording"] = {"frames": 5, "bytes": os.path.getsize(path)}
        out["replay_frame_step"] = run([exe, "--replay", path], "frame 5/5", ["[", "[", "]", "]"], args.keys)
        out["replay_screen_switch"] = run([exe, "--replay", path], "frame 5/5", ["?", "?"], args.keys)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
