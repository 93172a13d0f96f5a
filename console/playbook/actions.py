"""The acts a playbook step can take, each bound to its targets from the finding. The
operator sees the bound targets (pid, start time, what) before confirming."""
from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass

from .. import model as m
from ..actions import daemons
from ..actions import drain as drain_mod
from ..actions import dump as dump_mod
from ..actions.guard import Refused, Target, check_scope, send
from ..collect import cgroups
from ..diagnose.pids_exhausted import at_limit
from .context import RunContext


@dataclass
class Bound:
    text: str                          # what will be done, to show before confirming
    targets: list[Target]
    params: dict


class Action:
    """Every action changes the host, so every one is asked for before it runs; the
    destructive ones (kills) by the typed short id, the others by yes/no."""
    destructive = False

    @property
    def confirm(self) -> str:
        return "typed" if self.destructive else "yes"

    def bind(self, ctx: RunContext, params: dict) -> Bound:
        raise NotImplementedError

    def run(self, ctx: RunContext, b: Bound) -> str:
        raise NotImplementedError


def _main_process(ctx: RunContext) -> int | None:
    c = ctx.container
    return c.init_pid if c else None


class DrainPipe(Action):
    def bind(self, ctx, params):
        ev = ctx.finding.evidence
        pid, fd = (ev.get("fd") or {}).get("pid"), (ev.get("fd") or {}).get("fd")
        inode = (ev.get("pipe") or {}).get("inode")
        p = ctx.proc(pid)
        if p is None or fd is None or inode is None:
            raise Refused("the finding names no pipe writer that still exists")
        whose = _stream_of(ctx, inode)
        cl = ev.get("client")
        if cl and cl.get("call", "exec") != "exec" and (ev.get("pipe") or {}).get("inode") == inode:
            raise Refused(f"{cl['comm']} {cl['pid']} is a client of `docker {cl['call']}`: its stream never ends, so a drain "
                          f"only buys minutes and fills the disk; end the client instead: kill -9 {cl['pid']} (SIGKILL: "
                          f"a plain kill is forwarded to the container by the client's signal proxy); it "
                          f"detaches, the container keeps running and its log resumes")
        if whose.startswith("the container's own"):
            raise Refused(f"pipe:[{inode}] is {whose}: the runtime's log copier reads it into the log "
                          "driver, and bytes drained from it would be missing from `docker logs`; "
                          "find why the copier stopped reading instead")
        return Bound(f"read pipe:[{inode}] ({whose}) through /proc/{pid}/fd/{fd} ({p.comm}), saving every byte",
                     [Target.of(p)], {"fd": fd, "inode": inode, **params})

    def run(self, ctx, b):
        last = [0.0]

        def progress(n: int) -> None:            # a live counter, at most once a second
            now = time.monotonic()
            if now - last[0] >= 1.0:
                last[0] = now
                ctx.say(f"  drained {n:,} bytes so far")
        r = drain_mod.drain(b.targets[0], b.params["fd"], b.params["inode"], ctx.incident,
                            dry_run=ctx.dry_run, max_bytes=int(b.params.get("max_bytes", 256 << 20)),
                            max_seconds=float(b.params.get("max_seconds", 120)), progress=progress,
                            cancelled=ctx.cancelled)
        ctx.notes["drained"] = r
        return drained_text(r.bytes, r.stopped, r.path)


def _stream_of(ctx: RunContext, inode: int) -> str:
    """Whose bytes pipe INODE carries: the container's own stdout/stderr (its main process
    holds it as fd 1 or 2: the log stream) or an exec's."""
    cl = ctx.finding.evidence.get("client")
    if cl and (ctx.finding.evidence.get("pipe") or {}).get("inode") == inode:
        what = ("the exec's output" if cl.get("call", "exec") == "exec"
                else "a copy of the container's output (its log keeps its own)")
        return (f"{what} that {cl['comm']} {cl['pid']} received and wrote to its {cl['stream']}, "
                f"which {cl['readers']} never read")
    main = ctx.proc(_main_process(ctx)) if _main_process(ctx) else None
    for f in (main.fds or []) if main else []:
        if f.num in (1, 2) and f.kind == "pipe" and f.inode == inode:
            return f"the container's own {'stdout' if f.num == 1 else 'stderr'} (its log stream)"
    writers = [e for e in (ctx.snapshot.pipe(inode).writers if ctx.snapshot and ctx.snapshot.pipe(inode) else [])]
    streams = sorted({"stdout" if e.fd == 1 else "stderr" if e.fd == 2 else f"fd {e.fd}" for e in writers})
    return f"bytes an exec wrote to its {'+'.join(streams) or 'output'}, not the container's log"


