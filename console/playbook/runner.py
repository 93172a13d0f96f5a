"""Running a playbook against a finding. The same runner serves `hangconsole fix` (no
questions: destructive steps need --yes) and the console (questions via ctx.confirm)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..actions.guard import Refused
from .actions import ACTIONS
from .conditions import CONDITIONS
from .context import RunContext
from .schema import Playbook, Step


@dataclass
class StepResult:
    step: Step
    status: str                 # ok failed refused skipped dry-run stopped
    text: str


@dataclass
class RunResult:
    playbook: Playbook
    steps: list[StepResult] = field(default_factory=list)
    outcome: str = "done"       # done, nothing-to-do, refused, verify-failed

    @property
    def exit_code(self) -> int:
        """As `diagnose`: 0 fixed (or nothing to do), 2 still broken, 3 could not act."""
        return {"done": 0, "nothing-to-do": 0, "dry-run": 0, "verify-failed": 2, "refused": 3}.get(self.outcome, 3)


def run(pb: Playbook, ctx: RunContext) -> RunResult:
    res = RunResult(pb)
    for step in pb.steps:
        r = _step(step, ctx)
        res.steps.append(r)
        ctx.say(f"[{r.status}] {step.kind}: {r.text}")
        if r.status == "refused":
            res.outcome = "refused"
            break
        if r.status == "failed" and step.kind == "check" and step.if_fails == "stop":
            res.outcome = "nothing-to-do"
            break
        if r.status == "failed" and step.kind == "verify":
            res.outcome = "verify-failed"
            if step.if_fails == "stop":
                break
        if r.status == "failed" and step.kind == "act":
            res.outcome = "verify-failed"
            break
    else:
        if ctx.dry_run and res.outcome == "done":
            res.outcome = "dry-run"
    ctx.incident.audit("playbook", None, f"{pb.id}: {res.outcome}", dry_run=ctx.dry_run,
                       detail={"finding": ctx.finding.id})
    return res


def _step(step: Step, ctx: RunContext) -> StepResult:
    if step.kind == "explain":
        return StepResult(step, "ok", step.text)
    if step.kind == "check":
        ok, seen = CONDITIONS[step.condition](ctx)
        return StepResult(step, "ok" if ok else "failed", f"{step.text}: {seen}")
    if step.kind == "evidence":
        path = ctx.incident.save_evidence(ctx.snapshot, "manual")
        return StepResult(step, "ok", f"{step.text}: saved {path}")
    if step.kind == "terminal":
        if ctx.simulate:
            return StepResult(step, "skipped", f"{step.text} (not in training: it needs the live process)")
        argv = terminal_argv(step.command, ctx)
        if ctx.terminal is None or argv is None:
            return StepResult(step, "skipped", f"{step.text} (interactive only: open it from the console)"
                              if argv else f"{step.text}: no live process to attach to")
        ctx.incident.audit("terminal", None, "opened", detail={"argv": argv})
        ctx.terminal(argv, step.text)
        return StepResult(step, "ok", f"{step.text}: {' '.join(argv)} (closed)")
    if step.kind == "verify":
        if ctx.dry_run:
            return StepResult(step, "dry-run", f"{step.text}: not checked in a dry run")
        end = time.monotonic() + (0 if ctx.simulate else step.wait)
        while True:
            ctx.fresh()
            ok, seen = CONDITIONS[step.condition](ctx)
            if ok or time.monotonic() >= end:
                return StepResult(step, "ok" if ok else "failed", f"{step.text}: {seen}")
            time.sleep(min(1.0, max(0.1, end - time.monotonic())))
    return _act(step, ctx)


def terminal_argv(command: str, ctx: RunContext) -> list[str] | None:
    """strace on the finding's stuck task, or a shell in the container's namespaces."""
    if command == "strace":
        ev = ctx.finding.evidence
        pid = (ev.get("fd") or {}).get("pid") or next(iter(ctx.finding.pids), None)
        return ["strace", "-f", "-tt", "-p", str(pid)] if pid and ctx.proc(pid) else None
    c = ctx.container
    pid = c.init_pid if c else None
    return ["nsenter", "-t", str(pid), "-m", "-u", "-i", "-n", "-p", "sh"] if pid and ctx.proc(pid) else None


def _act(step: Step, ctx: RunContext) -> StepResult:
    action = ACTIONS[step.action]
    try:
        bound = action.bind(ctx, step.params)
    except Refused as e:
        return StepResult(step, "skipped", f"{step.text}: {e}")
    targets = ", ".join(f"{t.comm} {t.pid} (start {t.start_ticks})" for t in bound.targets)
    question = f"{step.text}: {bound.text}" + (f" [targets: {targets}]" if targets else "")
    if step.destructive and not ctx.dry_run:
        typed = (ctx.finding.container or "")[:12] if step.confirm == "typed" else None
        if ctx.confirm is not None:
            if not ctx.confirm(question, typed):
                ctx.incident.audit(step.action, None, "declined by the operator")
                return StepResult(step, "refused", f"{question}: declined")
        elif not ctx.yes:
            ctx.incident.audit(step.action, None, "refused: destructive step without --yes")
            return StepResult(step, "refused", f"{question}: destructive, refused without --yes")
    if not ctx.dry_run:
        evidence = ctx.incident.save_evidence(ctx.snapshot, step.action)   # evidence first
        ctx.say(f"  evidence saved: {evidence}")
    try:
        if ctx.simulate:
            from .simulate import apply
            text = apply(step.action, ctx, bound)
        else:
            text = action.run(ctx, bound)
    except Refused as e:
        return StepResult(step, "failed", f"{question}: {e}")
    except OSError as e:
        ctx.incident.audit(step.action, None, f"failed: {e.strerror}")
        return StepResult(step, "failed", f"{question}: {e.strerror}")
    return StepResult(step, "dry-run" if ctx.dry_run else "ok", f"{bound.text}: {text}")
