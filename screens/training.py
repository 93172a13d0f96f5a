"""Training: choose a recorded incident by its symptoms, read the page the on-call received,
work it in the console, then the debrief."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from hangconsole import incidents
from hangconsole.safetext import visible, visible_lines

from .inert import host
from .widgets.footer import FitFooter


def listing(inc: incidents.Incident, reveal: bool = False, width: int = 18) -> str:
    """One line: the symptoms only, unless an instructor asked to reveal the answer."""
    return f"{incidents.shown_name(inc, reveal):<{width}} {incidents.symptom(inc)}" + (f"   [{inc.expect}: {inc.title}]" if reveal else "")


class TrainingListScreen(Screen):
    BINDINGS = [Binding("q", "app.quit", "Quit")]
    DEFAULT_CSS = "TrainingListScreen OptionList { height: 1fr; }"

    def __init__(self, reveal: bool = False):
        super().__init__()
        self.reveal = reveal

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Pick an incident by what the on-call was paged with. Read the page, look around "
                     "(Enter: a container, k: kernel log, g: stacks), commit to a hypothesis (f), then walk "
                     "the playbook (p); actions are simulated. A debrief follows.", id="intro")
        cat = incidents.catalog()
        width = max((len(incidents.shown_name(i, self.reveal)) for i in cat), default=18)
        yield OptionList(*[Option(host(listing(i, self.reveal, width)), id=i.name) for i in cat])
        yield FitFooter()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.app.start_training(incidents.find(event.option.id))


class PageScreen(ModalScreen):
    """What the on-call was paged with, and nothing more."""
    BINDINGS = [Binding("enter", "app.pop_screen", "Start"), Binding("escape", "app.pop_screen", "Start")]
    DEFAULT_CSS = """
    PageScreen { align: center middle; }
    PageScreen > VerticalScroll { width: 100; max-width: 100%; height: auto; max-height: 90%;
                                  border: thick $warning; background: $surface; padding: 0 1; }
    """

    def __init__(self, inc: incidents.Incident):
        super().__init__()
        self.inc = inc

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            text = " ".join(incidents.page(self.inc).split())      # wraps to the width
            yield Static(Text().append("You are paged", style="bold").append(f" ({visible(incidents.shown_name(self.inc))})\n\n{visible(text)}\n\n")
                         .append("Look around first: Enter opens a container, k the kernel log"
                                 + (", g goroutine stacks" if self.app.stack_files else "")   # no key to nowhere
                                 + ". f asks for your hypothesis (what hangs, where, and the chain behind it), then shows the findings. Enter to start.",
                                 style="dim"))


class DebriefScreen(ModalScreen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Close"), Binding("q", "app.quit", "Quit")]
    DEFAULT_CSS = """
    DebriefScreen { align: center middle; }
    DebriefScreen > VerticalScroll { width: 110; max-width: 100%; height: auto; max-height: 90%;
                                     border: round $accent; background: $surface; padding: 0 1; }
    """

    def __init__(self, lines: list[str], saved: str = ""):
        super().__init__()
        self.lines, self.saved = lines, saved

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text().append("Debrief", style="bold").append("\n\n" + visible_lines("\n".join(self.lines)))
                         .append(f"\n\nsaved: {visible(self.saved)}" if self.saved else "", style="dim"))
