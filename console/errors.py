"""Errors a command reports as one line and an exit status (never a traceback)."""
from __future__ import annotations


class CliError(Exception):
    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code
