"""What a senior engineer wants first from a dump: the biggest groups, who holds the lock the
waiters point at, what has been stuck longest, and what was read and what was skipped."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..safetext import visible
from .locks import LockLink
from .model import BORING, Dump, Group


@dataclass
class Summary:
    dumps: list[Dump]
    groups: list[Group]                   # every dump's, biggest first (see order())
    links: list[LockLink]                 # lock waiters -> holder, biggest first
    longest: list[Group]                  # stuck the longest, blocked states first
    skipped: dict[str, int]               # reason -> lines
    skipped_examples: dict[str, str] = field(default_factory=dict)  # reason -> "file:line: text"
    hints: list[str] = field(default_factory=list)
    incomplete: str = ""                  # why the lock search may have missed a holder
    read_by: str = ""                     # "the C scanner", "Python (why)", per file when they differ

    @property
    def goroutines(self) -> int:
        return sum(d.goroutines for d in self.dumps)

    def link_of(self, g: Group) -> LockLink | None:
        return next((lk for lk in self.links if lk.waiters is g), None)

    def chain(self, link: LockLink, depth: int = 4) -> list[LockLink]:
        return lock_chain(self.links, link, depth)


def lock_chain(links: list[LockLink], link: LockLink, depth: int = 4) -> list[LockLink]:
    """LINK, then the holder's own link if the holder waits on a lock too (and that link found a
    holder), and so on: the one walk every face uses, so each names the same holders."""
    out = [link]
    while len(out) < depth and out[-1].holder is not None:
        nxt = next((lk for lk in links if lk.waiters is out[-1].holder), None)
        if nxt is None or nxt in out or nxt.holder is None:
            break
        out.append(nxt)
    return out


def holder_text(lk: LockLink) -> str:
    """The holder of LK as every face says it: the goroutine when known by address, its frame
    that ties it to the lock, its state, and how it was found (by address, or a guess)."""
    who = f"goroutine {lk.holder_id} in " if lk.holder_id is not None and not lk.guess else ""
    at, top = _short(lk.where or lk.holder.top), _short(lk.holder.top)
    return f"{who}{at}" + (f" blocked in {top}" if top != at else "") + f"{state(lk.holder)} ({lk.why})"


def order(g: Group) -> tuple:
    """Biggest first; among equals, stacks stuck in the program's own code before goroutines
    idling in the runtime, blocking states before idle ones, then the longest wait."""
    return (-g.count, g.top.startswith(BORING), g.idle, -g.max_wait)


def longest(groups: list[Group], n: int = 5) -> list[Group]:
    """Stuck the longest: blocked states first; stacks wholly in the runtime left out."""
    waited = [g for g in groups if g.max_wait and not g.top.startswith(BORING)]
    return sorted(waited, key=lambda g: (g.idle, -g.max_wait, -g.count))[:n]


def _short(func: str) -> str:
    return func.rpartition("/")[2]


def _wait(g: Group) -> str:
    return f", {g.max_wait} min" if g.max_wait else ""


def state(g: Group) -> str:
    """ [state, N min], or nothing for a debug=1 profile, which has neither."""
    return "" if g.state == "(pprof: no state)" else f" [{g.state}{_wait(g)}]"


def hints(groups: list[Group], links: list[LockLink] | None = None, dumps: list[Dump] | None = None) -> list[str]:
    """What the grouped stacks point at (hang-signatures.md, section F)."""
    out = []
    total = sum(g.count for g in groups) or 1
    funcs_of = {id(g): " ".join(g.funcs) for g in groups}
    reap = next((g for g in groups if g.state == "chan send" and "reaper.Reap" in funcs_of[id(g)]), None)
    for d in dumps or []:
        if d.truncated:
            out.append(f"{d.label}: the profile says {d.declared} goroutines but lists {d.goroutines}: "
                       "it is truncated (or the runtime dropped stacks)")
    for lk in links or []:
        funcs = funcs_of.get(id(lk.waiters), "")
        h = lk.holder
        if reap is not None and h is not None and "checkProcesses" in funcs and "(*Monitor).Wait" in funcs_of.get(id(h), ""):
            holder = lk.where or h.top
            out.append(f"shim v1 reaper cycle (containerd#2709): {_short(holder)} holds the shim's lock "
                       f"while it waits in reaper Monitor.Wait for runc's exit; that exit comes from "
                       f"Reap, which has stopped reaping: blocked {reap.max_wait} min in chan send to "
                       f"processExits, whose checkProcesses waits for the lock {_short(holder)} holds. "
                       "Nothing moves until the shim is killed (class zombies-under-shim/shim-unresponsive)")
            reap = None
    many = dumps is not None and len(dumps) > 1
    for g in groups:
        funcs = funcs_of[id(g)]
        n0 = len(out)
        if "reaper.Reap" in funcs and g.state == "chan send" and reap is g:
            out.append(f"shim reaper blocked in chan send for {g.max_wait} min: it has stopped "
                       "reaping (containerd#2709, class zombies-under-shim/shim-unresponsive)")
        elif "(*Monitor).Wait" in funcs and ("(*Runc).Exec" in funcs or "Kill" in funcs or "cmdOutput" in funcs):
            out.append(f"{g.count} goroutine(s) in reaper Monitor.Wait under a runc call for "
                       f"{g.max_wait} min: the shim waits on a runc child (exec pipe deadlock?)")
        elif "ttrpc.(*Client).dispatch" in funcs and re.search(r"shimClient\)?\.(Exec|Start|Kill|Delete|State)", funcs):
            call = re.search(r"shimClient\)?\.(\w+)", funcs).group(1)
            out.append(f"{g.count} containerd goroutine(s) waiting on a shim's {call} reply: look at that shim")
        elif g.lock_wait and g.count * 20 >= total and g.count > 1:
            lk = next((x for x in links or [] if x.waiters is g), None)
            held = ""
            if lk is not None and lk.holder is not None:       # the whole chain, as every face says it
                held = ", held by " + ", which waits for a lock held by ".join(
                    holder_text(x) for x in lock_chain(links or [], lk))
            out.append(f"{g.count} goroutines wait for a mutex in {g.top}"
                       + (f" for up to {g.max_wait} min" if g.max_wait else "")
                       + (held or ": one holder blocks them all (a container lock?)"))
        if many and len(out) > n0:
            out[-1] = f"{dumps[g.dump].label}: {out[-1]}"
    return out


def render(s: Summary, limit: int = 10) -> str:
    """The summary as text, for `hangconsole stacks --text`."""
    kinds = sorted({d.kind for d in s.dumps})
    lines = [f"{s.goroutines} goroutines in {len(s.groups)} distinct stacks, "
             f"{len(s.dumps)} dump(s) ({', '.join(kinds)})"]
    if len(s.dumps) > 1 or any(d.time or d.reason for d in s.dumps):
        for d in s.dumps:
            extra = "".join(f", {x}" for x in (d.time, d.reason) if x)
            lines.append(f"  dump {d.label}: line {d.line}{extra}, {d.goroutines} goroutines"
                         + (f" of {d.declared} declared" if d.declared is not None else ""))
    many = len(s.dumps) > 1
    lines.append("biggest groups:")
    for g in s.groups[:limit]:
        where = f"  ({s.dumps[g.dump].label})" if many else ""
        lines.append(f"{g.count:>8}  [{g.state}{_wait(g)}]  {g.top}{where}")
    shown = [lk for lk in s.links if lk.holder is not None][:5]
    if shown:
        lines.append("lock holders:")
        for lk in shown:
            parts = [f"{lk.count} in {_short(lk.waiters.top)}{state(lk.waiters)}"]
            for c in s.chain(lk):
                h = c.holder
                who = f"goroutine {c.holder_id}" if c.holder_id is not None and not c.guess else f"{h.count} goroutine(s)"
                via = f" blocked in {_short(h.top)}" if h.top != c.where else ""
                parts.append(f"held by {who} in {_short(c.where or h.top)}{state(h)}{via} ({c.why})")
            lines.append("  " + " -> ".join(parts))
    if s.longest:
        lines.append("stuck longest:")
        for g in s.longest:
            lines.append(f"{g.count:>8}  [{g.state}{_wait(g)}]  {g.top}")
    if s.skipped:
        lines.append("skipped lines: " + ", ".join(f"{n} {r}" for r, n in sorted(s.skipped.items(), key=lambda x: -x[1])))
    if s.incomplete:
        lines.append(f"note: {s.incomplete}")
    lines += [f"hint: {h}" for h in s.hints]
    if s.read_by:
        lines.append(f"read by {s.read_by}")
    return "\n".join(visible(line, 4000) for line in lines)      # dump text is data: each line inert
