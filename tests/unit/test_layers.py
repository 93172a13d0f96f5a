"""The layering holds by itself: the contracts in pyproject.toml ([tool.importlinter]: the core
never imports textual or the screens; each layer imports only from the layers below it; no
import cycle inside any package), checked by import-linter on the installed package."""
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_import_contracts_hold():
    exe = shutil.which("lint-imports", path=os.path.dirname(sys.executable)) or "lint-imports"
    r = subprocess.run([exe, os.path.join(ROOT, "pyproject.toml"), "--no-cache"],
                       capture_output=True, text=True, cwd="/")   # the installed wheel, not the checkout
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Contracts: 3 kept, 0 broken." in r.stdout, r.stdout
