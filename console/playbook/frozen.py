"""What a freezer holds for a playbook run, and why a process a playbook signalled is still
there: the conditions' and the thaw action's shared reading of the host."""
from __future__ import annotations

from .. import model as m
from ..diagnose.evidence import frozen_by_text, kill_pending
from ..diagnose.frozen_cgroup import paused_by_runtime
from .context import RunContext


def held(ctx: RunContext) -> list[m.Process]:
    """The finding's container's runtime processes and tasks that a freezer holds now."""
    c, cid = ctx.container, ctx.finding.container
    return [p for p in ctx.snapshot.processes if p.freezer and not p.zombie and
            (p.pid in ctx.finding.pids or (cid and p.container_id == cid) or (c and p.pid == c.shim_pid))]


def frozen_cgroups(ctx: RunContext) -> tuple[list[str], str | None]:
    """(freezer cgroups to thaw, the container's name when the only freeze is the runtime's pause)."""
    c = ctx.container
    paths = sorted({g for p in held(ctx) for g in (p.frozen_by or [])})
    own = (c.cgroup_paths.get("freezer") or c.cgroup_paths.get("") or (c.cgroup.path if c.cgroup else None)) if c else None
    if not paths and c and c.cgroup and c.cgroup.freezer in ("FROZEN", "FREEZING") and own:
        paths = [own]
    if paused_by_runtime(c) and own in paths:
        paths = [p for p in paths if p != own]
        if not paths:
            return [], c.name
    return paths, None


def why_alive(p: m.Process) -> str:
    """Why P (signalled, or meant to be gone) is still there, and what to try next."""
    pend = " a SIGKILL is pending on it;" if kill_pending(p) else ""
    if p.freezer:
        return (f"{p.comm} {p.pid} is frozen by {frozen_by_text(p)} ({p.freezer}):"
                f"{pend} no signal is delivered until it is thawed. Next: run the thaw step (or write THAWED to "
                f"its freezer.state / 0 to its cgroup.freeze)")
    d = next((t for t in p.threads if t.state == "D"), None)
    if d is not None or p.state == "D":
        where = (d.wchan if d else None) or "?"
        stack = f" (kernel stack: {' < '.join(d.stack[:4])})" if d and d.stack else ""
        return (f"{p.comm} {p.pid} is in uninterruptible sleep (D) in {where}{stack}:{pend} the kill lands only "
                f"when the kernel returns from it; no signal can hurry it. Next: find what the kernel waits "
                f"for (storage, NFS server, FUSE daemon) and fix that")
    if p.state in ("T", "t"):
        return (f"{p.comm} {p.pid} is {'stopped' if p.state == 'T' else 'traced'} (state {p.state}):{pend} "
                f"Next: SIGCONT it, or detach the tracer (a SIGKILL still ends a stopped process)")
    if p.zombie:
        return f"{p.comm} {p.pid} has exited (zombie): its parent {p.ppid} has not reaped it"
    return f"{p.comm} {p.pid} still runs (state {p.state}){pend.rstrip(';')}. Next: look at what it waits on (strace step)"
