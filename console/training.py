"""Training mode: a recorded incident, the trainee's moves, and a debrief against the
expected path (the right playbook, no risky actions, how long it took)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from .incidents import Incident as Recorded
from .playbook.schema import Playbook, load_all


@dataclass
class Event:
    at: float
    what: str                   # opened-finding, started-playbook, step, finished
    detail: str


@dataclass
class TrainingSession:
    incident: Recorded
    clock: object = time.monotonic
    events: list[Event] = field(default_factory=list)
    started: float = 0.0

    def __post_init__(self):
        self.started = self.clock()

    def note(self, what: str, detail: str) -> None:
        self.events.append(Event(self.clock() - self.started, what, detail))

    def expected_playbook(self) -> Playbook | None:
        books, _ = load_all()
        return next((b for b in books.values() if self.incident.expect in b.classes), None)

    def debrief(self) -> list[str]:
        exp = self.expected_playbook()
        used = [e.detail for e in self.events if e.what == "started-playbook"]
        acts = [e for e in self.events if e.what == "step" and e.detail.startswith(("ok act", "dry-run act"))]
        refused = [e for e in self.events if e.what == "step" and e.detail.startswith("refused")]
        expected_actions = {s.action for s in (exp.steps if exp else []) if s.kind == "act"}
        lines = [f"Incident: {self.incident.title}",
                 f"Expected: recognise {self.incident.expect}, run playbook {exp.id if exp else '(none: explain only)'}"]
        if not used:
            lines.append("You did not run a playbook.")
        elif exp and used[0] == exp.id:
            lines.append(f"Right playbook: {used[0]}.")
        else:
            lines.append(f"Wrong playbook first: {used[0]} (expected {exp.id if exp else 'none'}).")
        risky = []
        for e in acts:
            parts = e.detail.split()
            action = parts[2] if len(parts) > 2 else ""
            if action and action not in expected_actions:
                risky.append(action)
        if risky:
            lines.append(f"Risky: {', '.join(sorted(set(risky)))} is not part of the fix for this hang.")
        else:
            lines.append("No risky action.")
        if refused:
            lines.append(f"Declined {len(refused)} confirmation(s).")
        done = next((e for e in self.events if e.what == "finished"), None)
        took = done.at if done else self.clock() - self.started
        lines.append(f"Steps taken: {len([e for e in self.events if e.what == 'step'])}; time {took:.0f} s"
                     + (f"; outcome {done.detail}" if done else "; not finished"))
        lines.append("Timeline:")
        lines += [f"  {e.at:6.1f}s  {e.what}: {e.detail}" for e in self.events]
        return lines
