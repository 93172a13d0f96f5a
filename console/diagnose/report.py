"""Gathering samples for a diagnosis, and writing findings for people and for machines."""
from __future__ import annotations

import time
from collections.abc import Callable

from .. import model as m
from ..safetext import visible
from . import causes as chains
from .engine import diagnose, verdict
from .finding import Finding
from .history import History

DEFAULT_SAMPLES = 3
DEFAULT_INTERVAL = 5.0        # 3 samples 5 s apart: a verdict in about 11 s


# Samples are stamped with /proc/uptime (10 ms steps) read as each starts: a little more than
# INTERVAL between starts keeps two samples "5 s apart" at least 5 s apart as the kernel
# counts, so a state unchanged across them is "stuck" (history.STUCK_AFTER), never 4.99 s.
MARGIN = 0.05


def sample_live(source, samples: int, interval: float,
                sleep: Callable[[float], None] = time.sleep) -> History:
    snaps = []
    for i in range(samples):
        t0 = time.monotonic()
        snaps.append(source.snapshot())
        if i + 1 < samples and interval > 0:
            sleep(max(0.0, interval + MARGIN - (time.monotonic() - t0)))
    return History(snaps)


def gather_extra(stacks: list[str], kubelet_log: str | None, drained: list[str],
                 replay: str | None) -> tuple[chains.Extra, list[str]]:
    """What the causal chain reads besides the samples: goroutine dumps (given, or bundled
    beside a bundled recording), the kubelet's log (given; else what the snapshots carry: the
    live collector reads the journal), drained bytes. Raises OSError for a file that cannot be read."""
    import os
    from . import kubelet
    paths = list(stacks)
    if replay and not stacks:
        stem, here = os.path.splitext(os.path.basename(replay))[0], os.path.dirname(replay)
        from ..bundled import INCIDENTS
        if os.path.samefile(here or ".", INCIDENTS):
            paths += sorted(os.path.join(here, f) for f in os.listdir(here)
                            if f.startswith(stem + "-") and not f.endswith(".hcrec") and "kubelet" not in f)
        elif stem == "recording":               # a capture at detection: its daemons' dumps beside it
            paths += sorted(os.path.join(here, f) for f in os.listdir(here) if f.startswith("stacks-"))
    groups, notes = chains.load_stacks(paths)
    kl = kubelet.read_file(kubelet_log) if kubelet_log else []     # else the snapshots' own (journal)
    from .content import read_edges
    data = [(p, read_edges(p)) for p in drained]
    return chains.Extra(stacks=groups, drained=data, kubelet=kl), notes


def unknown_reason(h: History) -> str | None:
    if not h.latest.root:
        return "not root: other users' fds, syscalls and cgroups are hidden, so hangs cannot be ruled out"
    return None


def as_json(h: History, findings: list[Finding], status: str, code: int, reason: str | None) -> dict:
    snap = h.latest
    return {"status": status, "exit": code, "reason": reason,
            "host": snap.hostname, "taken_at": snap.taken_at, "samples": len(h.snaps),
            "span_seconds": round(h.span, 1), "degraded": snap.degraded,
            "findings": [f.to_json() for f in findings]}


def as_text(h: History, findings: list[Finding], status: str, reason: str | None) -> str:
    snap = h.latest
    worst = findings[0] if findings and findings[0].severity != "info" else None
    head = f"{status}: " + (f"{worst.cls} on {_where(snap, worst)}: {worst.summary}" if worst
                            else reason or "no hang recognised")
    lines = [head, f"{len(h.snaps)} samples over {h.span:.0f} s on {snap.hostname or '(hostname unknown)'}; "
                   f"{len(findings)} finding(s)"]
    from .. import provenance as pv
    if pv.has_reconstructed(snap):
        lines.append(f"{pv.LEGEND} (a field report rebuilt as a recording)")
    if reason and worst:
        lines.append(f"UNKNOWN because {reason}")
    for note in snap.degraded:
        lines.append(f"degraded: {note}")
    shown: set[int] = set()
    for f in findings:
        lines.append("")
        pb = f"  playbook: {f.playbook}" if f.playbook else ""
        lines.append(f"[{f.severity}] {f.cls}  {_where(snap, f)}{pb}")
        lines.append(f"  {f.summary}")
        if f.root_cause:
            lines.append(f"  root cause: {f.root_cause}")
        if f.stuck_note:
            lines.append(f"  unchanged for {f.stuck_note}")
        if f.causes and id(f.causes) in shown:
            lines.append("  causes: the same chain as above")
        else:
            lines.extend(render_chain(f.causes, "  "))
            shown.add(id(f.causes))
        lines.extend(render_evidence(f.evidence, "  "))
    return "\n".join(visible(line, LINE) for line in lines)     # host text is data: each line inert