def drained_text(nbytes: int, stopped: str, path: str) -> str:
    """The size, the full path and the first and last lines of what was drained."""
    text = f"drained {nbytes:,} bytes ({stopped}), saved to {path}"
    head, tail = drain_mod.preview(path) if nbytes else ([], [])
    if head:
        text += "\n  first lines:\n" + "\n".join(f"    {x}" for x in head)
    if tail:
        text += "\n  last lines:\n" + "\n".join(f"    {x}" for x in tail)
    return text


class KillExec(Action):
    """SIGKILL the blocked runc init and its runc exec: the exec fails, the container stays."""
    destructive = True

    def bind(self, ctx, params):
        init = next((ctx.proc(p) for p in ctx.finding.pids if (q := ctx.proc(p)) and q.role == m.RUNC_INIT), None)
        runc = ctx.proc(init.ppid) if init else None
        if init is None or runc is None or runc.role != m.RUNC or runc.runtime_verb != "exec":
            raise Refused("no runc init under a runc exec is left to kill")
        if init.pid == _main_process(ctx):
            raise Refused("refusing: that pid is the container's main process")
        return Bound(f"SIGKILL runc init {init.pid} and runc exec {runc.pid} (the exec fails, the "
                     f"container is untouched)", [Target.of(init), Target.of(runc)], params)

    def run(self, ctx, b):
        return "; ".join(send(t, signal.SIGKILL, ctx.incident, dry_run=ctx.dry_run, why="exec pipe deadlock")
                         for t in b.targets)


class DumpStacks(Action):
    """SIGUSR1 only to the daemons that serve this container: the dockerd at the chosen
    Docker host, the containerd whose socket the shim names, the CRI-O of a conmon (daemons.py)."""

    def bind(self, ctx, params):
        which = params.get("which", "shim")
        c = ctx.container
        shim = ctx.proc(c.shim_pid) if c and c.shim_pid else None
        procs, notes = [], []
        if which == "shim":
            if shim is None or shim.role not in m.SHIM_ROLES:
                raise Refused("the container has no shim process to dump")
            procs.append(shim)
        live = not ctx.simulate
        if which in ("dockerd", "daemons"):
            ch = daemons.dockerd_of(ctx.snapshot, ctx.docker_host, live)
            procs += ch.procs
            notes.append(ch.why)
        if which in ("containerd", "daemons"):   # a conmon's daemon is CRI-O, a shim's containerd
            ch = (daemons.crio_of(ctx.snapshot, shim, live) if shim is not None and shim.role == m.CONMON
                  else daemons.containerd_of(ctx.snapshot, shim, live))
            procs += ch.procs
            notes.append(ch.why)
        if not procs:
            raise Refused(f"no {which} process to dump" + (f" ({'; '.join(notes)})" if notes else ""))
        unable = {p.pid: why for p in procs if (why := dump_mod.cannot_dump(p, ctx.snapshot, live))}
        procs = [p for p in procs if p.pid not in unable]
        if not procs:                            # said now, and nothing is sent
            raise Refused("; ".join(unable.values()))
        traced = [f"{p.comm} {p.pid}'s stderr is /dev/null: its write() calls are read with strace while "
                  f"the signal is sent, or the dump would be lost" for p in procs if dump_mod.to_dev_null(p, live)]
        why = "; ".join([*notes, *unable.values(), *traced])
        return Bound(f"SIGUSR1 to {', '.join(f'{p.comm} {p.pid}' for p in procs)} and collect the dump"
                     + (f" ({why})" if why else ""), [Target.of(p) for p in procs], params)

    def run(self, ctx, b):
        out = []
        for t in b.targets:
            p = ctx.proc(t.pid)
            if p is None:
                out.append(f"{t.comm} {t.pid} is gone")
                continue
            d = dump_mod.dump_stacks(p, ctx.snapshot, ctx.incident, dry_run=ctx.dry_run)
            ctx.notes.setdefault("dumps", []).append(d)
            if d.path:
                ctx.notes.setdefault("dumped", set()).add(t.pid)
                from .. import stacks
                top = d.groups[0] if d.groups else None
                out.append(f"{t.comm} {t.pid}: {sum(g.count for g in d.groups)} goroutines saved to {d.path}"
                           + (f"; top: {top.count} x [{top.state}] {top.top}" if top else "")
                           + "".join(f"; hint: {h}" for h in stacks.hints(d.groups)[:2]))
            else:
                out.append(d.note or f"{t.comm} {t.pid}: no dump")
        return "\n".join(out)


