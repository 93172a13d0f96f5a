"""An embedded terminal for a playbook step: `strace -p` on the stuck task, or a shell in
the container's namespaces (nsenter), in a pseudo-terminal (ptyprocess). Output is shown
line by line; the input line sends a line, ctrl+c an interrupt; escape ends it."""
from __future__ import annotations

import threading

from ptyprocess import PtyProcess
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Input, RichLog, Static

from hangconsole.safetext import decode, visible
from .widgets.footer import FitFooter


class TerminalScreen(Screen):
    BINDINGS = [Binding("escape", "close", "End and close"),
                Binding("ctrl+c", "interrupt", "Interrupt", priority=True)]
    DEFAULT_CSS = """
    TerminalScreen #term-title { height: auto; background: $boost; padding: 0 1; }
    TerminalScreen RichLog { height: 1fr; border: round $primary 40%; }
    """

    def __init__(self, argv: list[str], title: str):
        super().__init__()
        self.argv, self.title_text = argv, title
        self.proc: PtyProcess | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(f"{visible(self.title_text)}\n$ {visible(' '.join(self.argv))}", style="bold"), id="term-title")
        yield RichLog(id="out", wrap=True, markup=False)
        yield Input(placeholder="type a line for the process; ctrl+c interrupts; escape ends", id="in")
        yield FitFooter()

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = False
        self.query_one(Input).focus()
        try:
            self.proc = PtyProcess.spawn(self.argv, dimensions=(40, 160))
        except (OSError, FileNotFoundError) as e:
            self.query_one(RichLog).write(Text(f"cannot start {visible(self.argv[0])}: {visible(e)}", style="bold red"))
            return
        threading.Thread(target=self._pump, daemon=True, name="hangconsole-terminal").start()

    def _pump(self) -> None:
        proc, buf = self.proc, b""
        while True:                        # until EOF, not until exit: the last output is
            try:                           # still buffered when the process has exited
                data = proc.read(4096)
            except EOFError:
                break
            buf += data
            *lines, buf = buf.split(b"\n")
            for line in lines:
                self.app.call_from_thread(self._write, line)
        if buf:
            self.app.call_from_thread(self._write, buf)
        self.app.call_from_thread(self._write, b"[process ended]")

    def _write(self, line: bytes) -> None:
        if self.is_mounted:
            # the process's bytes are data: escapes shown, never interpreted (no colours, no OSC links)
            self.query_one(RichLog).write(Text(decode(line.rstrip(b"\r"))))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.proc is not None and self.proc.isalive():
            self.proc.write((event.value + "\n").encode())
        event.input.value = ""

    def action_interrupt(self) -> None:
        if self.proc is not None and self.proc.isalive():
            self.proc.write(b"\x03")

    def action_close(self) -> None:
        if self.proc is not None and self.proc.isalive():
            self.proc.terminate(force=True)
        self.proc = None
        self.dismiss(None)
