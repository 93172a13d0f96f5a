"""Behaviour of the console on recorded hosts and on a live host whose Docker hangs."""
from __future__ import annotations

import time

from textual.widgets import DataTable, Input, Tree

from hangconsole.collect.live import LiveSource
from hangconsole.incidents import HERE, find
from hangconsole.record.fileformat import Recording
from hangconsole.screens.app import HangConsoleApp
from hangconsole.screens.container import ContainerScreen
from hangconsole.screens.findings import FindingsScreen
from hangconsole.screens.stacks import StacksScreen
from hangconsole.sources import ReplaySource
from tests.helpers.hung_docker import HungDocker


def replay(name: str, **kw) -> HangConsoleApp:
    return HangConsoleApp(ReplaySource(Recording(find(name).path)), **kw)


async def settle(pilot, *presses):
    for k in presses:
        await pilot.press(k)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_replay_opens_on_the_last_frame_and_steps():
    app = replay("seed-000")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert app.source.pos == 2 and app.findings[0].cls == "exec-pipe-deadlock"
        await settle(pilot, "left_square_bracket", "left_square_bracket")
        assert app.source.pos == 0
        assert "exec-pipe-deadlock" not in {f.cls for f in app.findings}   # one frame: not stuck yet
        await settle(pilot, "greater_than_sign")
        assert app.source.pos == 2 and app.findings[0].cls == "exec-pipe-deadlock"


async def test_clicking_the_timeline_seeks():
    app = replay("seed-001")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        start, width, count = app.screen.query_one("Timeline")._bar
        await pilot.click("Timeline", offset=(start, 0))
        await settle(pilot)
        assert app.source.pos == 0
        await pilot.click("Timeline", offset=(start + width - 1, 0))
        await settle(pilot)
        assert app.source.pos == count - 1


async def test_container_view_opens_on_the_stuck_task_and_follows_a_pipe():
    app = replay("lab-stuck-pipe")
    async with app.run_test(size=(140, 36)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ContainerScreen)
        head = screen.selected
        assert app.snapshot.proc(head).comm == "head"
        await pilot.press("tab", "tab", "enter")            # the pipe panel: jump along the full pipe
        await pilot.pause()
        shim = app.snapshot.container(screen.cid).shim_pid
        assert screen.selected == shim and screen.query_one(Tree).cursor_node.data == shim
        await pilot.press("escape")
        assert not isinstance(app.screen, ContainerScreen)


async def test_findings_open_their_container():
    app = replay("seed-004")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        assert isinstance(app.screen, FindingsScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ContainerScreen) and app.screen.cid.startswith("a46c18158270")


async def test_goroutines_key_only_where_a_dump_exists():
    app = replay("seed-002")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("g")
        assert not isinstance(app.screen, StacksScreen)          # no key to nowhere
    app = replay("seed-001", stack_files=[f"{HERE}/seed-001-shim-stacks.log"])
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        assert isinstance(app.screen, StacksScreen)
        table = app.screen.query_one("#groups", DataTable)
        assert table.row_count == 13
        app.screen.query_one(Input).value = "reaper.Reap"
        await pilot.pause()
        assert table.row_count == 1 and app.screen.shown[0][1].state == "chan send"


async def test_a_hung_docker_never_freezes_the_console(tmp_path):
    """Keys are answered, samples keep coming and the console quits while every Docker call
    hangs (behaviour, not timing: the deadlines below only bound a failure on a loaded machine)."""
    hung = HungDocker(str(tmp_path / "docker.sock"))
    src = LiveSource(hung.url, docker_wait=0.3)
    app = HangConsoleApp(src, interval=0.5)

    async def until(pilot, cond, seconds=30.0):
        end = time.monotonic() + seconds
        while not cond() and time.monotonic() < end:
            await pilot.pause(0.05)
        return cond()
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            # the first snapshot arrives despite the hung daemon
            assert await until(pilot, lambda: app.snapshot is not None)
            assert app.snapshot.docker.reachable is False
            first = app.snapshot.docker.pending()[0].seconds
            await pilot.press("question_mark")   # a key is answered while the call hangs
            assert app.screen.__class__.__name__ == "HelpScreen"
            assert app.snapshot.docker.pending(), "answered while the Docker call still hangs"
            await pilot.press("escape")
            assert await until(pilot, lambda: app.snapshot.docker.pending()[0].seconds > first), \
                "pending calls count up across samples"
            strip = str(app.screen.query_one("#host-strip").render())
            assert "NOT ANSWERING" in strip and "timed out, pending" in strip
            await pilot.press("q")           # and it quits with the call still hanging
        assert app.return_code in (0, None) and app.snapshot.docker.pending()
    finally:
        src.close()
        hung.close()


class FlakySource:
    """A live source whose second sample fails: the console must say so and sample on."""
    live = True

    def __init__(self):
        self.rec = Recording(find("lab-stuck-pipe").path)
        self.calls = 0

    def snapshot(self):
        self.calls += 1
        if self.calls == 2:
            raise OSError("a /proc read failed")
        snap = self.rec.frame(len(self.rec) - 1)
        snap.taken_at = time.time()
        return snap

    def close(self):
        pass


async def test_a_failed_sample_is_said_and_the_refresh_goes_on(monkeypatch):
    from textual.widgets import Static
    import hangconsole.pacing
    monkeypatch.setattr(hangconsole.pacing, "load_per_cpu", lambda: None)   # the machine's load is not under test
    src = FlakySource()
    app = HangConsoleApp(src, interval=0.3)
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(400):                         # a refresh's own cost may still back off the waits
            await pilot.pause(0.1)
            if src.calls >= 4:
                break
        assert src.calls >= 4, "the timer chain went on after the failure"
        said = [n.message for n in app._notifications]
        assert any("sample failed: OSError: a /proc read failed" in m for m in said), said
        strip = str(app.screen.query_one("#host-strip", Static).render())
        assert "data " in strip and "s old" in strip, strip


async def test_old_data_is_said_loudly():
    """The header says how old its data is; when the refresh is late, loudly."""
    from textual.widgets import Static
    src = FlakySource()
    src.calls = 10                                   # never fails
    clock = [time.time()]
    app = HangConsoleApp(src, interval=60.0, clock=lambda: clock[0])
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(40):
            await pilot.pause(0.1)
            if app.snapshot is not None:
                break
        clock[0] += 600                              # ten minutes without a new sample
        await pilot.pause(1.3)                       # the once-a-second tick
        strip = str(app.screen.query_one("#host-strip", Static).render())
        assert "DATA 6" in strip and "OLD: the refresh is late" in strip, strip


class SlowSource(FlakySource):
    """A live source whose every sample takes 0.6 s: a host short of CPU."""

    def snapshot(self):
        self.calls += 1
        time.sleep(0.6)
        snap = self.rec.frame(len(self.rec) - 1)
        snap.taken_at = time.time()
        return snap


async def test_a_costly_refresh_backs_off_and_says_so():
    """A refresh that costs more than a third of the interval lengthens the wait to three times
    its cost (console/pacing.py), and the header says so; refreshes never overlap."""
    from textual.widgets import Static
    src = SlowSource()
    app = HangConsoleApp(src, interval=0.3)
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(100):
            await pilot.pause(0.1)
            if app.backoff:
                break
        assert app.wait >= 1.8 and "a refresh took 0." in app.backoff, (app.wait, app.backoff)
        await pilot.pause(1.2)                       # the once-a-second tick redraws the header
        strip = str(app.screen.query_one("#host-strip", Static).render())
        assert f"refresh every {app.wait:.0f}s (a refresh took" in strip, strip
