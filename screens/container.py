"""One container: its runtime process tree, what the selected task is blocked in, its pipes
with both ends and how full they are, and its cgroups. Selecting a pipe jumps to the
process at the other end."""
from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static, Tree

from hangconsole import model as m
from hangconsole import provenance as pv
from hangconsole import views
from hangconsole.collect.holds import kill_pending
from hangconsole.diagnose.history import STUCK_AFTER, History, thread_sig
from hangconsole.diagnose.pids_exhausted import at_limit

from hangconsole.safetext import visible

from .failsafe import panel
from .inert import cells, guard
from .style import MARK_STYLE, STATE, badge_text, mark, marked_text
from .widgets.table import remeasure
from .widgets.timeline import Timeline
from .widgets.footer import FitFooter


MAX_DEPTH = 30       # tree levels shown; deeper processes are listed at the last one

# readers first: who should be reading is the column that matters
PIPE_COLUMNS = ("pipe", "queued/capacity", "readers", "writers")


class ContainerScreen(Screen):
    CSS_PATH = "container.tcss"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("o", "other_end", "Other pipe end"),
        Binding("K", "kill_selected", "Kill…"),
    ]

    def __init__(self, cid: str):
        super().__init__()
        self.cid = cid
        self.selected: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="title")
        with Grid(id="panels"):
            yield Tree("processes", id="tree")
            with VerticalScroll(id="task-box"):
                yield Static(id="task")
            yield Static(id="cgroup")
            yield DataTable(id="pipes", cursor_type="row")
        if not self.app.live:
            yield Timeline(id="timeline")
        yield FitFooter()

    def on_mount(self) -> None:
        self.query_one(Tree).show_root = False
        if self.app.snapshot is not None:
            self.show(self.app.snapshot, self.app.visible_findings)
            self.call_after_refresh(self._refit)      # again once the panels have their sizes
        self.query_one(Tree).focus()

    # --- data -------------------------------------------------------------------------
    def show(self, snap: m.HostSnapshot, findings: list) -> None:
        self._snap = snap
        c = snap.container(self.cid)
        title = self.query_one("#title", Static)
        if c is None:
            title.update(Text(f"container {visible(self.cid[:12])} is gone from this snapshot", style="bold red"))
            return
        t = Text()
        mark(t, c, "docker.name", "pod.name")
        t.append(f"{visible(c.name, 200)} ", style="bold")
        t.append(pv.short_id_mark(c), style=MARK_STYLE)
        t.append(f"{visible(c.short_id, 64)}  {visible(c.runtime, 40)}  shim ")
        mark(t, c, "shim_pid")
        t.append(f"{c.shim_pid or '-'}  init ")
        mark(t, c, "init_pid")
        t.append(f"{c.init_pid or '-'}  ")
        if c.docker:
            t.append(f"{visible(c.docker.image, 200)} " if c.docker.image else "")
            mark(t, c, "docker.state")
            t.append(f"{visible(c.docker.state or '', 40)}  ")
        if c.runtime_state:
            t.append(f"runc: {visible(c.runtime_state, 40)}  ", style="bold" if c.runtime_state != "running" else "")
        t.append_text(badge_text([f for f in findings if f.container == c.id]))
        if (log := views.log_path(snap, c)):
            t.append(f"\n{log}")
        for call, secs, mk in views.pending_calls(snap, c.id, self.app.now()):
            marked_text(t, f"  {call} stuck ", mk, f"{secs:.0f}s", "bold red")
        title.update(guard(t))
        self._fill_tree(snap, c)
        self._fill_cgroup(c)
        if not self.app.live:
            src = self.app.source
            self.query_one(Timeline).show(src.pos, len(src), src.clock, self.app.playing)
        worst = next((f for f in findings if f.container == c.id and f.pids), None)
        first = next((pid for pid in (worst.pids if worst else []) if pid in self._tree_nodes),
                     c.shim_pid or c.init_pid)   # a finding's first pid may be a client outside the tree
        if not self._tree_nodes:                 # no process of it in this data: say so, and its calls
            self._fill_without_processes(snap, c)
            return
        self._select(self.selected if self.selected and snap.proc(self.selected) else first)

    @panel("#task")
    def _fill_without_processes(self, snap: m.HostSnapshot, c: m.Container) -> None:
        """A container whose processes are not in the data (a report that shows none): what is
        known of it instead, its runtime calls and what they answered."""
        self.query_one(Tree).root.add_leaf(Text("no process of this container in this data", style="dim"))
        t = Text()
        t.append("No process of this container is in this data", style="bold")
        t.append(" (it has exited, or its source shows none).\n")
        calls = [(e, pr) for e, st in pv.runtime_states(snap) for pr in st.probes if pr.target == c.id]
        if calls:
            t.append("runtime calls about it:\n", style="bold")
        for engine, pr in calls:
            mark(t, pr, "seconds")
            style = {"pending": "bold red", "error": "red"}.get(pr.status, "")
            t.append(visible(f"{engine} {pr.call}: {pr.status}", 200), style=style)
            said = ((pr.said if engine == "runc" else None) or pr.error or pr.said or "").strip().splitlines()
            t.append(f"  {visible(said[0], 200)}\n" if said else "\n", style="dim")
        self.query_one("#task", Static).update(guard(t))
        table = self.query_one("#pipes", DataTable)
        table.clear(columns=True)
        table.add_columns(*PIPE_COLUMNS)

    def moved(self) -> None:
        """The replay cursor moved: the timeline follows at once, the data when loaded."""
        src = self.app.source
        self.query_one(Timeline).show(src.pos, len(src), src.clock, self.app.playing)

    def tick(self) -> None:
        if getattr(self, "_snap", None) is not None:
            self.show(self._snap, self.app.visible_findings)

    @panel("#tree")
    def _fill_tree(self, snap: m.HostSnapshot, c: m.Container) -> None:
        tree = self.query_one(Tree)
        tree.clear()
        rows = views.container_tree(snap, c)
        parents = {}
        self._tree_nodes = {}
        self._tree_width = tree.size.width
        rows = [(min(depth, MAX_DEPTH), p) for depth, p in rows]     # a fork chain thousands deep
        for i, (depth, p) in enumerate(rows):                         # hangs on at the last level
            parent = parents.get(depth - 1, tree.root)
            kids = i + 1 < len(rows) and rows[i + 1][0] > depth
            label = self._label(p, max(24, tree.size.width - 2 - 4 * (depth + 1)) if tree.size.width else 80)
            label = guard(label)
            node = parent.add(label, data=p.pid, expand=True) if kids else parent.add_leaf(label, data=p.pid)
            parents[depth] = node
            self._tree_nodes[p.pid] = node

    def _label(self, p: m.Process, width: int) -> Text:
        """pid, state, age and the command, fitted to the tree's width: the command first
        (what the process is), then what it is blocked in, in at least half the room the
        command had (the task panel shows both whole)."""
        t = Text()
        mk = views.row_mark(p)                 # one mark for the row, in the space it has anyway
        if mk:
            t.append(f"{p.pid}", style="dim")
            t.append(mk, style=MARK_STYLE)
        else:
            t.append(f"{p.pid} ", style="dim")
        t.append(p.state, style=STATE.get(p.state, ""))
        t.append(f" {views.fmt_age(p.age):>5} ", style="dim")
        if p.zombie:
            t.append(f"[{visible(p.comm, 64)}] <defunct>", style="bold red")
            return t
        room = width - len(t.plain)
        blk = views.blocked_in(p, interesting=True)
        short = views.blocked_short(p) if blk else ""
        # blocked: the command gives up room to what it is blocked in (at 80x24, its short form)
        need = min(len(blk), max(len(short), room // 2)) + 2 if blk else 0
        t.append(views.short_cmd(p, max(8 if blk else 12, room - need)), style="cyan" if p.role else "")
        left = width - len(t.plain) - 2
        if blk and left >= min(8, len(short)):
            said = blk if len(blk) <= left else short if len(short) <= left else blk[:left - 1] + "…"
            t.append("  " + said, style="yellow")
        return t

    def on_resize(self) -> None:
        snap = getattr(self, "_snap", None)
        c = snap.container(self.cid) if snap else None
        if c is not None and self.query_one(Tree).size.width != getattr(self, "_tree_width", None):
            self.call_after_refresh(self._refit)

    def _refit(self) -> None:
        snap = getattr(self, "_snap", None)
        c = snap.container(self.cid) if snap else None
        if c is not None:
            self._fill_tree(snap, c)
            if not self._tree_nodes:
                self._fill_without_processes(snap, c)
                return
            self._select(self.selected)

    def _select(self, pid: int | None) -> None:
        if pid is None:
            return
        self.selected = pid
        node = getattr(self, "_tree_nodes", {}).get(pid)
        tree = self.query_one(Tree)
        if node is not None and tree.cursor_node is not node:
            self.call_after_refresh(tree.move_cursor, node)   # after the tree lays out its lines
        self._fill_task(pid)
        self._fill_pipes(pid)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        if event.node.data is not None and event.node.data != self.selected:
            self.selected = event.node.data
            self._fill_task(event.node.data)
            self._fill_pipes(event.node.data)

    # --- panels --------------------------------------------------------------------------
    @panel("#task")
    def _fill_task(self, pid: int) -> None:
        snap = self._snap
        p = snap.proc(pid)
        panel = self.query_one("#task", Static)
        if p is None:
            panel.update(Text(f"process {pid} is gone"))
            return
        t = Text()
        if not pv.marked(p) and p.ns_pid is None:
            t.append(f"{visible(p.comm, 64)} {p.pid}", style="bold")
            t.append(f"  state {p.state}  age {views.fmt_age(p.age)}  uid {p.uid}  ppid {p.ppid}\n")
        else:                                  # each reconstructed value marked where it stands
            t.append(f"{visible(p.comm, 64)} ", style="bold")
            mark(t, p, "pid")
            t.append(f"{p.pid}", style="bold")
            if p.ns_pid is not None:
                t.append(f" (pid {p.ns_pid} in its namespace)")
            for label, name, value in (("state", "state", p.state), ("age", "age", views.fmt_age(p.age)),
                                       ("uid", "uid", p.uid), ("ppid", "ppid", p.ppid)):
                t.append(f"  {label} ")
                mark(t, p, name)
                t.append(f"{value}")
            t.append("\n")
            mark(t, p, "argv", "comm")
        t.append(f"{visible(p.cmdline)}\n", style="dim")
        if p.freezer:
            by = visible(", ".join(p.frozen_by)) if p.frozen_by else "a freezer cgroup (not named)"
            t.append(f"{p.freezer} by {by}: cannot run; signals stay pending until thawed\n", style="bold red")
        if kill_pending(p):
            t.append("SIGKILL pending: not delivered yet\n", style="bold red")
        history = History(list(self.app.history), dict(self.app.since)) if self.app.history else None
        if not p.threads and not p.nthreads:
            t.append("threads: not known (the source shows none)\n", style="dim")
        else:
            t.append(f"threads ({p.nthreads}):\n", style="bold")
        for th in p.threads[:12]:
            stuck = history.steady(p, thread_sig(th.tid)) if history else 0.0
            mk = pv.mark(th, "tid", "state")
            if mk:
                t.append(f"{th.tid:>7}")
                t.append(mk, style=MARK_STYLE)
            else:
                t.append(f"{th.tid:>7} ")
            t.append(th.state, style=STATE.get(th.state, ""))
            t.append(f" {visible(th.wchan or '-', 16)} ", style="dim")
            mark(t, th, "syscall", "wchan")
            t.append(visible(th.syscall.text, 400) if th.syscall else "")
            if stuck >= STUCK_AFTER:
                if views.idle_wait(th):       # an idle Go thread in futex/epoll is not a hang
                    t.append(f"  same {stuck:.0f}s", style="dim")
                else:
                    t.append(f"  stuck ≥{stuck:.0f}s", style="bold red")      # observed: a lower bound
                    if p.age > 2 * stuck + 60:
                        t.append(f" (alive {pv.mark(p, 'age')}{views.fmt_age(p.age)})", style="red")
            t.append("\n")
            if th.stack:
                for fr in th.stack[:6]:
                    t.append(f"          {visible(fr, 200)}\n", style="magenta")
        if len(p.threads) > 12:
            t.append(f" … {len(p.threads) - 12} more threads\n", style="dim")
        notes = pv.notes(p) + [f"thread {n}" for n in dict.fromkeys(n for th in p.threads for n in pv.notes(th))]
        if p.fds:
            t.append("fds: ", style="bold")
            t.append(", ".join(f"{pv.mark(f)}{f.num} {visible(f.target, 200)}{' ' + f.mode if f.mode else ''}" for f in p.fds[:10]))
            if len(p.fds) > 10:
                t.append(f", … {len(p.fds) - 10} more")
            t.append("\n")
        for note in notes:                      # what was reconstructed, and why: last, below the evidence
            t.append(pv.MARK, style=MARK_STYLE)
            t.append(f" {visible(note)}\n", style="dim italic")
        t.rstrip()
        panel.update(guard(t))

    @panel("#pipes")
    def _fill_pipes(self, pid: int) -> None:
        snap = self._snap
        table = self.query_one("#pipes", DataTable)
        table.clear(columns=True)                # column widths only ever grow otherwise
        table.add_columns(*PIPE_COLUMNS)
        # what is left of the width after the pipe and queue columns (and cell padding)
        room = max(20, (table.size.width or 120) - 50)

        def ends(es, width: int) -> str:         # whole ends while they fit, then a count
            out = ""
            for i, e in enumerate(es):
                more = f" +{len(es) - i} more"
                item = (", " if out else "") + f"{e.pid} {visible(e.comm, 64)} fd{e.fd}"
                if not out and len(item) > width:  # a narrow terminal: the first end, cut
                    item = item[:width - 1] + "…"
                if out and len(out) + len(item) + (len(more) if i + 1 < len(es) else 0) > width:
                    return out + more
                out += item
            return out or "-"
        for pp in views.pipes_of(snap, {pid}):
            full = pp.full
            if pp.queued is None:                # said, not drawn as a gauge of question marks
                q = Text("FIFO: never opened" if pp.kind == "fifo" else "unknown", style="dim")
            else:
                q = Text(f"{views.gauge(pp.queued, pp.capacity, 6)} ", style="bold red" if full else "")
                mark(q, pp, "queued", "capacity")
                q.append(f"{views.fmt_bytes(pp.queued)}/{views.fmt_bytes(pp.capacity)}", style="bold red" if full else "")
            table.add_row(*cells(f"{pp.kind}:[{pp.inode}]", q, ends(pp.readers, room * 11 // 20),
                                 ends(pp.writers, room * 9 // 20)), key=str(pp.inode))
        remeasure(table)

    @panel("#cgroup")
    def _fill_cgroup(self, c: m.Container) -> None:
        panel = self.query_one("#cgroup", Static)
        cg = c.cgroup
        if cg is None:
            panel.update(Text("no cgroup state", style="dim"))
            return
        t = Text()
        t.append(f"cgroup v{cg.version}  freezer {visible(cg.freezer or '-', 20)}\n", style="bold")
        for lv in cg.levels:
            path = visible(lv.path)
            name = path if len(path) < 30 else "…" + path[-29:]
            if lv.pids_current is None and lv.pids_max is None and lv.mem_usage is None and lv.mem_limit is None:
                t.append(f"{name}\n", style="dim")            # only its path is known
                continue
            pids = f"{lv.pids_current if lv.pids_current is not None else '-'}/{lv.pids_max or 'max'}"
            full = at_limit(lv)
            mk = pv.mark(lv, "pids_current", "pids_max")
            if mk:
                t.append(f"{name:<30} pids ", style="bold red" if full else "")
                t.append(mk, style=MARK_STYLE)
                t.append(f"{pids:<10}", style="bold red" if full else "")
            else:
                t.append(f"{name:<30} pids {pids:<11}", style="bold red" if full else "")
            if lv.pids_events_max:
                t.append(f" refused {lv.pids_events_max}", style="bold red")
            if lv.mem_usage is not None or lv.mem_limit is not None:
                t.append(" mem ")
                mark(t, lv, "mem_usage", "mem_limit")
                t.append(f"{views.fmt_bytes(lv.mem_usage)}/{views.fmt_bytes(lv.mem_limit) if lv.mem_limit else 'max'}")
            if lv.mem_oom_kill:
                t.append(f" oom_kill {lv.mem_oom_kill}", style="bold red")
            t.append("\n")
        panel.update(guard(t))

    # --- killing the selected process (asks for its pid typed; simulated in training) ------
    def action_kill_selected(self) -> None:
        from .confirm import ConfirmScreen
        p = self._snap.proc(self.selected) if getattr(self, "_snap", None) and self.selected else None
        if p is None or p.zombie:
            self.notify("select a live process first (a zombie is already dead: kill or fix its parent)")
            return
        role = f" ({p.role})" if p.role else ""
        q = (f"SIGKILL {p.comm} {p.pid}{role}, start {p.start_ticks}: {p.cmdline[:160]}"
             + ("\nTraining: simulated on the recording." if self.app.training else ""))
        self.app.push_screen(ConfirmScreen(q, str(p.pid), what="its pid"),
                             lambda ok: self._kill(p) if ok else None)

    def _kill(self, p: m.Process) -> None:
        from hangconsole.actions.guard import Target
        target = Target.of(p)
        if self.app.training:                    # never a real signal in training
            self.app.training.acted("kill-process", [target.as_dict()], p.container_id or self.cid)
            self.app.training.note("step", f"ok act kill-process {p.comm} {p.pid}")
            self.notify(f"simulated: SIGKILL {p.comm} {p.pid}")
            return
        self._kill_live(target)

    @work(thread=True, exit_on_error=False)
    def _kill_live(self, target) -> None:
        import signal

        from hangconsole.actions.guard import Refused, send
        incident = self.app.incident()
        incident.record_findings(self.app.findings)
        incident.save_evidence(self._snap, "kill-process")          # evidence first
        try:
            msg = send(target, signal.SIGKILL, incident, dry_run=False, why="operator, container view")
        except Refused as e:
            msg = str(e)
        self.app.call_from_thread(self.notify, f"{msg} (audit: {incident.path})")

    def on_descendant_focus(self, event) -> None:
        app = self.app
        if event.widget.id == "pipes" and app.training and self.cid == app.expected_container():
            app.training.look("pipes")           # training: the trainee looked at the pipes

    # --- jumping along a pipe --------------------------------------------------------------
    def action_other_end(self) -> None:
        table = self.query_one("#pipes", DataTable)
        if table.row_count:
            self._jump(int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self._jump(int(event.row_key.value))

    def _jump(self, inode: int) -> None:
        pp = self._snap.pipe(inode)
        if pp is None or self.selected is None:
            return
        mine = {e.pid for e in pp.writers} if self.selected in {e.pid for e in pp.writers} else set()
        others = [e.pid for e in (pp.readers if mine else pp.writers) if e.pid != self.selected]
        if others:
            self._select(others[0])
            self.query_one(Tree).focus()