LINE = 4000                  # characters of one line of text output (a 1 MB argv is cut, its length said)


def render_chain(causes: list[dict], indent: str) -> list[str]:
    """The causal chain, root first, one link a line: what, observed or inferred, from where."""
    if not causes:
        return []
    out = [f"{indent}causes (root first):"]
    for i, c in enumerate(causes):
        arrow = "   " if i == 0 else "-> "
        out.append(f"{indent}  {arrow}{MARK if c.get('reconstructed') else ''}{c['text']}  [{c['kind']}: {c['source']}]")
    return out


def chain_line(causes: list[dict]) -> str:
    return " -> ".join(c["text"] for c in causes)


def _where(snap: m.HostSnapshot, f: Finding) -> str:
    if not f.container:
        return "host"
    c = snap.container(f.container)
    return f"{c.name} ({f.container[:12]})" if c and c.name != f.container[:12] else f.container[:12]


def render_evidence(ev: dict, indent: str) -> list[str]:
    out = []
    marked = ev.get("reconstructed") or {}       # evidence keys whose value was reconstructed
    for key, val in ev.items():
        if val in (None, [], {}):
            continue
        label = (MARK if key in marked else "") + key.replace("_", " ")
        if key == "chain":
            out.append(f"{indent}chain: " + " > ".join(
                f"{_mk(c)}{c['pid']} {c['argv'][:50]} ({c['age_text']}, {c['state']})" for c in val))
            continue
        if key == "pipe":
            ends = lambda es: ", ".join(f"{e['pid']} {e['comm']} fd {e['fd']}" for e in es) or "none"
            out.append(f"{indent}pipe: pipe:[{val['inode']}] {_mk(val)}{val['queued']}/{val['capacity']} bytes "
                       f"queued; readers {ends(val['readers'])}; writers {ends(val['writers'])}")
            continue
        if key == "reconstructed":
            continue
        if isinstance(val, list) and val and isinstance(val[0], str):
            out.append(f"{indent}{label}:")
            out.extend(f"{indent}  {x}" for x in val)
        elif isinstance(val, list) and val and isinstance(val[0], dict):
            out.append(f"{indent}{label}:")
            for item in val:
                out.append(f"{indent}  {_item(item)}")
        elif isinstance(val, dict):
            out.append(f"{indent}{label}: {_item(val)}")
        else:
            out.append(f"{indent}{label}: {val}")
    return out


MARK = "≈"           # provenance.MARK: the item holds a reconstructed value (a rebuilt recording)


def _mk(d: dict) -> str:
    return MARK if isinstance(d, dict) and d.get("reconstructed") else ""


def _item(d: dict) -> str:
    mk = _mk(d)
    if "pid" in d and "argv" in d:
        ns = f" (pid {d['ns_pid']} in its namespace)" if d.get("ns_pid") is not None else ""
        return mk + f"{d['pid']} {d.get('state', '')} {d.get('age_text', '')} {d['argv']}{ns}".replace("  ", " ")
    if "text" in d:
        return mk + ("runc " if d.get("engine") == "runc" else "") + d["text"]    # the runc CLI: only a report runs it
    if "syscall" in d and "tid" in d:
        s = f"tid {d['tid']} {d['state']} {d['syscall'] or ''} wchan {d.get('wchan')}"
        return mk + s + (f" stuck {d['stuck_for']:.0f}s" if d.get("stuck_for") is not None else "")
    return mk + ", ".join(f"{k.replace('_', ' ')} {_short(v, k)}" for k, v in d.items()
                          if v not in (None, [], {}) and k != "reconstructed")


def _short(v, key: str = "") -> str:
    if isinstance(v, int) and ("mem" in key) and v >= 1024:
        from ..views import fmt_bytes
        return fmt_bytes(v)
    if isinstance(v, list):
        return "[" + "; ".join(_item(x) if isinstance(x, dict) else str(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + _item(v) + "}"
    return str(v)


__all__ = ["sample_live", "diagnose", "verdict", "as_json", "as_text", "unknown_reason", "gather_extra",
           "render_chain", "chain_line",
           "DEFAULT_SAMPLES", "DEFAULT_INTERVAL"]
