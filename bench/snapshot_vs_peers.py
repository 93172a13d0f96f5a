"""Benchmark: one full host snapshot against `lsof -n -P` and `ps -eo pid,ppid,stat,wchan,comm`
on the same crowd of processes holding pipes, in the same run. Reports ratios, not seconds:
the machine's speed cancels out.

    python3 bench/snapshot_vs_peers.py [--procs 3000] [--rounds 5]

Targets (issue 2): snapshot <= 0.2 x lsof, <= 1.5 x ps, model memory <= 100 MB.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(__file__))
from crowd import Crowd  # noqa: E402

from hangconsole.collect.live import LiveSource  # noqa: E402


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--procs", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args()
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with Crowd(args.procs):
        src = LiveSource(docker=False)
        src.snapshot()                                   # warm caches, as a running console is
        runs = {"snapshot": [], "lsof": [], "ps": []}
        for _ in range(args.rounds):                     # interleaved: load drifts hit all alike
            runs["snapshot"].append(timed(src.snapshot))
            runs["lsof"].append(timed(lambda: subprocess.run(["lsof", "-n", "-P"], **quiet)))
            runs["ps"].append(timed(lambda: subprocess.run(["ps", "-eo", "pid,ppid,stat,wchan,comm"], **quiet)))
        tracemalloc.start()
        snap = src.snapshot()
        retained, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    med = {k: statistics.median(v) for k, v in runs.items()}
    out = {
        "procs_in_snapshot": len(snap.processes), "pipes": len(snap.pipes), "rounds": args.rounds,
        "median_seconds": {k: round(v, 4) for k, v in med.items()},
        "snapshot_over_lsof": round(med["snapshot"] / med["lsof"], 3),
        "snapshot_over_ps": round(med["snapshot"] / med["ps"], 3),
        "model_mb_retained": round(retained / 2**20, 1), "model_mb_peak": round(peak / 2**20, 1),
    }
    print(json.dumps(out, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
