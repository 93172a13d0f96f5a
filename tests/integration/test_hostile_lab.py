"""The `hostile` lab fault on the real Docker engine: processes named `[/]` and a title-rewrite
escape, escapes and a bidi override in argv and pod labels, an exec whose stderr pipe fills
with escape sequences. Every face shows it literally and inertly: snapshot, diagnose (text and
JSON, exact values), the console walked screen by screen and in tmux (its title untouched),
`fix --yes` draining every byte, and the report."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

from hangconsole.actions.incident import Incident
from hangconsole.lab import hostile
from tests.helpers.hostile import raw_controls
from tests.integration.test_fix_lab import fault, hc
from tests.integration.test_lab import on


def test_hostile_text_on_docker_stays_inert(lab, tmp_path):
    cid = fault(lab, "hostile")
    r = hc(lab, "snapshot")
    assert r.returncode == 0 and raw_controls(r.stdout) == [], raw_controls(r.stdout)
    assert "[/]" in r.stdout and "\\x1b]0;PWNED\\x07" in r.stdout and "\\u202e" in r.stdout
    d = hc(lab, "diagnose", "--json")
    assert raw_controls(d.stdout) == []
    report = json.loads(d.stdout)
    f = on(report, cid)["stuck-pipe"]
    assert "stderr" in " ".join(c["text"] for c in f["causes"]), f["causes"]
    chain = f["evidence"]["chain"]
    assert any(hostile.TITLE in c["argv"] for c in chain) or "[/]" in json.dumps(report), "exact values in JSON"
    t = hc(lab, "diagnose")
    assert raw_controls(t.stdout) == [] and "stuck-pipe" in t.stdout

    inc = tmp_path / "inc"
    r = hc(lab, "fix", "stuck-pipe", "--container", "hc-hostile", "--incident-dir", str(inc), "--yes")
    assert raw_controls(r.stdout + r.stderr) == [], raw_controls(r.stdout + r.stderr)
    drains = [a for a in Incident(str(inc)).audit_lines() if a["action"] == "drain-pipe"]
    assert len(drains) == 1, r.stdout
    with open(drains[0]["detail"]["to"], "rb") as fh:
        data = fh.read()
    # the bytes, exact, on disk (from wherever the shim had stopped reading)
    # (how much the shim had copied before the client stalled varies: at least the full pipe is left)
    assert data.count(b"\x1b]0;PWNED\x07\x1b[2J[/]\n") > 3000 and len(data) >= 65536, len(data)
    rep = hc(lab, "report", "--incident-dir", str(inc))
    assert rep.returncode == 0
    md = open(inc / "report.md").read()
    assert raw_controls(md) == [] and raw_controls(rep.stdout) == []


async def test_the_console_walks_the_hostile_container(lab):
    from hangconsole.collect.live import LiveSource
    from hangconsole.screens.app import HangConsoleApp
    from tests.ui.test_hostile_text import visit
    fault(lab, "hostile")
    src = LiveSource(lab.docker_host)
    app = HangConsoleApp(src, interval=1.0)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(200):                          # samples until the stuck pipe is named
                await pilot.pause(0.1)
                if app.snapshot is not None and app.findings:
                    break
            shown = [await visit(pilot)]
            shown.append(await visit(pilot, "enter"))
            for _ in range(3):
                shown.append(await visit(pilot, "tab"))
            shown.append(await visit(pilot, "escape", "f"))
            shown.append(await visit(pilot, "escape", "k"))
            shown.append(await visit(pilot, "escape"))
    finally:
        src.close()
    text = "\n".join(shown)
    assert "[/]" in text and "PWNED" in text


def test_the_console_in_tmux_keeps_its_title(lab, tmp_path):
    """The console in a real terminal (tmux, 120x40) on the hostile container: the pane's
    title is not rewritten, the screen shows the escapes as text, q quits with status 0."""
    assert shutil.which("tmux"), "tmux is installed by tests/run.sh"
    fault(lab, "hostile")
    exe = shutil.which("hangconsole")
    sock = str(tmp_path / "tmux.sock")
    tmux = ["tmux", "-S", sock]
    env = dict(os.environ, DOCKER_HOST=lab.docker_host, TERM="xterm-256color")
    subprocess.run([*tmux, "new-session", "-d", "-s", "hc", "-x", "120", "-y", "40", "-n", "hc",
                    f"{exe}; echo exit=$?; sleep 30"], env=env, check=True)
    try:
        subprocess.run([*tmux, "select-pane", "-t", "hc", "-T", "clean-title"], check=True)

        def pane() -> str:
            return subprocess.run([*tmux, "capture-pane", "-p", "-t", "hc"], capture_output=True, text=True).stdout

        end = time.monotonic() + 60
        while "stuck-pipe" not in pane() and time.monotonic() < end:
            time.sleep(0.5)
        subprocess.run([*tmux, "send-keys", "-t", "hc", "Enter"], check=True)   # the worst container: hc-hostile
        end = time.monotonic() + 20
        while "PWNED" not in pane() and time.monotonic() < end:
            time.sleep(0.5)
        screen = pane()
        title = subprocess.run([*tmux, "display", "-p", "-t", "hc", "#{pane_title}"], capture_output=True,
                               text=True).stdout.strip()
        assert title == "clean-title", title
        assert "[/]" in screen and "\\x1b]0;PWNED" in screen, screen
        subprocess.run([*tmux, "send-keys", "-t", "hc", "q"], check=True)
        end = time.monotonic() + 20
        while "exit=" not in pane() and time.monotonic() < end:
            time.sleep(0.5)
        assert "exit=0" in pane(), pane()
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
