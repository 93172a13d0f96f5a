"""Shared fixtures. Tests that need root or the engine skip outside CI, and fail in CI."""
from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI") == "true"


def need(condition: bool, reason: str) -> None:
    """Skip with REASON outside CI; in CI a missing prerequisite is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI prerequisite missing: {reason}")
    pytest.skip(reason)


@pytest.fixture
def root():
    need(os.geteuid() == 0, "needs root (run as root, as CI does)")
