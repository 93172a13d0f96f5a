"""The kernel log lines that matter (OOM kills, pids-controller refusals, hung tasks) and
kubelet's, with their age: seed 000's OOM kill was 28 days old and still the root cause."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from hangconsole import views


class KernelLogScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]
    DEFAULT_CSS = "KernelLogScreen #klog { padding: 0 1; }"

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(id="klog")
        yield Footer()

    def on_mount(self) -> None:
        snap = self.app.snapshot
        t = Text()
        if snap is None:
            t.append("no snapshot yet", style="dim")
        else:
            for title, lines in (("kernel log", snap.kernel_log), ("kubelet", snap.kubelet_log)):
                t.append(f"{title} ({len(lines)} line(s) that matter)\n", style="bold")
                for k in lines:
                    age = views.fmt_age(max(0.0, snap.uptime - k.uptime))
                    t.append(f"  {age:>7} ago  ", style="dim")
                    t.append(f"{k.kind:<20} ", style="red" if "oom" in k.kind or "rejected" in k.kind else "")
                    t.append(f"{k.text}\n")
                if not lines:
                    t.append("  none\n", style="dim")
                t.append("\n")
        self.query_one("#klog", Static).update(t)
