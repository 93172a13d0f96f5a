"""What users install carries every module: each module of console/ and screens/ imports
from the installed hangconsole. Under tests/run.sh that is the wheel built from the checkout,
installed non-editable in a fresh virtualenv, and the test checks it is that copy."""
from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"console": "hangconsole", "screens": "hangconsole.screens"}


def modules() -> list[str]:
    out = []
    for folder, package in FOLDERS.items():
        for f in sorted((ROOT / folder).rglob("*.py")):
            rel = f.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            if folder == "console" and parts[:1] == ["screens"]:
                continue
            out.append(".".join([package, *parts]))
    return out


def test_every_source_folder_is_a_package():
    """A folder without __init__.py is not discovered by setup.py, so it would not ship."""
    for folder in (*FOLDERS, "playbooks"):
        for d in [ROOT / folder, *(p for p in (ROOT / folder).rglob("*") if p.is_dir())]:
            if d.name == "__pycache__" or not any(d.glob("*.py")) and not any(d.glob("*.toml")):
                continue
            assert (d / "__init__.py").exists(), f"{d.relative_to(ROOT)} has no __init__.py"


def test_every_module_imports_from_the_installed_package():
    """One test for all modules: it lists every module that fails to import or that came
    from the checkout instead of the wheel, not just the first."""
    names = modules()
    assert len(names) > 100 and "hangconsole.cli" in names and "hangconsole.screens.app" in names
    bad = []
    for name in names:
        try:
            if name.endswith(".__main__"):           # importing it would run the command
                where = Path(importlib.util.find_spec(name).origin).resolve()
            else:
                where = Path(importlib.import_module(name).__file__).resolve()
        except Exception as e:                     # noqa: BLE001 - every failure is listed
            bad.append(f"{name}: {type(e).__name__}: {e}")
            continue
        if os.environ.get("HANGCONSOLE_TEST_INSTALLED"):
            if ROOT in where.parents:
                bad.append(f"{name}: imported from the checkout, not the wheel: {where}")
            elif not str(where).startswith(sys.prefix):
                bad.append(f"{name}: not in the test virtualenv: {where}")
    assert not bad, "\n".join(bad)


def test_the_command_is_the_installed_one():
    exe = shutil.which("hangconsole")
    assert exe, "no hangconsole on PATH"
    if os.environ.get("HANGCONSOLE_TEST_INSTALLED"):
        assert Path(exe).resolve().parent == Path(sys.prefix, "bin").resolve() or exe.startswith(sys.prefix)
