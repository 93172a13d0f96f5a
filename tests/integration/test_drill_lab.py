"""Live drills on the real engines (console/drill): a hidden fault in the lab, a scripted trainee
who fixes it through the live console's playbook (keys, as a person presses them), victory
checked on the engine itself, and a debrief that lists the acts from the drill's audit log."""
from __future__ import annotations

import json
import os
import time

from hangconsole.actions import guard
from hangconsole.drill.session import Drill
from hangconsole.lab.faults import _container_pids, blocked_writer
from hangconsole.record.fileformat import Recording

from tests.integration.test_containerd_lab import ctrd  # noqa: F401  (the containerd lab fixture)
from tests.integration.test_podman_lab import podman  # noqa: F401  (the podman lab fixture)
from tests.integration.test_fix_lab import exec_returns
from tests.ui.test_hostile_text import screen_text


async def _wait(pilot, cond, seconds: float, what: str):
    for _ in range(int(seconds * 10)):
        await pilot.pause(0.1)
        if cond():
            return
    raise AssertionError(f"{what}: not within {seconds:.0f} s; screen:\n{screen_text(pilot.app)}")


async def trainee(drill: Drill, cls: str, name_on_page: str) -> str:
    """Reads the page, opens the findings (f), picks the finding of CLS, runs its playbook (p,
    a) and says yes at every question, leaves it, asks for the debrief (e) and quits (q).
    Returns the debrief as the screen showed it."""
    from hangconsole.screens.app import HangConsoleApp
    from hangconsole.screens.findings import FindingsScreen
    from hangconsole.screens.playbook import PlaybookScreen
    from hangconsole.screens.confirm import ConfirmScreen
    from textual.widgets import OptionList
    source = drill.source()
    app = HangConsoleApp(source, interval=1.0, drill=drill)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await _wait(pilot, lambda: any(f.cls == cls for f in app.findings), 90, f"a {cls} finding")
            shown = screen_text(app).replace("\xa0", " ")
            assert "DRILL" in shown and name_on_page in shown, shown
            await pilot.press("f")
            await _wait(pilot, lambda: isinstance(app.screen, FindingsScreen), 10, "the findings")
            at = next(i for i, f in enumerate(app.screen._findings) if f.cls == cls)
            app.screen.query_one(OptionList).highlighted = at
            await pilot.press("p")
            await _wait(pilot, lambda: isinstance(app.screen, PlaybookScreen), 10, "the playbook")
            book = app.screen
            await pilot.press("a")
            for _ in range(1200):                      # yes to each question, until it finishes
                await pilot.pause(0.1)
                if isinstance(app.screen, ConfirmScreen):
                    if app.screen.typed:
                        await pilot.press(*app.screen.typed, "enter")
                    else:
                        await pilot.press("y")
                if book.result is not None:
                    break
            assert book.result is not None, screen_text(app)
            await pilot.press("escape", "escape", "e")
            await _wait(pilot, lambda: type(app.screen).__name__ == "DebriefScreen", 90, "the debrief")
            await pilot.pause(0.5)                     # drawn
            shown = screen_text(app).replace("\xa0", " ")
            await pilot.press("q")
    finally:
        source.close()
    return shown


async def test_a_docker_drill_fixed_through_the_console_with_a_red_herring_left_alone(lab, tmp_path):
    drill = Drill(lab, ["stuck-pipe"], red_herring=True, directory=str(tmp_path / "drill"), seed=7)
    drill.start(say=lambda *_: None)
    try:
        stuck = next(h for h in drill.hidden if h["fault"] == "stuck-pipe")
        herring = next(h for h in drill.hidden if h["fault"] == "paused")
        # the page and the names give nothing away
        for word in ("stuck", "pipe", "paused", "hc-"):
            assert word not in drill.page and word not in stuck["name"] and word not in herring["name"]
        assert stuck["name"] in drill.page and herring["name"] not in drill.page
        assert blocked_writer(_container_pids(stuck["cid"]), "head")        # really broken
        shown = await trainee(drill, "stuck-pipe", stuck["name"])
        assert "Victory: YES" in shown, shown
    finally:
        won, text = drill.finish()
    debrief = "\n".join(text)
    assert won, debrief
    # checked on the engine, not taken from the console: the exec answers, the writer is gone
    assert exec_returns(lab, stuck["name"])
    assert blocked_writer(_container_pids(stuck["cid"]), "head") is None
    assert "[ok] every byte drained from the pipe is on disk" in debrief
    assert f"[ok] {herring['name']}, paused on purpose, is still paused" in debrief
    assert f"[ok] {stuck['name']} still runs" in debrief
    # the debrief's acts are the audit's, in order, and none is risky
    audit = [json.loads(x) for x in open(tmp_path / "drill" / "audit.log")]
    drained = [a for a in audit if a["action"] == "drain-pipe" and a["result"].startswith("drained")]
    assert drained and f"drain-pipe {drained[0]['target']['comm']} {drained[0]['target']['pid']}" in debrief
    assert "Risky acts: none" in debrief and "Time to fix: " in debrief and "(not fixed)" not in debrief
    # recorded: the lab before, what the console saw, the lab after; it replays
    rec = Recording(str(tmp_path / "drill" / "drill.hcrec"))
    assert len(rec) >= 5
    assert any(c.id == stuck["cid"] for c in rec.frame(0).containers)
    assert guard._SCOPE is None                    # the lab-only limit ends with the drill


