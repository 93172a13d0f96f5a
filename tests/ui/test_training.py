"""Training mode and playbook runs in the console: confirmations for destructive steps,
simulation only (the machine is never signalled), and the debrief."""
from __future__ import annotations

import json
import os

from textual.widgets import Input

from hangconsole.incidents import find
from hangconsole.record.fileformat import Recording
from hangconsole.screens.app import HangConsoleApp
from hangconsole.screens.confirm import ConfirmScreen
from hangconsole.screens.playbook import PlaybookScreen
from hangconsole.screens.training import DebriefScreen, TrainingListScreen
from hangconsole.sources import ReplaySource
from hangconsole.training import TrainingSession


def training(name: str) -> HangConsoleApp:
    inc = find(name)
    return HangConsoleApp(ReplaySource(Recording(inc.path)), training=TrainingSession(inc))


async def settle(pilot):
    for _ in range(40):
        await pilot.pause(0.05)
        if not [w for w in pilot.app.workers if w.is_running and w.group != "playbook"]:
            break


async def wait_screen(pilot, cls, tries: int = 100):
    for _ in range(tries):
        if isinstance(pilot.app.screen, cls):
            return pilot.app.screen
        await pilot.pause(0.05)
    raise AssertionError(f"{cls.__name__} never came; screen is {pilot.app.screen}")


async def hypothesis(pilot, cls: str | None = None, container: str | None = None,
                     chain: list[str] | None = None):
    """Past the page, `f` asks for the hypothesis: pick the class and the container, then the
    chain, with the keys (the incident's own answer unless told otherwise); then the findings
    show."""
    from hangconsole.screens.hypothesis import HypothesisScreen
    from hangconsole.screens.training import PageScreen
    app = pilot.app
    await wait_screen(pilot, PageScreen)
    await pilot.press("enter")
    await pilot.press("f")
    hyp = await wait_screen(pilot, HypothesisScreen)
    cls = cls or app.training.incident.expect
    container = container or app.expected_container() or "-"
    for list_id, wanted in (("#classes", cls), ("#where", container)):
        ol = hyp.query_one(list_id)
        ol.highlighted = next(i for i in range(ol.option_count) if ol.get_option_at_index(i).id == wanted)
        await pilot.press("enter")
        await pilot.pause()
    from hangconsole.screens.chain import ChainScreen
    links = await wait_screen(pilot, ChainScreen)
    await build_chain(pilot, links, app.training.story.get("answer", []) if chain is None else chain)
    from hangconsole.screens.findings import FindingsScreen
    return await wait_screen(pilot, FindingsScreen)


async def build_chain(pilot, screen, keys: list[str]) -> None:
    """Pick KEYS in order on the chain screen with the keys shown on it, then commit (c)."""
    ol = screen.query_one("#links")
    for k in keys:
        ol.highlighted = next(i for i in range(ol.option_count) if ol.get_option_at_index(i).id == k)
        await pilot.press("enter")
    await pilot.press("c")


async def waiting_on(pilot, kind: str = "act", tries: int = 200) -> PlaybookScreen:
    """The walkthrough stopped before a step that changes the host, waiting for the operator."""
    for _ in range(tries):
        s = pilot.app.screen
        if isinstance(s, PlaybookScreen) and s.waiting and s.walk.step.kind == kind:
            return s
        await pilot.pause(0.05)
    raise AssertionError(f"the walkthrough never waited on a {kind} step; screen is {pilot.app.screen}")


def record_acts(monkeypatch) -> list[str]:
    """Every act the walkthrough carries out (in training, on the simulated host)."""
    from hangconsole.playbook import simulate
    done, real = [], simulate.apply
    monkeypatch.setattr(simulate, "apply", lambda action, ctx, b: (done.append(action), real(action, ctx, b))[1])
    return done


