"""Confirmation of a step that changes the host: the operator reads what will be done to
which pid (or file), answers yes/no, and for kills types the container's short id."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from hangconsole.safetext import visible

from .inert import host_lines


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("n", "cancel", "No", show=False),
                Binding("y", "yes", "Yes", show=False)]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 90; max-width: 100%; height: auto; border: thick $error;
                               background: $surface; padding: 1 2; }
    ConfirmScreen Button { margin: 1 1 0 0; }
    """

    def __init__(self, question: str, typed: str | None, what: str = "the container's short id",
                 operator: bool = False):
        super().__init__()
        self.question, self.typed, self.what = question, typed, what
        self.operator = operator            # a step the operator does outside: asked whether it is done

    def compose(self) -> ComposeResult:
        with Vertical():
            head = ("Destructive step" if self.typed else "You do this step, outside the console"
                    if self.operator else "This step changes the host")
            yield Static(Text().append(f"{head}\n\n", style="bold").append_text(host_lines(self.question)))
            if self.typed:
                yield Static(Text(f"\nType {self.what} ").append(visible(self.typed), style="bold").append(" to confirm:"))
                yield Input(placeholder=visible(self.typed), id="typed")
            else:
                yield Static("\n[b]y[/b]: it is done, [b]n[/b] or Esc: not yet." if self.operator else
                             "\n[b]y[/b] does it, [b]n[/b] or Esc does not.")
            yield Button("Done" if self.operator else "Do it", variant="primary" if self.operator else "error",
                         id="yes", disabled=bool(self.typed))
            yield Button("Cancel", id="no")

    def on_mount(self) -> None:
        if self.typed:
            self.query_one(Input).cursor_blink = False
            self.query_one(Input).focus()
        else:
            self.query_one("#no", Button).focus()        # the safe choice has the focus

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#yes", Button).disabled = event.value.strip() != self.typed

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.typed:
            self.dismiss(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        if not self.typed:                  # a kill needs the typed id, never a single key
            self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
