"""Running a playbook against a finding. The same walk serves `hangconsole fix` (no
questions: every step that changes the host needs --yes) and the console, where the operator
advances it step by step and every act is asked for (ctx.confirm)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..actions.guard import Refused
from .actions import ACTIONS
from ..diagnose.registry import OPERATOR_TASKS
from .conditions import CONDITIONS
from .context import RunContext
from .schema import Playbook, Step


@dataclass
class StepResult:
    step: Step
    status: str                 # ok failed refused skipped dry-run stopped
    text: str
    targets: list[dict] = field(default_factory=list)   # an act's processes: pid, start, comm


@dataclass
class RunResult:
    playbook: Playbook
    steps: list[StepResult] = field(default_factory=list)
    outcome: str = "done"       # done, nothing-to-do, refused, verify-failed, dry-run, stopped

    @property
    def exit_code(self) -> int:
        """As `diagnose`: 0 fixed (or nothing to do), 2 still broken, 3 could not act."""
        return {"done": 0, "nothing-to-do": 0, "dry-run": 0, "verify-failed": 2, "refused": 3}.get(self.outcome, 3)


READ_ONLY = ("explain", "check", "evidence", "verify")   # may run without the operator


class Walk:
    """A playbook taken one step at a time: `preview()` says what the next step will do and to
    which targets, `next()` runs it. The console advances it on the operator's key; `run()`
    walks it straight through for `hangconsole fix`. Every step that changes the host asks
    (ctx.confirm) or, without a way to ask, needs --yes (ctx.yes)."""

    def __init__(self, pb: Playbook, ctx: RunContext):
        from .engines import for_engine         # crictl/ctr words on a node without Docker
        self.pb, self.ctx = for_engine(pb, ctx), ctx
        self.result = RunResult(pb)
        self.index = 0
        self.finished = False

    @property
    def step(self) -> Step | None:
        return None if self.finished or self.index >= len(self.pb.steps) else self.pb.steps[self.index]

    def needs_operator(self) -> bool:
        """Does the next step wait for the operator? Acts that will change the host and
        terminals do; read-only steps, and an act with nothing left to act on, do not."""
        step = self.step
        if step is None or step.kind in READ_ONLY:
            return False
        if step.kind == "act":
            try:
                ACTIONS[step.action].bind(self.ctx, step.params)
            except Refused:
                return False
        if step.kind == "terminal" and (self.ctx.simulate or terminal_argv(step.command, self.ctx) is None):
            return False                       # nothing to attach to: it is skipped, said so
        return True

    def preview(self) -> str:
        return describe(self.step, self.ctx) if self.step else ""

    def next(self) -> StepResult:
        step, res = self.step, self.result
        r = _step(step, self.ctx, self.index)
        if step.kind in ("check", "verify"):      # conditions speak Docker: say it in the engine's words
            from .engines import words
            r.text = words(r.text, self.ctx.notes.get("engine", "docker"), self.ctx.notes.get("namespace"))
        res.steps.append(r)
        self.index += 1
        self.ctx.say(f"[{r.status}] {step.kind}: {r.text}")
        stop = False
        if r.status == "refused":
            res.outcome, stop = "refused", True
        elif r.status == "failed" and step.kind == "check" and step.if_fails == "stop":
            res.outcome, stop = "nothing-to-do", True
        elif r.status == "failed" and step.kind == "verify":
            res.outcome, stop = "verify-failed", step.if_fails == "stop"
        elif r.status == "failed" and step.kind == "act":
            res.outcome, stop = "verify-failed", True
        elif r.status == "ok" and step.kind == "verify" and step.if_passes == "done":
            res.outcome, stop = "done", True      # fixed by the gentler remedy: nothing harsher runs
        if stop or self.index >= len(self.pb.steps):
            if self.ctx.dry_run and res.outcome == "done":
                res.outcome = "dry-run"
            self._finish()
        return r

    def leave(self) -> None:
        """The operator left: nothing runs after this; what ran stays audited."""
        if not self.finished:
            self.result.outcome = "stopped"
            self._finish(f"left by the operator before step {self.index + 1} of {len(self.pb.steps)}")

    def _finish(self, why: str = "") -> None:
        self.finished = True
        self.ctx.incident.audit("playbook", None, f"{self.pb.id}: {self.result.outcome}" + (f" ({why})" if why else ""),
                                dry_run=self.ctx.dry_run, detail={"finding": self.ctx.finding.id})


def run(pb: Playbook, ctx: RunContext) -> RunResult:
    """Straight through, each step announced with its targets before it runs."""
    walk = Walk(pb, ctx)
    while walk.step is not None:
        ctx.say(f"step {walk.index + 1}/{len(pb.steps)} {walk.step.kind}: {walk.preview()}")
        walk.next()
    return walk.result


def confirm_level(step: Step) -> str:
    """'typed' (the container's short id) for kills, else 'yes': the stricter of the action's
    own level and the playbook's, so a playbook file can never lower it."""
    action = ACTIONS[step.action]
    return "typed" if "typed" in (action.confirm, step.confirm) else "yes"


def describe(step: Step, ctx: RunContext) -> str:
    """What the step will do, to which targets, before it runs."""
    if step.kind == "explain":
        return step.text
    if step.kind in ("check", "verify"):
        wait = f", waiting up to {step.wait:.0f} s" if step.kind == "verify" and step.wait else ""
        return f"{step.text} (reads the host: {step.condition}{wait}); changes nothing"
    if step.kind == "evidence":
        return f"{step.text}: a snapshot of the host saved under {ctx.incident.path}; changes nothing"
    if step.kind == "terminal":
        argv = terminal_argv(step.command, ctx)
        return f"{step.text}: {' '.join(argv)}" if argv else f"{step.text}: no live process to attach to"
    if step.kind == "operator":
        return f"{step.text}: {OPERATOR_TASKS[step.task][0](ctx)}. You do this, outside the console"
    try:
        bound = ACTIONS[step.action].bind(ctx, step.params)
    except Refused as e:
        return f"{step.text}: will be skipped ({e})"
    ask = (f"asks you to type {(ctx.finding.container or '')[:12]}" if confirm_level(step) == "typed"
           else "asks yes/no")
    return f"{step.text}: {bound.text}{_targets(bound)}. Changes the host: {ask} first"


def _targets(bound) -> str:
    ts = ", ".join(f"{t.comm} pid {t.pid} (start {t.start_ticks})" for t in bound.targets)
    return f" [targets: {ts}]" if ts else ""


def _step(step: Step, ctx: RunContext, index: int = 0) -> StepResult:
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
    if step.kind == "operator":
        return _operator(step, ctx)
    if step.kind == "verify":
        if ctx.dry_run:
            return StepResult(step, "dry-run", f"{step.text}: not checked in a dry run")
        end = time.monotonic() + (0 if ctx.simulate else step.wait)
        while True:
            ctx.fresh()
            ok, seen = CONDITIONS[step.condition](ctx)
            if ok is None:                        # nothing for it to check (the act it follows was skipped)
                return StepResult(step, "skipped", f"{step.text}: {seen}")
            if ok or time.monotonic() >= end or ctx.cancelled():
                return StepResult(step, "ok" if ok else "failed", f"{step.text}: {seen}")
            time.sleep(min(1.0, max(0.1, end - time.monotonic())))
    return _act(step, ctx, index)


def _operator(step: Step, ctx: RunContext) -> StepResult:
    """A fix only the operator can make. The console asks whether it is done (the verify after
    it checks); `fix` says it and goes on to that verify; training simulates its effect."""
    say, simulate = OPERATOR_TASKS[step.task]
    what = say(ctx)
    if ctx.dry_run:
        return StepResult(step, "dry-run", f"{step.text}: {what}")
    if ctx.simulate:
        import copy
        snap = copy.deepcopy(ctx.snapshot)
        snap._index = None
        done = simulate(snap, ctx.finding)
        ctx.snapshot = snap
        ctx.notes.setdefault("acts", []).append({"action": step.task, "container": ctx.finding.container,
                                                 "targets": []})
        ctx.incident.audit(step.task, None, done, detail={"training": True, "operator": True})
        return StepResult(step, "ok", f"{step.text}: simulated: {done}")
    ctx.incident.audit(step.task, None, f"asked of the operator: {what}")
    if ctx.confirm is not None and not ctx.confirm(f"{step.text}: {what}. Done?", None, operator=True):
        return StepResult(step, "skipped", f"{step.text}: not done (the checks that follow say what holds)")
    return StepResult(step, "ok", f"{step.text}: {what}")


def terminal_argv(command: str, ctx: RunContext) -> list[str] | None:
    """strace on the finding's stuck task, or a shell in the container's namespaces."""
    if command == "strace":
        ev = ctx.finding.evidence
        pid = (ev.get("fd") or {}).get("pid") or next(iter(ctx.finding.pids), None)
        return ["strace", "-f", "-tt", "-p", str(pid)] if pid and ctx.proc(pid) else None
    c = ctx.container
    pid = c.init_pid if c else None
    return ["nsenter", "-t", str(pid), "-m", "-u", "-i", "-n", "-p", "sh"] if pid and ctx.proc(pid) else None


def _act(step: Step, ctx: RunContext, index: int) -> StepResult:
    action = ACTIONS[step.action]
    try:
        bound = action.bind(ctx, step.params)
    except Refused as e:
        return StepResult(step, "skipped", f"{step.text}: {e}")
    question = f"{step.text}: {bound.text}{_targets(bound)}"
    if not ctx.dry_run:                    # every act changes the host: it is asked for
        typed = (ctx.finding.container or "")[:12] if confirm_level(step) == "typed" else None
        if ctx.confirm is not None:
            if not ctx.confirm(question, typed):
                ctx.incident.audit(step.action, None, "declined by the operator")
                return StepResult(step, "refused", f"{question}: declined")
        elif not ctx.yes:
            ctx.incident.audit(step.action, None, "refused: changes the host, no --yes")
            return StepResult(step, "refused", f"step {index + 1} '{step.text}' changes the host "
                                               f"({step.action}): refused without --yes")
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
    return StepResult(step, "dry-run" if ctx.dry_run else "ok", f"{bound.text}: {text}",
                      [t.as_dict() for t in bound.targets])
