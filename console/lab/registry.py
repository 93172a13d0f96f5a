"""The lab engines, one registry line each: `hangconsole lab --engine NAME`. Every lab offers
the same interface (lab/engine.py's Lab says it); a new engine is its class and a line here."""
from __future__ import annotations

import importlib

from .engine import DEFAULT_DIR, LabError

# name -> (module, class, suffix of its default directory)
ENGINES: dict[str, tuple[str, str, str]] = {
    "docker": ("hangconsole.lab.engine", "Lab", ""),
    "containerd": ("hangconsole.lab.containerd_engine", "ContainerdLab", "-ctrd"),
    "podman": ("hangconsole.lab.podman_engine", "PodmanLab", "-podman"),
}


def lab_for(engine: str, directory: str | None):
    try:
        module, cls, suffix = ENGINES[engine]
    except KeyError:
        raise LabError(f"no lab engine {engine!r}: one of {', '.join(ENGINES)}") from None
    return getattr(importlib.import_module(module), cls)(directory or DEFAULT_DIR.rstrip("/") + suffix)
