"""Recorded incidents bundled with hangconsole: the five field reports rebuilt as recordings
(their builders, tools/seeds/seed_NNN.py in the checkout, say which numbers come from the
report and which are reconstructed, and every reconstructed value is marked in the recording;
a hostname, kernel or version a report does not give is left unknown) and captures of the
lab's faults (lab/capture.py)."""
from __future__ import annotations

import os
from dataclasses import dataclass

from ..bundled import INCIDENTS as HERE


@dataclass(frozen=True)
class Incident:
    name: str          # file stem, e.g. seed-000
    title: str
    expect: str        # the hang class a correct diagnosis names
    source: str        # where it comes from

    @property
    def path(self) -> str:
        return os.path.join(HERE, f"{self.name}.hcrec")


def _header(path: str) -> dict:
    """A recording's header line (its title is `note`, its expected class `expect`)."""
    import gzip
    import json
    with gzip.open(path, "rb") as f:
        return json.loads(f.readline())


def seeds() -> list[Incident]:
    out = []
    for n in range(5):
        name = f"seed-{n:03d}"
        h = _header(os.path.join(HERE, f"{name}.hcrec"))
        out.append(Incident(name, h["note"], h["expect"], f"field report {n:03d}"))
    return out


LAB = {  # lab fault -> the class it must be diagnosed as
    "stuck-pipe": "stuck-pipe", "stopped-shim": "shim-unresponsive",
    "pids-exhausted": "pids-exhausted", "oom-kill": "oom-kill", "paused": "paused",
    "log-driver-blocked": "log-driver-blocked",
}


def lab_captures() -> list[Incident]:
    return [Incident(f"lab-{f}", f"lab capture: {f}", cls, "hangconsole lab inject " + f)
            for f, cls in LAB.items() if os.path.exists(os.path.join(HERE, f"lab-{f}.hcrec"))]


def story(name: str) -> dict:
    """What training tells about an incident (stories.toml): the page the on-call received,
    the root cause and chain, what the report's engineers did, risky acts, long-term fixes.
    Empty where an incident has none."""
    import tomllib
    try:
        with open(os.path.join(HERE, "stories.toml"), "rb") as f:
            return tomllib.load(f).get(name, {})
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def page(inc: Incident) -> str:
    """The symptoms only: what the on-call knew before investigating (never the class)."""
    return story(inc.name).get("page", "").strip() or "(no page recorded for this incident)"


def shown_name(inc: Incident, reveal: bool = False) -> str:
    """The name a trainee sees: a lab capture's name is its fault (lab-stuck-pipe), which is
    the answer, so it shows as lab-N (its place in the catalog) unless an instructor reveals."""
    if reveal or not inc.name.startswith("lab-"):
        return inc.name
    labs = [i.name for i in lab_captures()]
    return f"lab-{labs.index(inc.name) + 1}" if inc.name in labs else "lab"


def symptom(inc: Incident) -> str:
    """The page's first sentence, whole (a list line that stops mid-sentence misleads)."""
    import re
    text = " ".join(page(inc).split())
    end = re.search(r"[.!?] (?=[A-Z`\"'(])", text)
    return text[: end.start() + 1] if end else text


def catalog() -> list[Incident]:
    return seeds() + lab_captures()


def find(name: str) -> Incident | None:
    """By name (seed-000, lab-stuck-pipe, 000, stuck-pipe) or by the name training shows (lab-3)."""
    for i in catalog():
        if i.name in (name, f"seed-{name}", f"lab-{name}"):
            return i
    return next((i for i in lab_captures() if shown_name(i) == name), None)
