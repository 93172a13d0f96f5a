"""`hangconsole stacks` on seed 000's dockerd at full size, against `grep -c '^goroutine '`.

Writes a debug=2 dump (runtime.Stack / goroutine?debug=2 form, Go 1.19 argument style) of
722,373 goroutines shaped like seed 000's profile: 717,594 ContainerInspect calls waiting on
a container's mutex, 4,175 ContainerStats waiting on its state lock, the inspect that holds
the container lock waiting on the exec store, the ContainerExecStart holding that one while
it waits on containerd, and some hundred idle server goroutines. Every goroutine has its own
id, wait time and argument values, as in a real dump. Then it times `grep -c` (the floor:
reading the file once) and the installed `hangconsole stacks --text` in its own process (it
reads a big dump in two halves, the second in a forked child), and the same read in one
process (as the console's viewer reads), interleaved over several rounds, and prints the
medians, the ratio, the peak RSS of the process and of its child, which path read the dump
(the summary's "read by" line: the C scanner, or Python) and the load average around it.
The numbers also go to bench/results/stacks_vs_grep.json.

    python3 bench/stacks_vs_grep.py [--goroutines N] [--keep FILE] [--rounds N]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

D = "/go/src/github.com/docker/docker"
G = "/usr/local/go/src"
# %s: a value of this goroutine's own (a request, a context); fixed addresses are the shared
# objects: the daemon 0xc000136000, the container's mutex 0xc0004a2000 (its State at
# 0xc0004a2000 too), the exec store 0xc0004a2180.
SERVE = [("net/http.(*conn).serve(0x%s, {0x55e2a8, 0x%s})", f"{G}/net/http/server.go:1995 +0x612"),
         ("created by net/http.(*Server).Serve", f"{G}/net/http/server.go:3089 +0x5ed")]
INSPECT = [("sync.runtime_SemacquireMutex(0xc0004a2004?, 0x0?, 0x1?)", f"{G}/runtime/sema.go:77 +0x25"),
           ("sync.(*Mutex).lockSlow(0xc0004a2000)", f"{G}/sync/mutex.go:171 +0x165"),
           ("sync.(*Mutex).Lock(...)", f"{G}/sync/mutex.go:90"),
           ("github.com/docker/docker/daemon.(*Daemon).ContainerInspectCurrent(0xc000136000, {0x%s, 0x40}, 0x0)", f"{D}/daemon/inspect.go:40 +0x8d"),
           ("github.com/docker/docker/api/server/router/container.(*containerRouter).getContainersByName(0xc0001a4a80, {0x55e2a8, 0x%s}, {0x55d1c0, 0x%s}, 0x%s, 0x0?)", f"{D}/api/server/router/container/inspect.go:15 +0x118")] + SERVE
STATS = [("sync.runtime_SemacquireMutex(0xc0004a2004?, 0x0?, 0x1?)", f"{G}/runtime/sema.go:77 +0x25"),
         ("sync.(*Mutex).lockSlow(0xc0004a2000)", f"{G}/sync/mutex.go:171 +0x165"),
         ("sync.(*Mutex).Lock(...)", f"{G}/sync/mutex.go:90"),
         ("github.com/docker/docker/container.(*State).IsRunning(0xc0004a2000)", f"{D}/container/state.go:240 +0x2e"),
         ("github.com/docker/docker/daemon.(*Daemon).ContainerStats(0xc000136000, {0x55e2a8, 0x%s}, {0x%s, 0x40}, 0x%s)", f"{D}/daemon/stats.go:30 +0xb3")] + SERVE
HOLDER = [("sync.runtime_SemacquireMutex(0xc0004a2184?, 0x0?, 0x0?)", f"{G}/runtime/sema.go:77 +0x25"),
          ("sync.(*RWMutex).RLock(...)", f"{G}/sync/rwmutex.go:71"),
          ("github.com/docker/docker/daemon/exec.(*Store).List(0xc0004a2180)", f"{D}/daemon/exec/exec.go:140 +0x4c"),
          ("github.com/docker/docker/container.(*Container).GetExecIDs(0xc0004a2000)", f"{D}/container/container.go:423 +0x33"),
          ("github.com/docker/docker/daemon.(*Daemon).ContainerInspectCurrent(0xc000136000, {0x%s, 0x40}, 0x0)", f"{D}/daemon/inspect.go:42 +0xab")] + SERVE
EXEC = [("google.golang.org/grpc/internal/transport.(*Stream).waitOnHeader(0x%s)", "/go/pkg/mod/google.golang.org/grpc/internal/transport/transport.go:331 +0x7c"),
        ("github.com/docker/docker/libcontainerd/remote.(*client).Exec(0x%s, {0x55e2a8, 0x%s}, {0x%s, 0x40})", f"{D}/libcontainerd/remote/client.go:287 +0x4b4"),
        ("github.com/docker/docker/daemon.(*Daemon).ContainerExecStart(0xc000136000, {0x55e2a8, 0x%s}, {0x%s, 0x40}, 0xc0004a2000)", f"{D}/daemon/exec.go:251 +0xb4e")] + SERVE
IDLE = [("internal/poll.runtime_pollWait(0x7f%s, 0x72)", f"{G}/runtime/netpoll.go:305 +0x89"),
        ("internal/poll.(*FD).Read(0x%s, {0x%s, 0x1000, 0x1000})", f"{G}/internal/poll/fd_unix.go:167 +0x25a"),
        ("net.(*conn).Read(0x%s, {0x%s?, 0x0?, 0x0?})", f"{G}/net/net.go:183 +0x45"),
        ("net/http.(*connReader).backgroundRead(0x%s)", f"{G}/net/http/server.go:678 +0x3f"),
        ("created by net/http.(*connReader).startBackgroundRead", f"{G}/net/http/server.go:674 +0xca")]
MIX = [(717594, "semacquire", INSPECT), (4175, "semacquire", STATS), (1, "semacquire", HOLDER),
       (1, "select", EXEC), (602, "IO wait", IDLE)]


def write_dump(path: str, total: int) -> int:
    """A dump of TOTAL goroutines in the MIX proportions; returns the goroutine count."""
    rnd = random.Random(0)
    scale = total / 722373
    plan = [(max(1, round(n * scale)) if n > 1 else n, st, fr) for n, st, fr in MIX]
    order = [i for i, (n, _, _) in enumerate(plan) for _ in range(n)]
    rnd.shuffle(order)
    templates = []
    for n, state, frames in plan:
        body = "".join(f"{f}\n\t{loc}\n" for f, loc in frames)
        templates.append((state, body, body.count("%s")))
    with open(path, "w") as out:
        buf = []
        for gid, i in enumerate(order, start=100):
            state, body, holes = templates[i]
            wait = rnd.randrange(1, 90)
            vals = tuple(f"c{rnd.getrandbits(36):09x}" for _ in range(holes))
            buf.append(f"goroutine {gid} [{state}, {wait} minutes]:\n" + (body % vals) + "\n")
            if len(buf) >= 4096:
                out.write("".join(buf))
                buf.clear()
        out.write("".join(buf))
    return len(order)


def timed(cmd: list[str]) -> tuple[float, str]:
    """Wall time and stdout of CMD run as a child on its own."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode:
        sys.exit(f"{cmd[0]} failed: {p.stderr.strip()[-400:]}")
    return dt, p.stdout


