"""Host overview: a host strip, then every container worst-first with its findings as
badges and its pending runtime calls counting up."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from hangconsole import model as m
from hangconsole import provenance as pv
from hangconsole import views
from hangconsole.collect import pods

from hangconsole.safetext import visible, visible_lines

from .inert import cells, guard, host
from .style import BADGE, MARK_STYLE, badge_text, mark, marked_text
from .widgets.table import remeasure
from .widgets.timeline import Timeline
from .widgets.footer import FitFooter


class OverviewScreen(Screen):
    CSS_PATH = "overview.tcss"
    FULL_FOOTER = True                   # every app key is shown here, at any width (widgets/footer.py)
    BINDINGS = [Binding("enter", "open", "Open container", show=True)]

    def compose(self) -> ComposeResult:
        yield Header()
        if self.app.drill is not None:
            yield Static(self._page(), id="drill-page")
        yield Static(id="host-strip")
        yield DataTable(id="containers", cursor_type="row", zebra_stripes=True)
        yield Static(id="daemons")
        if not self.app.live:
            yield Timeline(id="timeline")
        yield FitFooter()

    def on_mount(self) -> None:
        t = self.query_one("#containers", DataTable)
        t.add_columns("name", "id", "state", "pending calls", "findings", "pod", "image")
        if self.app.snapshot is not None:
            self.show(self.app.snapshot, self.app.visible_findings)
        else:
            self.query_one("#host-strip", Static).update("collecting the first snapshot…")

    def show(self, snap: m.HostSnapshot, findings: list) -> None:
        self._snap, self._findings = snap, findings
        self.query_one("#host-strip", Static).update(guard(self._strip(snap, findings)))
        t = self.query_one("#containers", DataTable)
        keep = t.cursor_row
        t.clear()
        now = self.app.now()
        for c in pods.grouped(views.containers_worst_first(snap, findings)):
            d = c.docker
            pod = pods.label(c) or (f"{d.pod_namespace}/{d.pod}" if d and d.pod else "")
            mine = [f for f in findings if f.container == c.id]
            name = mark(Text(), c, "docker.name", "pod.name")
            name.append(visible(c.name, limit=28 - len(name)), style="bold" if mine else "")
            t.add_row(*cells(name, Text().append(pv.short_id_mark(c), style=MARK_STYLE).append(host(c.short_id)),
                             self._state(c), self._pending(snap, c.id, now), badge_text(mine),
                             host(pod, limit=28), host((d.image if d else c.image) or "", limit=24)), key=c.id)
        if t.row_count:
            t.move_cursor(row=min(keep, t.row_count - 1))
        remeasure(t)
        self.query_one("#daemons", Static).update(guard(self._daemons(snap)))
        if not self.app.live:
            src = self.app.source
            self.query_one(Timeline).show(src.pos, len(src), src.clock, self.app.playing)

    def moved(self) -> None:
        """The replay cursor moved: the timeline follows at once, the data when loaded."""
        src = self.app.source
        self.query_one(Timeline).show(src.pos, len(src), src.clock, self.app.playing)

    def tick(self) -> None:
        """Once a second: pending-call counters move between samples."""
        if getattr(self, "_snap", None) is None:
            return
        t = self.query_one("#containers", DataTable)
        now = self.app.now()
        for c in self._snap.containers:
            if c.id in t.rows:
                t.update_cell(c.id, t.ordered_columns[3].key, guard(self._pending(self._snap, c.id, now)))
        self.query_one("#host-strip", Static).update(guard(self._strip(self._snap, self._findings)))

    def _page(self) -> Text:
        d = self.app.drill
        t = Text().append("DRILL", style="bold reverse").append(
            f" on the {d.lab.ENGINE} lab only (the host's own engines are out of reach). The page:\n", style="bold")
        t.append(visible_lines(d.page))
        t.append("\nFix it with the console. e checks the lab and debriefs (the drill goes on until it is "
                 "fixed); q ends the drill.", style="dim")
        return t

    @staticmethod
    def _state(c: m.Container) -> Text:
        d = c.docker
        state = (d.state if d else None) or c.task_state or ("frozen" if c.cgroup and c.cgroup.freezer == "FROZEN" else "?")
        style = {"running": "green", "paused": "yellow", "created": "yellow", "exited": "dim"}.get(state, "red")
        return mark(Text(), c, "docker.state").append(visible(state, 20), style=style)

    @staticmethod
    def _pending(snap: m.HostSnapshot, cid: str, now: float | None) -> Text:
        calls = views.pending_calls(snap, cid, now)
        if not calls:
            return Text("")
        call, secs, mk = max(calls, key=lambda c: c[1])
        return marked_text(Text(), f"{call} stuck ", mk, f"{secs:.0f}s", "bold red")

    def _strip(self, snap: m.HostSnapshot, findings: list) -> Text:
        t = Text()
        mark(t, snap, "hostname")
        t.append(f"{visible(snap.hostname or '(hostname unknown)', 64)} ", style="bold")
        mark(t, snap, "kernel")
        t.append(f"{visible(snap.kernel or 'kernel unknown', 80)}  {len(snap.processes)} procs  {len(snap.containers)} containers  ")
        d = snap.docker
        if d is None or d.reachable is None:
            t.append("docker: absent", style="dim")
        elif d.reachable:
            pinged = any(p.call == "ping" and p.status == "ok" for p in d.probes)
            t.append("docker: ping ok" if pinged else "docker: answering", style="green")
        else:
            t.append("docker: NOT ANSWERING", style="bold red")
        now = self.app.now()
        if now is not None:                       # live: how old is what this screen says?
            age = max(0.0, now - snap.taken_at)
            if age > 2 * self.app.wait + 5:
                t.append(f"  DATA {age:.0f}s OLD: the refresh is late", style="bold white on red")
            else:
                t.append(f"  data {age:.0f}s old", style="dim")
            if self.app.backoff:                  # a loaded host: refreshing less often, said
                t.append(f"  refresh every {self.app.wait:.0f}s ({self.app.backoff})", style="bold yellow")
        if snap.containerd and snap.containerd.reachable is not None:
            ok = snap.containerd.reachable
            t.append("  containerd: " + ("answering" if ok else "NOT ANSWERING"), style="green" if ok else "bold red")
        for call, secs, mk in views.pending_calls(snap, None, now):
            t.append("  ·  ")
            marked_text(t, f"{call}: timed out, pending ", mk, f"{secs:.0f}s", "bold red")
        if snap.versions:
            t.append(f"\nversions: {visible(pv.versions_text(snap))}", style="dim")
        crit = sum(f.severity == "critical" for f in findings)
        warn = sum(f.severity == "warning" for f in findings)
        if crit or warn:
            t.append(f"\n{crit} critical, {warn} warning: ", style="bold")
            top = findings[0]
            t.append(f"{top.cls} ", style=BADGE.get(top.severity, ""))
            t.append(visible(top.summary, 160))
        for k in [k for k in snap.kernel_log if snap.uptime - k.uptime < 3600][-2:]:
            t.append("\n")
            mark(t, k)
            t.append(f"kernel: {visible(k.text, 150)}", style="red")      # the last hour's; older ones live in findings
        for note in snap.degraded:
            t.append(f"\ndegraded: {visible(note)}", style="yellow")
        for s in snap.stuck_reads[:2]:
            t.append(f"\nstuck read: {visible(s.path)} pending {s.seconds:.0f}s", style="yellow")
        return t

    @staticmethod
    def _daemons(snap: m.HostSnapshot) -> Text:
        t = Text()
        for p in views.daemons(snap):
            if not pv.marked(p) and p.nthreads:
                t.append(f"{p.role} {p.pid} ", style="bold")
                t.append(f"{p.state} {views.fmt_age(p.age)} {p.nthreads} threads   ")
                continue
            mark(t, p, "argv", "comm")                # a rebuilt recording: each reconstructed value marked
            t.append(f"{p.role} ", style="bold")
            mark(t, p, "pid")
            t.append(f"{p.pid} ", style="bold")
            mark(t, p, "state")
            t.append(f"{p.state} ")
            mark(t, p, "age")
            t.append(f"{views.fmt_age(p.age)} " + (f"{p.nthreads} threads   " if p.nthreads else "  "))
        return t

    def action_open(self) -> None:
        t = self.query_one("#containers", DataTable)
        if t.row_count:
            self.app.open_container(t.coordinate_to_cell_key(t.cursor_coordinate).row_key.value)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.app.open_container(event.row_key.value)
