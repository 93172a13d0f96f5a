"""The debrief claims only what happened: a time to fix only when the walk ended with its
verify passing; "you skipped its pipes" only where the stuck container has pipes; and it says
what to check first next time."""
from __future__ import annotations

from hangconsole.incidents import find
from hangconsole.training import TrainingSession, debrief_lines


def session(outcome: str) -> TrainingSession:
    t = iter(range(0, 1000, 3))
    s = TrainingSession(find("seed-004"), clock=lambda: float(next(t)))
    s.commit("pidns-linger", None)
    s.note("finished", outcome)
    return s


def test_no_time_to_fix_without_a_verified_fix():
    for outcome in ("ended by the trainee", "verify-failed", "stopped"):
        d = session(outcome).debrief(None, has_pipes=False)
        assert d["time_to_fix_s"] is None
        assert "time to fix - (nothing was fixed and verified)" in "\n".join(debrief_lines(d))
    assert session("done").debrief(None)["time_to_fix_s"] is not None


def test_pipes_are_not_skipped_where_there_are_none():
    lines = "\n".join(debrief_lines(session("done").debrief(None, has_pipes=False)))
    assert "its pipes" not in lines
    assert "its pipes" in "\n".join(debrief_lines(session("done").debrief(None, has_pipes=True)))


def test_what_to_check_first():
    d = session("done").debrief(None, check_first="the kernel log line (seen in: kernel log)")
    lines = debrief_lines(d)
    assert lines[lines.index("Next time, check first:") + 1].strip() == "the kernel log line (seen in: kernel log)"


def test_time_to_root_cause_and_what_was_seen_before_each_act():
    s = session("done")                               # the right class: the root cause named
    s.look("container", "a46c18158270")
    s.note("step", "ok act kill-leftovers")
    s.look("kernel-log")
    s.note("step", "ok act kill-process sleep 18")
    d = s.debrief(None, has_pipes=False)
    assert d["time_to_root_cause_s"] == d["time_to_hypothesis_s"] is not None
    assert [a["looked_at"] for a in d["looked_before_acts"]] == [
        ["the stuck container's process tree"], ["the stuck container's process tree", "the kernel log"]]
    text = "\n".join(debrief_lines(d))
    assert "Before kill-leftovers" in text and "you had looked at: the stuck container's process tree" in text
    wrong = TrainingSession(find("seed-004"), clock=lambda: 1.0)
    wrong.commit("stuck-pipe", None)
    assert "time to root cause - (the hypothesis did not name it)" in "\n".join(debrief_lines(wrong.debrief(None)))
