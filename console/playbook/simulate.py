"""Training: what each action does to a recorded host, simulated on a copy of the snapshot
(the real machine is never touched). The effects are the documented outcomes of each fix:

- drain-pipe: the pipe empties, the writer finishes and exits. What is "saved" is what the
  report printed as read from that pipe (stories.toml `drained`), else the head of the pipe
  the recording copied (tee, `peek`); where neither exists it says so, and invents nothing.
- kill-exec: runc init and its runc exec exit; the pending calls on the container return.
- dump-stacks: the dump bundled with the incident for that kind of process (dockerd,
  containerd, shim) is "collected"; where none was shown, it says so. A stopped or frozen
  process gives none (decided before, in the binding); a v1 shim writing to /dev/null gives
  its dump through strace, as on a real host (actions/strace_capture.py).
- kill-shim: the shim exits, its zombies go to init and are reaped, every container the shim
  serves (a pod's, under one v2 shim) exits (137), their pending calls return.
- kill-runc-start: runc start exits, `docker ps` answers.
- raise-pids-max: pids.max at the full level goes up.
- kill-leftovers: the container's leftover processes exit, its cgroup empties.
- thaw: the freezer goes THAWED, and the processes it held (frozen_by) run again.

A lab incident recorded after its real fix (incidents/after.py) replaces the simulated host
with the recorded one when the trainee's act is the fix's last act on the same processes.
"""
from __future__ import annotations

import copy
import glob
import os
import shutil

from .. import model as m
from ..diagnose import registry
from ..diagnose.simulated import answer_calls as _answer_calls, drop as _drop
from ..actions import dump as dump_mod
from .actions import Bound
from .context import RunContext


