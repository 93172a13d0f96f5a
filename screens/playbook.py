"""A playbook run: its steps with their status, a live log (the drain's byte counter among
it), confirmations for destructive steps. Live hosts are acted on for real; recordings
(training) are acted on in simulation."""
from __future__ import annotations

import threading

from rich.text import Text
from textual import work
from textual.worker import get_current_worker
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, RichLog, Static

from hangconsole.playbook.context import RunContext
from hangconsole.playbook.runner import run
from hangconsole.playbook.schema import Playbook

from .confirm import ConfirmScreen

MARK = {"ok": ("✔", "green"), "failed": ("✘", "red"), "refused": ("⊘", "yellow"),
        "skipped": ("–", "dim"), "dry-run": ("·", "cyan")}


class PlaybookScreen(Screen):
    CSS_PATH = "playbook.tcss"
    BINDINGS = [Binding("escape", "back", "Back"), Binding("ctrl+r", "report", "Report")]

    def __init__(self, playbook: Playbook, ctx: RunContext, training: bool):
        super().__init__()
        self.playbook, self.ctx, self.training = playbook, ctx, training
        self.status: dict[int, str] = {}
        self.result = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="pb-title")
        with Horizontal():
            yield Static(id="steps")
            yield RichLog(id="log", wrap=True, markup=False)
        yield Footer()

    def on_mount(self) -> None:
        t = Text()
        if self.training:
            t.append(" TRAINING: actions are simulated on the recording; the machine is not touched ",
                     style="bold black on cyan")
            t.append("\n")
        t.append(self.playbook.title, style="bold")
        t.append(f"\n{self.ctx.finding.summary}", style="yellow")
        self.query_one("#pb-title", Static).update(t)
        self._draw_steps()
        self.execute()

    def _draw_steps(self) -> None:
        t = Text()
        for i, s in enumerate(self.playbook.steps):
            mark, style = MARK.get(self.status.get(i, ""), ("○", "dim"))
            t.append(f" {mark} ", style=style)
            t.append(f"{s.kind:<8}", style="bold" if s.kind == "act" else "")
            t.append(f" {s.text}" + ("  [destructive]" if s.destructive else "") + "\n",
                     style="red" if s.destructive else "")
        self.query_one("#steps", Static).update(t)

    # --- the run, on a worker; questions come back to the UI thread ------------------------
    @work(thread=True, exclusive=True, group="playbook", exit_on_error=False)
    def execute(self) -> None:
        ctx = self.ctx
        step_no = {"i": 0}

        def say(line: str) -> None:
            self.app.call_from_thread(self._log, line)
            if line.startswith("["):
                status = line[1:line.index("]")]
                kind = line[line.index("]") + 2:].split(":", 1)[0]
                while step_no["i"] < len(self.playbook.steps) and self.playbook.steps[step_no["i"]].kind != kind:
                    step_no["i"] += 1
                self.status[step_no["i"]] = status
                step_no["i"] += 1
                self.app.call_from_thread(self._draw_steps)
                if getattr(self.app, "training", None):
                    action = self._action_of(step_no["i"] - 1)
                    self.app.training.note("step", f"{status} {kind}" + (f" {action}" if action else ""))

        worker = get_current_worker()

        def confirm(question: str, typed: str | None) -> bool:
            done, box = threading.Event(), []
            self.app.call_from_thread(self.app.push_screen, ConfirmScreen(question, typed),
                                      lambda ok: (box.append(bool(ok)), done.set()))
            while not done.wait(0.2):
                if worker.is_cancelled:          # the app is quitting: the answer is no
                    return False
            return box[0]
        def terminal(argv: list[str], title: str) -> None:
            from .terminal import TerminalScreen
            done = threading.Event()
            self.app.call_from_thread(self.app.push_screen, TerminalScreen(argv, title), lambda _: done.set())
            while not done.wait(0.2):
                if worker.is_cancelled:
                    return
        ctx.say, ctx.confirm, ctx.terminal = say, confirm, terminal
        self.result = run(self.playbook, ctx)
        self.app.call_from_thread(self._finished)

    def _action_of(self, i: int) -> str:
        s = self.playbook.steps[i] if 0 <= i < len(self.playbook.steps) else None
        return (s.action or "") if s else ""

    def _log(self, line: str) -> None:
        self.query_one("#log", RichLog).write(line.replace(self.ctx.incident.path, "<incident>"))

    def _finished(self) -> None:
        from hangconsole import report
        path = report.write(self.ctx.incident)
        self._log(f"— {self.playbook.id}: {self.result.outcome}; report {path}")
        dumps = [self.ctx.incident.file(f) for f in self.ctx.incident.list("stacks-")]
        if dumps:                                 # `g` opens the dumps this run collected
            self.app.stack_files = sorted(set(self.app.stack_files) | set(dumps))
            self.app.refresh_bindings()
            self._log("goroutine dumps collected: press g to browse them")
        if getattr(self.app, "training", None):
            self.app.training.note("finished", self.result.outcome)
            from .training import DebriefScreen
            self.app.push_screen(DebriefScreen(self.app.training.debrief()))

    def action_report(self) -> None:
        from hangconsole import report
        self._log(f"report written: {report.write(self.ctx.incident)}")

    def action_back(self) -> None:
        self.app.pop_screen()
