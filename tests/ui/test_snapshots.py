"""Snapshot tests of every screen on recorded hosts (the seed incidents and lab captures).
Each SVG in snapshots/test_snapshots.py/ was looked at before it was accepted."""
from __future__ import annotations

import os

import pytest

from hangconsole.incidents import HERE, find
from hangconsole.record.fileformat import Recording
from hangconsole.screens.app import HangConsoleApp
from hangconsole.screens.stacks import StacksApp
from hangconsole.sources import ReplaySource


def keys(*presses: str):
    """run_before: press each key, letting the frame loader finish after each one."""
    async def run(pilot):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        for k in presses:
            await pilot.press(k)
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
    return run


def replay(name: str, stacks: list[str] | None = None) -> HangConsoleApp:
    files = [os.path.join(HERE, f) for f in stacks or []]
    return HangConsoleApp(ReplaySource(Recording(find(name).path)), stack_files=files)


@pytest.mark.parametrize("name", ["seed-000", "seed-001", "seed-002", "seed-003", "seed-004",
                                  "lab-stuck-pipe", "lab-stopped-shim", "lab-paused"])
def test_overview(snap_compare, name):
    assert snap_compare(replay(name), terminal_size=(120, 30), run_before=keys())


@pytest.mark.parametrize("name", ["seed-000", "seed-001", "seed-002", "seed-004", "lab-stuck-pipe",
                                  "lab-pids-exhausted", "lab-oom-kill"])
def test_container_view(snap_compare, name):
    assert snap_compare(replay(name), run_before=keys("enter"), terminal_size=(140, 36))


def test_container_view_80x24(snap_compare):
    assert snap_compare(replay("seed-000"), run_before=keys("enter"), terminal_size=(80, 24))


def test_pipe_jumps_to_the_other_end(snap_compare):
    # lab-stuck-pipe opens on head, blocked writing; the pipe panel's row jumps to the shim
    assert snap_compare(replay("lab-stuck-pipe"), run_before=keys("enter", "tab", "tab", "enter"),
                        terminal_size=(140, 36))


@pytest.mark.parametrize("name", ["seed-003", "lab-stopped-shim"])
def test_findings(snap_compare, name):
    assert snap_compare(replay(name), run_before=keys("f"), terminal_size=(120, 36))


@pytest.mark.parametrize("name", ["seed-003"])
def test_kernel_log_80x24(snap_compare, name):
    # seed 003: the dmesg line at its own uptime, dockerd's lines; two of them carry the mark
    assert snap_compare(replay(name), run_before=keys("k"), terminal_size=(80, 24))


def test_stacks_in_the_app(snap_compare):
    app = replay("seed-001", stacks=["seed-001-shim-stacks.log"])
    assert snap_compare(app, run_before=keys("g"), terminal_size=(120, 36))


def test_stacks_filter_and_pprof_profile(snap_compare):
    app = StacksApp([os.path.join(HERE, "seed-000-dockerd-goroutines.txt")])
    assert snap_compare(app, run_before=keys("slash", *"Stats", "tab"), terminal_size=(120, 30))


def test_replay_stepped_back(snap_compare):
    assert snap_compare(replay("seed-001"), run_before=keys("left_square_bracket", "left_square_bracket"),
                        terminal_size=(120, 30))


def test_help(snap_compare):
    assert snap_compare(replay("seed-000"), run_before=keys("question_mark"), terminal_size=(100, 36))


def training_app(name: str) -> HangConsoleApp:
    from hangconsole.training import TrainingSession
    inc = find(name)
    return HangConsoleApp(ReplaySource(Recording(inc.path)), training=TrainingSession(inc, clock=lambda: 0.0))


@pytest.fixture(autouse=True)
def fixed_training_dir(monkeypatch, tmp_path_factory):
    """Training writes to a fresh temporary incident directory, whose random name is on
    screen: give it a fixed one so the snapshots are stable."""
    import fcntl
    import shutil
    import tempfile
    fixed = "/tmp/hangconsole-training-snapshot"
    held = []

    def mkdtemp(prefix="", **kw):
        if prefix != "hangconsole-training-":
            return real(prefix=prefix, **kw)
        if not held:    # one test at a time owns the fixed dir, across xdist workers too
            held.append(open(fixed + ".lock", "w"))
            fcntl.flock(held[0], fcntl.LOCK_EX)
        shutil.rmtree(fixed, ignore_errors=True)
        os.makedirs(fixed)
        return fixed
    real = tempfile.mkdtemp
    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    yield
    for f in held:
        f.close()       # releases the lock


async def _on(pilot, name: str) -> None:
    for _ in range(100):
        await pilot.pause(0.05)
        if type(pilot.app.screen).__name__ == name:
            break