async def test_training_walk_with_a_typed_confirmation(monkeypatch):
    sent = []                                     # the one place hangconsole sends signals
    monkeypatch.setattr("hangconsole.playbook.actions.send", lambda *a, **k: sent.append(a))
    acts = record_acts(monkeypatch)
    app = training("seed-001")
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await hypothesis(pilot)
        await pilot.press("p")
        run = await waiting_on(pilot)                             # the shim's dump: asks first
        nxt = run.query_one("#next").render().plain               # its stderr is /dev/null: strace
        assert "SIGUSR1 to docker-containe 119820" in nxt and "its write() calls are read with strace" in nxt
        await pilot.press("enter")
        confirm = await wait_screen(pilot, ConfirmScreen)
        assert confirm.typed is None
        await pilot.press("y")
        run = await waiting_on(pilot)                             # the daemons' dump: asks too
        nxt = run.query_one("#next").render().plain               # the report shows no dockerd pid
        assert "SIGUSR1 to docker-containe 3608" in nxt and "≈ docker-containe 3608: not in the report" in nxt
        await pilot.press("enter")
        confirm = await wait_screen(pilot, ConfirmScreen)
        assert confirm.typed is None
        await pilot.press("y")
        await waiting_on(pilot)
        await pilot.press("enter")
        confirm = await wait_screen(pilot, ConfirmScreen)        # kill the shim: destructive
        assert confirm.typed == "60f253d59f26" and acts == ["dump-stacks", "dump-stacks"]
        assert confirm.query_one("#yes").disabled
        await pilot.press("y")                                    # no single key kills
        assert isinstance(app.screen, ConfirmScreen)
        confirm.query_one(Input).value = "60f253d59f2"           # one character short
        await pilot.pause()
        assert confirm.query_one("#yes").disabled
        confirm.query_one(Input).value = "60f253d59f26"
        await pilot.pause()
        await pilot.press("enter")
        debrief = await wait_screen(pilot, DebriefScreen, 200)
        text = "\n".join(debrief.lines)
        assert "Right playbook: shim-unresponsive." in text and "Outcome done" in text
        assert "Your hypothesis: shim-unresponsive on 60f253d59f26" in text and ": right" in text
        saved = json.load(open(os.path.join(run.ctx.incident.path, "debrief.json")))
        assert saved["time_to_fix_s"] is not None and saved["hypothesis"]["verdict"] == "right"
        assert any(e["detail"] == "ok act kill-shim" for e in saved["timeline"])
        assert run.result.outcome == "done" and acts == ["dump-stacks", "dump-stacks", "kill-shim"]
        files = os.listdir(run.ctx.incident.path)
        # the v1 shim's dump, read with strace (its stderr is /dev/null), is the one the report's
        # kprobe got; the report shows no daemon dump
        assert [f for f in files if f.startswith("stacks-")] == ["stacks-seed-001-shim-stacks.log"]
        assert "report.md" in files
        assert "no containerd dump was shown in the report" in run.query_one("#log").plain
        assert all(a["detail"].get("training") for a in run.ctx.incident.audit_lines()
                   if a["action"] in ("kill-shim", "dump-stacks"))
    assert sent == [], "training never signals a real process"


async def test_nothing_changes_the_host_before_its_confirmation(monkeypatch):
    acts = record_acts(monkeypatch)
    app = training("seed-000")
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await hypothesis(pilot)
        await pilot.press("p")
        run = await waiting_on(pilot)                             # explain and check ran alone
        assert [run.status[i] for i in (0, 1)] == ["ok", "ok"] and acts == []
        preview = run.query_one("#next").render().plain
        assert "pipe:[1070361747]" in preview and "runc:[2:INIT] pid 15638 (start" in preview
        await pilot.pause(0.5)
        assert acts == [], "a drain started without the operator"
        await pilot.press("enter")
        await wait_screen(pilot, ConfirmScreen)
        assert acts == [], "a drain started before the answer"
        await pilot.press("n")
        for _ in range(100):
            await pilot.pause(0.05)
            if run.result is not None:
                break
        assert run.result.outcome == "refused" and acts == []


async def test_leaving_in_the_middle_runs_nothing_more(monkeypatch):
    acts = record_acts(monkeypatch)
    app = training("seed-001")
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await hypothesis(pilot)
        await pilot.press("p")
        run = await waiting_on(pilot)
        await pilot.press("enter")
        await wait_screen(pilot, ConfirmScreen)
        await pilot.press("y")                                    # the daemons' dump runs
        await waiting_on(pilot)                                   # then waits before the kill
        assert acts == ["dump-stacks"]
        await pilot.press("escape")
        for _ in range(100):
            await pilot.pause(0.05)
            if run.result is not None:
                break
        assert not isinstance(app.screen, (PlaybookScreen, ConfirmScreen, DebriefScreen))
        await pilot.pause(0.5)
        assert run.result.outcome == "stopped" and acts == ["dump-stacks"]
        assert "kill-shim" not in [r.step.action for r in run.result.steps]
        assert run.result.steps[-1].step.action == "dump-stacks"
        audit = run.ctx.incident.audit_lines()
        assert any("stopped" in a["result"] and "left by the operator" in a["result"] for a in audit)
        assert os.path.exists(run.ctx.incident.file("report.md"))


async def test_run_the_rest_still_asks_at_each_act(monkeypatch):
    acts = record_acts(monkeypatch)
    app = training("seed-001")
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await hypothesis(pilot)
        await pilot.press("p")
        await waiting_on(pilot)
        await pilot.press("a")
        for who in ("docker-containe 119820", "docker-containe 3608"):   # the shim's dump, the daemons'
            confirm = await wait_screen(pilot, ConfirmScreen)
            assert who in confirm.question and confirm.typed is None
            await pilot.press("y")
            for _ in range(100):                                  # this question goes, the next comes
                await pilot.pause(0.05)
                if pilot.app.screen is not confirm:
                    break
        confirm = await wait_screen(pilot, ConfirmScreen)        # still asked, though "a" ran on
        assert confirm.typed == "60f253d59f26" and acts == ["dump-stacks", "dump-stacks"]
        await pilot.press("escape")                               # declined: the kill never runs
        await wait_screen(pilot, DebriefScreen, 200)
        assert acts == ["dump-stacks", "dump-stacks"]


