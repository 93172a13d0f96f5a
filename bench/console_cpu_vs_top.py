"""Benchmark: what the live console costs a host, against `top -d 2` in the same run (issue 24).

    python3 bench/console_cpu_vs_top.py [--procs 3000 12000] [--seconds 30]

For each crowd size, a crowd of real processes holding real pipes (bench/crowd.py) is started;
then `top -d 2` and the installed `hangconsole --no-docker` (idle on its overview, default 2 s
refresh, in a pseudo-terminal as over SSH) each run alone for the same SECONDS, and the CPU
they used (user + system, the process and its children, from /proc/PID/stat and the
collector's helper processes) is compared. The console's own header says when it backed off
(console/pacing.py); the last header line seen is reported.
"""
from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import sys
import time

import psutil
import pyte
from ptyprocess import PtyProcess

sys.path.insert(0, os.path.dirname(__file__))
from crowd import Crowd  # noqa: E402


def _cpu(p: psutil.Process) -> float:
    """CPU seconds of P and of its live descendants, plus what its reaped children used."""
    total = 0.0
    for q in [p, *p.children(recursive=True)]:
        try:
            t = q.cpu_times()
            total += t.user + t.system + (t.children_user + t.children_system if q is p else 0.0)
        except psutil.NoSuchProcess:
            pass
    return total


def run(argv: list[str], seconds: float, cols: int = 120, rows: int = 40) -> tuple[float, str]:
    """CPU seconds ARGV used over SECONDS in a pseudo-terminal, and its last header line."""
    term = PtyProcess.spawn(argv, dimensions=(rows, cols), env=dict(os.environ, TERM="xterm-256color"))
    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    proc = psutil.Process(term.pid)
    start = _cpu(proc)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        r, _, _ = select.select([term.fd], [], [], 0.2)
        if r:
            try:
                stream.feed(term.read(1 << 20))
            except EOFError:
                break
    used = _cpu(proc) - start
    header = next((ln.strip() for ln in screen.display if "procs" in ln), "")
    term.terminate(force=True)
    return used, header


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--procs", type=int, nargs="+", default=[3000, 12000])
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "console_cpu_vs_top.json"))
    args = ap.parse_args()
    exe = shutil.which("hangconsole")
    top = shutil.which("top")
    if not exe or not top:
        print("needs the installed hangconsole and procps' top", file=sys.stderr)
        return 2
    results = []
    for n in args.procs:
        with Crowd(n):
            time.sleep(2.0)
            top_cpu, _ = run([top, "-d", "2"], args.seconds)
            hc_cpu, header = run([exe, "--no-docker"], args.seconds)
        row = {"procs": n, "seconds": args.seconds, "top_cpu_s": round(top_cpu, 2),
               "console_cpu_s": round(hc_cpu, 2), "ratio": round(hc_cpu / top_cpu, 1) if top_cpu else None,
               "console_header": header}
        results.append(row)
        print(f"{n:>6} processes over {args.seconds:.0f} s: top -d 2 {top_cpu:.2f} s CPU, "
              f"hangconsole {hc_cpu:.2f} s CPU ({row['ratio']}x); header: {header}")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"machine": f"{os.cpu_count()} cores", "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
