"""Training mode: a recorded incident worked symptom-first. The trainee reads the page the
on-call received, looks around, commits to a hypothesis (a hang class and a container, or
"don't know"), and only then sees the findings; then walks the playbook (simulated). The
debrief teaches: the hypothesis scored, the root-cause chain, what the report's engineers did
and how long it took them, what the trainee looked at and skipped, the actions that were
risky for this incident, and the long-term fixes. Saved as Markdown and JSON."""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field

from .incidents import Incident as Recorded
from . import training_chain as tc
from .incidents import story
from .playbook.schema import Playbook, load_all

DONT_KNOW = "don't know"
# what a trainee can look at, and how it is noted (TrainingSession.look)
LOOKS = {"container": "the stuck container's process tree", "pipes": "its pipes",
         "kernel-log": "the kernel log", "stacks": "the goroutine stacks",
         "findings": "the findings and their evidence"}


@dataclass
class Event:
    at: float
    what: str                   # page, looked, hypothesis, opened-findings, started-playbook, step, finished
    detail: str


@dataclass
class Hypothesis:
    cls: str                    # a hang class, or DONT_KNOW
    container: str | None       # full id, or None
    at: float
    chain: list[str] = field(default_factory=list)   # training_chain.LINKS keys, root first


@dataclass
class TrainingSession:
    incident: Recorded
    clock: object = time.monotonic
    events: list[Event] = field(default_factory=list)
    started: float = 0.0
    hypothesis: Hypothesis | None = None
    acts: list[dict] = field(default_factory=list)   # simulated acts: action, targets, container

    def __post_init__(self):
        self.started = self.clock()
        self.story = story(self.incident.name)

    # --- what the trainee does ------------------------------------------------------------
    def note(self, what: str, detail: str) -> None:
        self.events.append(Event(self.clock() - self.started, what, detail))

    def look(self, what: str, detail: str = "") -> None:
        if what in LOOKS:
            self.note("looked", what + (f" {detail}" if detail else ""))

    def commit(self, cls: str, container: str | None, chain: list[str] | None = None) -> None:
        """The trainee's hypothesis; the findings show after it."""
        if self.hypothesis is None:
            self.hypothesis = Hypothesis(cls, container, self.clock() - self.started, list(chain or []))
            self.note("hypothesis", f"{cls} on {container[:12] if container else 'no container'}"
                      + (f"; chain {' -> '.join(chain)}" if chain else ""))

    def chain_choices(self) -> list[str]:
        """The links offered for the chain: the answer's and distractors (training_chain)."""
        return tc.choices(self.incident.name, self.story.get("answer", []))

    def acted(self, action: str, targets: list[dict], container: str | None) -> None:
        self.acts.append({"action": action, "targets": targets, "container": container})

    @property
    def findings_hidden(self) -> bool:
        return self.hypothesis is None

    # --- judging ----------------------------------------------------------------------------
    def expected_playbook(self) -> Playbook | None:
        books, _ = load_all()
        return next((b for b in books.values() if self.incident.expect in b.classes), None)

    def score(self, expected_container: str | None, risky: int = 0) -> dict:
        h = self.hypothesis
        if h is None:
            return {"made": False, "points": max(0, -tc.RISKY_POINTS * risky), "risky": risky}
        right_cls = h.cls == self.incident.expect
        alternate = h.cls in self.story.get("alternates", [])
        right_ctr = expected_container is None or (h.container == expected_container)
        verdict = ("don't know" if h.cls == DONT_KNOW else "right" if right_cls and right_ctr
                   else "right class, wrong container" if right_cls
                   else "an acceptable alternate" if alternate else "wrong")
        answer = self.story.get("answer", [])
        pts = tc.score(h.chain, answer, h.cls, self.incident.expect, self.story.get("alternates", []),
                       right_ctr and h.cls != DONT_KNOW, risky)
        return {"made": True, "class": h.cls, "container": h.container, "verdict": verdict,
                "expected_class": self.incident.expect, "expected_container": expected_container,
                "seconds": round(h.at, 1), "chain": h.chain, "answer": answer, **pts, "risky": risky}

    def risky(self, expected_container: str | None, pod_of: dict[str, list[str]]) -> list[str]:
        """Acts that were risky for this incident: not part of its fix, against another
        container than the stuck one, a shim that serves a whole pod, or what the report
        names as risky here (a limit raise in seed 002 hides the runaway)."""
        exp = self.expected_playbook()
        steps = exp.steps if exp else []
        expected_actions = ({s.action for s in steps if s.kind == "act"}         # the fix's acts, and
                            | {s.task for s in steps if s.kind == "operator"})    # what it asks the operator
        named = {r["act"]: r for r in self.story.get("risky", []) if "act" in r}
        out, done = [], set()
        for a in self.acts:
            action, who = a["action"], ", ".join(f"{t['comm']} {t['pid']}" for t in a["targets"])
            rule = named.get(action)    # "unless_after": risky only before that act ("act:role" for one target kind)
            after = rule.get("unless_after") if rule else None
            named_risky = rule is not None and not any(d == after or d.startswith(f"{after}-") for d in done)
            done.add(action)
            done.update(f"{action}:{t.get('role')}" for t in a["targets"])
            if expected_container and a["container"] and a["container"] != expected_container:
                out.append(f"{action} on {who}: that is not the stuck container ({a['container'][:12]})")
            elif named_risky:
                out.append(f"{action} ({who}): {rule.get('why', '')}")
            elif action == "kill-process":
                out.append(f"you killed {who} by hand: not part of the fix for {self.incident.expect}")
            elif action not in expected_actions:
                out.append(f"{action} ({who}): not part of the fix for {self.incident.expect}")
            if action == "kill-shim" and len(pod_of.get(a["container"] or "", [])) > 1:
                out.append(f"kill-shim ({who}) ended every container of the pod: "
                           + ", ".join(pod_of[a["container"]]))
        return out

    # --- the debrief -----------------------------------------------------------------------
    def debrief(self, expected_container: str | None = None, causes: list[str] | None = None,
                pod_of: dict[str, list[str]] | None = None, check_first: str | None = None,
                has_pipes: bool = True) -> dict:
        st = self.story
        risky = self.risky(expected_container, pod_of or {})
        score = self.score(expected_container, len(risky))
        done = next((e for e in self.events if e.what == "finished"), None)
        fixed = done is not None and done.detail == "done"       # a fix is claimed only when verified
        looked = sorted({e.detail.split()[0] for e in self.events if e.what == "looked"})
        relevant = [k for k in LOOKS if (k != "stacks" or self.incident_has_stacks) and (k != "pipes" or has_pipes)]
        return {
            "incident": self.incident.name, "title": self.incident.title, "page": st.get("page", ""),
            "hypothesis": score,
            "root_cause": st.get("root_cause", ""),
            "chain": st.get("chain") or causes or [],
            "engineers": st.get("engineers", []), "engineers_took": st.get("took_total", ""),
            "looked_at": [LOOKS[k] for k in looked if k in LOOKS],
            "skipped": [LOOKS[k] for k in relevant if k not in looked],
            "playbook": {"expected": (self.expected_playbook().id if self.expected_playbook() else None),
                         "used": [e.detail for e in self.events if e.what == "started-playbook"]},
            "declined": len([e for e in self.events if e.what == "step" and e.detail.startswith("refused")]),
            "risky": risky,
            "risky_here": [f"{r.get('action', '')}: {r.get('why', '')}" for r in st.get("risky", [])],
            "fixes": st.get("fixes", []),
            "time_to_hypothesis_s": score.get("seconds"),
            # the root cause is reached when the hypothesis names it (the primary class)
            "time_to_root_cause_s": score.get("seconds") if score.get("class_verdict") == "primary" else None,
            "looked_before_acts": self._looked_before_acts(),
            "time_to_fix_s": round(done.at, 1) if fixed else None,
            "outcome": done.detail if done else "not finished",
            "check_first": st.get("check_first") or check_first,
            "timeline": [asdict(e) for e in self.events],
        }

    def _looked_before_acts(self) -> list[dict]:
        """Each act that ran, with what the trainee had looked at before it."""
        seen: list[str] = []
        out = []
        for e in self.events:
            if e.what == "looked" and (k := e.detail.split()[0]) in LOOKS and LOOKS[k] not in seen:
                seen.append(LOOKS[k])
            elif e.what == "step" and e.detail.startswith("ok act"):
                out.append({"act": e.detail[len("ok act "):], "at": round(e.at, 1), "looked_at": list(seen)})
        return out

    @property
    def incident_has_stacks(self) -> bool:
        from .incidents import HERE
        return any(f.startswith(self.incident.name + "-") for f in os.listdir(HERE))


