"""The `check` and `metrics` subcommands (console/cli.py registers them)."""
from __future__ import annotations

import argparse
import signal
import time

from ..collect.engines_options import EngineAddresses


def _state_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--state-dir", metavar="DIR",
                   help="where the last sample and verdict are kept (default $HANGCONSOLE_STATE_DIR, "
                        "else /var/lib/hangconsole as root, else $XDG_STATE_HOME/hangconsole)")
    p.add_argument("--reuse", type=float, default=10.0, metavar="S",
                   help="reuse a verdict younger than S seconds as it is (default 10; 0: never)")
    p.add_argument("--max-age", type=float, default=300.0, metavar="S",
                   help="compare with the stored sample only if at most S seconds old (default 300)")
    p.add_argument("--interval", type=float, default=5.0, metavar="S",
                   help="without a usable stored sample: seconds between two fresh samples (default 5)")
    p.add_argument("--full", action="store_true", help="ignore the stored state: two fresh samples")
    p.add_argument("--capture", metavar="DIR",
                   help="when a problem is first flagged, keep a recording, the findings, the log lines "
                        "and the daemons' goroutine dumps in DIR/<time>-<class>-<where>/ (off by default)")
    p.add_argument("--capture-keep", type=int, default=10, metavar="N",
                   help="with --capture: at most N captures, the oldest removed first (default 10)")
    p.add_argument("--capture-max-mb", type=float, default=200.0, metavar="M",
                   help="with --capture: at most M MiB of captures (default 200)")


def add_parsers(sub, common) -> None:
    ck = sub.add_parser(
        "check", help="one quick check for monitoring: a node-problem-detector plugin (--npd)",
        description="Check the host within --timeout, quick by default: one new sample compared "
                    "with the one the last run stored (docs/fleet.md). With --npd: NPD's custom "
                    "plugin protocol, exit 0 OK, 1 problem, 2 unknown, one line on stdout of at most "
                    "--max-output-length bytes naming the class, the pod or container and the evidence. "
                    "Without --npd: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.")
    common(ck, sub=True)
    ck.add_argument("--npd", action="store_true", help="node-problem-detector's exit codes (0/1/2)")
    ck.add_argument("--timeout", type=float, default=5.0, metavar="S",
                    help="the plugin's timeout: the check answers (UNKNOWN if it must) before it (default 5, NPD's)")
    ck.add_argument("--max-output-length", type=int, default=80, metavar="N",
                    help="NPD's max_output_length: bytes of output kept (default 80)")
    ck.add_argument("--classes", metavar="C1,C2",
                    help="only these hang classes make a problem (one NPD rule per group)")
    ck.add_argument("-v", "--verbose", action="store_true", help="every finding on stderr")
    _state_opts(ck)

    mt = sub.add_parser(
        "metrics", help="write a node_exporter textfile (hangconsole.prom) with findings and pending calls",
        description="Check the host (as `check`) and write DIR/hangconsole.prom for node_exporter's "
                    "textfile collector, through a temporary file renamed into place; --loop S repeats "
                    "every S seconds until SIGTERM.")
    common(mt, sub=True)
    mt.add_argument("--textfile", required=True, metavar="DIR", help="node_exporter's --collector.textfile.directory")
    mt.add_argument("--loop", type=float, metavar="S", help="repeat every S seconds")
    mt.add_argument("--timeout", type=float, default=30.0, metavar="S",
                    help="a check's deadline (default 30)")
    _state_opts(mt)


def cmd_check(args) -> int:
    from ..errors import CliError          # the plugin's own statuses: NPD's 2, Nagios's 3
    if getattr(args, "replay", None):
        raise CliError("check samples the live host; use `diagnose --replay` for recordings", 2 if args.npd else 3)
    if args.timeout <= 0 or args.max_output_length < 1 or args.interval < 0:
        raise CliError("--timeout and --max-output-length must be positive", 2 if args.npd else 3)
    from . import npd
    return npd.run(args)


def cmd_metrics(args) -> int:
    from ..errors import CannotWrite, UsageError
    from . import capture
    from . import check as ck
    from . import metrics
    if getattr(args, "replay", None):
        raise UsageError("metrics samples the live host; use `diagnose --replay` for recordings")
    if args.timeout <= 0 or (args.loop is not None and args.loop <= 0):
        raise UsageError("--timeout and --loop must be positive")
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *a: stop.update(now=True))
    src = None
    if args.loop:
        class Kept:        # one source for the whole loop: a pending call is not issued again
            def __init__(self):
                self.s = EngineAddresses.from_args(args).source()

            def snapshot(self):
                return self.s.snapshot()

            def close(self):
                pass
        src = Kept()
    state_dir = args.state_dir or ck.default_state_dir()
    code = 0
    try:
        while True:
            t0 = time.monotonic()
            opts = ck.Options(state_dir=state_dir, deadline=t0 + args.timeout,
                              engines=EngineAddresses.from_args(args),
                              reuse=0.0 if args.loop else args.reuse, max_age=args.max_age,
                              interval=args.interval, full=args.full, **capture.options(args))
            try:
                res = ck.run(opts, source_factory=(lambda: src) if src else None)
            except OSError as e:
                res = ck.Result("unknown", reason=f"cannot check the host: {e}")
            try:
                path = metrics.write(args.textfile, res)
            except OSError as e:
                raise CannotWrite(f"cannot write {args.textfile}: {e.strerror}") from None
            code = {"ok": 0, "problem": 1}.get(res.status, 3)
            if not args.loop:
                print(f"{path}: {res.status}, {len(res.findings)} finding(s), {res.mode}")
                break
            while not stop["now"] and time.monotonic() - t0 < args.loop:
                time.sleep(min(0.2, args.loop))
            if stop["now"]:
                break
    except KeyboardInterrupt:
        pass
    finally:
        if src is not None:
            src.s.close()
    return code if not args.loop else 0


__all__ = ["add_parsers", "cmd_check", "cmd_metrics"]
