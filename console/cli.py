"""The `hangconsole` command: argument parsing only; the work is in the core modules.

Every failure an operator can cause (a bad recording, no permission, no docker) ends in one
line on stderr and a non-zero exit, never a traceback.
"""
from __future__ import annotations

import argparse
import sys
import textwrap

from . import __version__
from .errors import CliError
from .safetext import InertStream



def _common(p: argparse.ArgumentParser, sub: bool = False) -> None:
    """Options every command takes, before or after the command name."""
    d = (lambda v: argparse.SUPPRESS) if sub else (lambda v: v)
    p.add_argument("--replay", metavar="FILE", default=d(None),
                   help="use a recording instead of the live host: a file, or a bundled "
                        "incident's name (seed-000 ... seed-004, lab-stuck-pipe, ...)")
    p.add_argument("--salvage", action="store_true", default=d(False),
                   help="with --replay: use the complete frames of a truncated recording")
    p.add_argument("--docker-host", metavar="URL", default=d(None),
                   help="Docker daemon address (default: $DOCKER_HOST, else the default socket)")
    p.add_argument("--no-docker", action="store_true", default=d(False),
                   help="do not probe the Docker API at all")
    p.add_argument("--containerd-address", metavar="SOCK", default=d(None),
                   help="containerd socket (default: $CONTAINERD_ADDRESS, else the one running "
                        "containerd/shims name, else /run/containerd/containerd.sock)")
    p.add_argument("--cri-endpoint", metavar="SOCK", default=d(None),
                   help="CRI socket (default: $CONTAINER_RUNTIME_ENDPOINT, else CRI-O's socket "
                        "if present, else containerd's, whose CRI plugin serves there)")


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="hangconsole",
        description="Incident console for hung Docker/containerd hosts. With no command it "
                    "opens the console on the live host (or on a recording with --replay).",
        epilog="The daemon probed is --docker-host, else $DOCKER_HOST, else "
               "unix:///var/run/docker.sock, as for the docker CLI. Without root the console "
               "runs degraded and says what it cannot see.")
    ap.add_argument("--version", action="version", version=f"hangconsole {__version__}")
    _common(ap)
    ap.add_argument("--interval", type=float, default=2.0, metavar="S",
                    help="live refresh interval in seconds (default 2)")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")

    rec = sub.add_parser("record", help="record the live host to a file",
                         description="Record timed snapshots of the live host to a compressed, "
                                     "versioned file (docs/recording-format.md). Secret-looking "
                                     "argv values are redacted unless --no-redact.")
    _common(rec, sub=True)
    rec.add_argument("-o", "--output", required=True, metavar="FILE")
    rec.add_argument("--interval", type=float, default=2.0, metavar="S", help="seconds between frames (default 2)")
    g = rec.add_mutually_exclusive_group()
    g.add_argument("--frames", type=int, metavar="N", help="stop after N frames")
    g.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    rec.add_argument("--no-redact", action="store_true", help="keep argv values as they are")
    rec.add_argument("--note", help="a line stored in the recording's header")

    snp = sub.add_parser("snapshot", help="print one snapshot of the host (or of a recording frame)",
                         description="Print the host as the console sees it: daemons, containers, "
                                     "runtime process trees, what each task is blocked in.")
    _common(snp, sub=True)
    snp.add_argument("--json", action="store_true", help="the snapshot model as JSON")
    snp.add_argument("--frame", type=int, default=0, metavar="N", help="with --replay: which frame")
    dg = sub.add_parser("diagnose", help="name the hangs on this host (or in a recording), with evidence",
                        description="Sample the host and name the hangs it recognises, with "
                                    "evidence. Exit status follows the monitoring-plugin "
                                    "convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.")
    _common(dg, sub=True)
    dg.add_argument("--json", action="store_true", help='JSON: {"status", "findings": [...], ...}')
    dg.add_argument("--samples", type=int, metavar="N",
                    help="samples to take (default 3; with --replay: the last N frames, default up to 10)")
    dg.add_argument("--interval", type=float, default=5.0, metavar="S",
                    help="seconds between samples (default 5: a verdict in about 11 s)")
    dg.add_argument("--stacks", nargs="+", default=[], metavar="FILE",
                    help="goroutine dumps to link waiters (ContainerInspect) to the causal chain")
    dg.add_argument("--kubelet-log", metavar="FILE",
                    help="the kubelet's log (default: its journal on a live host)")
    dg.add_argument("--drained", nargs="+", default=[], metavar="FILE",
                    help="bytes drained from a stuck pipe: recognised errors join the causal chain")
    st = sub.add_parser("stacks", help="group and browse a Go goroutine dump",
                        description="Parse a goroutine dump (dockerd goroutine-stacks-*.log, "
                                    "containerd stacks.log, a shim's dump as logged to the journal, "
                                    "or a pprof debug=1 profile), group identical stacks and browse "
                                    "them; --text prints the summary instead. The summary's last line "
                                    "says what read the dump: the C scanner (built with the package "
                                    "when a C compiler is there) or Python (slower, the same result: "
                                    "journal/syslog lines always, everything when the scanner is not "
                                    "built or HANGCONSOLE_STACKS_PYTHON=1 is set).")
    st.add_argument("files", nargs="+", metavar="FILE")
    st.add_argument("--text", action="store_true", help="print the grouped summary and hints")

    pb = sub.add_parser("playbooks", help="list or validate playbook files",
                        description="list: the bundled playbooks and the hang classes they address. "
                                    "check: validate playbook files (default: the bundled ones); one "
                                    "line per problem, exit 65 if any.")
    pb.add_argument("action", choices=["list", "check"])
    pb.add_argument("files", nargs="*", metavar="FILE")

    fx = sub.add_parser("fix", help="run a playbook against a finding, non-interactively",
                        description="Sample the host, find the PLAYBOOK's hang on --container, and run "
                                    "its steps: evidence is saved first, every action is audited, "
                                    "every step that changes the host (drains included) refuses without "
                                    "--yes, naming the step. Exit status as diagnose: "
                                    "0 fixed or nothing to fix, 2 still broken, 3 could not act.")
    _common(fx, sub=True)
    fx.add_argument("playbook", metavar="PLAYBOOK", help="a bundled playbook id or a .toml file")
    fx.add_argument("--container", required=True, metavar="ID", help="container id (or prefix) or name")
    fx.add_argument("--dry-run", action="store_true",
                    help="print each step with its targets; change and write nothing; exit with the "
                         "state found (1 warning, 2 critical)")
    fx.add_argument("--yes", action="store_true", help="allow the steps that change the host (drains, dumps, kills, writes)")
    fx.add_argument("--incident-dir", metavar="DIR", help="where evidence, data and the audit log go")
    fx.add_argument("--samples", type=int, default=3, metavar="N")
    fx.add_argument("--interval", type=float, default=5.0, metavar="S")

    tr = sub.add_parser("train", help="work a recorded incident in training mode",
                        description="Open a bundled recorded incident (the five field reports and the "
                                    "lab captures) in the console, symptom first: the page the on-call "
                                    "received, then the host. Commit to a hypothesis (f) to see the "
                                    "findings, walk the playbook (p): actions are simulated on the "
                                    "recording, never on this machine. The debrief (saved as Markdown and "
                                    "JSON) scores the hypothesis and tells the root cause, what the "
                                    "report's engineers did, what you skipped and the long-term fixes. "
                                    "Without INCIDENT: choose from the list (without a terminal: --list).")
    tr.add_argument("incident", nargs="?", metavar="INCIDENT", help="e.g. seed-000, lab-stuck-pipe")
    tr.add_argument("--list", action="store_true", help="print the incidents by their symptoms and exit")
    tr.add_argument("--reveal", action="store_true",
                    help="for instructors: show each incident's answer (class and title) in the list")

    rp = sub.add_parser("report", help="write the Markdown report of an incident directory")
    rp.add_argument("--incident-dir", required=True, metavar="DIR")

    from .lab.catalog import ENGINE_FAULTS, FAULTS
    lab = sub.add_parser(
        "lab", help="a private Docker engine to break on purpose (root)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Start a private dockerd + containerd on their own sockets, state "
                    "directories and cgroup parent (never a Docker the host already runs), "
                    "inject real faults, and tear it all down. Also a training sandbox.",
        epilog="faults (--engine docker, the default):\n" + "\n".join(textwrap.fill(v, 78, initial_indent=f"  {k:<15} ",
                                                     subsequent_indent=" " * 18)
                                       for k, v in FAULTS.items()) +
               "\n\nthe same faults where the engine can show them:" +
               "".join(f"\n  {'--engine ' + e:<19} {' '.join(f)}" for e, f in ENGINE_FAULTS.items()) +
               "\n\nAfter `lab up`, point the tools at it:\n  export DOCKER_HOST=unix://"
               "<dir>/docker.sock   (lab up prints the exact line)")
    lab.add_argument("action", choices=["up", "inject", "status", "clear", "down"])
    lab.add_argument("fault", nargs="?", choices=list(FAULTS), help="with inject: which fault")
    lab.add_argument("--dir", default=None, help="lab directory (default $HANGCONSOLE_LAB_DIR or /run/hangconsole-lab)")
    lab.add_argument("--engine", choices=["docker", "containerd", "podman"], default="docker",
                     help="docker (a private dockerd), containerd (no dockerd; a Kubernetes-shaped "
                          "pod on one shim) or podman (containers under conmon); docs/runtimes.md")
    from .drill.pages import DRILLABLE
    dr = sub.add_parser(
        "drill", help="a live drill: the private lab broken with a hidden fault, fixed with the console (root)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=textwrap.fill(
            "Break the private lab engine (`hangconsole lab`, never the host's own) with a hidden fault "
            "and open the live console on it with only the page's text. Diagnose and fix it with the "
            "console, its playbooks and actions (every act is limited to the lab). `e` checks the "
            "condition of victory on the live lab (the call answers again, the zombies are reaped, every "
            "drained byte is on disk, the pids are under the limit, the workload still runs, a red "
            "herring left as it was) and shows the debrief, from the drill's own audit log; the drill "
            "goes on until it is won. `q` ends it: the lab is checked once more, and the debrief is "
            "printed and saved with the drill's recording.", 78),
        epilog="faults a drill hides, per engine:\n" + "\n".join(f"  {e:<11} {' '.join(f)}" for e, f in DRILLABLE.items())
               + "\n\nexit status: 0 the lab is fixed, 1 it is not, 77 not root, 64 bad arguments")
    dr.add_argument("fault", nargs="?", help="the fault to hide (else --random)")
    dr.add_argument("--random", action="store_true", help="a fault chosen at random for the engine")
    dr.add_argument("--engine", choices=list(DRILLABLE), default="docker", help="the lab engine (default docker)")
    dr.add_argument("--also", metavar="FAULT", help="a second fault at once (Docker lab)")
    dr.add_argument("--red-herring", action="store_true",
                    help="also a container paused on purpose, to be left alone (Docker lab)")
    dr.add_argument("--seed", type=int, help="for --random and the container names: the same drill again")
    dr.add_argument("--dir", default=None, help="lab directory (default: the lab's own, as for `hangconsole lab`)")
    dr.add_argument("--incident-dir", metavar="DIR", help="where the drill's audit log, evidence, "
                    "recording and debrief go (default under $HANGCONSOLE_INCIDENTS)")
    dr.add_argument("--list", action="store_true", help="print the faults a drill can hide, per engine, and exit")
    from .fleet.cli import add_parsers as fleet_parsers
    fleet_parsers(sub, _common)        # check (--npd), metrics (docs/fleet.md)
    return ap


