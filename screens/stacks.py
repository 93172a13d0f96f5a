"""The goroutine-stack viewer: what the dumps show first (lock holders, the longest stuck,
dumps and goroutines read, lines skipped), then identical stacks grouped pprof-style with
counts and the longest wait, a filter, and a group's frames on demand. Also the whole app
of `hangconsole stacks FILE`. Big dumps are read in a thread worker with a progress bar, so
the console never freezes on a 600 MB file."""
from __future__ import annotations

import os
import time

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, ProgressBar, Static
from textual.worker import get_current_worker

from hangconsole import stacks

from hangconsole.safetext import visible

from .failsafe import SafeApp
from .inert import cells, guard
from .widgets.table import remeasure
from .widgets.footer import FitFooter

INLINE_BYTES = 2 << 20        # smaller dumps are read at once: no flicker, nothing to wait for


def _short(func: str) -> str:
    return func.rpartition("/")[2]


def _wait(g: stacks.Group) -> str:
    return f", {g.max_wait} min" if g.max_wait else ""


state = stacks.state
holder_text = stacks.holder_text


class StacksScreen(Screen):
    CSS_PATH = "stacks.tcss"
    BINDINGS = [Binding("escape", "back", "Back"), Binding("slash", "search", "Filter")]

    def __init__(self, paths: list[str], hints: bool = True):
        super().__init__()
        self.paths = list(paths)
        self.hints = hints                      # training hides them until the hypothesis
        self.summary: stacks.Summary | None = None
        self.shown: list[tuple[str, stacks.Group]] = []
        self._last_progress = 0.0
        self._gone = False

    @classmethod
    def from_files(cls, paths: list[str], hints: bool = True) -> "StacksScreen":
        return cls(paths, hints)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="hints")
        yield ProgressBar(id="progress", show_eta=False)
        yield Input(placeholder="filter: function, package or state (/ to focus)", id="filter")
        yield DataTable(id="groups", cursor_type="row")
        yield Static(id="frames")
        yield FitFooter()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).cursor_blink = False     # steady for snapshots and ssh
        self.query_one("#groups", DataTable).add_columns("count", "state", "max wait", "stuck in", "dump")
        self.query_one("#groups", DataTable).focus()
        try:
            size = sum(os.path.getsize(p) for p in self.paths)
        except OSError:
            size = 0
        if size <= INLINE_BYTES:
            try:
                self._loaded(stacks.summarise(self.paths))
            except (OSError, stacks.StackError) as e:
                self._failed(e)
            return
        self.query_one("#progress", ProgressBar).update(total=size, progress=0)
        self.query_one("#progress").display = True
        self.query_one("#hints", Static).update(Text(f"reading {len(self.paths)} file(s), "
                                                     f"{size / 1e6:.0f} MB...", style="bold"))
        self._read(size)

    @work(thread=True, exclusive=True, exit_on_error=False, group="stacks")
    def _read(self, size: int) -> None:
        worker = get_current_worker()
        before = [0]
        sizes = []
        for p in self.paths:
            sizes.append(before[-1])
            before.append(before[-1] + os.path.getsize(p))

        def progress(i: int, done: int, total: int) -> None:
            now = time.monotonic()
            if now - self._last_progress >= 0.1:           # ten updates a second at most
                self._last_progress = now
                self.app.call_from_thread(self._progress, sizes[i] + done)

        try:
            s = stacks.summarise(self.paths, progress, lambda: worker.is_cancelled)
        except stacks.Cancelled:
            return
        except (OSError, stacks.StackError) as e:
            self.app.call_from_thread(self._failed, e)
            return
        self.app.call_from_thread(self._loaded, s)

    def on_unmount(self) -> None:
        self._gone = True                       # a worker's last call may still be queued

    def _progress(self, done: int) -> None:
        if not self._gone:
            self.query_one("#progress", ProgressBar).update(progress=done)

    def _failed(self, e: Exception) -> None:
        if self._gone:
            return
        self.query_one("#progress").display = False
        msg = f"cannot read {e.filename}: {e.strerror}" if isinstance(e, OSError) else str(e)
        self.query_one("#hints", Static).update(Text(visible(msg), style="bold red"))
        self._frames(None)

    def _loaded(self, s: stacks.Summary) -> None:
        if self._gone:
            return
        self.summary = s
        self.query_one("#progress").display = False
        self.query_one("#hints", Static).update(guard(self._overview(s)))
        self._fill(self.query_one("#filter", Input).value.strip())

    def _overview(self, s: stacks.Summary) -> Text:
        kinds = ", ".join(sorted({d.kind for d in s.dumps}))
        t = Text(f"{s.goroutines} goroutines in {len(s.groups)} distinct stacks, "
                 f"{len(s.dumps)} dump(s) ({kinds})", style="bold")
        if len(s.dumps) > 1:
            t.append("  " + "; ".join(f"{d.label}{' ' + d.time if d.time else ''}: {d.goroutines}"
                                      for d in s.dumps[:4]) + (" …" if len(s.dumps) > 4 else ""), style="dim")
        skipped = sum(s.skipped.values())
        if skipped:
            t.append(f"  skipped {skipped} line(s): " + ", ".join(
                f"{n} {r}" for r, n in sorted(s.skipped.items(), key=lambda x: -x[1])[:3]), style="dim")
        t.append("\n")
        if not self.hints:
            t.append("hints and lock holders show after your hypothesis (f)\n", style="dim")
            return t
        for h in s.hints:
            t.append(f"hint: {visible(h)}\n", style="yellow")
        for lk in [x for x in s.links if x.holder is not None][:1]:
            parts = [f"{lk.count} in {_short(lk.waiters.top)}{state(lk.waiters)}"]
            parts += [holder_text(c) for c in s.chain(lk)]
            t.append("lock: ", style="bold")
            t.append(" → held by ".join(parts) + "\n")
        if s.longest:
            g = s.longest[0]
            t.append("stuck longest: ", style="bold")
            t.append(f"{g.count} in {_short(g.top)}{state(g)}\n")
        return t

    def _fill(self, text: str) -> None:
        if self.summary is None:
            return
        table = self.query_one("#groups", DataTable)
        table.clear()
        s = self.summary
        self.shown = [(s.dumps[g.dump].label, g) for g in s.groups if not text or g.matches(text)]
        for i, (name, g) in enumerate(self.shown):
            table.add_row(*cells(Text(str(g.count), style="bold" if g.count > 1 else ""), g.state,
                                 f"{g.max_wait} min" if g.max_wait else "", visible(g.top[-70:], 70), visible(name, 40)),
                          key=str(i))
        remeasure(table)
        self._frames(0 if self.shown else None)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value.strip())

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._frames(event.cursor_row)

    def _frames(self, i: int | None) -> None:
        panel = self.query_one("#frames", Static)
        if i is None or i >= len(self.shown):
            panel.update(Text("no stack matches the filter" if self.summary else "", style="dim"))
            return
        name, g = self.shown[i]
        t = Text()
        t.append(f"{g.count} goroutine(s){state(g)}", style="bold")
        if g.ids:
            t.append(f"  ids {', '.join(map(str, g.ids[:8]))}{' …' if len(g.ids) > 8 else ''}", style="dim")
        t.append("\n")
        lk = self.summary.link_of(g) if self.summary else None
        if lk is not None and lk.holder is not None:
            t.append(f"  lock{' ' + lk.lock if lk.lock else ''} held by {holder_text(lk)}\n", style="yellow")
        for note in g.notes:
            t.append(f"  ({note})\n", style="dim")
        for fr in g.frames:
            style = "dim" if stacks.boring(fr.func) else "bold"
            t.append(f"  {visible(fr.func, 400)}\n", style=style)
            if fr.location:
                t.append(f"      {visible(fr.location, 400)}\n", style="dim")
        if g.created_by:
            t.append(f"  created by {visible(g.created_by, 400)}\n", style="dim")
        panel.update(guard(t))

    def action_search(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_back(self) -> None:
        self.workers.cancel_group(self, "stacks")
        if isinstance(self.app, StacksApp):
            self.app.exit()
        else:
            self.app.pop_screen()


class StacksApp(SafeApp):
    """`hangconsole stacks FILE...`: the viewer on its own."""
    TITLE = "hangconsole stacks"
    BINDINGS = [Binding("q", "quit", "Quit")]

    def __init__(self, paths: list[str]):
        super().__init__()
        self.paths = paths

    def on_mount(self) -> None:
        self.sub_title = visible(", ".join(os.path.basename(p) for p in self.paths), 200)
        self.push_screen(StacksScreen(self.paths))
