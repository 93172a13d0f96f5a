"""Named conditions for check and verify steps, evaluated on the host as it is now.
Each returns (holds, one line saying what was seen)."""
from __future__ import annotations

from .. import model as m
from .. import provenance as pv
from ..diagnose import registry
from ..diagnose.pids_exhausted import at_limit
from ..diagnose.pipes_common import no_room
from .context import RunContext
from .frozen import frozen_cgroups, held, why_alive


def _writer(ctx: RunContext) -> tuple[m.Process | None, int | None, int | None]:
    ev = ctx.finding.evidence
    fd = (ev.get("fd") or {}).get("fd")
    pid = (ev.get("fd") or {}).get("pid")
    inode = (ev.get("pipe") or {}).get("inode")
    return ctx.proc(pid), fd, inode


def pipe_full(ctx):
    _, _, inode = _writer(ctx)
    pp = ctx.snapshot.pipe(inode) if inode else None
    if pp is None:
        return False, f"pipe:[{inode}] is gone"
    p, fd, _ = _writer(ctx)
    waiting = [t for t in (p.threads if p else []) if t.syscall and t.syscall.fd == fd]
    return no_room(pp, waiting[0] if waiting else None), f"pipe:[{inode}] holds {pv.mark(pp, 'queued', 'capacity')}{pp.queued}/{pp.capacity} bytes"


def writer_moved_on(ctx):
    p, fd, inode = _writer(ctx)
    if p is None:
        return True, "the writer has exited"
    busy = [t for t in p.threads if t.syscall and t.syscall.name in ("write", "writev") and t.syscall.fd == fd]
    pp = ctx.snapshot.pipe(inode) if inode else None
    if busy and pp is not None and no_room(pp, busy[0]):
        return False, (f"{p.comm} {p.pid} is still in write({fd}) on a full pipe "
                       f"({pp.queued}/{pp.capacity} bytes): "
                       f"{why_alive(p) if p.freezer else 'the pipe filled again' if ctx.notes.get('drained') else 'nothing drained it'}. "
                       f"Next: {_next_for_writer(ctx, p)}")
    return True, f"{p.comm} {p.pid} is no longer blocked writing fd {fd}"


def _next_for_writer(ctx, p: m.Process) -> str:
    cl = ctx.finding.evidence.get("client")
    if cl and cl.get("call", "exec") != "exec":
        return (f"end the client: kill -9 {p.pid} (SIGKILL: a plain kill is forwarded to the container by "
                f"its signal proxy); it detaches, the container keeps running and its log resumes")
    if cl:
        return (f"end the client {p.pid} or its reader (the bytes drained so far are saved); "
                f"its exec's remaining output is lost then")
    if ctx.finding.cls == "exec-pipe-deadlock":
        return "kill the exec (runc init and runc exec)"
    return ("find who reads this container's stream through the shim (a `docker attach` or exec client, "
            "perhaps on another host) and end it")


def _shim(ctx) -> m.Process | None:
    c = ctx.container
    pid = c.shim_pid if c else next((p for p in ctx.finding.pids if (q := ctx.proc(p)) and q.role in m.SHIM_ROLES), None)
    p = ctx.proc(pid)
    return p if p is not None and p.role in m.SHIM_ROLES else None


def zombies_present(ctx):
    shim = _shim(ctx)
    n = len([c for c in ctx.snapshot.children(shim.pid) if c.zombie]) if shim else 0
    return n > 0, f"{n} zombies under shim {shim.pid}" if shim else "the shim is gone"


def zombies_gone(ctx):
    present, text = zombies_present(ctx)
    shim = _shim(ctx)
    if present and shim is not None:
        text += (f": {why_alive(shim)}" if shim.freezer or shim.state in ("D", "T", "t")
                 else ": the shim is not reaping them. Next: kill the shim (its orphans go to init)")
    return not present, text


def shim_gone(ctx):
    shim_pid = ctx.notes.get("shim_pid") or next(iter(ctx.finding.pids), None)
    p = ctx.proc(shim_pid)
    gone = p is None or p.zombie or p.role not in m.SHIM_ROLES
    return gone, f"shim {shim_pid} is gone" if gone else f"shim {shim_pid} is still there: {why_alive(p)}"


def _probe_answers(ctx, target):
    d = ctx.snapshot.docker
    pending = [p for p in (d.probes if d else []) if p.status == "pending" and p.target == target]
    return not pending, ("no call pending" if not pending
                         else f"{pending[0].call} still pending{_next_for_runtime(ctx) if target else ''}")


def _next_for_runtime(ctx) -> str:
    """What still holds the container's runtime, and the next thing to try."""
    stuck = held(ctx)
    if stuck:
        return f"; {why_alive(stuck[0])}"
    c = ctx.container
    shim = ctx.proc(c.shim_pid) if c and c.shim_pid else None
    if shim is not None and (shim.state in ("D", "T", "t") or any(t.state == "D" for t in shim.threads)):
        return f"; {why_alive(shim)}"
    return ("; the runtime is still busy with this container. Next: dump dockerd's and containerd's stacks "
            "(waiters in ContainerInspect point at the lock holder) and look for another stuck exec or shim")


def runtime_answers(ctx):
    """`docker inspect` of the container answers within 5 s, asked right now."""
    if ctx.simulate:
        return _probe_answers(ctx, ctx.finding.container)
    from .engines import runtime_answers as engine_answers
    if (answer := engine_answers(ctx)) is not None:      # containerd / CRI-O: their own API
        return answer
    import docker
    from ..collect.docker_probe import resolve_host
    api = docker.APIClient(base_url=resolve_host(ctx.docker_host), version="1.24", timeout=5)
    try:
        r = api.get(api.base_url + f"/containers/{ctx.finding.container}/json")
        return r.status_code in (200, 404), f"docker inspect answered ({r.status_code})"
    except Exception as e:                       # a timeout is the answer we are testing for
        return False, (f"docker inspect did not answer: {str(e).splitlines()[0][:80]}{_next_for_runtime(ctx)}")
    finally:
        api.close()


