"""One account: a causal chain is made of typed steps (diagnose/vocabulary.py), and what the
diagnosis chains on a bundled incident agrees with what training teaches as its answer
(stories.toml): the same steps, in the same order. Nothing compares sentences."""
from __future__ import annotations

import pytest

from hangconsole.diagnose import report
from hangconsole.diagnose.history import History
from hangconsole.diagnose.vocabulary import LINKS
from hangconsole.incidents import catalog, find, story
from hangconsole.record.fileformat import Recording

NAMES = [i.name for i in catalog()]


def chains(name: str) -> list[tuple[str, list[dict]]]:
    path = find(name).path
    rec = Recording(path)
    h = History([rec.frame(i) for i in range(max(0, len(rec) - 10), len(rec))])
    extra, _ = report.gather_extra([], None, [], path)
    return [(f.cls, f.causes or []) for f in report.diagnose(h, extra)]


def steps(links: list[dict]) -> list[str]:
    """The chain's keys, root first, a step said by several links in a row counted once."""
    out: list[str] = []
    for lk in links:
        if lk["key"] and (not out or out[-1] != lk["key"]):
            out.append(lk["key"])
    return out


def in_order(part: list[str], whole: list[str]) -> bool:
    it = iter(whole)
    return all(k in it for k in part)


@pytest.mark.parametrize("name", NAMES)
def test_every_link_is_typed_and_every_observation_names_its_step(name):
    for cls, links in chains(name):
        for lk in links:
            assert lk["key"] is None or lk["key"] in LINKS, (cls, lk)
            assert lk["kind"] in ("observed", "inferred"), (cls, lk)
            assert lk["source"], (cls, lk)
            # an observation is a step of the chain; only an explanation (inferred) may be none
            assert lk["key"] or lk["kind"] == "inferred", (cls, lk["text"])
            assert lk.get("reconstructed", "why") and isinstance(lk.get("reconstructed", ""), str), lk


def test_a_link_on_a_reconstructed_value_says_why():
    """Seed 000's report never showed the pipe's size: its pipe-full link is marked, with why."""
    links = dict(chains("seed-000"))["exec-pipe-deadlock"]
    full = next(lk for lk in links if lk["key"] == "pipe-full")
    assert full["text"].startswith("stderr pipe full (≈65536/65536")
    assert "report" in full["reconstructed"] or "reconstruct" in full["reconstructed"], full["reconstructed"]
    seen = next(lk for lk in links if lk["key"] == "kubelet-notready")
    assert "reconstructed" not in seen, seen          # the kubelet's lines are the report's own


@pytest.mark.parametrize("name", NAMES)
def test_the_diagnosis_chain_follows_the_answer_training_teaches(name):
    answer = story(name).get("answer") or []
    found = [(cls, steps(links)) for cls, links in chains(name) if links]
    assert found or name == "lab-paused", name        # a deliberate pause has no chain to walk
    for cls, got in found:
        assert set(got) <= set(answer), (name, cls, sorted(set(got) - set(answer)))
        assert in_order(got, answer), (name, cls, got, answer)


def test_the_steps_are_compared_as_steps_not_sentences():
    """A step said twice (two links of one step) is one step, and an order that differs fails."""
    a = [{"key": "pipe-full"}, {"key": "pipe-full"}, {"key": None}, {"key": "app-write-blocked"}]
    assert steps(a) == ["pipe-full", "app-write-blocked"]
    assert in_order(steps(a), ["client-not-reading", "pipe-full", "app-write-blocked"])
    assert not in_order(["app-write-blocked", "pipe-full"], ["pipe-full", "app-write-blocked"])
