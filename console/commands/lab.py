"""`lab`: the private engines (console/lab), each behind the same interface (lab/registry.py)."""
from __future__ import annotations

import os

from ..errors import CliError, NoPermission, UsageError


def cmd_lab(args) -> int:
    from ..lab.catalog import ENGINE_FAULTS, FAULTS
    from ..lab.errors import LabError, NeedsRoot
    from ..lab.registry import lab_for
    engine = getattr(args, "engine", "docker")
    name = "" if engine == "docker" else f"{engine} "        # the Docker lab is the lab
    try:
        lab = lab_for(engine, args.dir)
        if args.action != "status" and os.geteuid() != 0:
            raise NoPermission("the lab needs root")
        if args.action == "up":
            lab.up()
            print(f"{name}lab up in {lab.dir}\n{lab.hint()}")
        elif args.action == "inject":
            if not args.fault:
                faults = FAULTS if engine == "docker" else ENGINE_FAULTS[engine]
                raise UsageError(f"inject needs a fault: one of {', '.join(faults)}")
            cid = lab.inject(args.fault)
            print(f"injected {args.fault}" + (f" on {engine}" if name else "") + (f" into {cid[:12]}" if cid else "")
                  + (f"\n{lab.hint()}" if name else ""))
        elif args.action == "status":
            text = lab.status()
            if not text:
                print(f"{name}lab down ({lab.dir})")
                return 3
            print(f"{name}lab up in {lab.dir}\n{lab.hint()}\n{text}")
        elif args.action == "clear":
            lab.clear()
            print(f"{name}lab cleared: no containers, no faults")
        else:
            for line in lab.down():
                print(f"  {line}")
            print(f"{name}lab down")
    except LabError as e:
        raise (NoPermission if isinstance(e, NeedsRoot) else CliError)(str(e)) from None
    return 0
