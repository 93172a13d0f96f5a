"""A recognised hang: what, where, how sure, the evidence an operator needs, and the fix."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

CRITICAL, WARNING, INFO = "critical", "warning", "info"
_RANK = {CRITICAL: 0, WARNING: 1, INFO: 2}


@dataclass
class Finding:
    cls: str                          # stable class id, e.g. exec-pipe-deadlock
    severity: str                     # critical warning info
    summary: str                      # one line
    container: str | None = None      # full container id, None for host-wide findings
    pids: list[int] = field(default_factory=list)
    evidence: dict = field(default_factory=dict)
    playbook: str | None = None       # the playbook that addresses it
    stuck_for: float | None = None    # seconds the state has been seen unchanged
    root_cause: str | None = None     # for symptoms: the id of the root-cause finding
    stuck_note: str | None = None     # stuck_for is a lower bound: what bounds it from above
    causes: list[dict] = field(default_factory=list)   # the causal chain, root first (causes.py)

    @property
    def id(self) -> str:
        return f"{self.cls}:{self.container or 'host'}"

    @property
    def rank(self) -> tuple:
        """Worst first; within a severity, root causes before the symptoms they explain."""
        return (_RANK.get(self.severity, 3), self.root_cause is not None, self.cls, self.container or "")

    def to_json(self) -> dict:
        d = asdict(self)
        d["class"] = d.pop("cls")
        d["id"] = self.id
        return d