def apply(action: str, ctx: RunContext, b: Bound) -> str:
    snap = copy.deepcopy(ctx.snapshot)
    snap._index = None
    cid = ctx.finding.container
    if action == "drain-pipe":
        pp = snap.pipe(b.params["inode"])
        queued = pp.queued if pp else 0
        if pp:
            pp.queued = 0
        path = ctx.incident.file(f"drained-pid{b.targets[0].pid}-fd{b.params['fd']}-pipe{b.params['inode']}.bin")
        from ..incidents import story
        told = story(ctx.notes.get("incident_name") or "").get("drained")
        data = told or (pp.peek if pp else None)
        copied = queued
        with open(path, "w") as f:
            if data:
                f.write(data)
                copied = len(data.encode())
            else:
                f.write(f"(training: this recording holds no copy of the {queued} bytes queued in this "
                        f"pipe; on a real host they would be saved here, every byte)\n")
        _drop(snap, {b.targets[0].pid})
        from .actions import drained_text
        text = "simulated: " + drained_text(copied, "the writer finished", path)
        if data and not told and copied < queued:
            text += (f"\n  the recording copied only the first {copied:,} of the {queued:,} bytes queued; "
                     f"on a real host every byte is saved")
    elif action == "resume":
        for t in b.targets:
            p = snap.proc(t.pid)
            if p is not None:
                p.state = "S"
                for th in p.threads:
                    th.state = "S" if th.state in ("T", "t") else th.state
        _answer_calls(snap, cid)
        text = "simulated: SIGCONT " + ", ".join(f"{t.comm} {t.pid}" for t in b.targets) + ": running again"
    elif action == "kill-exec":
        _drop(snap, {t.pid for t in b.targets})
        _answer_calls(snap, cid)
        text = "simulated: SIGKILL runc init and runc exec; the exec failed, the container is untouched"
    elif action == "dump-stacks":
        out = []
        for t in b.targets:
            p = snap.proc(t.pid)
            if p is not None and p.state in ("T", "t"):
                out.append(f"{t.comm} {t.pid} is stopped: it cannot dump until it runs again")
                continue
            name = ctx.notes.get("incident_name") or ""
            kind = "shim" if t.role in m.SHIM_ROLES else t.role      # dockerd, containerd, shim
            files = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "incidents",
                                                  f"{name}-{kind}-*")))
            for f in files:
                shutil.copy(f, ctx.incident.file(f"stacks-{os.path.basename(f)}"))
            if files:
                ctx.notes.setdefault("dumped", set()).add(t.pid)
            traced = p is not None and dump_mod.to_dev_null(p, live=False)
            out.append(f"simulated: SIGUSR1 to {t.comm} {t.pid}"
                       + (" under strace: its stderr is /dev/null, so a plain SIGUSR1 would lose the dump; "
                          "it is read from its write() calls (the report needed a kprobe on write_null)" if traced else "")
                       + "; "
                       + (f"its dump collected ({', '.join(map(os.path.basename, files))})" if files
                          else f"no {kind} dump was {'recorded' if name.startswith('lab-') else 'shown in the report'}"
                               f" for this incident, so this training cannot show one"))
        text = "\n".join(out)
    elif action == "kill-shim":
        shim = b.targets[0].pid
        zombies = {p.pid for p in snap.processes if p.ppid == shim and p.zombie}
        served = [c for c in snap.containers if c.shim_pid == shim]
        inside = {p.pid for p in snap.processes if p.container_id in {c.id for c in served}}
        _drop(snap, {shim} | zombies | inside)
        for c in served:                         # every container the shim serves ends
            if c.docker:
                c.docker.state, c.docker.status = "exited", "Exited (137)"
            _answer_calls(snap, c.id)
        names = ", ".join(c.name for c in served) or "its container"
        text = (f"simulated: SIGKILL shim {shim}; {len(zombies)} zombies reaped by init; exited (137): {names}")
    elif action == "kill-runc-start":
        _drop(snap, {b.targets[0].pid})
        _answer_calls(snap, None)
        text = "simulated: SIGKILL runc start; the start failed and docker ps answers again"
    elif action == "raise-pids-max":
        c = snap.container(cid)
        for lv in (c.cgroup.levels if c and c.cgroup else []):
            if lv.pids_max == b.params["old"]:
                lv.pids_max, lv.pids_events_max = b.params["new"], 0
        text = f"simulated: pids.max {b.params['old']} -> {b.params['new']}"
    elif action == "kill-leftovers":
        _drop(snap, {t.pid for t in b.targets})
        c = snap.container(cid)
        if c and c.cgroup:
            c.cgroup.procs = []
        _answer_calls(snap, cid)
        text = f"simulated: SIGKILL {len(b.targets)} leftover(s); the cgroup is empty"
    elif action == "thaw":
        c = snap.container(cid)
        if c and c.cgroup:
            c.cgroup.freezer = "THAWED"
        paths = set(b.params.get("paths") or [])
        woken = [p for p in snap.processes if p.frozen_by and paths & set(p.frozen_by)]
        for p in woken:                          # what the freezer held runs again
            p.freezer, p.frozen_by, p.state = None, None, "S" if p.state == "D" else p.state
            for th in p.threads:
                th.state = "S" if th.state == "D" else th.state
        text = f"simulated: thawed {', '.join(sorted(paths)) or 'the container'}; " \
               f"{len(woken)} process(es) run again"
    else:
        text = f"simulated: {action}"
    if (more := registry.simulated(action, snap, ctx.finding)):    # what the class's own mechanism does next
        text += f"\n  then: {more}"
    from ..incidents import after
    real = after.load(ctx.notes.get("incident_name") or "")
    done = real.act(action, [t.as_dict() for t in b.targets]) if real else None
    if done is not None and real.last(done):      # a lab incident: what the real fix left
        snap = real.host()
        text += "; the host now is the one recorded after the real fix in the lab"
        if action == "drain-pipe":              # its own words, as its audit line gave them
            text += f"\n  the real drain in the lab: {done['text'].splitlines()[0]}"
    ctx.snapshot = snap
    ctx.notes.setdefault("acts", []).append({"action": action, "container": cid,
                                             "targets": [t.as_dict() for t in b.targets]})
    ctx.incident.audit(action, b.targets[0].as_dict() if b.targets else None, text, detail={"training": True})
    return text
