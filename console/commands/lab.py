"""`lab`: the private engines (console/lab)."""
from __future__ import annotations

import os

from ..errors import CliError
from .common import EXIT_USAGE, EXIT_NOPERM


def cmd_lab(args) -> int:
    from ..lab.engine import DEFAULT_DIR, Lab, LabError
    from ..lab.faults import inject
    lab = Lab(args.dir or DEFAULT_DIR)
    try:
        if getattr(args, "engine", "docker") != "docker":
            from ..lab.engines import cli as engine_lab
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
