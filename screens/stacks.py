"""The goroutine-stack viewer: identical stacks grouped pprof-style with counts and the
longest wait, a filter, and a group's frames on demand. Also the whole app of
`hangconsole stacks FILE`."""
from __future__ import annotations

import os

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from hangconsole import stacks

from .widgets.table import remeasure


class StacksScreen(Screen):
    CSS_PATH = "stacks.tcss"
    BINDINGS = [Binding("escape", "back", "Back"), Binding("slash", "search", "Filter")]

    def __init__(self, groups: list[tuple[str, stacks.Group]], hints: list[str]):
        super().__init__()
        self.groups, self.hints = groups, hints
        self.shown: list[tuple[str, stacks.Group]] = list(groups)

    @classmethod
    def from_files(cls, paths: list[str]) -> "StacksScreen":
        groups, hints = [], []
        for p in paths:
            with open(p, errors="replace") as f:
                gs = stacks.load(f.read())
            name = os.path.basename(p)
            groups += [(name, g) for g in gs]
            hints += [f"{name}: {h}" for h in stacks.hints(gs)]
        return cls(groups, hints)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="hints")
        yield Input(placeholder="filter: function, package or state (/ to focus)", id="filter")
        yield DataTable(id="groups", cursor_type="row")
        yield Static(id="frames")
        yield Footer()

    def on_mount(self) -> None:
        total = sum(g.count for _, g in self.groups)
        t = Text(f"{total} goroutines in {len(self.groups)} distinct stacks\n", style="bold")
        for h in self.hints:
            t.append(f"hint: {h}\n", style="yellow")
        self.query_one("#hints", Static).update(t)
        self.query_one("#filter", Input).cursor_blink = False     # steady for snapshots and ssh
        self.query_one("#groups", DataTable).add_columns("count", "state", "max wait", "stuck in", "dump")
        self._fill("")
        self.query_one("#groups", DataTable).focus()

    def _fill(self, text: str) -> None:
        table = self.query_one("#groups", DataTable)
        table.clear()
        self.shown = [(n, g) for n, g in self.groups if not text or g.matches(text)]
        for i, (name, g) in enumerate(self.shown):
            table.add_row(Text(str(g.count), style="bold" if g.count > 1 else ""), g.state,
                          f"{g.max_wait} min" if g.max_wait else "", g.top[-70:], name, key=str(i))
        remeasure(table)
        self._frames(0 if self.shown else None)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value.strip())

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._frames(event.cursor_row)

    def _frames(self, i: int | None) -> None:
        panel = self.query_one("#frames", Static)
        if i is None or i >= len(self.shown):
            panel.update(Text("no stack matches the filter", style="dim"))
            return
        name, g = self.shown[i]
        t = Text()
        t.append(f"{g.count} goroutine(s) [{g.state}]", style="bold")
        if g.ids:
            t.append(f"  ids {', '.join(map(str, g.ids[:8]))}{' …' if len(g.ids) > 8 else ''}", style="dim")
        t.append("\n")
        for fr in g.frames:
            style = "dim" if fr.func.startswith(stacks._BORING) else "bold"
            t.append(f"  {fr.func}\n", style=style)
            if fr.location:
                t.append(f"      {fr.location}\n", style="dim")
        if g.created_by:
            t.append(f"  created by {g.created_by}\n", style="dim")
        panel.update(t)

    def action_search(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_back(self) -> None:
        if isinstance(self.app, StacksApp):
            self.app.exit()
        else:
            self.app.pop_screen()


class StacksApp(App):
    """`hangconsole stacks FILE...`: the viewer on its own."""
    TITLE = "hangconsole stacks"
    BINDINGS = [Binding("q", "quit", "Quit")]

    def __init__(self, paths: list[str]):
        super().__init__()
        self.paths = paths

    def on_mount(self) -> None:
        self.sub_title = ", ".join(os.path.basename(p) for p in self.paths)
        self.push_screen(StacksScreen.from_files(self.paths))
