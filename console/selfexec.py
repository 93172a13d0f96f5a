"""A part of hangconsole run as a process of its own (the /proc scan helpers, the capture's
dumper, the lab's log endpoint): `python -m MODULE ARGS` from the wheel; from the single
executable, which carries no separate python, the executable itself with `--hc-run MODULE`."""
from __future__ import annotations

import runpy
import sys
import warnings

FLAG = "--hc-run"


def argv(module: str, *args: str) -> list[str]:
    if getattr(sys, "frozen", False):
        return [sys.executable, FLAG, module, *args]
    return [sys.executable, "-m", module, *args]


def run_if_asked(args: list[str]) -> bool:
    """`hangconsole --hc-run MODULE ARGS`: run MODULE as __main__ (frozen builds only)."""
    if len(args) < 2 or args[0] != FLAG:
        return False
    sys.argv = [args[1], *args[2:]]
    with warnings.catch_warnings():      # "found in sys.modules": its package imported it first
        warnings.simplefilter("ignore", RuntimeWarning)
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    return True
