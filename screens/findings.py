"""Every recognised hang with its evidence. Enter opens the container it concerns."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from hangconsole import provenance as pv
from hangconsole.diagnose.report import render_evidence

from hangconsole.safetext import visible, visible_lines

from .inert import guard
from .style import BADGE, MARK_STYLE
from .widgets.footer import FitFooter


class FindingsScreen(Screen):
    CSS_PATH = "findings.tcss"
    BINDINGS = [Binding("escape", "app.pop_screen", "Back"),
                Binding("enter", "open", "Open container"),
                Binding("p", "playbook", "Playbook")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield OptionList(id="list")
        yield Static(id="detail")
        yield FitFooter()

    def on_mount(self) -> None:
        self.show(self.app.snapshot, self.app.findings)
        self.query_one(OptionList).focus()

    def show(self, snap, findings) -> None:
        self._snap, self._findings = snap, findings
        ol = self.query_one(OptionList)
        keep = ol.highlighted or 0
        ol.clear_options()
        if not findings:
            self.query_one("#detail", Static).update("No hang recognised in the samples so far.")
            return
        for f in findings:
            t = Text()
            t.append(f" {f.severity[:4].upper()} ", style=BADGE.get(f.severity, ""))
            t.append(f" {f.cls} ", style="bold")
            c = snap.container(f.container) if f.container and snap else None
            t.append(visible(c.name, 30) if c else "host", style="dim")
            ol.add_option(Option(guard(t), id=f.id))
        ol.highlighted = min(keep, len(findings) - 1)
        self._detail(ol.highlighted)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._detail(event.option_index)
        self.refresh_bindings()

    def _detail(self, i: int | None) -> None:
        if i is None or i >= len(self._findings):
            return
        f = self._findings[i]
        t = Text()
        if pv.has_reconstructed(self._snap):
            t.append(pv.LEGEND + "\n", style="dim")
        t.append(f"{f.cls}", style="bold")
        t.append(f"  {f.severity}", style=BADGE.get(f.severity, ""))
        if f.container:
            t.append(f"  container {visible(f.container[:12])}")
        if f.stuck_for:
            t.append(f"  unchanged ≥{f.stuck_for:.0f}s", style="bold red")
        t.append(f"\n\n{visible_lines(f.summary)}\n\n")
        if f.root_cause:
            t.append(f"root cause: {visible_lines(f.root_cause)}\n", style="bold")
        if f.playbook:
            t.append(f"playbook: {f.playbook}\n", style="cyan")
        if f.stuck_note:
            t.append(f"unchanged for {f.stuck_note}\n", style="dim")
        if f.causes:
            t.append("\ncauses, root first:\n", style="bold")
            for i, c in enumerate(f.causes):
                t.append("   " if i == 0 else "-> ", style="bold")
                if c.get("reconstructed"):
                    t.append(pv.MARK, style=MARK_STYLE)
                t.append(visible_lines(c["text"]), style="" if c["kind"] == "observed" else "italic")
                t.append(f"  [{c['kind']}: {c['source']}]\n", style="dim")
            t.append("\n")
        t.append(visible_lines("\n".join(render_evidence(f.evidence, ""))))
        self.query_one("#detail", Static).update(guard(t))

    def _selected(self):
        i = self.query_one(OptionList).highlighted
        return self._findings[i] if i is not None and i < len(getattr(self, "_findings", [])) else None

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "playbook":                 # only where a playbook exists: no key to nowhere
            from hangconsole.playbook.schema import load_all
            f = self._selected()
            return bool(f and f.playbook and f.playbook in load_all()[0])
        return True

    def action_playbook(self) -> None:
        f = self._selected()
        if f is not None:
            self.app.open_playbook(f)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        i = self.query_one(OptionList).highlighted
        if i is not None and i < len(self._findings) and self._findings[i].container:
            self.app.open_container(self._findings[i].container)