def debrief_lines(d: dict) -> list[str]:
    """The debrief as the screen and the Markdown file show it."""
    h = d["hypothesis"]
    out = [f"Incident: {d['incident']}", ""]
    if h.get("made"):
        ctr = (h["container"] or "none")[:12]
        out.append(f"Your hypothesis: {h['class']} on {ctr} after {h['seconds']:.0f} s: {h['verdict']}"
                   + ("" if h["verdict"] == "right" else
                      f" (it was {h['expected_class']} on {(h['expected_container'] or 'the host')[:12]})"))
    else:
        out.append("You made no hypothesis.")
    if "points" in h:
        p = h.get("parts", {})
        out.append(f"Score: {h['points']}/100" + (
            f": chain {p['chain']}/{tc.CHAIN_POINTS} ({h['in_order']} of {h['of']} links in order, "
            f"{h['distractors']} distractor{'s' if h['distractors'] != 1 else ''}), class {p['class']}/"
            f"{tc.CLASS_POINTS} ({h['class_verdict']}), container {p['container']}/{tc.CONTAINER_POINTS}"
            if p else "") + (f", risky acts {-tc.RISKY_POINTS * h['risky']}" if h.get("risky") else ""))
    if h.get("made"):
        out.append("Your chain: " + (" -> ".join(tc.LINKS.get(k, k) for k in h["chain"]) or "(none)"))
        if h.get("answer"):
            out.append("The answer's chain: " + " -> ".join(tc.LINKS.get(k, k) for k in h["answer"]))
    pb = d["playbook"]
    if not pb["used"]:
        out.append("You did not run a playbook.")
    elif pb["expected"] and pb["used"][0] == pb["expected"]:
        out.append(f"Right playbook: {pb['used'][0]}.")
    else:
        out.append(f"Wrong playbook first: {pb['used'][0]} (expected {pb['expected'] or 'none'}).")
    out += [f"Risky: {r}" for r in d["risky"]] or ["No risky action."]
    if d["declined"]:
        out.append(f"Declined {d['declined']} confirmation(s).")
    rc = d.get("time_to_root_cause_s")
    out.append(f"Outcome {d['outcome']}; time to hypothesis "
               + (f"{d['time_to_hypothesis_s']:.0f} s" if d["time_to_hypothesis_s"] is not None else "-")
               + "; time to root cause " + (f"{rc:.0f} s" if rc is not None else "- (the hypothesis did not name it)")
               + "; time to fix " + (f"{d['time_to_fix_s']:.0f} s" if d["time_to_fix_s"] is not None
                                     else "- (nothing was fixed and verified)"))
    for a in d.get("looked_before_acts", []):
        out.append(f"Before {a['act']} ({a['at']:.0f} s) you had looked at: "
                   + (", ".join(a["looked_at"]) or "nothing beyond the overview"))
    if d.get("check_first"):
        out += ["", "Next time, check first:", f"  {d['check_first']}"]
    if d["root_cause"]:                          # one paragraph: the screen wraps it to its width
        out += ["", "Root cause:", "  " + " ".join(d["root_cause"].split())]
    if d["chain"]:
        out += ["", "The chain, root first:"] + [f"  {'-> ' if i else ''}{c}" for i, c in enumerate(d["chain"])]
    if d["engineers"]:
        out += ["", "What the report's engineers did" + (f" ({d['engineers_took']})" if d["engineers_took"] else "") + ":"]
        out += [f"  {i + 1}. {e.get('step', '')}" + (f" ({e['took']})" if e.get("took") else "")
                for i, e in enumerate(d["engineers"])]
    out += ["", "You looked at: " + (", ".join(d["looked_at"]) or "nothing beyond the overview")]
    if d["skipped"]:
        out.append("You skipped: " + ", ".join(d["skipped"]))
    if d.get("risky_here"):
        out += ["", "Risky in this incident:"] + [f"  - {r}" for r in d["risky_here"]]
    if d["fixes"]:
        out += ["", "Long-term fixes:"] + [f"  - {f}" for f in d["fixes"]]
    out += ["", "How the score is counted:"] + [f"  - {r}" for r in tc.RUBRIC]
    return out


def save(d: dict, directory: str) -> tuple[str, str]:
    """debrief.md and debrief.json in DIRECTORY."""
    os.makedirs(directory, exist_ok=True)
    md, js = os.path.join(directory, "debrief.md"), os.path.join(directory, "debrief.json")
    with open(md, "w") as f:
        f.write("# Training debrief\n\n" + "\n".join(debrief_lines(d)) + "\n")
    with open(js, "w") as f:
        json.dump(d, f, indent=1)
    return md, js
