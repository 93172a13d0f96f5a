"""Loading and validating playbook files. Every problem is one line naming the file and the
step; a broken file is reported, never raised into the console."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field

KINDS = ("explain", "check", "evidence", "act", "verify", "terminal", "operator")
CONFIRM = ("yes", "typed")


@dataclass
class Step:
    kind: str
    text: str
    condition: str | None = None
    action: str | None = None
    destructive: bool = False
    confirm: str | None = None
    params: dict = field(default_factory=dict)
    wait: float = 0.0
    if_fails: str = "stop"
    if_passes: str = "continue"       # verify: "done" ends the walk there (the least harmful remedy worked)
    command: str | None = None        # terminal steps: strace, nsenter
    task: str | None = None           # operator steps: what the operator does outside the console


@dataclass
class Playbook:
    id: str
    title: str
    classes: list[str]
    summary: str
    steps: list[Step]
    path: str = ""


class PlaybookError(ValueError):
    pass


def bundled_dir() -> str:
    from .. import playbooks_dir
    return playbooks_dir()


def load(path: str) -> Playbook:
    from .conditions import CONDITIONS
    from .actions import ACTIONS
    name = os.path.basename(path)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as e:
        raise PlaybookError(f"{name}: cannot read: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise PlaybookError(f"{name}: not valid TOML: {e}") from None

    def need(d: dict, key: str, typ, where: str):
        if key not in d:
            raise PlaybookError(f"{name}: {where}missing '{key}'")
        if not isinstance(d[key], typ):
            raise PlaybookError(f"{name}: {where}'{key}' must be {typ.__name__}")
        return d[key]
    pid = need(data, "id", str, "")
    if pid != os.path.splitext(name)[0]:
        raise PlaybookError(f"{name}: id '{pid}' must match the file name")
    classes = need(data, "classes", list, "")
    from ..diagnose.engine import CLASSES
    for c in classes:
        if c not in CLASSES:
            raise PlaybookError(f"{name}: unknown hang class '{c}' (known: {', '.join(CLASSES)})")
    steps = []
    raw_steps = need(data, "steps", list, "")
    if not raw_steps:
        raise PlaybookError(f"{name}: a playbook needs at least one step")
    for i, s in enumerate(raw_steps):
        where = f"steps[{i}]: "
        if not isinstance(s, dict):
            raise PlaybookError(f"{name}: {where}must be a table")
        kind = need(s, "kind", str, where)
        if kind not in KINDS:
            raise PlaybookError(f"{name}: {where}unknown kind '{kind}' (known: {', '.join(KINDS)})")
        step = Step(kind=kind, text=need(s, "text", str, where))
        unknown = set(s) - {"kind", "text", "condition", "action", "destructive", "confirm", "params",
                            "wait", "if_fails", "if_passes", "command", "task"}
        if unknown:
            raise PlaybookError(f"{name}: {where}unknown key(s) {', '.join(sorted(unknown))}")
        if kind in ("check", "verify"):
            step.condition = need(s, "condition", str, where)
            if step.condition not in CONDITIONS:
                raise PlaybookError(f"{name}: {where}unknown condition '{step.condition}' "
                                    f"(known: {', '.join(sorted(CONDITIONS))})")
            step.wait = float(s.get("wait", 0))
            step.if_fails = s.get("if_fails", "stop")
            if step.if_fails not in ("stop", "continue"):
                raise PlaybookError(f"{name}: {where}if_fails must be 'stop' or 'continue'")
            step.if_passes = s.get("if_passes", "continue")
            if step.if_passes not in ("continue", "done") or step.if_passes == "done" and kind != "verify":
                raise PlaybookError(f"{name}: {where}if_passes must be 'continue' or 'done' (verify steps only)")
        if kind == "act":
            step.action = need(s, "action", str, where)
            if step.action not in ACTIONS:
                raise PlaybookError(f"{name}: {where}unknown action '{step.action}' "
                                    f"(known: {', '.join(sorted(ACTIONS))})")
            step.destructive = need(s, "destructive", bool, where)
            if ACTIONS[step.action].destructive and not step.destructive:
                raise PlaybookError(f"{name}: {where}action '{step.action}' is destructive: say destructive = true")
            step.confirm = s.get("confirm", "typed" if step.destructive else None)
            if step.destructive and step.confirm not in CONFIRM:
                raise PlaybookError(f"{name}: {where}a destructive step needs confirm = 'yes' or 'typed'")
            step.params = s.get("params", {})
            if not isinstance(step.params, dict):
                raise PlaybookError(f"{name}: {where}params must be a table")
        if kind == "terminal":
            step.command = need(s, "command", str, where)
            if step.command not in ("strace", "nsenter"):
                raise PlaybookError(f"{name}: {where}command must be 'strace' or 'nsenter'")
        if kind == "operator":
            from ..diagnose.registry import OPERATOR_TASKS
            step.task = need(s, "task", str, where)
            if step.task not in OPERATOR_TASKS:
                raise PlaybookError(f"{name}: {where}unknown operator task '{step.task}' "
                                    f"(known: {', '.join(sorted(OPERATOR_TASKS))})")
        steps.append(step)
    return Playbook(id=pid, title=need(data, "title", str, ""), classes=classes,
                    summary=need(data, "summary", str, ""), steps=steps, path=path)


def load_all(directory: str | None = None) -> tuple[dict[str, Playbook], list[str]]:
    """Every playbook in DIRECTORY, and the errors of the broken ones (never raised)."""
    directory = directory or bundled_dir()
    books, errors = {}, []
    for f in sorted(os.listdir(directory)):
        if f.endswith(".toml"):
            try:
                pb = load(os.path.join(directory, f))
                books[pb.id] = pb
            except PlaybookError as e:
                errors.append(str(e))
    return books, errors
