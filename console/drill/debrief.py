"""A drill's debrief, from the lab's own answers (victory.py) and the drill's audit log: what
was hidden, whether the lab is fixed, every act in order with its time, the risky ones."""
from __future__ import annotations

from ..views import fmt_age

CHANGING = ("SIGKILL", "SIGTERM", "SIGCONT", "SIGSTOP", "drain-pipe", "raise-pids-max", "thaw")


def _done(a: dict) -> bool:
    """An act that happened: a signal sent, a file written (their audit status words), a
    drain that read (its byte count in the detail); not a dry run, refusal or failure."""
    return not a.get("dry_run") and (a.get("result") in ("sent", "written") or
                                     (a.get("action") == "drain-pipe" and "bytes" in (a.get("detail") or {})))


def _said(a: dict) -> str:
    """What an audit line says the act did, with the values a cgroup write changed."""
    r, d = str(a.get("result", "")), a.get("detail") or {}
    if a.get("action") == "drain-pipe" and "bytes" in d:
        r = f"drained {d['bytes']:,} bytes to {d.get('to')}" + (f" ({r.split('(', 1)[1]}" if "(" in r else "")
    elif a.get("action") == "raise-pids-max" and "new" in d:
        r += f": pids.max {d.get('old')} -> {d['new']} ({d.get('file')})"
    elif a.get("action") == "thaw" and d.get("paths"):
        r += f": {', '.join(d['paths'])}"
    return r if len(r) <= 200 else r[:200].rsplit(" ", 1)[0] + " …"


def risky(hidden: list[dict], audit: list[dict]) -> list[str]:
    """The acts of this drill's audit that hurt more than the fix needed."""
    out = []
    herring = {h["cid"] for h in hidden if h["fault"] == "paused"}
    stopped = {h.get("shim") for h in hidden if h["fault"] == "stopped-shim"}
    for a in audit:
        t = a.get("target") or {}
        if not _done(a):
            continue
        if a["action"] == "SIGKILL" and t.get("pid") in stopped:
            out.append(f"SIGKILL of shim {t['pid']} where SIGCONT would do: it ended the containers it served")
        elif t.get("container_id") in herring or (a["action"] == "thaw" and any(
                c[:12] in str(a.get("detail")) for c in herring)):
            out.append(f"{a['action']} on the container paused on purpose ({t.get('comm') or 'its cgroup'}): "
                       f"a pause is its owner's, not a hang")
        elif a["action"] == "SIGKILL" and (a.get("detail") or {}).get("why", "").startswith("operator"):
            out.append(f"SIGKILL of {t.get('comm')} {t.get('pid')} by hand, outside a playbook")
    return out


def lines(d: dict, checks: list, audit: list[dict], recording: str | None) -> list[str]:
    """The debrief of drill D (drill.json), as text lines."""
    t0, won = d["started"], bool(checks) and all(c.ok for c in checks)
    out = [f"Drill on the {d['engine']} lab ({d['lab_dir']}), checked {fmt_age(d['ended'] - t0)} after the page",
           "", "The page:", d["page"], "",
           "Victory: " + ("YES, every condition holds on the live lab" if won else "NO, the lab is not fixed")]
    out += [f"  [{'ok' if c.ok else 'NO'}] {c.what}: {c.said}" for c in checks]
    out += ["", "What was hidden:"]
    for h in d["hidden"]:
        what = "a red herring: paused on purpose" if h["fault"] == "paused" else h["fault"]
        out.append(f"  {h['name']} ({h['cid'][:12]}): {what}")
    acts = [a for a in audit if a.get("action") not in ("playbook",)]
    out += ["", f"Acts, from the audit log ({len(acts)}):" if acts else "Acts: none (the audit log is empty)"]
    for a in acts:
        tg = a.get("target") or {}
        who = f" {tg.get('comm')} {tg.get('pid')}" if tg else ""
        out.append(f"  +{fmt_age(max(0.0, a['time'] - t0))} {a['action']}{who}: {_said(a)}")
    for a in audit:
        if a.get("action") == "playbook":
            out.append(f"  playbook {a.get('result')}")
    bad = risky(d["hidden"], audit)
    out += ["", "Risky acts: " + ("none" if not bad else str(len(bad)))] + [f"  {b}" for b in bad]
    changed = [a for a in audit if a.get("action") in CHANGING and _done(a)]
    first = next((a for a in audit if _done(a)), None)
    out += ["", "Time to first act: " + (fmt_age(first["time"] - t0) if first else "- (no act)"),
            "Time to fix: " + (fmt_age(changed[-1]["time"] - t0) + " (the last act that changed the lab)"
                               if won and changed else "- (not fixed)" if not won else "- (fixed without an act)")]
    if recording:
        out += ["", f"Recording: {recording} (replay: hangconsole --replay {recording})"]
    return out
