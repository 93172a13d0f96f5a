"""Scripted trainees on every bundled incident: an expert, a partial, a wrong and a reckless
one. Their scores order them (expert > partial > wrong; the reckless expert below the expert)
and the reckless one is charged for the risky act it made, as the debrief prints it."""
from __future__ import annotations

import pytest

from hangconsole import training_chain as tc
from hangconsole.diagnose.engine import CLASSES, diagnose
from hangconsole.diagnose.history import History
from hangconsole.incidents import catalog, story
from hangconsole.record.fileformat import Recording
from hangconsole.training import TrainingSession, debrief_lines

INCIDENTS = [inc for inc in catalog() if story(inc.name).get("answer")]


def expected_container(inc) -> str | None:
    rec = Recording(inc.path)
    snaps = [rec.frame(i) for i in range(len(rec))]
    return next((f.container for f in diagnose(History(snaps)) if f.cls == inc.expect), None)


def trainee(inc, cls, container, chain, acts=()) -> dict:
    t = iter(range(0, 10_000, 7))
    s = TrainingSession(inc, clock=lambda: float(next(t)))
    s.commit(cls, container, chain)
    for action, target in acts:
        s.acted(action, [target], container)
    return s.debrief(expected_container(inc))


def test_every_incident_has_an_answer_in_the_vocabulary():
    assert len(INCIDENTS) == len(catalog())
    for inc in INCIDENTS:
        st = story(inc.name)
        assert st["answer"] and all(k in tc.LINKS for k in st["answer"]), inc.name
        assert all(c in CLASSES and c != inc.expect for c in st.get("alternates", [])), inc.name
        offered = tc.choices(inc.name, st["answer"])
        assert set(st["answer"]) <= set(offered) and len(offered) == len(st["answer"]) + tc.DISTRACTORS
        assert offered[:len(st["answer"])] != st["answer"] or len(st["answer"]) == 1, "the list gives the order away"


@pytest.mark.parametrize("inc", INCIDENTS, ids=lambda i: i.name)
def test_scripted_trainees_are_ordered_and_the_reckless_one_is_charged(inc):
    st = story(inc.name)
    answer, where = st["answer"], expected_container(inc)
    distractors = [k for k in tc.choices(inc.name, answer) if k not in answer]
    wrong_cls = next(c for c in sorted(CLASSES) if c != inc.expect and c not in st.get("alternates", []))
    half = answer[:max(1, len(answer) // 2)]
    victim = {"pid": 4242, "comm": "bystander", "role": None}

    expert = trainee(inc, inc.expect, where, answer)
    partial = trainee(inc, (st.get("alternates") or [inc.expect])[0], where, half + distractors[:1])
    wrong = trainee(inc, wrong_cls, "0" * 64, distractors[:2])
    reckless = trainee(inc, inc.expect, where, answer, acts=[("kill-process", victim)])

    pts = {k: d["hypothesis"]["points"] for k, d in
           (("expert", expert), ("partial", partial), ("wrong", wrong), ("reckless", reckless))}
    assert pts["expert"] == 100, pts
    assert pts["expert"] > pts["partial"] > pts["wrong"], pts
    assert pts["reckless"] == pts["expert"] - tc.RISKY_POINTS, pts
    assert any("bystander 4242" in r for r in reckless["risky"])
    text = "\n".join(debrief_lines(reckless))
    assert f"risky acts -{tc.RISKY_POINTS}" in text and "How the score is counted:" in text
    assert "No risky action." in "\n".join(debrief_lines(expert))
