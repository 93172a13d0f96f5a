"""The lab's one error: a line for the operator, never a traceback."""
from __future__ import annotations


class LabError(Exception):
    """One line for the operator."""


class NeedsRoot(LabError):
    """The lab was asked for without root."""