class KillShim(Action):
    """SIGKILL the shim: containerd cleans up, the container exits 137 and its restart policy
    applies; orphans are reparented and reaped."""
    destructive = True

    def bind(self, ctx, params):
        c = ctx.container
        shim = ctx.proc(c.shim_pid) if c else None
        if shim is None or shim.role not in m.SHIM_ROLES:
            raise Refused("the container's shim is gone already")
        ctx.notes["shim_pid"] = shim.pid
        pod = [x for x in ctx.snapshot.containers if x.shim_pid == shim.pid and x.id != c.id]
        extra = f"; it also serves {len(pod)} other container(s) of the pod" if pod else ""
        if shim.pid not in ctx.notes.get("dumped", ()):   # the only evidence of its hang goes with it
            extra += (f"; its goroutine stacks were NOT captured: killing it destroys the only evidence of "
                      f"what it is stuck in (capture first if you can: strace -f -e trace=write -s 65535 "
                      f"-p {shim.pid} while sending it SIGUSR1)")
        return Bound(f"SIGKILL shim {shim.pid} of {c.name}: the container stops (exit 137) and its "
                     f"restart policy applies{extra}", [Target.of(shim)], params)

    def run(self, ctx, b):
        t = b.targets[0]
        return send(t, signal.SIGKILL, ctx.incident, dry_run=ctx.dry_run, why="shim not answering")


class KillRuncStart(Action):
    destructive = True

    def bind(self, ctx, params):
        starts = [ctx.proc(p) for p in ctx.finding.pids if (q := ctx.proc(p)) and q.role == m.RUNC]
        if not starts:
            raise Refused("the blocked runc start is gone already")
        return Bound(f"SIGKILL runc start {starts[0].pid}: the start fails, the daemon lock is released",
                     [Target.of(starts[0])], params)

    def run(self, ctx, b):
        return send(b.targets[0], signal.SIGKILL, ctx.incident, dry_run=ctx.dry_run, why="runc start blocked")


def _pids_level(ctx):
    c = ctx.container
    for lv in (c.cgroup.levels if c and c.cgroup else []):
        if at_limit(lv):
            return c, lv
    raise Refused("no pids level is full or within 2 of its limit any more")


