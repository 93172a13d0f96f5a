"""Benchmark: the console's first frame and key-to-frame latency, on a live host with a
crowd of 3,000 processes holding pipes, and on a recording of that host (the largest).

    python3 bench/console_latency.py [--procs 3000] [--keys 60]

Targets (issue 4): first frame <= 1 s, key-to-frame p95 <= 100 ms. Headless (Textual's
test driver): a key's time runs from the key event to the frame being refreshed.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from crowd import Crowd  # noqa: E402

from hangconsole.collect.live import LiveSource  # noqa: E402
from hangconsole.record.fileformat import Recording, RecordingWriter  # noqa: E402
from hangconsole.screens.app import HangConsoleApp  # noqa: E402
from hangconsole.sources import ReplaySource  # noqa: E402

LIVE_KEYS = ["enter", "escape", "f", "escape", "question_mark", "escape", "down", "up"]
REPLAY_KEYS = ["left_square_bracket", "right_square_bracket", "enter", "escape", "f", "escape"]


async def measure(app: HangConsoleApp, keys: list[str], n: int) -> dict:
    t0 = time.perf_counter()
    async with app.run_test(size=(160, 48)) as pilot:
        while app.snapshot is None:
            await pilot.pause(0.005)
        await pilot.pause()
        first = time.perf_counter() - t0
        lat = []
        for i in range(n):
            k = keys[i % len(keys)]
            t = time.perf_counter()
            await pilot.press(k)
            await pilot.pause()
            lat.append(time.perf_counter() - t)
        await pilot.press("q")
    lat.sort()
    return {"first_frame_s": round(first, 3), "keys": n,
            "key_p50_ms": round(1000 * statistics.median(lat), 1),
            "key_p95_ms": round(1000 * lat[int(0.95 * (len(lat) - 1))], 1),
            "key_max_ms": round(1000 * lat[-1], 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--procs", type=int, default=3000)
    ap.add_argument("--keys", type=int, default=60)
    args = ap.parse_args()
    out = {}
    with Crowd(args.procs), tempfile.TemporaryDirectory() as d:
        src = LiveSource(docker=False)
        out["live"] = asyncio.run(measure(HangConsoleApp(src, interval=1.0), LIVE_KEYS, args.keys))
        path = os.path.join(d, "crowd.hcrec")
        with RecordingWriter(path) as w:
            for _ in range(5):
                w.write(src.snapshot())
        src.close()
        out["recording_bytes"] = os.path.getsize(path)
        rec = Recording(path)
        out["recording_processes"] = len(rec.frame(0).processes)
        out["replay"] = asyncio.run(measure(HangConsoleApp(ReplaySource(Recording(path))), REPLAY_KEYS, args.keys))
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
