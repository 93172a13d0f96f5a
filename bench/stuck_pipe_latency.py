"""Benchmark: from a new stuck pipe to its finding on the console's screen (issue 24), on a
host with a crowd, with the console already running (its collection is incremental by then).

    python3 bench/stuck_pipe_latency.py [--procs 3000] [--runs 3]     # root; brings the lab up

The lab's engine is brought up, a crowd of real processes holding pipes started, and the
installed `hangconsole` opened in a pseudo-terminal on the lab's engine at its default 2 s
refresh. After 20 s (ten refreshes: every process of the crowd is in its cache), the lab's
`stuck-pipe` fault is injected; the time from the start of the injection (the exec starts;
its pipe fills within a second) to `stuck-pipe` on the overview is reported. The finding needs the write to have held
for 5 s (diagnose/pipes_common.STUCK_AFTER), so 5 s plus up to one refresh is the floor.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from console_latency import Term  # noqa: E402
from crowd import Crowd  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--procs", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default="/run/hangconsole-lab-bench")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "stuck_pipe_latency.json"))
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root (the lab's engine)", file=sys.stderr)
        return 2
    hc = ["hangconsole"]
    subprocess.run(hc + ["lab", "up", "--dir", args.dir], check=True)
    host = f"unix://{args.dir}/docker.sock"
    env = dict(os.environ, DOCKER_HOST=host)
    seconds = []
    try:
        with Crowd(args.procs):
            for _ in range(args.runs):
                subprocess.run(hc + ["lab", "clear", "--dir", args.dir], check=True, env=env)
                os.environ["DOCKER_HOST"] = host
                term = Term(hc)
                term.wait_for("procs")
                time.sleep(20.0)
                t0 = time.perf_counter() - term.t0
                subprocess.run(hc + ["lab", "inject", "stuck-pipe", "--dir", args.dir], check=True, env=env)
                injected = time.perf_counter() - term.t0 - t0
                seen = term.wait_for(" stuck-pipe ", timeout=60.0)     # the badge, not the name hc-stuck-pipe
                seconds.append(round(seen - t0, 1))
                term.close()
                print(f"  {args.procs} processes: stuck-pipe on screen {seconds[-1]} s after the exec started "
                      f"(the lab's inject returned at {injected:.1f} s)", flush=True)
    finally:
        subprocess.run(hc + ["lab", "down", "--dir", args.dir], env=env)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"machine": f"{os.cpu_count()} cores", "procs": args.procs, "seconds": seconds}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