def main(argv: list[str] | None = None) -> int:
    from . import selfexec
    if selfexec.run_if_asked(sys.argv[1:] if argv is None else argv):
        return 0
    # host text is data: whatever a command prints passes the one filter (the console itself
    # draws through Textual's own stream, sys.__stderr__, and renders host text as Text)
    if not isinstance(sys.stdout, InertStream):
        sys.stdout = InertStream(sys.stdout)
        sys.stderr = InertStream(sys.stderr, keep_cr=True)
    args = _parser().parse_args(argv)
    from .commands import console, diagnosis, drill, lab, recording, remedy
    from .fleet.cli import cmd_check, cmd_metrics
    commands = {"record": recording.cmd_record, "snapshot": recording.cmd_snapshot,
                "diagnose": diagnosis.cmd_diagnose, "stacks": diagnosis.cmd_stacks, "lab": lab.cmd_lab,
                "playbooks": remedy.cmd_playbooks, "fix": remedy.cmd_fix, "report": remedy.cmd_report,
                "train": console.cmd_train, "drill": drill.cmd_drill, "check": cmd_check, "metrics": cmd_metrics}
    try:
        return commands.get(args.command, console.cmd_console)(args)
    except CliError as e:
        print(f"hangconsole: {e}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:                       # noqa: BLE001 - never a traceback: one line, a report
        from .crash import EXIT_CRASH, save
        path = save(e, " ".join(sys.argv[1:]))
        print(f"hangconsole: internal error ({type(e).__name__}: {str(e)[:200]}); "
              f"crash report: {path or 'could not be saved'}", file=sys.stderr)
        return EXIT_CRASH


if __name__ == "__main__":
    sys.exit(main())