class RaisePidsMax(Action):
    """A stopgap: a higher pids.max at the level that is full (or within 2 of it), while the runaway is found."""

    def bind(self, ctx, params):
        c, lv = _pids_level(ctx)
        new = lv.pids_max + max(int(params.get("increase", 0)), lv.pids_max // 4, 16)
        ctl = "pids" if c.cgroup.version == 1 else ""
        path = cgroups.dir_of(ctl, lv.path)
        if not path:
            raise Refused(f"cannot find the cgroup directory of {lv.path}")
        return Bound(f"write pids.max {lv.pids_max} -> {new} at {lv.path}", [],
                     {"file": os.path.join(path, "pids.max"), "old": lv.pids_max, "new": new})

    def run(self, ctx, b):
        if ctx.dry_run:
            ctx.incident.audit("raise-pids-max", None, "dry-run: would write", dry_run=True, detail=b.params)
            return f"dry run: would write {b.params['new']} to {b.params['file']}"
        check_scope(path=b.params["file"])
        with open(b.params["file"], "w") as f:
            f.write(str(b.params["new"]))
        ctx.incident.audit("raise-pids-max", None, "written", detail=b.params)
        return f"pids.max {b.params['old']} -> {b.params['new']} ({b.params['file']})"


class KillLeftovers(Action):
    """SIGKILL what is left in this container's cgroup, never by pid namespace (that would hit
    the pod's pause process and its siblings)."""
    destructive = True

    def bind(self, ctx, params):
        c = ctx.container
        procs = [ctx.proc(p) for p in (c.cgroup.procs or [])] if c and c.cgroup else []
        procs = [p for p in procs if p is not None and not p.zombie and p.container_id == c.id]
        if not procs:
            raise Refused("the container's cgroup is empty already")
        return Bound(f"SIGKILL {len(procs)} leftover(s) in {c.name}'s cgroup: "
                     + ", ".join(f"{p.pid} {p.comm}" for p in procs), [Target.of(p) for p in procs], params)

    def run(self, ctx, b):
        c = ctx.container
        still = set(c.cgroup.procs or []) if c and c.cgroup else set()
        out = []
        for t in b.targets:
            if t.pid not in still:
                out.append(f"{t.pid} left the cgroup: not signalled")
                continue
            out.append(send(t, signal.SIGKILL, ctx.incident, dry_run=ctx.dry_run, why="pid namespace leftover"))
        return "; ".join(out)


class Thaw(Action):
    """Thaw the freezer cgroup(s) that actually froze this container's runtime processes (shim,
    runc, runc init) or its tasks: the level named by the collector, which may be an ancestor
    or a cgroup outside the container. Never a container Docker paused on purpose."""

    def bind(self, ctx, params):
        from .frozen import frozen_cgroups
        paths, paused_own = frozen_cgroups(ctx)
        if not paths:
            raise Refused(f"{paused_own} is paused by Docker on purpose: use docker unpause if that is meant"
                          if paused_own else "nothing of this container is held by a freezer cgroup: nothing to thaw")
        if ctx.simulate:                         # training: the recording's cgroups, not this host's
            return Bound(f"thaw freezer cgroup {', '.join(paths)}", [],
                         {"files": [[f"{p}/freezer.state", "THAWED"] for p in paths], "paths": paths})
        mnt = cgroups.mounts()
        version = 1 if "freezer" in mnt else 2
        files = []
        for path in paths:
            got = cgroups.thaw_file(version, path, mnt)
            if got is None:
                raise Refused(f"cannot find the freezer cgroup directory of {path} on this host")
            files.append(list(got))
        ctx.notes["thawed"] = paths
        return Bound(f"thaw freezer cgroup {', '.join(paths)}: write "
                     + "; ".join(f"{v} to {f}" for f, v in files), [], {"files": files, "paths": paths})

    def run(self, ctx, b):
        if ctx.dry_run:
            ctx.incident.audit("thaw", None, "dry-run: would write", dry_run=True, detail=b.params)
            return "dry run: would write " + "; ".join(f"{v} to {f}" for f, v in b.params["files"])
        for f, _ in b.params["files"]:
            check_scope(path=f)
        for f, v in b.params["files"]:
            with open(f, "w") as out:
                out.write(v)
        ctx.incident.audit("thaw", None, "written", detail=b.params)
        return "thawed " + ", ".join(b.params["paths"])


class Resume(Action):
    """SIGCONT the container's runtime processes (shim, conmon), the daemons (dockerd,
    containerd, CRI-O), and the clients of its streams and its own processes the finding
    names, that are stopped (state T): the least harmful remedy for a stopped process, before
    any kill. Skipped when none is stopped."""

    def bind(self, ctx, params):
        c = ctx.container
        snap, live = ctx.snapshot, not ctx.simulate
        shim = ctx.proc(c.shim_pid) if c and c.shim_pid else None
        serving = [shim] if shim else []          # only the daemons behind this container's sockets
        serving += daemons.dockerd_of(snap, ctx.docker_host, live).procs
        serving += daemons.containerd_of(snap, shim, live).procs
        if shim is not None and shim.role == m.CONMON:
            serving += daemons.crio_of(snap, shim, live).procs
        serving += [ctx.proc(d["pid"]) for d in ctx.finding.evidence.get("stopped_clients") or []]
        serving += [ctx.proc(d["pid"]) for d in ctx.finding.evidence.get("stopped_procs") or []]
        stopped = list({p.pid: p for p in serving if p is not None and p.state in ("T", "t")}.values())
        if not stopped:
            raise Refused("no runtime process, client or named process of this container and no daemon "
                          "is stopped: nothing to resume")
        ctx.notes["resumed"] = [p.pid for p in stopped]
        return Bound("SIGCONT " + ", ".join(f"{p.comm} {p.pid} (stopped)" for p in stopped)
                     + ": it runs again where it stopped; nothing is killed", [Target.of(p) for p in stopped], params)

    def run(self, ctx, b):
        return "; ".join(send(t, signal.SIGCONT, ctx.incident, dry_run=ctx.dry_run, why="stopped process")
                         for t in b.targets)


ACTIONS: dict[str, Action] = {
    "drain-pipe": DrainPipe(), "kill-exec": KillExec(), "dump-stacks": DumpStacks(),
    "kill-shim": KillShim(), "kill-runc-start": KillRuncStart(), "raise-pids-max": RaisePidsMax(),
    "kill-leftovers": KillLeftovers(), "thaw": Thaw(), "resume": Resume(),
}