async def test_quitting_during_a_confirmation_is_instant():
    import time
    app = training("seed-001")
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await hypothesis(pilot)
        await pilot.press("p")
        await waiting_on(pilot)
        await pilot.press("enter")
        await wait_screen(pilot, ConfirmScreen)
        t0 = time.monotonic()
        app.exit()
    assert time.monotonic() - t0 < 2.0


async def test_declining_refuses_the_step_and_the_debrief_says_so():
    app = training("seed-004")
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await hypothesis(pilot)
        await pilot.press("p")
        run = await waiting_on(pilot)
        await pilot.press("enter")
        await wait_screen(pilot, ConfirmScreen)
        await pilot.press("escape")
        debrief = await wait_screen(pilot, DebriefScreen, 200)
        assert "Declined 1 confirmation(s)." in "\n".join(debrief.lines)
        assert run.result.outcome == "refused"


async def test_the_incident_list_starts_training():
    app = HangConsoleApp(None, pick_incident=True)
    async with app.run_test(size=(120, 30)) as pilot:
        assert isinstance(app.screen, TrainingListScreen)
        await pilot.press("down", "down", "enter")                # seed-002
        await settle(pilot)
        assert app.training.incident.name == "seed-002" and app.source is not None
        assert app.findings and app.findings[0].cls == "pids-exhausted"


async def test_no_playbook_key_where_there_is_no_playbook():
    app = training("lab-oom-kill")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await hypothesis(pilot)
        await pilot.press("p")
        await pilot.pause()
        assert not isinstance(app.screen, PlaybookScreen)         # oom-kill has no remedy playbook


async def test_the_embedded_terminal_runs_a_real_process():
    from textual.app import App

    from hangconsole.screens.terminal import TerminalScreen

    class Host(App):
        def on_mount(self):
            self.push_screen(TerminalScreen(["sh", "-c", "echo ready; read x; echo got:$x"], "a test terminal"))

    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        log = screen.query_one("#out")
        for _ in range(100):
            await pilot.pause(0.05)
            if any("ready" in str(line.text) for line in log.lines):
                break
        screen.query_one("#in").value = "hello"
        await pilot.press("enter")
        for _ in range(100):
            await pilot.pause(0.05)
            if any("got:hello" in str(line.text) for line in log.lines):
                break
        assert any("got:hello" in str(line.text) for line in log.lines), [str(x.text) for x in log.lines]
        await pilot.press("escape")
        assert not isinstance(app.screen, TerminalScreen)


async def test_nothing_names_the_hang_before_the_hypothesis():
    """The page, the overview, a container, the kernel log and the goroutine stacks, walked
    before the hypothesis: no hang class is named (the stacks' hints wait for it), and seed
    001's shim dump, which its engineers needed a kprobe to get, is not there for the asking."""
    import re

    from hangconsole.diagnose.registry import CLASSES
    from hangconsole.screens.exercises import incident_dumps as _incident_dumps
    from hangconsole.screens.stacks import StacksScreen
    from tests.ui.test_hostile_text import screen_text
    assert not any("shim" in os.path.basename(f) for f in _incident_dumps("seed-001", training=True))
    assert any("shim" in os.path.basename(f) for f in _incident_dumps("seed-001"))
    lab = training("lab-stuck-pipe")                       # a lab capture's name is its fault
    async with lab.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        page_text = " ".join(screen_text(lab).replace("\xa0", " ").split())
        assert "stuck-pipe" not in page_text and "lab-1" in page_text, page_text
    inc = find("seed-000")
    app = HangConsoleApp(ReplaySource(Recording(inc.path)), training=TrainingSession(inc),
                         stack_files=_incident_dumps("seed-000", training=True))    # as `train` opens it
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        seen = [screen_text(app)]
        await pilot.press("enter")                                  # past the page
        await settle(pilot)
        for keys in (("enter",), ("escape", "k"), ("escape", "g")):
            await pilot.press(*keys)
            for _ in range(60):
                await pilot.pause(0.05)
                s = app.screen
                if not isinstance(s, StacksScreen) or s.summary is not None:
                    break
            seen.append(screen_text(app))
        text = " ".join("\n".join(seen).replace("\xa0", " ").split())
        assert "hints and lock holders show after your hypothesis" in text
        # "paused" is also the replay's own state ("⏸ paused frame 3/3"), not a verdict
        named = [c for c in CLASSES if c != "paused" and re.search(rf"\b{re.escape(c)}\b", text)]
        assert named == [], named
