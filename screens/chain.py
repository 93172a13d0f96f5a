"""Training: the second half of the hypothesis, the chain. The trainee orders links, root
first, from a list that holds the answer's links and distractors (training_chain.choices)."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from hangconsole.training_chain import LINKS
from .widgets.footer import FitFooter


class ChainScreen(ModalScreen[list[str] | None]):
    """Dismisses with the chain (link keys, root first; may be empty). The list itself shows
    each chosen link's place in the chain, so it fits 80x24. There is no backing out: the list
    holds the answer's links, so a trainee who could leave here could go back and change the
    class with them in mind; Esc commits what is built, as c does."""
    BINDINGS = [Binding("c", "commit", "Commit"), Binding("backspace", "undo", "Remove last"),
                Binding("escape", "commit", "Commit", show=False)]
    DEFAULT_CSS = """
    ChainScreen { align: center middle; }
    ChainScreen > Vertical { width: 110; max-width: 100%; height: auto; max-height: 100%;
                             border: thick $accent; background: $surface; padding: 0 1; }
    ChainScreen OptionList { height: auto; max-height: 20; }
    """

    def __init__(self, offered: list[str], said: str = ""):
        super().__init__()
        self.offered = offered
        self.said = said                         # the class and container already committed
        self.chain: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            head = Text().append("The chain ", style="bold")      # the space inside: Textual drops one at a style edge
            head.append((f"behind {self.said}, " if self.said else "") + "root cause first: how did it come "
                        "to this? Enter adds the link, Backspace removes the last, c (or Esc) commits, also with no link.")
            yield Static(head)
            yield OptionList(*[Option(self._prompt(k), id=k) for k in self.offered], id="links")
            yield Static("", id="built")
        yield FitFooter()

    def _prompt(self, k: str) -> Text:
        if k in self.chain:
            return Text(f"[{self.chain.index(k) + 1}] {LINKS[k]}", style="bold")
        return Text(f"[ ] {LINKS[k]}")

    def on_mount(self) -> None:
        self.query_one("#links", OptionList).focus()
        self._show()

    def _show(self) -> None:
        ol = self.query_one("#links", OptionList)
        for k in self.offered:
            ol.replace_option_prompt(k, self._prompt(k))
        n = len(self.chain)
        self.query_one("#built", Static).update(Text.assemble(
            ("Your chain: ", "bold"), f"{n} link{'s' if n != 1 else ''}, numbered in the list"
            if n else ("(empty)", "dim")))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id not in self.chain:
            self.chain.append(event.option.id)
            self._show()

    def action_undo(self) -> None:
        if self.chain:
            self.chain.pop()
            self._show()

    def action_commit(self) -> None:
        self.dismiss(list(self.chain))
