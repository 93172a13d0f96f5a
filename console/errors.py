"""Errors a command reports as one line and an exit status (never a traceback). Each kind has
its status; cli.main prints the message and exits with it."""
from __future__ import annotations


class CliError(Exception):
    """One line for the operator; CODE, else the class's own."""
    code = 1

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code


class UsageError(CliError):
    """Bad arguments: a value out of range, a name that does not exist (sysexits EX_USAGE)."""
    code = 64


class DataError(CliError):
    """Input that cannot be used: a recording, a playbook, a dump (EX_DATAERR)."""
    code = 65


class CannotWrite(CliError):
    """An output file or directory that cannot be written (EX_CANTCREAT)."""
    code = 73


class NoPermission(CliError):
    """What needs root, run without it (EX_NOPERM)."""
    code = 77


class Unknown(CliError):
    """diagnose, fix: the monitoring-plugin convention's UNKNOWN (3): nothing could be decided."""
    code = 3

    def __init__(self, message: str):
        super().__init__(f"UNKNOWN: {message}")
