"""The single executable against the wheel, in the same run: its size, the time from start to
the console's first frame (in tmux, until the overview's footer is drawn), and `diagnose` on a
bundled recording and on the live host (one sample). Median of N runs each.

    python bench/static_binary.py [--binary dist/hangconsole-linux-amd64] [--wheel hangconsole] [-n 5]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import time


def first_frame(argv: list[str]) -> float:
    session = "hc-bench-frame"
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    t0 = time.monotonic()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", " ".join(argv)], check=True)
    try:
        while time.monotonic() - t0 < 120:
            screen = subprocess.run(["tmux", "capture-pane", "-t", session, "-p"], capture_output=True, text=True).stdout
            if "Findings" in screen:
                return time.monotonic() - t0
            time.sleep(0.02)
        raise RuntimeError("no first frame within 120 s")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def timed(argv: list[str]) -> float:
    t0 = time.monotonic()
    subprocess.run(argv, capture_output=True, timeout=300)
    return time.monotonic() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default="dist/hangconsole-linux-amd64")
    ap.add_argument("--wheel", default=shutil.which("hangconsole") or "hangconsole")
    ap.add_argument("-n", type=int, default=5)
    a = ap.parse_args()
    binary = os.path.abspath(a.binary)
    print(f"binary {binary}: {os.path.getsize(binary) / 2**20:.1f} MiB")
    rows = [("console, start to first frame (replay seed-000)", lambda exe: first_frame([exe, "--replay", "seed-000"])),
            ("diagnose --replay seed-000", lambda exe: timed([exe, "diagnose", "--replay", "seed-000"])),
            ("diagnose --no-docker --samples 1 (live)", lambda exe: timed([exe, "diagnose", "--no-docker", "--samples", "1"])),
            ("--help", lambda exe: timed([exe, "--help"]))]
    print(f"{'':50} {'binary':>8} {'wheel':>8} {'ratio':>6}")
    for name, fn in rows:
        b = statistics.median(fn(binary) for _ in range(a.n))
        w = statistics.median(fn(a.wheel) for _ in range(a.n))
        print(f"{name:50} {b:7.2f}s {w:7.2f}s {b / w:5.2f}x")


if __name__ == "__main__":
    main()
