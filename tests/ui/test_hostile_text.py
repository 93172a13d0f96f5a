"""Host text is data on every screen: a recording whose every host text field carries markup
(`[/]`), escape sequences (a title rewrite, a screen clear, OSC 52, OSC 8 links), bidi
overrides, C1 controls and bytes that are not UTF-8, opened and walked screen by screen. The
app lives, nothing a terminal would act on reaches the screen, and the text is shown
literally (`[/]` as `[/]`, ESC as `\\x1b`)."""
from __future__ import annotations

import html
import re

import pytest

from hangconsole.incidents import find
from hangconsole.record.fileformat import Recording
from hangconsole.screens.app import HangConsoleApp
from hangconsole.sources import ReplaySource
from tests.helpers.hostile import hostile_recording, raw_controls


def screen_text(app) -> str:
    """What the terminal would show, from the screenshot's text (entities decoded)."""
    svg = app.export_screenshot()
    return "\n".join(html.unescape(re.sub(r"<[^>]+>", "", t)) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S))


async def visit(pilot, *keys: str) -> str:
    for k in keys:                           # a playbook's worker waits for the operator:
        await pilot.press(k)                 # pause, never wait for every worker
        for _ in range(3):
            await pilot.pause(0.05)
    assert pilot.app.is_running and pilot.app.crash is None, pilot.app.crash
    text = screen_text(pilot.app)
    assert raw_controls(text) == [], (type(pilot.app.screen).__name__, raw_controls(text))
    return text


def hostile_copy(name: str, tmp_path) -> str:
    return hostile_recording(find(name).path, str(tmp_path / "h.hcrec"))


@pytest.fixture
def hostile(tmp_path):
    return hostile_copy("seed-000", tmp_path)


@pytest.mark.parametrize("name, size", [("lab-stuck-pipe", (120, 40)), ("seed-000", (80, 24))])
async def test_every_screen_shows_hostile_text_inertly(name, size, tmp_path):
    app = HangConsoleApp(ReplaySource(Recording(hostile_copy(name, tmp_path))))
    async with app.run_test(size=size) as pilot:
        seen = [await visit(pilot)]
        seen.append(await visit(pilot, "enter"))                     # the container
        for _ in range(4):                                          # every panel
            seen.append(await visit(pilot, "tab"))
        seen.append(await visit(pilot, "enter", "o"))               # along a pipe
        seen.append(await visit(pilot, "escape", "f"))              # findings
        if "Playbook" in screen_text(app):
            seen.append(await visit(pilot, "p"))                    # the playbook (simulated)
            seen.append(await visit(pilot, "escape"))
        seen.append(await visit(pilot, "escape", "k"))              # kernel log
        seen.append(await visit(pilot, "escape", "question_mark"))  # help
        seen.append(await visit(pilot, "escape", "left_square_bracket", "right_square_bracket"))
    shown = "\n".join(seen)
    assert "[/]" in shown and "PWNED" in shown                      # literal, not markup, not acted on
    assert "\\x1b" in shown                                         # ESC made visible


async def test_training_on_a_hostile_recording(hostile, monkeypatch):
    from hangconsole import incidents
    from hangconsole.training import TrainingSession
    inc = find("seed-000")
    monkeypatch.setattr(type(inc), "path", property(lambda self: hostile))
    app = HangConsoleApp(ReplaySource(Recording(hostile)), training=TrainingSession(inc))
    async with app.run_test(size=(80, 24)) as pilot:
        await visit(pilot)                                          # the page
        await visit(pilot, "enter", "enter")                        # past it; a container
        await visit(pilot, "escape", "k", "escape", "f")            # kernel log; f asks first
    assert incidents.find("seed-000") is not None


