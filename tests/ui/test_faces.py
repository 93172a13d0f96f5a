"""One account, every face: on every bundled incident (the five field reports and each lab
capture), the findings `diagnose` works out are said the same way by its text and JSON faces,
by the console's findings screen and by the NPD line. Every pipe byte count a summary or a
chain link states is the recording's own pipe, marked ≈ where the recording reconstructed
it; a chain link resting on a reconstructed value carries ≈ on every face; no face says a
call "timed out after 0 s"."""
from __future__ import annotations

import re

import pytest

from hangconsole import provenance as pv
from hangconsole.diagnose import report
from hangconsole.diagnose.history import History
from hangconsole.fleet import check as ck
from hangconsole.fleet import npd
from hangconsole.incidents import catalog, find
from hangconsole.record.fileformat import Recording
from hangconsole.safetext import visible_lines
from hangconsole.screens.app import HangConsoleApp
from hangconsole.screens.findings import FindingsScreen
from hangconsole.sources import ReplaySource

from .test_training import settle, wait_screen

NAMES = [i.name for i in catalog()]
COUNT = re.compile(r"(≈?)(\d+)/(\d+)\b")           # "65536/65536", "≈65536/65536" in a sentence


def flat(text: str) -> str:
    return " ".join(text.split())


def account(name: str):
    path = find(name).path
    rec = Recording(path)
    h = History([rec.frame(i) for i in range(max(0, len(rec) - 10), len(rec))])
    extra, _ = report.gather_extra([], None, [], path)
    findings = report.diagnose(h, extra)
    status, code = report.verdict(findings)
    return path, h, findings, status, code


def _pipe_counts(h: History) -> dict[tuple[int, int], bool]:
    """(queued, capacity) of every pipe in the recording's frames -> whether it is reconstructed."""
    out: dict[tuple[int, int], bool] = {}
    for snap in h.snaps:
        for pp in snap.pipes:
            if pp.queued is not None and pp.capacity:
                out[(pp.queued, pp.capacity)] = out.get((pp.queued, pp.capacity), False) or bool(
                    pv.mark(pp, "queued", "capacity"))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_text_json_and_npd_say_what_the_findings_say(name):
    _, h, findings, status, code = account(name)
    text = flat(report.as_text(h, findings, status, None))
    js = report.as_json(h, findings, status, code, None)
    assert [f["summary"] for f in js["findings"]] == [f.summary for f in findings]
    counts = _pipe_counts(h)
    for f in findings:
        assert flat(visible_lines(f.summary)) in text, f.cls
        for c in f.causes:
            said = flat(("≈" if c.get("reconstructed") else "") + visible_lines(c["text"]))
            assert said in text, said
        for sentence in [f.summary] + [c["text"] for c in f.causes]:
            for mark, q, cap in COUNT.findall(sentence):
                if int(cap) in (4096, 8192, 16384, 65536, 1048576) or (int(q), int(cap)) in counts:
                    assert (int(q), int(cap)) in counts, f"{q}/{cap} is no pipe of the recording: {sentence}"
                    assert bool(mark) == counts[(int(q), int(cap))] or not mark and "≈" in sentence, \
                        f"{q}/{cap} is {'' if counts[(int(q), int(cap))] else 'not '}reconstructed: {sentence}"
    assert "after 0 s" not in text
    bad = [f for f in js["findings"] if f["severity"] in ("warning", "critical")]
    if bad:
        res = ck.Result(status="problem", findings=[ck.compact(f, h.latest) for f in findings])
        code_npd, line = npd.line(res, None, 4000)
        first = next(f for f in findings if f.severity in ("warning", "critical"))
        assert code_npd == 1 and line.startswith(first.cls)
        assert flat(npd._evidence({"summary": first.summary, "container": first.container}))[:60] in flat(line)


@pytest.mark.parametrize("name", NAMES)
async def test_the_console_says_what_the_findings_say(name):
    path, h, findings, _, _ = account(name)
    app = HangConsoleApp(ReplaySource(Recording(path)))
    async with app.run_test(size=(160, 60)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        screen = await wait_screen(pilot, FindingsScreen)
        shown = {f.id for f in screen._findings}
        compared = 0
        for f in findings:
            if f.id not in shown:
                continue                       # the console shows the latest frame's; diagnose may add older
            i = [g.id for g in screen._findings].index(f.id)
            screen._detail(i)
            await pilot.pause()
            detail = flat(str(screen.query_one("#detail").content))
            g = screen._findings[i]
            assert flat(visible_lines(g.summary)) in detail
            for c in g.causes:
                said = flat(("≈" if c.get("reconstructed") else "") + visible_lines(c["text"]))
                assert said in detail, said
            assert "after 0 s" not in detail
            assert g.summary == f.summary, "the console and diagnose disagree"
            compared += 1
        assert compared or not findings, "the console shows none of diagnose's findings"
