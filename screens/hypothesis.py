"""Training: the trainee commits to a hypothesis before the findings show: a hang class and
the container it is in, or "don't know"."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from hangconsole.diagnose.engine import CLASSES
from hangconsole.safetext import visible
from hangconsole.training import DONT_KNOW

from .inert import host

NO_CONTAINER = "-"


class HypothesisScreen(ModalScreen[tuple[str, str | None] | None]):
    """Dismisses with (class, container id or None), or None when the trainee backs out."""
    BINDINGS = [Binding("escape", "cancel", "Not yet")]
    DEFAULT_CSS = """
    HypothesisScreen { align: center middle; }
    HypothesisScreen > Vertical { width: 110; max-width: 100%; height: auto; max-height: 90%;
                                  border: thick $accent; background: $surface; padding: 0 1; }
    HypothesisScreen Horizontal { height: auto; max-height: 24; }
    HypothesisScreen OptionList { width: 1fr; height: auto; max-height: 22; }
    """

    def __init__(self, containers: list[tuple[str, str]]):
        super().__init__()
        self.containers = containers            # (id, label)
        self.cls: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Your hypothesis[/b]: what hangs, and where? The findings show after you "
                         "commit. Pick a class (Enter), then the container (Enter), then order the chain; Esc: not yet.")
            with Horizontal():
                yield OptionList(*[Option(c, id=c) for c in (*sorted(CLASSES), DONT_KNOW)], id="classes")
                yield OptionList(*[Option(host(label), id=cid) for cid, label in self.containers],
                                 Option("no container: the host or a daemon", id=NO_CONTAINER), id="where")
            yield Static("", id="chosen")

    def on_mount(self) -> None:
        self.query_one("#classes", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "classes":
            self.cls = event.option.id
            if self.cls == DONT_KNOW:
                self.dismiss((DONT_KNOW, None))
                return
            self.query_one("#chosen", Static).update(Text("class: ").append(visible(self.cls), style="bold")
                                                     .append("; now the container"))
            self.query_one("#where", OptionList).focus()
        elif self.cls is not None:
            cid = event.option.id
            self.dismiss((self.cls, None if cid == NO_CONTAINER else cid))

    def action_cancel(self) -> None:
        self.dismiss(None)