RUNNER = ("import resource, sys\n"
          "from hangconsole.cli import main\n"
          "rc = main(['stacks', '--text', sys.argv[1]])\n"
          "print('maxrss_kib', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,\n"
          "      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
          "sys.exit(rc)")
ONE = ("import resource, sys\n"
       "from hangconsole import stacks\n"
       "print(stacks.render(stacks.summarise(sys.argv[1])))\n"
       "print('maxrss_kib', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, 0)")


def rss(out: str) -> tuple[int, int]:
    return tuple(int(x) for x in out.rsplit("maxrss_kib", 1)[1].split()[:2])


def read_by(out: str) -> str:
    return next((line[8:] for line in out.splitlines() if line.startswith("read by ")), "?")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--goroutines", type=int, default=722373)
    ap.add_argument("--keep", metavar="FILE", help="write the dump here and keep it (an existing one is reused)")
    ap.add_argument("--rounds", type=int, default=5, help="rounds of grep / stacks / one process, interleaved (default 5)")
    a = ap.parse_args()
    path = a.keep or os.path.join(tempfile.mkdtemp(prefix="stacks-bench-"), "goroutine-stacks.log")
    if a.keep and os.path.exists(path):
        print(f"dump: reusing {path}")
        n = a.goroutines
    else:
        t0 = time.perf_counter()
        n = write_dump(path, a.goroutines)
        print(f"dump: {n} goroutines, written in {time.perf_counter() - t0:.1f} s")
    size = os.path.getsize(path)
    print(f"dump: {size / 1e6:.0f} MB")
    subprocess.run(["cat", path], stdout=subprocess.DEVNULL, check=True)     # into the page cache
    load0 = os.getloadavg()
    grep, ours, one, ratios = [], [], [], []
    out = one_out = ""
    for _ in range(a.rounds):
        # grep's stdout is a pipe: with /dev/null GNU grep stops at the first match
        dt, count = timed(["grep", "-c", "^goroutine ", path])
        grep.append(dt)
        dt, out = timed([sys.executable, "-c", RUNNER, path])
        ours.append(dt)
        ratios.append(ours[-1] / grep[-1])
        dt, one_out = timed([sys.executable, "-c", ONE, path])
        one.append(dt)
    load1 = os.getloadavg()
    (peak, child), (peak1, _) = rss(out), rss(one_out)
    print(out.rsplit("maxrss_kib", 1)[0].rstrip())
    med = statistics.median
    res = {
        "goroutines": int(count), "bytes": size, "rounds": a.rounds, "read_by": read_by(out),
        "grep_s": {"median": round(med(grep), 3), "min": round(min(grep), 3), "all": [round(x, 3) for x in grep]},
        "stacks_s": {"median": round(med(ours), 3), "min": round(min(ours), 3), "all": [round(x, 3) for x in ours]},
        "one_process_s": {"median": round(med(one), 3), "min": round(min(one), 3), "all": [round(x, 3) for x in one]},
        "ratio_median": round(med(ours) / med(grep), 2), "ratio_per_round_median": round(med(ratios), 2),
        "one_process_ratio_median": round(med(one) / med(grep), 2),
        "peak_rss_mb": round(peak / 1024, 1), "child_peak_rss_mb": round(child / 1024, 1),
        "one_process_peak_rss_mb": round(peak1 / 1024, 1),
        "loadavg_before": [round(x, 2) for x in load0], "loadavg_after": [round(x, 2) for x in load1],
        "cpus": os.cpu_count(), "python": sys.version.split()[0],
    }
    print(f"read by {res['read_by']}; {a.rounds} rounds, interleaved; load average {load0[0]:.2f} before, "
          f"{load1[0]:.2f} after")
    print(f"grep -c: median {res['grep_s']['median']:.2f} s (min {res['grep_s']['min']:.2f}); "
          f"hangconsole stacks --text: median {res['stacks_s']['median']:.2f} s (min {res['stacks_s']['min']:.2f}): "
          f"{res['ratio_median']:.2f} x grep (per round: median {res['ratio_per_round_median']:.2f} x, "
          f"{min(ratios):.2f}-{max(ratios):.2f} x)")
    print(f"one process (as the viewer reads): median {res['one_process_s']['median']:.2f} s, "
          f"{res['one_process_ratio_median']:.2f} x grep")
    print(f"peak RSS {peak / 1024:.0f} MB ({peak * 1024 / size:.2f} x the file), its second-half child "
          f"{child / 1024:.0f} MB; one process {peak1 / 1024:.0f} MB")
    os.makedirs(os.path.join(os.path.dirname(__file__), "results"), exist_ok=True)
    with open(os.path.join(os.path.dirname(__file__), "results", "stacks_vs_grep.json"), "w") as f:
        json.dump(res, f, indent=1)
    if not a.keep:
        os.remove(path)
        os.rmdir(os.path.dirname(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
