"""First screen: the host strip, then every container with its runtime process tree."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, Tree

from hangconsole import model as m
from hangconsole import views


def _proc_label(p: m.Process) -> Text:
    t = Text()
    style = "bold red" if p.zombie or p.state == "D" else "bold" if p.role else ""
    t.append(f"{p.pid:>7} ", style="dim")
    t.append(f"{p.state} ", style=style)
    t.append(f"{views.fmt_age(p.age):>6} ", style="dim")
    if p.role:
        t.append(f"[{p.role}] ", style="cyan")
    t.append(p.cmdline if not p.zombie else f"[{p.comm}] <defunct>", style=style)
    blk = views.blocked_in(p)
    if blk and not p.zombie:
        t.append("   ")
        t.append(blk, style="yellow")
    return t


class OverviewScreen(Screen):
    CSS_PATH = "overview.tcss"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="host-strip")
        yield Tree("containers", id="containers")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Tree).show_root = False
        if self.app.snapshot is not None:
            self.show(self.app.snapshot)
        else:
            self.query_one("#host-strip", Static).update("collecting the first snapshot…")

    def show(self, snap: m.HostSnapshot) -> None:
        self.query_one("#host-strip", Static).update(self._strip(snap))
        tree = self.query_one(Tree)
        open_ids = {n.data for n in tree.root.children if n.is_expanded} or None
        tree.clear()
        for d in views.daemons(snap):
            tree.root.add_leaf(_proc_label(d), data=f"pid:{d.pid}")
        for c in snap.containers:
            head = Text()
            head.append(f"{c.name} ", style="bold")
            head.append(f"{c.short_id} ", style="dim")
            head.append(f"{c.runtime}")
            if c.docker:
                head.append(f"  {c.docker.image or ''}  {c.docker.state or ''}")
            node = tree.root.add(head, data=c.id, expand=open_ids is None or c.id in open_ids)
            rows = views.container_tree(snap, c)
            parents = {}
            for i, (depth, p) in enumerate(rows):
                parent = parents.get(depth - 1, node)
                has_kids = i + 1 < len(rows) and rows[i + 1][0] > depth
                if has_kids:
                    parents[depth] = parent.add(_proc_label(p), data=f"pid:{p.pid}", expand=True)
                else:
                    parent.add_leaf(_proc_label(p), data=f"pid:{p.pid}")

    @staticmethod
    def _strip(snap: m.HostSnapshot) -> Text:
        t = Text()
        t.append(f"{snap.hostname} ", style="bold")
        t.append(f"kernel {snap.kernel}  {len(snap.processes)} processes  "
                 f"{len(snap.containers)} containers  ")
        d = snap.docker
        if d is None or d.reachable is None:
            t.append("docker: absent", style="dim")
        elif d.reachable:
            t.append("docker: answering", style="green")
        else:
            t.append("docker: NOT ANSWERING", style="bold red")
        for p in (d.pending() if d else []):
            t.append(f"\n{p.text}", style="bold yellow")
        for note in snap.degraded:
            t.append(f"\ndegraded: {note}", style="yellow")
        for k in snap.kernel_log[-3:]:
            t.append(f"\nkernel: {k.text}", style="red")
        return t
