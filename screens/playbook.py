"""A playbook as a walkthrough. Each step shows what it will do and to which targets before
it runs; read-only steps (explain, check, evidence, verify) run on their own, every step that
changes the host waits for the operator (Enter) and then asks (yes/no, or the typed short id
for kills). `a` runs the rest, still asking at each act; Esc leaves and nothing runs after
it. Live hosts are acted on for real; recordings (training) in simulation."""
from __future__ import annotations

import re
import threading

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static
from textual.worker import get_current_worker

from hangconsole import provenance as pv
from hangconsole.playbook.context import RunContext
from hangconsole.playbook.runner import StepResult, Walk
from hangconsole.playbook.schema import Playbook

from hangconsole.safetext import visible, visible_lines

from .confirm import ConfirmScreen
from .inert import guard
from .style import MARK_STYLE
from .widgets.wraplog import WrapLog
from .widgets.footer import FitFooter

MARK = {"ok": ("✔", "green"), "failed": ("✘", "red"), "refused": ("⊘", "yellow"),
        "skipped": ("–", "dim"), "dry-run": ("·", "cyan"), "running": ("▶", "bold cyan"),
        "next": ("›", "bold")}


class PlaybookScreen(Screen):
    CSS_PATH = "playbook.tcss"
    BINDINGS = [Binding("enter", "advance", "Run this step"),
                Binding("a", "run_rest", "Run the rest"),
                Binding("escape", "back", "Leave"), Binding("ctrl+r", "report", "Report")]

    def __init__(self, playbook: Playbook, ctx: RunContext, training: bool):
        super().__init__()
        self.ctx, self.training = ctx, training
        self.walk = Walk(playbook, ctx)
        self.playbook = self.walk.pb          # in the words of the container's engine (crictl, ctr)
        self.status: dict[int, str] = {}
        self.result = None
        self.waiting = False                  # a host-changing step waits for the operator
        self.run_all = False
        self.left = False
        self._advance = threading.Event()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="pb-title")
        with Horizontal():
            yield Static(id="steps")
            with Vertical(id="right"):
                with VerticalScroll(id="next-box"):   # a long step scrolls, never cut (80x24)
                    yield Static(id="next")
                yield WrapLog(id="log")
        yield FitFooter()

    def on_mount(self) -> None:
        t = Text()
        if self.training:
            t.append(" TRAINING: actions are simulated on the recording; the machine is not touched ",
                     style="bold black on cyan")
            t.append("\n")
        t.append(self.playbook.title, style="bold")
        t.append(f"\n{visible_lines(self.ctx.finding.summary)}", style="yellow")
        t.append(f"\nincident directory: {visible(self.ctx.incident.path)}", style="dim")
        self.query_one("#pb-title", Static).update(guard(t))
        self.ctx.cancelled = lambda: self.left
        self._draw_steps()
        self.execute()

    def _draw_steps(self) -> None:
        t = Text()
        for i, s in enumerate(self.playbook.steps):
            mark, style = MARK.get(self.status.get(i, ""), ("○", "dim"))
            t.append(f" {mark} {i + 1}. ", style=style)
            t.append(f"{s.kind:<8}", style="bold" if s.kind == "act" else "")
            text = "what is going on (in the log)" if s.kind == "explain" else s.text
            t.append(f" {visible_lines(text)}" + ("  [destructive]" if s.destructive else "") + "\n",
                     style="red" if s.destructive else "")
        self.query_one("#steps", Static).update(guard(t))

    def _show_next(self, index: int, preview: str, waiting: bool) -> None:
        if not self.is_attached:
            return
        self.waiting = waiting
        self.status[index] = "next" if waiting else "running"
        step = self.playbook.steps[index]
        t = Text()
        t.append(f"Step {index + 1} of {len(self.playbook.steps)} ({step.kind})", style="bold")
        t.append(": waiting for you\n" if waiting else ": running\n", style="bold yellow" if waiting else "cyan")
        t.append(visible_lines(preview))
        snap = self.ctx.snapshot                 # a target a rebuilt recording made up says so
        for pid in dict.fromkeys(int(x) for x in re.findall(r"\b\d{2,7}\b", preview)):
            p = snap.proc(pid) if snap is not None else None
            if p is not None and pv.marked(p, "pid", "comm", "argv"):
                why = pv.why(p, "pid") or pv.why(p, "comm") or pv.why(p, "argv")
                t.append(f"\n{pv.MARK}", style=MARK_STYLE)
                t.append(f" {visible(p.comm)} {pid}: {visible(why)}", style="dim italic")
        if waiting:
            t.append("\nEnter runs this step (it asks first); a runs the rest, still asking at each act; "
                     "Esc leaves.", style="dim")
        self.query_one("#next", Static).update(guard(t))
        self._draw_steps()
        self.refresh_bindings()

    def check_action(self, action: str, parameters) -> bool | None:
        if action in ("advance", "run_rest"):
            return self.result is None and not self.left
        return True

    # --- the walk, on a worker; questions come back to the UI thread -------------------
    @work(thread=True, exclusive=True, group="playbook", exit_on_error=False)
    def execute(self) -> None:
        ctx, walk, worker = self.ctx, self.walk, get_current_worker()

        def confirm(question: str, typed: str | None, operator: bool = False) -> bool:
            done, box = threading.Event(), []
            self.app.call_from_thread(self.app.push_screen, ConfirmScreen(question, typed, operator=operator),
                                      lambda ok: (box.append(bool(ok)), done.set()))
            while not done.wait(0.2):
                if worker.is_cancelled:          # the app is quitting: the answer is no
                    return False
            return box[0] and not self.left

        def terminal(argv: list[str], title: str) -> None:
            from .terminal import TerminalScreen
            done = threading.Event()
            self.app.call_from_thread(self.app.push_screen, TerminalScreen(argv, title), lambda _: done.set())
            while not done.wait(0.2):
                if worker.is_cancelled:
                    return
        ctx.say = lambda line: self.app.call_from_thread(self._log, line)
        ctx.confirm, ctx.terminal = confirm, terminal
        while walk.step is not None:
            index, step = walk.index, walk.step
            operator = not self.run_all and walk.needs_operator()
            self.app.call_from_thread(self._show_next, index, walk.preview(), operator)
            if operator:
                self._advance.clear()
                while not self._advance.wait(0.2) and not worker.is_cancelled:
                    pass
            if self.left or worker.is_cancelled:
                walk.leave()
                break
            if operator:
                self.app.call_from_thread(self._show_next, index, walk.preview(), False)
            r = walk.next()
            self.app.call_from_thread(self._step_done, index, r)
            if self.left:
                walk.leave()
                break
        self.app.call_from_thread(self._finished, walk.result)

    def _step_done(self, index: int, r: StepResult) -> None:
        self.status[index] = r.status
        if getattr(self.app, "training", None):
            s = self.playbook.steps[index]
            self.app.training.note("step", f"{r.status} {s.kind}" + (f" {s.action}" if s.action else ""))
        if self.is_attached:
            self._draw_steps()

    def _log(self, line: str) -> None:
        if not self.is_attached:
            return
        line = visible_lines(line)
        t = Text(line)
        if line.startswith("[") and "]" in line:
            status = line[1:line.index("]")]
            t.stylize(MARK.get(status, ("", ""))[1], 0, line.index("]") + 1)
        self.query_one("#log", WrapLog).add(t)

    def _finished(self, result) -> None:
        from hangconsole import report
        path = report.write(self.ctx.incident)
        self.result = result                     # set once its report is on disk
        self._log(f"— {self.playbook.id}: {self.result.outcome}; report {path}")
        dumps = [self.ctx.incident.file(f) for f in self.ctx.incident.list("stacks-")]
        if dumps:                                 # `g` opens the dumps this run collected
            self.app.stack_files = sorted(set(self.app.stack_files) | set(dumps))
            self.app.refresh_bindings()
            self._log("goroutine dumps collected: press g to browse them")
        if self.is_attached:
            self.waiting = False
            self.query_one("#next", Static).update(Text(
                f"Finished: {visible(self.result.outcome)}. Report: {visible(path)}\nEsc goes back.", style="bold"))
            self.refresh_bindings()
        if getattr(self.app, "training", None) and not self.left:
            self.app.training.note("finished", self.result.outcome)
            self.app.show_debrief(self.ctx.incident.path)

    def action_advance(self) -> None:
        if self.waiting:
            self._advance.set()

    def action_run_rest(self) -> None:
        self.run_all = True
        self._advance.set()

    def action_report(self) -> None:
        from hangconsole import report
        self._log(f"report written: {report.write(self.ctx.incident)}")

    def action_back(self) -> None:
        """Leave: nothing runs after this. A step already running finishes or is stopped
        (a drain stops reading); the audit log and the report keep what ran."""
        self.left = True
        self._advance.set()
        if self.result is None and getattr(self.app, "training", None):
            self.app.training.note("left", f"before step {self.walk.index + 1}")
        self.app.pop_screen()
