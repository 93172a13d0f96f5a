"""Bundled incidents: the seed recordings match their builders, and every bundled incident
is diagnosed as the hang class its report (or lab fault) shows."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from hangconsole import incidents
from tools.seeds.build import write_seed

ALL = incidents.catalog()
NAMES_NO_CONTAINER = {"seed-003"}     # its report never says which container's runc init was OOM-killed


def test_catalog_has_the_five_seeds_and_the_lab_captures():
    names = [i.name for i in ALL]
    assert names[:5] == [f"seed-00{n}" for n in range(5)]
    assert {f"lab-{f}" for f in incidents.LAB} <= set(names)


@pytest.mark.parametrize("n", range(5))
def test_seed_recordings_match_their_builders(n, tmp_path):
    fresh = write_seed(n, str(tmp_path))
    committed = incidents.find(f"seed-{n:03d}").path
    assert open(fresh, "rb").read() == open(committed, "rb").read(), \
        "regenerate with: python -m tools.seeds.build"


@pytest.mark.parametrize("inc", ALL, ids=[i.name for i in ALL])
def test_diagnose_replay_names_the_class(inc):
    exe = shutil.which("hangconsole")
    r = subprocess.run([exe, "diagnose", "--replay", inc.path, "--json"], capture_output=True, text=True, timeout=60)
    report = json.loads(r.stdout)
    classes = [f["class"] for f in report["findings"]]
    assert classes and classes[0] == inc.expect, classes
    worst = report["findings"][0]
    assert worst["evidence"] and (worst["container"] or inc.name in NAMES_NO_CONTAINER)
    assert r.returncode == {"critical": 2, "warning": 1, "info": 0}[worst["severity"]]


def test_train_list_shows_symptoms_only_and_reveal_shows_the_answer():
    exe = shutil.which("hangconsole")
    plain = subprocess.run([exe, "train", "--list"], capture_output=True, text=True, timeout=60)
    reveal = subprocess.run([exe, "train", "--list", "--reveal"], capture_output=True, text=True, timeout=60)
    assert plain.returncode == reveal.returncode == 0
    assert len(plain.stdout.splitlines()) == len(ALL)
    for inc in ALL:
        shown = incidents.shown_name(inc)
        line = next(x for x in plain.stdout.splitlines() if x.startswith(shown + " "))
        assert inc.expect not in line and incidents.symptom(inc) in line      # not even in its name
        assert incidents.find(shown) == inc, "the name shown is the name `train` takes"
        assert f"[{inc.expect}: {inc.title}]" in reveal.stdout and inc.name in reveal.stdout