async def test_a_crash_leaves_a_report_and_a_non_zero_exit(tmp_path, monkeypatch):
    """If the app fails anyway: the terminal is restored (run_test returns), the crash is
    kept with its report on disk, and nothing of the error is printed raw."""
    from hangconsole.screens.overview import OverviewScreen
    monkeypatch.setenv("HANGCONSOLE_CRASH_DIR", str(tmp_path))

    def boom(self):
        raise RuntimeError("a screen failed on \x1b]0;PWNED\x07")
        yield                                                          # noqa: unreachable
    monkeypatch.setattr(OverviewScreen, "compose", boom)
    app = HangConsoleApp(ReplaySource(Recording(find("seed-000").path)))
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.2)
    assert app.return_code == 1 and app.crash is not None
    error, path = app.crash
    assert path and path.startswith(str(tmp_path))
    report = open(path).read()
    assert "RuntimeError: a screen failed" in report and "seed-000.hcrec" in report


async def test_a_panel_that_fails_says_so_and_the_rest_goes_on(tmp_path, monkeypatch):
    """One panel's failure (here the task panel's history) is said in that panel, with a crash
    report; the tree, the pipes and the other screens go on, and so does the app."""
    import hangconsole.screens.container as container
    from textual.widgets import Static
    monkeypatch.setenv("HANGCONSOLE_CRASH_DIR", str(tmp_path))

    class Broken:
        def __init__(self, *a, **kw):
            raise ValueError("history unreadable")
    monkeypatch.setattr(container, "History", Broken)
    app = HangConsoleApp(ReplaySource(Recording(find("lab-stuck-pipe").path)))
    async with app.run_test(size=(120, 40)) as pilot:
        await visit(pilot)
        text = await visit(pilot, "enter")
        task = str(app.screen.query_one("#task", Static).render())
        assert "this panel could not be shown: ValueError: history unreadable" in task, task
        assert "64KiB/64KiB" in text, "the pipes panel still shows"
        await visit(pilot, "escape", "f")
        assert app.is_running and app.crash is None
    assert list(tmp_path.glob("crash-*.txt"))


async def test_a_hostile_goroutine_dump_in_the_stacks_viewer(tmp_path):
    """Dump text is data: function names and paths with escapes, markup and bidi overrides,
    and a 3 MB frame line, shown literally in the viewer's table, overview and frames."""
    from hangconsole.screens.stacks import StacksApp
    from tests.helpers.hostile import TITLE
    evil = "main.(*T).Run" + TITLE + "[/][b]x[/b]\u202e"
    block = (f"goroutine 7 [chan receive, 12 minutes]:\n{evil}(0x1)\n\t/src/{TITLE}[/].go:12 +0x2f\n"
             f"main.{'x' * 3_000_000}()\n\t/src/m.go:3 +0x1\ncreated by main.main\n\t/src/m.go:9 +0x1\n\n")
    path = tmp_path / "hostile-goroutines.txt"
    path.write_text("".join(block.replace("goroutine 7", f"goroutine {i}") for i in range(1, 6)))
    app = StacksApp([str(path)])
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(50):
            await pilot.pause(0.1)
            if app.screen.summary is not None:
                break
        shown = [await visit(pilot), await visit(pilot, "down"), await visit(pilot, "up")]
    text = "\n".join(shown)
    assert "[/]" in text and "\\x1b]0;PWNED\\x07" in text


async def test_notifications_carrying_host_text_stay_literal(tmp_path):
    """A screen's notification with host text in it (a process name, an error a sample raised)
    goes through the app's one notify: markup is not parsed, controls are made visible."""
    app = HangConsoleApp(ReplaySource(Recording(find("lab-stuck-pipe").path)))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.screen.notify("simulated: SIGKILL [red]x[/red] \x1b]0;PWNED\x07 4242")
        await pilot.pause()
        [n] = [n for n in app._notifications if "SIGKILL" in n.message]
        assert n.message == "simulated: SIGKILL [red]x[/red] \\x1b]0;PWNED\\x07 4242" and not n.markup
        await visit(pilot)                   # and nothing a terminal acts on reached the screen
