"""Playbook files: the bundled ones validate; each kind of broken file gets one clear line."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from hangconsole.playbook.schema import PlaybookError, load, load_all

GOOD = '''id = "{id}"
title = "t"
classes = ["stuck-pipe"]
summary = "s"
[[steps]]
kind = "explain"
text = "x"
'''


def test_bundled_playbooks_validate_and_cover_every_remedied_class():
    books, errors = load_all()
    assert errors == []
    covered = {c for b in books.values() for c in b.classes}
    from hangconsole.diagnose.registry import CLASSES
    # a symptom takes its root cause's playbook; an OOM kill and a pause are facts, not a fix
    assert covered == set(CLASSES) - {"runtime-call-hung", "oom-kill", "paused"}


BAD = {
    "not toml": ("x = = 1", "not valid TOML"),
    "wrong id": (GOOD.format(id="other"), "must match the file name"),
    "unknown class": (GOOD.format(id="bad").replace("stuck-pipe", "flux-capacitor"), "unknown hang class 'flux-capacitor'"),
    "unknown kind": (GOOD.format(id="bad").replace('kind = "explain"', 'kind = "pray"'), "steps[0]: unknown kind 'pray'"),
    "unknown action": (GOOD.format(id="bad") + '[[steps]]\nkind = "act"\naction = "reboot"\ndestructive = true\ntext = "y"\n',
                       "steps[1]: unknown action 'reboot'"),
    "destructive not declared": (GOOD.format(id="bad") + '[[steps]]\nkind = "act"\naction = "kill-shim"\ndestructive = false\ntext = "y"\n',
                                 "is destructive: say destructive = true"),
    "unknown condition": (GOOD.format(id="bad") + '[[steps]]\nkind = "verify"\ncondition = "vibes"\ntext = "y"\n',
                          "unknown condition 'vibes'"),
    "missing text": (GOOD.format(id="bad").replace('text = "x"\n', ""), "steps[0]: missing 'text'"),
    "no steps": (GOOD.format(id="bad").split("[[steps]]")[0] + "steps = []\n", "at least one step"),
    "stray key": (GOOD.format(id="bad").replace('text = "x"', 'text = "x"\nsudo = true'), "unknown key(s) sudo"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_each_broken_file_gets_one_clear_line(tmp_path, case):
    body, message = BAD[case]
    f = tmp_path / "bad.toml"
    f.write_text(body)
    with pytest.raises(PlaybookError, match=re.escape(message)) as err:
        load(str(f))
    assert str(err.value).startswith("bad.toml: ")
    r = subprocess.run([shutil.which("hangconsole"), "playbooks", "check", str(f)], capture_output=True, text=True)
    assert r.returncode == 65 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [str(err.value)]


def test_a_broken_file_never_hides_the_good_ones(tmp_path):
    (tmp_path / "good.toml").write_text(GOOD.format(id="good"))
    (tmp_path / "bad.toml").write_text("x = = 1")
    books, errors = load_all(str(tmp_path))
    assert list(books) == ["good"] and len(errors) == 1 and errors[0].startswith("bad.toml: not valid TOML")
