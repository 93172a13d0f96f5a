"""What a playbook run works with: the finding, the host as it is now, the incident
directory, and how to ask the operator."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .. import model as m
from ..actions.incident import Incident
from ..diagnose.finding import Finding


@dataclass
class RunContext:
    finding: Finding
    snapshot: m.HostSnapshot
    incident: Incident
    take_snapshot: Callable[[], m.HostSnapshot]
    dry_run: bool = False
    yes: bool = False
    confirm: Callable[..., bool] | None = None   # (question, text to type, operator=False) -> ok
    say: Callable[[str], None] = print
    docker_host: str | None = None
    notes: dict = field(default_factory=dict)                   # what earlier steps found
    simulate: bool = False           # training: actions change a copy of the recorded host
    terminal: Callable[[list[str], str], None] | None = None   # opens a terminal, waits for it
    cancelled: Callable[[], bool] = lambda: False               # the operator left: stop reading

    def fresh(self) -> m.HostSnapshot:
        if not self.simulate:                # in training the simulated host is the fresh one
            self.snapshot = self.take_snapshot()
        return self.snapshot

    @property
    def container(self) -> m.Container | None:
        return self.snapshot.container(self.finding.container) if self.finding.container else None

    def proc(self, pid: int | None) -> m.Process | None:
        return self.snapshot.proc(pid)
