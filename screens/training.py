"""Training: choose a recorded incident, work it in the console, then the debrief."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from hangconsole import incidents


class TrainingListScreen(Screen):
    BINDINGS = [Binding("q", "app.quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Pick a recorded incident. Diagnose it in the console (f: findings), open its "
                     "playbook (p) and walk it; actions are simulated. A debrief follows.", id="intro")
        yield OptionList(*[Option(f"{i.name:<20} {i.title}", id=i.name) for i in incidents.catalog()])
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.app.start_training(incidents.find(event.option.id))


class DebriefScreen(ModalScreen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Close"), Binding("q", "app.quit", "Quit")]
    DEFAULT_CSS = """
    DebriefScreen { align: center middle; }
    DebriefScreen > VerticalScroll { width: 100; max-width: 100%; height: auto; max-height: 90%;
                                     border: round $accent; background: $surface; padding: 0 1; }
    """

    def __init__(self, lines: list[str]):
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("[b]Debrief[/b]\n\n" + "\n".join(x.replace("[", r"\[") for x in self.lines))
