"""Training's hypothesis as a chain: the trainee orders links, root first, chosen from the
catalog's vocabulary with distractors, and commits to a class (the primary one, or one of the
incident's acceptable alternates) and a container. Scored link by link with partial credit;
the rubric is printed in the debrief (RUBRIC)."""
from __future__ import annotations

import hashlib

# The vocabulary (diagnose/vocabulary.py): an incident's answer (stories.toml `answer`) is an
# ordered list of its keys, and its prompt shows them mixed with DISTRACTORS others.
from .diagnose.vocabulary import LINKS

DISTRACTORS = 4

# The rubric: 100 points for the hypothesis, less for each risky act.
CHAIN_POINTS, CLASS_POINTS, CONTAINER_POINTS, RISKY_POINTS = 50, 30, 20, 15
RUBRIC = [
    f"chain {CHAIN_POINTS}: the links you ordered that appear in the answer's order (the longest "
    f"such run counts), over the answer's length; each distractor you chose takes half a link off",
    f"class {CLASS_POINTS}: the primary class; half for an acceptable alternate",
    f"container {CONTAINER_POINTS}: the stuck container (full marks when the hang is the host's)",
    f"risky acts: -{RISKY_POINTS} each (from this run's own acts)",
]


def choices(incident: str, answer: list[str]) -> list[str]:
    """The links offered for INCIDENT: its answer and DISTRACTORS others, in an order that
    is fixed per incident and gives nothing away (sorted by a hash, not by the answer)."""
    def h(k: str) -> str:
        return hashlib.sha256(f"{incident}:{k}".encode()).hexdigest()
    others = sorted((k for k in LINKS if k not in answer), key=h)[:DISTRACTORS]
    return sorted([k for k in answer if k in LINKS] + others, key=h)


def _lcs(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence: links in the right relative order."""
    row = [0] * (len(b) + 1)
    for x in a:
        prev = 0
        for j, y in enumerate(b):
            cur = row[j + 1]
            row[j + 1] = prev + 1 if x == y else max(row[j + 1], row[j])
            prev = cur
    return row[-1]


def score(chain: list[str], answer: list[str], cls: str, primary: str, alternates: list[str],
          container_right: bool, risky: int) -> dict:
    """The hypothesis scored by RUBRIC."""
    in_order = _lcs(chain, answer) if answer else 0
    wrong = [k for k in chain if k not in answer]
    links = max(0.0, in_order - len(wrong) / 2) / len(answer) if answer else 0.0
    cls_part = 1.0 if cls == primary else 0.5 if cls in alternates else 0.0
    parts = {"chain": round(CHAIN_POINTS * links), "class": round(CLASS_POINTS * cls_part),
             "container": CONTAINER_POINTS if container_right else 0, "risky": -RISKY_POINTS * risky}
    return {"points": max(0, sum(parts.values())), "parts": parts, "in_order": in_order,
            "of": len(answer), "distractors": len(wrong),
            "class_verdict": "primary" if cls_part == 1 else "alternate" if cls_part else "wrong"}