def test_a_drill_acts_on_the_lab_only(lab, tmp_path):
    """While a drill runs, an act on a process outside the lab is refused before it is made."""
    import subprocess
    from hangconsole.actions.guard import Refused, Target, send
    from hangconsole.actions.incident import Incident
    import signal
    import pytest
    drill = Drill(lab, ["pids-exhausted"], directory=str(tmp_path / "drill"))
    drill.start(say=lambda *_: None)
    outsider = subprocess.Popen(["sleep", "60"])
    try:
        t = Target(outsider.pid, guard.start_ticks(outsider.pid), "sleep", None, None)
        with pytest.raises(Refused, match="a drill acts on its lab only"):
            send(t, signal.SIGTERM, Incident(str(tmp_path / "inc")), dry_run=False, why="test")
        assert outsider.poll() is None
        snap = drill.source(record=False).snapshot()
        assert outsider.pid not in {p.pid for p in snap.processes}
        assert {c.id for c in snap.containers} == {drill.hidden[0]["cid"]}
    finally:
        outsider.kill()
        won, text = drill.finish()
    assert not won and "Victory: NO" in "\n".join(text)       # nothing was fixed
    assert any("pids are under their limit" in x and "[NO]" in x for x in text), text


async def test_a_containerd_drill_fixed_through_the_console(ctrd, tmp_path):  # noqa: F811
    drill = Drill(ctrd, ["stopped-shim"], directory=str(tmp_path / "drill"))
    drill.start(say=lambda *_: None)
    try:
        shim = drill.hidden[0]["shim"]
        with open(f"/proc/{shim}/stat") as f:
            assert f.read().rsplit(")", 1)[1].split()[0] == "T"
        shown = await trainee(drill, "shim-unresponsive", "web pod")
        assert "Victory: YES" in shown, shown
    finally:
        won, text = drill.finish()
    debrief = "\n".join(text)
    assert won, debrief
    with open(f"/proc/{shim}/stat") as f:               # the same shim runs: SIGCONT, not a kill
        assert f.read().rsplit(")", 1)[1].split()[0] != "T"
    assert f"SIGCONT containerd-shim-runc-v2 {shim}" in debrief or f"SIGCONT containerd-shim {shim}" in debrief, debrief
    assert "Risky acts: none" in debrief
    assert os.path.exists(tmp_path / "drill" / "debrief.md")


def test_a_reckless_trainee_kills_the_stopped_shim_and_is_charged(lab, tmp_path):
    """SIGKILL of the stopped shim (as the container screen's K sends it): the call answers and
    the zombies go, but the container is gone too where SIGCONT would have kept it: no victory,
    and the debrief names the act as risky, from the audit."""
    import signal
    from hangconsole.actions.guard import Target, send, start_ticks
    drill = Drill(lab, ["stopped-shim"], directory=str(tmp_path / "drill"), seed=2)
    drill.start(say=lambda *_: None)
    try:
        shim = drill.hidden[0]["shim"]
        send(Target(shim, start_ticks(shim), "containerd-shim-runc-v2", "shim-v2", None), signal.SIGKILL,
             drill.incident, dry_run=False, why="operator, container view")
        for _ in range(100):                           # the kill lands, as before a person's next key
            if not os.path.exists(f"/proc/{shim}") or open(f"/proc/{shim}/stat").read().rsplit(")", 1)[1].split()[0] == "Z":
                break
            time.sleep(0.1)
        time.sleep(1)
    finally:
        won, text = drill.finish()
    debrief = "\n".join(text)
    assert not won, debrief
    name = drill.hidden[0]["name"]
    assert f"[ok] the engine answers about {name}" in debrief
    assert f"[NO] a new exec into {name} runs" in debrief, debrief        # the health checks' call
    assert f"[NO] {name} still runs" in debrief, debrief                  # orphaned, or exited
    assert f"SIGKILL of shim {shim} where SIGCONT would do" in debrief and "Risky acts: 1" in debrief
    assert "Time to fix: - (not fixed)" in debrief


def test_a_podman_drill_resumed_is_won_under_a_name_that_tells_nothing(podman, tmp_path):  # noqa: F811
    """conmon stopped under a neutral name; SIGCONT (the playbook's resume) wins it: the
    engine answers, a new exec runs, the container still runs under its conmon."""
    import signal
    from hangconsole.actions.guard import Target, send, start_ticks
    drill = Drill(podman, ["stopped-shim"], directory=str(tmp_path / "drill"), seed=4)
    drill.start(say=lambda *_: None)
    try:
        h = drill.hidden[0]
        assert "hc-" not in h["name"] and h["name"] in drill.page
        snap = drill.source(record=False).snapshot()
        assert [c.id for c in snap.containers] == [h["cid"]]
        send(Target(h["shim"], start_ticks(h["shim"]), "conmon", "conmon", None), signal.SIGCONT,
             drill.incident, dry_run=False, why="test: the resume step")
    finally:
        won, text = drill.finish()
    debrief = "\n".join(text)
    assert won and "Risky acts: none" in debrief, debrief
    assert f"[ok] a new exec into {h['name']} runs" in debrief and "under its shim" in debrief
