"""A live drill's two faces, on a drill as it was run on the Docker lab (tests/data/drill: its
drill.json with the lab's answers, its audit log, and four frames of its recording): the page on
the overview, and the debrief `e` shows, at 120x40 and 80x24. Looked at before accepted. The
drill itself, on the real engines, is tests/integration/test_drill_lab.py."""
from __future__ import annotations

import json
import os
import shutil
from types import SimpleNamespace

import pytest

from hangconsole.actions.incident import Incident
from hangconsole.drill import debrief
from hangconsole.drill.victory import Check
from hangconsole.record.fileformat import Recording
from hangconsole.screens.app import HangConsoleApp
from hangconsole.sources import ReplaySource

from tests.ui.test_snapshots import keys, until

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "drill")
WHERE = "/tmp/hangconsole-drill-snapshot"          # a fixed path: it is on screen


class RecordedDrill:
    """The drill as it was run: its page, and the debrief from the checks the lab answered."""

    def __init__(self):
        with open(os.path.join(DATA, "drill.json")) as f:
            self.d = json.load(f)
        self.lab = SimpleNamespace(ENGINE=self.d["engine"], dir=self.d["lab_dir"])
        self.page = self.d["page"]
        shutil.rmtree(WHERE, ignore_errors=True)
        self.incident = Incident(WHERE)
        shutil.copy(os.path.join(DATA, "audit.log"), self.incident.file("audit.log"))

    def check(self):
        checks = [Check(**c) for c in self.d["checks"]]
        return self.d["won"], debrief.lines(self.d, checks, self.incident.audit_lines(), f"{WHERE}/drill.hcrec")


def drill_app() -> HangConsoleApp:
    src = ReplaySource(Recording(os.path.join(DATA, "drill.hcrec")))
    return HangConsoleApp(src, drill=RecordedDrill())


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_drill_page(snap_compare, size):
    assert snap_compare(drill_app(), terminal_size=size, run_before=keys())


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_drill_debrief(snap_compare, size):
    assert snap_compare(drill_app(), terminal_size=size, run_before=until("DebriefScreen", "e"))
