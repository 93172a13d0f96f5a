"""The `hangconsole` command: argument parsing only; the work is in the core modules.

Every failure an operator can cause (a bad recording, no permission, no docker) ends in one
line on stderr and a non-zero exit, never a traceback.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import textwrap
import time

from . import __version__
from .errors import CliError
from .safetext import InertStream, json_dumps

EXIT_USAGE = 64      # bad arguments or input (sysexits EX_USAGE / EX_DATAERR family)
EXIT_DATA = 65
EXIT_NOPERM = 77


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
    from .fleet.cli import add_parsers as fleet_parsers
    fleet_parsers(sub, _common)        # check (--npd), metrics (docs/fleet.md)
    return ap


def _live_source(args):
    from .collect.engines_options import EngineAddresses
    return EngineAddresses.from_args(args).source()


def _resolve(path: str) -> str:
    """A file, a capture's incident directory (its recording.hcrec), or the name of a bundled
    incident (seed-000, lab-stuck-pipe)."""
    if os.path.isdir(path) and os.path.isfile(os.path.join(path, "recording.hcrec")):
        return os.path.join(path, "recording.hcrec")
    if os.path.exists(path):
        return path
    from .incidents import find
    inc = find(path)
    return inc.path if inc else path


def _open_recording(path: str, salvage: bool = False):
    from .record.fileformat import Recording, RecordingError
    path = _resolve(path)
    try:
        return Recording(path, salvage=salvage)
    except RecordingError as e:
        raise CliError(str(e), EXIT_DATA) from None


def _warn_degraded() -> None:
    if os.geteuid() != 0:
        print("hangconsole: not root: other users' fds, syscalls and kernel stacks are hidden; "
              "running degraded (no actions)", file=sys.stderr)


def cmd_record(args) -> int:
    from .record.fileformat import RecordingWriter
    if args.interval <= 0 or (args.frames is not None and args.frames < 1) or \
            (args.duration is not None and args.duration <= 0):
        raise CliError("--interval, --frames and --duration must be positive", EXIT_USAGE)
    _warn_degraded()
    src = _live_source(args)
    try:
        writer = RecordingWriter(args.output, redacted=not args.no_redact, note=args.note)
    except OSError as e:
        raise CliError(f"cannot write {args.output}: {e.strerror}", EXIT_NOPERM if e.errno == 13 else 1)
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *a: stop.update(now=True))
    end = time.monotonic() + args.duration if args.duration else None
    try:
        while not stop["now"]:
            t0 = time.monotonic()
            writer.write(src.snapshot())
            print(f"\rframe {writer.frames}", end="", file=sys.stderr, flush=True)
            if args.frames and writer.frames >= args.frames:
                break
            if end and time.monotonic() >= end:
                break
            time.sleep(max(0.0, args.interval - (time.monotonic() - t0)))
    except KeyboardInterrupt:
        pass
    finally:
        writer.close()
        src.close()
    print(f"\rwrote {writer.frames} frames to {args.output}", file=sys.stderr)
    return 0


def cmd_snapshot(args) -> int:
    from .record import codec
    from .views import text_report
    if args.replay:
        rec = _open_recording(args.replay, args.salvage)
        if not 0 <= args.frame < len(rec):
            raise CliError(f"--frame {args.frame}: the recording has frames 0..{len(rec) - 1}", EXIT_USAGE)
        snap = rec.frame(args.frame)
    else:
        _warn_degraded()
        src = _live_source(args)
        snap = src.snapshot()
        src.close()
    if args.json:
        print(json_dumps(codec.encode(snap), indent=1))
    else:
        print(text_report(snap))
    return 0


def cmd_diagnose(args) -> int:
    from .diagnose import report
    from .diagnose.history import History
    if (args.samples is not None and args.samples < 1) or args.interval < 0:
        raise CliError("--samples must be at least 1 and --interval not negative", 3)
    try:
        if args.replay:
            from .record.fileformat import Recording, RecordingError
            try:
                rec = Recording(_resolve(args.replay), salvage=args.salvage)
                n = min(len(rec), args.samples or 10)
                history = History([rec.frame(i) for i in range(len(rec) - n, len(rec))])
            except RecordingError as e:
                raise CliError(f"UNKNOWN: {e}", 3) from None
        else:
            src = _live_source(args)
            try:
                history = report.sample_live(src, args.samples or report.DEFAULT_SAMPLES, args.interval)
            finally:
                src.close()
    except OSError as e:
        raise CliError(f"UNKNOWN: cannot sample the host: {e}", 3) from None
    try:
        extra, notes = report.gather_extra(args.stacks, args.kubelet_log, args.drained,
                                           _resolve(args.replay) if args.replay else None)
    except OSError as e:
        raise CliError(f"UNKNOWN: cannot read {e.filename}: {e.strerror}", 3) from None
    history.latest.degraded.extend(notes)
    findings = report.diagnose(history, extra)
    status, code = report.verdict(findings)
    reason = report.unknown_reason(history)
    d = history.latest.docker
    named = not args.replay and not args.no_docker and (args.docker_host or os.environ.get("DOCKER_HOST"))
    if named and d is not None and d.reachable is None:      # a typo must not read as all-clear
        reason = f"the Docker daemon named ({d.host}) cannot be reached: {d.note or 'no socket'}"
    if reason and code < 2:
        status, code = "UNKNOWN", 3
    if args.json:
        print(json_dumps(report.as_json(history, findings, status, code, reason), indent=1))
    else:
        print(report.as_text(history, findings, status, reason))
    return code


def cmd_lab(args) -> int:
    from .lab.engine import DEFAULT_DIR, Lab, LabError
    from .lab.faults import inject
    lab = Lab(args.dir or DEFAULT_DIR)
    try:
        if getattr(args, "engine", "docker") != "docker":
            from .lab.engines import cli as engine_lab
            code, text = engine_lab(args)
            print(text)
            return code
        if args.action == "up":
            lab.up()
            print(f"lab up in {lab.dir}\nexport DOCKER_HOST={lab.docker_host}")
        elif args.action == "inject":
            if not args.fault:
                raise CliError("inject needs a fault: see `hangconsole lab --help`", EXIT_USAGE)
            cid = inject(lab, args.fault)
            print(f"injected {args.fault}" + (f" into {cid[:12]}" if cid else ""))
        elif args.action == "status":
            if not lab.is_up():
                print(f"lab down ({lab.dir})")
                return 3
            ps = lab.docker("ps", "-a", "--format", "{{.ID}} {{.Names}} {{.Status}}", timeout=10).stdout.decode()
            print(f"lab up in {lab.dir}\nexport DOCKER_HOST={lab.docker_host}\n{ps.rstrip()}")
        elif args.action == "clear":
            if os.geteuid() != 0:
                raise CliError("the lab needs root", EXIT_NOPERM)
            lab.clear()
            print("lab cleared: no containers, no faults")
        elif args.action == "down":
            if os.geteuid() != 0:
                raise CliError("the lab needs root", EXIT_NOPERM)
            for line in lab.down():
                print(f"  {line}")
            print("lab down")
    except LabError as e:
        raise CliError(str(e), EXIT_NOPERM if "needs root" in str(e) else 1) from None
    return 0


def cmd_stacks(args) -> int:
    from . import stacks
    tui = not args.text and sys.stdout.isatty()
    for path in args.files:
        try:
            if tui:                         # the viewer reads them, off its UI thread
                open(path, "rb").close()
            else:
                print(f"== {path}\n{stacks.render(stacks.summarise(path, parallel=True))}")
        except OSError as e:
            raise CliError(f"cannot read {path}: {e.strerror}", EXIT_DATA) from None
        except stacks.StackError as e:
            raise CliError(f"{path}: {e}", EXIT_DATA) from None
    if tui:
        from .screens.stacks import StacksApp
        app = StacksApp(list(args.files))
        app.run()
        return _after_app(app)
    return 0


def _stack_files(source) -> list[str]:
    """Goroutine dumps that belong to a bundled incident (seed-000-dockerd-goroutines.txt...)."""
    name = (getattr(source, "recording", None) and source.recording.header.get("incident")) or ""
    if not name:
        return []
    from .incidents import HERE
    return sorted(os.path.join(HERE, f) for f in os.listdir(HERE)
                  if f.startswith(name + "-") and f.endswith((".txt", ".log")))


def cmd_playbooks(args) -> int:
    from .playbook.schema import PlaybookError, load, load_all
    if args.action == "list":
        books, errors = load_all()
        for b in books.values():
            print(f"{b.id:<22} {', '.join(b.classes):<40} {b.title}")
        for e in errors:
            print(f"broken: {e}", file=sys.stderr)
        return 65 if errors else 0
    errors = []
    if args.files:
        for f in args.files:
            try:
                load(f)
            except PlaybookError as e:
                errors.append(str(e))
        count = len(args.files)
    else:
        books, errors = load_all()
        count = len(books) + len(errors)
    for e in errors:
        print(e, file=sys.stderr)
    print(f"{count - len(errors)} of {count} playbook(s) valid")
    return EXIT_DATA if errors else 0


def cmd_fix(args) -> int:
    from . import report
    from .actions.incident import Incident
    from .diagnose import report as dreport
    from .playbook.context import RunContext
    from .playbook.runner import run
    from .playbook.schema import PlaybookError, load, load_all
    try:
        if args.playbook.endswith(".toml"):
            pb = load(args.playbook)
        else:
            books, _ = load_all()
            if args.playbook not in books:
                raise CliError(f"UNKNOWN: no playbook {args.playbook!r} (see `hangconsole playbooks list`)", 3)
            pb = books[args.playbook]
    except PlaybookError as e:
        raise CliError(f"UNKNOWN: {e}", 3) from None
    if os.geteuid() != 0 and not args.dry_run:
        raise CliError("UNKNOWN: fixing needs root (use --dry-run to see the steps)", 3)
    src = _live_source(args)
    try:
        history = dreport.sample_live(src, max(1, args.samples), args.interval)
        findings = dreport.diagnose(history)
        snap = history.latest
        c = snap.container(args.container) or next(
            (x for x in snap.containers if x.name == args.container), None)
        if c is None:
            raise CliError(f"UNKNOWN: no container {args.container!r} on this host", 3)
        finding = next((f for f in findings if f.container == c.id and f.cls in pb.classes), None) or next(
            (f for f in findings if f.container is None and f.cls in pb.classes), None)   # a daemon's: host-wide
        if finding is None:
            print(f"OK: no {'/'.join(pb.classes)} finding on {c.name} ({c.short_id}): nothing to fix")
            return 0
        if args.dry_run:                # nothing on disk: a scratch directory, removed after
            import tempfile
            incident = Incident(tempfile.mkdtemp(prefix="hangconsole-dry-run-"))
        else:
            incident = Incident(args.incident_dir)
        incident.record_findings(findings)
        incident.save_evidence(snap, "initial")
        ctx = RunContext(finding=finding, snapshot=snap, incident=incident, take_snapshot=src.snapshot,
                         dry_run=args.dry_run, yes=args.yes, docker_host=args.docker_host,
                         say=lambda line: print(line, flush=True))
        print(f"{pb.title}: {finding.summary}", flush=True)
        result = run(pb, ctx)
        if args.dry_run:
            import shutil
            shutil.rmtree(incident.path, ignore_errors=True)
            print(f"fix {pb.id}: dry run, nothing done and nothing written; the {finding.severity} "
                  f"{finding.cls} on {c.name} stands")
            return dreport.verdict([finding])[1]            # the state it found
        path = report.write(incident)
        print(f"fix {pb.id}: {result.outcome}; incident directory {incident.path} (report {os.path.basename(path)})")
        return result.exit_code
    finally:
        src.close()


def cmd_train(args) -> int:
    from .incidents import catalog, find
    if args.incident:
        inc = find(args.incident)
        if inc is None:
            raise CliError(f"no incident {args.incident!r}: `hangconsole train` lists them", EXIT_USAGE)
    if args.list or not sys.stdout.isatty():
        from .incidents import shown_name, symptom
        for i in ([inc] if args.incident else catalog()):      # a lab capture's name is its answer
            print(f"{shown_name(i, args.reveal):<22} {symptom(i)}"
                  + (f"   [{i.expect}: {i.title}]" if args.reveal else ""))
        return 0
    from .screens.app import HangConsoleApp, _incident_dumps
    if not args.incident:
        app = HangConsoleApp(None, pick_incident=True, reveal=args.reveal)
        app.run()
        return _after_app(app)
    from .sources import ReplaySource
    from .training import TrainingSession
    src = ReplaySource(_open_recording(inc.path))
    app = HangConsoleApp(src, training=TrainingSession(inc), stack_files=_incident_dumps(inc.name, training=True))
    app.run()
    return _after_app(app)


def cmd_report(args) -> int:
    from . import report
    from .actions.incident import Incident
    if not os.path.isdir(args.incident_dir):
        raise CliError(f"no incident directory {args.incident_dir}", EXIT_DATA)
    print(report.write(Incident(args.incident_dir)))
    return 0


def cmd_console(args) -> int:
    if args.replay:
        from .sources import ReplaySource
        source = ReplaySource(_open_recording(args.replay, args.salvage))
    else:
        if not sys.stdout.isatty():
            raise CliError("the console needs a terminal; use `hangconsole snapshot` for text output",
                           EXIT_USAGE)
        _warn_degraded()
        source = _live_source(args)
        source.prefetch()          # the first snapshot overlaps the UI's import
    if not sys.stdout.isatty():    # a replay needs a terminal too
        raise CliError("the console needs a terminal; use `hangconsole snapshot --replay` for text output",
                       EXIT_USAGE)
    from .screens.app import HangConsoleApp
    app = HangConsoleApp(source, interval=args.interval, stack_files=_stack_files(source))
    app.run()
    source.close()
    return _after_app(app)


def _after_app(app) -> int:
    """The terminal is restored by now: a crash is one line, with where its report is."""
    if app.crash is None:
        return app.return_code or 0
    from .crash import EXIT_CRASH
    error, path = app.crash
    print(f"hangconsole: the console failed ({type(error).__name__}: {str(error)[:200]}); "
          f"crash report: {path or 'could not be saved'}", file=sys.stderr)
    return EXIT_CRASH


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
    commands = {"record": cmd_record, "snapshot": cmd_snapshot, "diagnose": cmd_diagnose,
                "lab": cmd_lab, "stacks": cmd_stacks, "playbooks": cmd_playbooks, "fix": cmd_fix,
                "report": cmd_report, "train": cmd_train}
    from .fleet.cli import cmd_check, cmd_metrics
    commands.update(check=cmd_check, metrics=cmd_metrics)
    try:
        return commands.get(args.command, cmd_console)(args)
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