async def to_chain(pilot) -> None:
    """Past the page, `f`; the incident's own class and container as the hypothesis; then on
    the chain screen."""
    app = pilot.app
    await pilot.press("enter", "f")                       # past the page; f asks first
    await _on(pilot, "HypothesisScreen")
    app.screen.dismiss((app.training.incident.expect, app.expected_container()))
    await _on(pilot, "ChainScreen")


async def commit_expected(pilot) -> None:
    await to_chain(pilot)
    pilot.app.screen.dismiss(list(pilot.app.training.story.get("answer", [])))     # the answer's own chain
    await _on(pilot, "FindingsScreen")


def until(screen_name: str, *presses: str):
    """run_before: press keys, then wait until SCREEN_NAME is on top (the playbook worker).
    A press written "@Name" waits for that screen first (a question, the walkthrough
    waiting for the operator) before the next key; "!hypothesis" reads the training page
    and commits the incident's own answer as the hypothesis, so the findings show."""
    async def arrive(pilot, name: str) -> None:
        for _ in range(200):
            await pilot.pause(0.05)
            s = pilot.app.screen
            if type(s).__name__ == name and (name != "PlaybookScreen" or s.waiting or s.result is not None):
                break                            # the walk waits for the operator, or has ended
    async def run(pilot):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        for k in presses:
            if k == "!hypothesis":
                await commit_expected(pilot)
            elif k.startswith("@"):
                await arrive(pilot, k[1:])
            else:
                await pilot.press(k)
        await arrive(pilot, screen_name)
        await pilot.pause(0.2)
    return run


def test_training_list(snap_compare):
    assert snap_compare(HangConsoleApp(None, pick_incident=True), terminal_size=(120, 30))


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_playbook_waits_before_the_drain(snap_compare, size):
    assert snap_compare(training_app("seed-000"), terminal_size=size,
                        run_before=until("PlaybookScreen", "!hypothesis", "p"))


def test_playbook_asks_before_the_drain(snap_compare):
    assert snap_compare(training_app("seed-000"), terminal_size=(120, 40),
                        run_before=until("ConfirmScreen", "!hypothesis", "p", "@PlaybookScreen", "enter"))


def test_playbook_asks_before_killing_the_shim(snap_compare):
    """Seed 001 after the dumps (the shim's read with strace: its stderr is /dev/null): the kill
    is asked with the id typed."""
    async def run(pilot):
        await until("PlaybookScreen", "!hypothesis", "p", "@PlaybookScreen", "a")(pilot)
        for _ in range(400):                     # yes to the dumps, up to the kill's question
            s = pilot.app.screen
            if type(s).__name__ == "ConfirmScreen":
                if "SIGKILL shim" in s.question:
                    break
                await pilot.press("y")
            await pilot.pause(0.05)
        await pilot.pause(0.2)
    assert snap_compare(training_app("seed-001"), terminal_size=(140, 40), run_before=run)


def test_playbook_after_the_drain(snap_compare):
    """The drain's size, full path and first/last lines in the log, wrapped, at 120 columns
    (the walk ends with the drain: its debrief is closed to read the log)."""
    assert snap_compare(training_app("seed-000"), terminal_size=(120, 40),
                        run_before=until("PlaybookScreen", "!hypothesis", "p", "@PlaybookScreen", "enter",
                                         "@ConfirmScreen", "y", "@DebriefScreen", "escape"))


def test_training_debrief(snap_compare):
    assert snap_compare(training_app("seed-000"), terminal_size=(140, 40),
                        run_before=until("DebriefScreen", "!hypothesis", "p", "@PlaybookScreen", "a",
                                         "@ConfirmScreen", "y"))


def _chain_begun(pilot):
    """The hypothesis's class and container picked; on the chain screen, the answer's first two
    links added with Enter (the rest still to order)."""
    async def run(pilot):
        await pilot.app.workers.wait_for_complete()
        await to_chain(pilot)
        ol = pilot.app.screen.query_one("#links")
        for k in pilot.app.training.story["answer"][:2]:
            ol.highlighted = next(i for i in range(ol.option_count) if ol.get_option_at_index(i).id == k)
            await pilot.press("enter")
        await pilot.pause(0.2)
    return run(pilot)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_training_chain_prompt(snap_compare, size):
    assert snap_compare(training_app("seed-000"), terminal_size=size, run_before=_chain_begun)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_training_debrief_sizes(snap_compare, size):
    """The debrief of a walk that ended with its verify, at both sizes: the score, the chain
    and the rubric wrap to the screen."""
    assert snap_compare(training_app("seed-004"), terminal_size=size,
                        run_before=until("DebriefScreen", "!hypothesis", "e"))


def test_training_page(snap_compare):
    """Symptom first: what the on-call was paged with, nothing that names the hang."""
    assert snap_compare(training_app("seed-000"), terminal_size=(120, 40), run_before=until("PageScreen"))


def test_training_hypothesis_prompt(snap_compare):
    assert snap_compare(training_app("seed-000"), terminal_size=(120, 40),
                        run_before=until("HypothesisScreen", "enter", "f"))
