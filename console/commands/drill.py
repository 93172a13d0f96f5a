"""`hangconsole drill`: a live drill on the private lab (console/drill)."""
from __future__ import annotations

import os
import sys

from ..errors import CliError, NoPermission, UsageError


def cmd_drill(args) -> int:
    from ..drill import pages
    from ..drill.session import Drill
    from ..lab.errors import LabError, NeedsRoot
    from ..lab.registry import lab_for
    if args.list:
        for engine, faults in pages.DRILLABLE.items():
            print(f"{engine:<11} {' '.join(faults)}")
        return 0
    if os.geteuid() != 0:
        raise NoPermission("a drill needs root: it starts and breaks the private lab engine")
    if not sys.stdout.isatty():
        raise UsageError("a drill opens the console: it needs a terminal")
    if bool(args.fault) == bool(args.random):
        raise UsageError("name a fault or say --random (`hangconsole drill --list` lists them)")
    faults = [args.fault or Drill.pick(args.engine, args.seed)] + ([args.also] if args.also else [])
    try:
        lab = lab_for(args.engine, args.dir)
        drill = Drill(lab, faults, red_herring=args.red_herring, directory=args.incident_dir, seed=args.seed)
        drill.start()
    except LabError as e:
        raise (NoPermission if isinstance(e, NeedsRoot) else CliError)(str(e)) from None
    from ..screens.app import HangConsoleApp
    from .common import _after_app
    source = drill.source()
    app = HangConsoleApp(source, interval=args.interval, drill=drill)
    try:
        app.run()
    finally:
        source.close()
    code = _after_app(app)
    print("checking the lab …")
    won, text = drill.finish()
    print("\n".join(text))
    where = f" --dir {args.dir}" if args.dir else ""
    print(f"\nDebrief: {drill.incident.file('debrief.md')}. The lab is left as it is: "
          f"`hangconsole lab clear --engine {args.engine}{where}` (or `down`).")
    return code or (0 if won else 1)
