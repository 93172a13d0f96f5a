"""The incident report: Markdown in the incident directory, from what the directory holds
(findings.json, audit.log, evidence, drained data, stack dumps)."""
from __future__ import annotations

import json
import os
import time

from .actions.incident import Incident


def _t(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def write(incident: Incident) -> str:
    lines = [f"# Incident report: {os.path.basename(incident.path)}", ""]
    try:
        with open(incident.file("findings.json")) as f:
            findings = json.load(f)
    except (OSError, ValueError):
        findings = {"findings": []}
    lines += ["## Findings", ""]
    if not findings.get("findings"):
        lines.append("No finding recorded.")
    for fd in findings.get("findings", []):
        lines.append(f"- **{fd['class']}** ({fd['severity']}) on `{(fd.get('container') or 'host')[:12]}`: "
                     f"{fd['summary']}")
        for key, val in (fd.get("evidence") or {}).items():
            if val not in (None, [], {}):
                lines.append(f"  - {key.replace('_', ' ')}: `{json.dumps(val)[:300]}`")
    lines += ["", "## Timeline (audit log)", "", "| time | user | action | target | result |", "|---|---|---|---|---|"]
    for a in incident.audit_lines():
        tgt = a.get("target") or {}
        target = f"{tgt.get('comm', '')} {tgt.get('pid', '')} (start {tgt.get('start_ticks', '')})" if tgt else ""
        lines.append(f"| {_t(a['time'])} | {a['user']} | {a['action']}{' (dry run)' if a.get('dry_run') else ''} "
                     f"| {target} | {a['result']} |")
    lines += ["", "## Files", ""]
    for f in sorted(os.listdir(incident.path)):
        if f in ("report.md",):
            continue
        size = os.path.getsize(incident.file(f))
        kind = ("evidence snapshot (replay with `hangconsole --replay`)" if f.startswith("evidence-")
                else "drained pipe data, every byte" if f.startswith("drained-")
                else "goroutine dump (`hangconsole stacks`)" if f.startswith("stacks-") else "")
        lines.append(f"- `{f}` ({size} bytes){': ' + kind if kind else ''}")
    path = incident.file("report.md")
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")
    return path
