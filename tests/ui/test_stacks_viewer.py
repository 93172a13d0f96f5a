"""The stack viewer on a dump too big to read at once: read in a thread worker with a
progress bar while the screen keeps answering keys.

The C scanner reads these dumps in tens of milliseconds, so a test that must press a key
while the read is under way holds the read at its first progress tick until it has."""
from __future__ import annotations

import threading

from textual.widgets import DataTable, Input

from hangconsole import stacks
from hangconsole.screens.stacks import INLINE_BYTES, StacksApp


def _held(monkeypatch) -> threading.Event:
    """The viewer's reads wait at their first progress tick until the event is set."""
    gate = threading.Event()
    real = stacks.summarise

    def summarise(paths, progress=None, cancelled=None, **kw):
        def tick(i, done, total):
            gate.wait(30)
            if progress is not None:
                progress(i, done, total)
        return real(paths, tick, cancelled, **kw)

    monkeypatch.setattr(stacks, "summarise", summarise)
    return gate


def _dump(path, goroutines: int) -> None:
    with open(path, "w") as f:
        for gid in range(1, goroutines + 1):
            f.write(f"goroutine {gid} [semacquire, {gid % 50} minutes]:\n"
                    f"sync.(*Mutex).lockSlow(0xc0004a2000)\n\t/go/src/sync/mutex.go:171 +0x165\n"
                    f"main.(*D).Inspect(0xc000136000, {{0x{gid:x}, 0x40}})\n\t/src/d.go:40 +0x8d\n"
                    f"created by main.serve in goroutine 1\n\t/src/d.go:12 +0x4\n\n")
        f.write("goroutine 999999 [chan receive, 49 minutes]:\nmain.(*D).ExecStart(0xc000136000, 0xc0004a2000)\n"
                "\t/src/d.go:60 +0x2d\n\n")


async def test_a_big_dump_is_read_off_the_ui_thread(tmp_path, monkeypatch):
    path = tmp_path / "goroutine-stacks.log"
    _dump(path, 20_000)
    assert path.stat().st_size > INLINE_BYTES
    gate = _held(monkeypatch)
    app = StacksApp([str(path)])
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.screen
        assert screen.query_one("#progress").display and screen.summary is None   # reading, not frozen
        await pilot.press("slash")
        assert isinstance(app.focused, Input)                                    # keys answered meanwhile
        assert screen.summary is None                                            # while the read goes on
        gate.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not screen.query_one("#progress").display
        assert screen.summary.goroutines == 20_001 and screen.query_one("#groups", DataTable).row_count == 2
        assert screen.summary.link_of(screen.summary.groups[0]).holder_id == 999999


async def test_an_unreadable_dump_is_said_in_the_viewer(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("nothing here\n" * (INLINE_BYTES // 10))
    app = StacksApp([str(path)])
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "not a Go stack dump" in str(app.screen.query_one("#hints").render())
        assert app.screen.query_one("#groups", DataTable).row_count == 0


async def test_esc_while_reading_cancels_the_read(tmp_path, monkeypatch):
    from textual.app import App

    from hangconsole.screens.stacks import StacksScreen

    path = tmp_path / "goroutine-stacks.log"
    _dump(path, 100_000)                   # 25 chunks: Esc comes at the first, the read stops at the next
    gate = _held(monkeypatch)

    class Host(App):                       # the viewer as the console pushes it
        def on_mount(self) -> None:
            self.push_screen(StacksScreen([str(path)]))

    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, StacksScreen) and screen.summary is None
        await pilot.press("escape")
        gate.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, StacksScreen)
        assert screen.summary is None            # the read stopped, nothing landed on the closed screen
        assert app.return_code is None           # and the app is still running, no error
