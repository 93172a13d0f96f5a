"""`playbooks`, `fix` and `report`."""
from __future__ import annotations

import os
import sys

from ..errors import DataError, Unknown
from .common import _live_source, EXIT_DATA


def cmd_playbooks(args) -> int:
    from ..playbook.schema import PlaybookError, load, load_all
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
    from .. import report
    from ..actions.incident import Incident
    from ..diagnose import report as dreport
    from ..playbook.context import RunContext
    from ..playbook.runner import run
    from ..playbook.schema import PlaybookError, load, load_all
    try:
        if args.playbook.endswith(".toml"):
            pb = load(args.playbook)
        else:
            books, _ = load_all()
            if args.playbook not in books:
                raise Unknown(f"no playbook {args.playbook!r} (see `hangconsole playbooks list`)")
            pb = books[args.playbook]
    except PlaybookError as e:
        raise Unknown(str(e)) from None
    if os.geteuid() != 0 and not args.dry_run:
        raise Unknown("fixing needs root (use --dry-run to see the steps)")
    src = _live_source(args)
    try:
        history = dreport.sample_live(src, max(1, args.samples), args.interval)
        findings = dreport.diagnose(history)
        snap = history.latest
        c = snap.container(args.container) or next(
            (x for x in snap.containers if x.name == args.container), None)
        if c is None:
            raise Unknown(f"no container {args.container!r} on this host")
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


def cmd_report(args) -> int:
    from .. import report
    from ..actions.incident import Incident
    if not os.path.isdir(args.incident_dir):
        raise DataError(f"no incident directory {args.incident_dir}")
    print(report.write(Incident(args.incident_dir)))
    return 0
