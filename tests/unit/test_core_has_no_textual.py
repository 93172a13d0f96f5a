"""The core (model, collectors, diagnosis, recording, actions) never imports textual."""
import pkgutil
import subprocess
import sys

import hangconsole


def test_core_modules_import_without_textual():
    core = [m.name for m in pkgutil.walk_packages(hangconsole.__path__, "hangconsole.")
            if not m.name.startswith("hangconsole.screens") and m.name != "hangconsole.__main__"]
    assert "hangconsole.collect.live" in core and "hangconsole.cli" in core
    code = ("import sys, importlib\n"
            f"for name in {core!r}: importlib.import_module(name)\n"
            "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True)
