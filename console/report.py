"""The incident report: Markdown in the incident directory, from what the directory holds
(findings.json, audit.log, evidence, drained data, stack dumps)."""
from __future__ import annotations

import json
import os
import time

from .actions.incident import Incident
from .safetext import markdown as md
from .safetext import markdown_code as code


def _t(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def _drained(incident: Incident) -> list[tuple[str, list[dict], int]]:
    """(file, what it says, the pid it was drained from) for every drained file whose bytes
    are recognised (Go aborts, runc errors, panics)."""
    from .diagnose.content import read_edges, recognise
    out = []
    for f in sorted(os.listdir(incident.path)):
        if f.startswith("drained-"):
            found = recognise(read_edges(incident.file(f)))
            if found:
                pid = f.split("-pid", 1)[-1].split("-", 1)[0]
                out.append((f, found, int(pid) if pid.isdigit() else 0))
    return out


def _with_drained(chain: list[dict], drained, fd: dict) -> list[dict]:
    """The chain with what the drained bytes said put before the blocked pipe."""
    from .diagnose.content import headline, is_go_abort
    mine = [d for d in drained if d[2] in (fd.get("pids") or [])]
    if not mine or any(c["source"] == "drained file" for c in chain):
        return chain
    links = [{"key": "go-abort-stderr" if is_go_abort(found) else None,
              "text": f"{'Go abort' if is_go_abort(found) else 'error'} in the drained bytes of {pid}: "
                      f"{headline(found)} ({name})", "kind": "observed", "source": "drained file"}
             for name, found, pid in mine]
    at = next((i for i, c in enumerate(chain) if c.get("key") == "pipe-full"), len(chain))
    return chain[:at] + links + chain[at:]


def write(incident: Incident) -> str:
    lines = [f"# Incident report: {os.path.basename(incident.path)}", ""]
    try:
        with open(incident.file("findings.json")) as f:
            findings = json.load(f)
    except (OSError, ValueError):
        findings = {"findings": []}
    drained = _drained(incident)
    lines += ["## Findings", ""]
    if not findings.get("findings"):
        lines.append("No finding recorded.")
    chains: list[str] = []
    for fd in findings.get("findings", []):
        lines.append(f"- **{md(fd['class'])}** ({md(fd['severity'])}) on {code((fd.get('container') or 'host')[:12])}: "
                     f"{md(fd['summary'])}")
        chain = _with_drained(fd.get("causes") or [], drained, fd)
        text = " -> ".join(c["text"] for c in chain)
        if chain and text not in chains:
            chains.append(text)
            lines.append("  - causal chain, root first:")
            for i, c in enumerate(chain):
                lines.append(f"    {i + 1}. {md(c['text'])} ({md(c['kind'])}; {md(c['source'])})")
        elif chain:
            lines.append("  - causal chain: as above")
        for key, val in (fd.get("evidence") or {}).items():
            if val not in (None, [], {}):
                lines.append(f"  - {md(key.replace('_', ' '))}: {code(json.dumps(val), 300)}")
    lines += ["", "## Timeline (audit log)", "", "| time | user | action | target | result |", "|---|---|---|---|---|"]
    for a in incident.audit_lines():
        tgt = a.get("target") or {}
        target = f"{tgt.get('comm', '')} {tgt.get('pid', '')} (start {tgt.get('start_ticks', '')})" if tgt else ""
        lines.append(f"| {_t(a['time'])} | {md(a['user'])} | {md(a['action'])}{' (dry run)' if a.get('dry_run') else ''} "
                     f"| {md(target)} | {md(a['result'])} |")
    lines += ["", "## Files", ""]
    for f in sorted(os.listdir(incident.path)):
        if f in ("report.md",):
            continue
        size = os.path.getsize(incident.file(f))
        kind = ("evidence snapshot (replay with `hangconsole --replay`)" if f.startswith("evidence-")
                else "drained pipe data, every byte" if f.startswith("drained-")
                else "goroutine dump (`hangconsole stacks`)" if f.startswith("stacks-") else "")
        lines.append(f"- {code(f)} ({size} bytes){': ' + kind if kind else ''}")
    path = incident.file("report.md")
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")
    return path
