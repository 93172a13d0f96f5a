"""The one boundary for host text (hangconsole.safetext), and every text face pushed through it
with generated hostile strings: views, the diagnose report, the incident report (Markdown),
the stacks summary, the NPD line, the metrics. No face raises, none lets a character through
that a terminal would act on, JSON keeps the exact value."""
from __future__ import annotations

import json
import os
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hangconsole import safetext as s
from tests.helpers.hostile import HOSTILE, SUFFIX, raw_controls, taint

# hostile text: the crafted cases, and generated strings rich in controls, format characters,
# separators, surrogates and markup
# Surrogates as host text has them: bytes that are not UTF-8 decode (surrogateescape) to lone
# U+DC80..U+DCFF, never a high surrogate, so never a pair that JSON would join on reading back.
ALPHABET = st.one_of(
    st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Lu", "Ll", "Nd", "Ps", "Pe", "Po", "Sm", "Zs"]),
    st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF))
TEXT = st.one_of(st.sampled_from(HOSTILE), st.text(ALPHABET, max_size=60),
                 st.lists(st.sampled_from(HOSTILE + ["[", "]", "/", "\\", "`", "|", "\n"]), max_size=8).map("".join))
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_every_invisible_code_point_is_escaped():
    """Every Cc, Cf, Zl, Zp and Cs code point of this Python's Unicode is made visible."""
    missed = [hex(c) for c in range(0x110000)
              if unicodedata.category(chr(c)) in ("Cc", "Cf", "Zl", "Zp", "Cs") and s.visible(chr(c)) == chr(c)]
    assert missed == []


def test_visible_shows_escapes_and_markup_literally():
    assert s.visible("a\x1b]0;PWNED\x07[/]") == "a\\x1b]0;PWNED\\x07[/]"
    assert s.visible("\u202egnp.exe") == "\\u202egnp.exe"
    assert s.visible("x\udcffy") == "x\\xffy"                   # a byte that was not UTF-8
    assert s.visible("one\ntwo") == "one\\x0atwo"                # one value is one line
    assert s.visible_lines("one\ntwo\tx\r") == "one\ntwo\tx\\x0d"


def test_long_values_are_cut_with_their_length():
    argv = "A" * 1_000_000
    out = s.visible(argv)
    assert len(out) < 2100 and out.endswith("… [1,000,000 characters, cut]")
    assert s.visible("abcdefghij", 5) == "abcd…"


@given(TEXT)
@FAST
def test_visible_is_inert_and_idempotent(text):
    once = s.visible(text, None)
    assert not s.has_raw_control(once) and "\n" not in once and "\t" not in once
    assert s.visible(once, None) == once
    lines = s.visible_lines(text)
    assert not s.has_raw_control(lines)


@given(TEXT)
@FAST
def test_json_keeps_the_exact_value_and_is_inert(text):
    out = s.json_dumps({"v": text}, indent=1)
    assert not s.has_raw_control(out)
    assert json.loads(out)["v"] == text


@given(TEXT)
@FAST
def test_markdown_cannot_make_links_html_code_or_tables(text):
    md = s.markdown(text)
    assert not s.has_raw_control(md)
    for c in "[]<>`|":
        assert md.count(c) == md.count("\\" + c)                 # every one escaped
    code = s.markdown_code(text)
    fence = code[:len(code) - len(code.lstrip("`"))]
    assert code.endswith(fence) and fence not in code[len(fence):-len(fence)]


# --- every text face, on a recording with hostile text in every host field ------------------
def _tainted_frames(name: str = "lab-stopped-shim"):
    from hangconsole.incidents import find
    from hangconsole.record.fileformat import Recording
    rec = Recording(find(name).path)
    return [taint(rec.frame(i)) for i in range(len(rec))]


def test_text_faces_on_a_hostile_recording(tmp_path):
    from hangconsole import report, views
    from hangconsole.actions.incident import Incident
    from hangconsole.diagnose import report as dreport
    from hangconsole.diagnose.engine import diagnose, verdict
    from hangconsole.diagnose.history import History
    from hangconsole.fleet import check, metrics, npd
    for name in ("lab-stopped-shim", "lab-stuck-pipe", "seed-000", "seed-001"):
        frames = _tainted_frames(name)
        h = History(frames)
        findings = diagnose(h)
        status, _ = verdict(findings)
        faces = {"snapshot": views.text_report(frames[-1]),
                 "diagnose": dreport.as_text(h, findings, status, None),
                 "diagnose --json": s.json_dumps(dreport.as_json(h, findings, status, 0, None), indent=1)}
        res = check.Result("problem" if findings else "ok", [check.compact(f, frames[-1]) for f in findings],
                           snapshot=frames[-1], sampled_at=1.0)
        code, line = npd.line(res, None, 80)
        faces["npd"] = line
        faces["metrics"] = metrics.render(res, now=2.0)
        inc = Incident(str(tmp_path / name))
        with open(inc.file("findings.json"), "w") as f:
            json.dump({"findings": [x.to_json() for x in findings]}, f)
        faces["report.md"] = open(report.write(inc)).read()
        for face, text in faces.items():
            assert raw_controls(text) == [], (name, face, raw_controls(text))
        assert "\n" not in line and len(line.encode()) <= 80
        if any(SUFFIX[:3] in (p.comm or "") for p in frames[-1].processes):
            assert "[/]" in faces["snapshot"] and "\\x1b]0;PWNED\\x07" in faces["snapshot"]


@given(TEXT)
@FAST
def test_stacks_summary_of_a_hostile_dump(text):
    from hangconsole import stacks
    func = "main.(*T)." + text.replace("\n", " ").replace("\r", " ")
    dump = (f"goroutine 1 [chan receive, 5 minutes]:\n{func}()\n\t/src/{text[:20]}.go:12 +0x2f\n"
            "created by main.main\n\t/src/m.go:3 +0x1\n\n")
    out = stacks.render(stacks.summarise_text(dump * 3))
    assert raw_controls(out) == []


@given(TEXT, TEXT)
@FAST
def test_npd_line_and_metrics_with_hostile_names(name, summary):
    from hangconsole.fleet import check, metrics, npd
    f = {"class": "stuck-pipe", "severity": "warning", "container": "c" * 64, "name": name, "pod": name,
         "namespace": summary[:10] or None, "k8s_container": None, "summary": summary, "stuck_for": 6.0,
         "root_cause": None}
    res = check.Result("problem", [f], sampled_at=1.0)
    code, line = npd.line(res, None, 80)
    assert code == 1 and raw_controls(line) == [] and "\n" not in line
    text = metrics.render(res, now=2.0)
    assert raw_controls(text) == []
    assert os.linesep not in "".join(l for l in text.splitlines() if l.startswith("hangconsole_findings"))
