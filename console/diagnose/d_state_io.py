"""H: tasks in uninterruptible sleep on storage (nfs, cifs, fuse, block I/O). Killing the
shim or the task will not help until the I/O returns; say so instead of suggesting it."""
from __future__ import annotations

import re

from . import evidence as ev
from . import scope
from .finding import CRITICAL, WARNING, Finding
from .history import STUCK_AFTER, History, thread_sig

CLASS = "d-state-io"
SEVERITY = CRITICAL          # its highest: the fleet metrics count the class at this one
EXPLAINS = ("runtime-call-hung", "zombies-under-shim")
LONG = 60.0
_STORAGE = re.compile(r"nfs|cifs|smb|fuse|io_schedule|rpc_wait|wait_on_page|folio_wait|"
                      r"bit_wait|jbd2|xfs|ext4|btrfs|blk_|submit_bio|ceph|9p", re.I)
_FREEZER = re.compile(r"refrigerator|freezer|do_signal_stop")


def _storage(t) -> bool:
    text = " ".join([t.wchan or ""] + (t.stack or []))
    return bool(_STORAGE.search(text)) and not _FREEZER.search(text)


def detect(h: History) -> list[Finding]:
    snap = h.latest
    hung = {k.pid for k in snap.kernel_log if k.kind == "hung-task"}
    groups: dict[str | None, list] = {}
    for p in scope.suspects(snap):
        for t in p.threads:
            if t.state != "D" or p.freezer or not _storage(t):
                continue
            stuck = h.steady(p, thread_sig(t.tid))
            if stuck >= STUCK_AFTER:
                groups.setdefault(p.container_id, []).append((p, t, stuck))
    out = []
    for cid, items in groups.items():
        long = any(s >= LONG or p.pid in hung or t.tid in hung for p, t, s in items)
        p, t, stuck = max(items, key=lambda x: x[2])
        where = (snap.container(cid).name if cid and snap.container(cid) else "the host")
        out.append(Finding(
            cls=CLASS, severity=CRITICAL if long else WARNING, container=cid,
            pids=sorted({x[0].pid for x in items}), stuck_for=stuck, playbook=CLASS,
            summary=(f"{len(items)} task(s) in {where} in D state on storage for {ev.at_least(stuck, p)} "
                     f"in {t.wchan or '?'}{' < ' + ' < '.join(t.stack[:3]) if t.stack else ''}: the kernel "
                     f"holds them, not a freezer; a SIGKILL stays pending until the kernel returns, and no "
                     f"signal (to them or the shim) can hurry it"
                     + (f"; a SIGKILL is already pending on {p.pid}" if ev.kill_pending(p) else "")),
            evidence={"where": where, "count": len(items), "stuck_for": round(stuck, 1),
                      "tasks": [{**ev.proc(x[0]), "thread": ev.thread(x[1], x[2])} for x in items[:10]],
                      "kernel_log": [k.text for k in snap.kernel_log if k.kind == "hung-task"][-5:]}))
    return out


def links(h: History, f: Finding, c, others: dict, extra) -> list[dict]:
    e = f.evidence
    t = (e.get("tasks") or [{}])[0].get("thread") or {}
    return [ev.link(f"{e.get('count')} task(s) in {e.get('where')} in D state on storage for "
                    f"{ev.at_least(e.get('stuck_for') or 0)} in {t.get('wchan') or '?'}: the kernel holds "
                    f"them; no signal can hurry it", "/proc stack", {"tasks": e.get("tasks")}, key="d-state-io")]