EXEC_HANGS = ("stuck-pipe", "exec-pipe-deadlock", "pids-exhausted")


def answers_after_remedy(ctx):
    """After a thaw or a SIGCONT: the call that hung answers now, asked right now (skipped when
    nothing was thawed or resumed)."""
    done = [w for w, k in (("thawed", "thawed"), ("resumed", "resumed")) if ctx.notes.get(k)]
    if not done:
        return None, "nothing was thawed or resumed"
    if ctx.finding.cls == "stuck-pipe" and not (moved := writer_moved_on(ctx))[0]:
        return moved                            # an exec answers even while the old one is stalled
    if ctx.finding.cls in EXEC_HANGS:           # the call that hung was an exec
        ok, seen = exec_answers(ctx)
    else:
        ok, seen = runtime_answers(ctx) if ctx.finding.container else daemon_answers(ctx)
    return ok, seen + (f"; {' and '.join(done)}, fixed without a kill" if ok else "")


def exec_answers(ctx):
    """A new exec in the container returns within its deadline, asked right now."""
    from .exec_check import exec_answers as check
    return check(ctx)


def pids_at_limit(ctx):
    c = ctx.container
    for lv in (c.cgroup.levels if c and c.cgroup else []):
        if at_limit(lv):
            return True, f"{lv.pids_current}/{lv.pids_max} at {lv.path}"
    return False, "no level is full or within 2 of its pids limit"


def pids_below_limit(ctx):
    held, text = pids_at_limit(ctx)
    if held:
        text += (": still full or nearly. Next: find the runaway (the finding's top thread owners) and stop it; "
                 "a raised pids.max fills up again if it keeps forking")
    return not held, text


def not_paused(ctx):
    c = ctx.container
    paused = bool(c and c.docker and (c.docker.paused or c.docker.state == "paused"))
    return not paused, "Docker says it is paused: deliberate" if paused else "Docker does not say paused"


def thawed(ctx):
    c = ctx.container
    st = c.cgroup.freezer if c and c.cgroup else None
    stuck = [p for p in held(ctx)]
    ok = st in (None, "THAWED") and not stuck
    if ok:
        return True, f"freezer {st or 'not present'}; nothing of the container's runtime is frozen"
    return False, (why_alive(stuck[0]) if stuck else f"freezer {st}: still not thawed. Next: check who "
                   f"freezes it again (a backup agent, a cgroup manager, docker pause)")


def frozen_by_surprise(ctx):
    """Something of the container (its runtime processes or tasks) is frozen, and not by a
    deliberate `docker pause`."""
    paths, paused = frozen_cgroups(ctx)
    if paths:
        return True, f"frozen by freezer cgroup {', '.join(paths)}, not by docker pause"
    return False, (f"{paused} is paused by Docker on purpose: leave it (docker unpause if that is meant)"
                   if paused else "nothing of it is frozen any more")


def _leftovers(ctx) -> list[m.Process]:
    c = ctx.container
    return [q for p in (c.cgroup.procs or []) if (q := ctx.proc(p)) and not q.zombie] if c and c.cgroup else []


def leftovers_gone(ctx):
    procs = _leftovers(ctx)
    text = f"{len(procs)} process(es) left in the container's cgroup"
    return not procs, text + (f": {why_alive(procs[0])}" if procs else "")


def leftovers_present(ctx):
    procs = _leftovers(ctx)
    return bool(procs), f"{len(procs)} process(es) left in the container's cgroup"


def runc_start_gone(ctx):
    alive = [p for p in ctx.finding.pids if (q := ctx.proc(p)) and not q.zombie and q.role == m.RUNC]
    return not alive, "runc start is gone" if not alive else f"runc start {alive[0]} still waits: {why_alive(ctx.proc(alive[0]))}"


def tasks_in_d(ctx):
    ds = [q for pid in ctx.finding.pids if (q := ctx.proc(pid)) and q.state == "D"]
    return bool(ds), (f"{len(ds)} task(s) still in D state: {why_alive(ds[0])}" if ds else "no task in D state")


def daemon_answers(ctx):
    if ctx.simulate:
        return _probe_answers(ctx, None)
    import docker
    from ..collect.docker_probe import resolve_host
    api = docker.APIClient(base_url=resolve_host(ctx.docker_host), version="1.24", timeout=5)
    try:
        api.get(api.base_url + "/containers/json").raise_for_status()
        return True, "docker ps answered"
    except Exception as e:
        return False, f"docker ps did not answer: {str(e).splitlines()[0][:80]}"
    finally:
        api.close()


CONDITIONS = {
    "pipe-full": pipe_full, "writer-moved-on": writer_moved_on,
    "zombies-present": zombies_present, "zombies-gone": zombies_gone, "shim-gone": shim_gone,
    "runtime-answers": runtime_answers, "daemon-answers": daemon_answers,
    "answers-after-remedy": answers_after_remedy, "exec-answers": exec_answers,
    "pids-at-limit": pids_at_limit, "pids-below-limit": pids_below_limit,
    "not-paused": not_paused, "thawed": thawed, "frozen-by-surprise": frozen_by_surprise, "leftovers-gone": leftovers_gone,
    "leftovers-present": leftovers_present,
    "runc-start-gone": runc_start_gone, "tasks-in-d": tasks_in_d,
    **registry.CONDITIONS,          # the conditions a hang-class module owns
}
