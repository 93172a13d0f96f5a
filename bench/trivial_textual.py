"""Calibration for console_latency.py: the cheapest Textual app that switches screens."""
from textual.app import App
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Footer, Header, Static


class Help(ModalScreen):
    BINDINGS = [Binding("question_mark", "app.pop_screen")]

    def compose(self):
        yield Static("help " * 200)


class Trivial(App):
    BINDINGS = [Binding("question_mark", "help"), Binding("q", "quit")]

    def compose(self):
        yield Header()
        yield Static("ready\n" + "line\n" * 30)
        yield Footer()

    def action_help(self):
        self.push_screen(Help())


if __name__ == "__main__":
    Trivial().run()
