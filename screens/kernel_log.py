"""The kernel log lines that matter (OOM kills, pids-controller refusals, hung tasks), and
kubelet's and the runtime daemons' lines that matter, with their age: seed 000's OOM kill was
28 days old and still the root cause."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from hangconsole import provenance as pv
from hangconsole import views

from hangconsole.safetext import visible

from .inert import guard
from .style import MARK_STYLE
from .widgets.footer import FitFooter


class KernelLogScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]
    DEFAULT_CSS = "KernelLogScreen #klog { padding: 0 1; }"

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(id="klog")
        yield FitFooter()

    def on_mount(self) -> None:
        snap = self.app.snapshot
        t = Text()
        if snap is None:
            t.append("no snapshot yet", style="dim")
        else:
            if pv.has_reconstructed(snap) or any(pv.marked(k) for k in (*snap.kernel_log, *snap.kubelet_log,
                                                                         *snap.daemon_log)):
                t.append(pv.LEGEND + "\n\n", style="dim")
            sections = [("kernel log", snap.kernel_log), ("kubelet", snap.kubelet_log)]
            if snap.daemon_log:
                sections.append(("runtime daemons", snap.daemon_log))
            for title, lines in sections:
                t.append(f"{title} ({len(lines)} line(s) that matter)\n", style="bold")
                for k in lines:
                    age = views.fmt_age(max(0.0, snap.uptime - k.uptime))
                    # an age counts from the sample's time: reconstructed when that is
                    mk = pv.mark(k, "uptime", "text") or pv.mark(snap, "uptime", "taken_at")
                    t.append(f"  {mk:>1}", style=MARK_STYLE)
                    t.append(f"{age:>6} ago  ", style="dim")
                    t.append(f"{visible(k.kind, 40):<20} ", style="red" if "oom" in k.kind or "rejected" in k.kind else "")
                    t.append(f"{visible(k.text)}\n")
                if not lines:
                    t.append("  none\n", style="dim")
                t.append("\n")
        self.query_one("#klog", Static).update(guard(t))
