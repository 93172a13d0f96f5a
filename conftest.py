"""Root conftest: keep SVG snapshots in the top-level snapshots/ folder (one folder per test
file) and make rendering deterministic before textual is imported."""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
os.environ.setdefault("TZ", "UTC")

import pytest_textual_snapshot  # noqa: E402

SNAPSHOTS = Path(__file__).parent / "snapshots"


class TopLevelSVGExtension(pytest_textual_snapshot.SVGImageExtension):
    @classmethod
    def dirname(cls, *, test_location) -> str:
        return str(SNAPSHOTS / test_location.basename)


# the snap_compare fixture looks the class up at call time
pytest_textual_snapshot.SVGImageExtension = TopLevelSVGExtension
