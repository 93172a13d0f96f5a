"""Go goroutine dumps: parse, group identical stacks pprof-style, and say what they show.

Accepts what the daemons actually write:
- plain `runtime.Stack` output (dockerd's goroutine-stacks-*.log, containerd's
  /tmp/containerd.<pid>.stacks.log, a shim's dump);
- a dump inside a logrus line, as a shim or containerd logs it through the journal:
  msg="=== BEGIN goroutine stack dump ===\\ngoroutine 1 [...]..." (escaped or not);
- pprof `goroutine?debug=1` profiles ("717594 @ 0x... / #  0x...  func+0x3e  file:71").
Groups are keyed by (state, function list without arguments or offsets).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADER = re.compile(r"^goroutine (\d+) \[([^\]]*)\]:\s*$")
_PPROF_GROUP = re.compile(r"^(\d+) @ (0x[0-9a-f]+(?: 0x[0-9a-f]+)*)\s*$")
_PPROF_FRAME = re.compile(r"^#\s+0x[0-9a-f]+\s+(\S+?)(?:\+0x[0-9a-f]+)?\s+(\S+:\d+)\s*$")
_WAIT = re.compile(r"(\d+) minutes?")
_BORING = ("runtime.", "sync.", "internal/poll.", "syscall.", "net.", "net/http.", "io.",
           "bufio.", "os/signal.", "golang.org/x/sys/")


class StackError(ValueError):
    """Not a goroutine dump."""


@dataclass
class Frame:
    func: str
    location: str = ""        # file:line


@dataclass
class Goroutine:
    id: int
    state: str                 # "semacquire", "chan send", "IO wait"...
    wait_minutes: int = 0
    frames: list[Frame] = field(default_factory=list)
    created_by: str | None = None


@dataclass
class Group:
    state: str
    funcs: tuple[str, ...]
    count: int = 0
    max_wait: int = 0          # minutes, the longest any goroutine of the group had waited
    ids: list[int] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)
    created_by: str | None = None

    @property
    def top(self) -> str:
        """The first frame outside the runtime and standard plumbing: where it is stuck."""
        for f in self.funcs:
            if not f.startswith(_BORING) and "/vendor/google.golang.org/grpc" not in f:
                return f
        return self.funcs[0] if self.funcs else "?"

    def matches(self, text: str) -> bool:
        t = text.lower()
        return t in self.state.lower() or any(t in f.lower() for f in self.funcs)


def extract(text: str) -> str:
    """The dump inside a logrus/journal line, unescaped; plain dumps pass through."""
    start = text.find("=== BEGIN goroutine stack dump ===")
    if start < 0:
        return text
    end = text.find("=== END goroutine stack dump ===", start)
    body = text[start + len("=== BEGIN goroutine stack dump ==="): end if end >= 0 else None]
    if "\\n" in body and body.count("\n") < body.count("\\n"):
        body = body.encode("utf-8").decode("unicode_escape")
    return body


def parse(text: str) -> list[Goroutine] | list[Group]:
    """Goroutines of a plain dump, or (for a pprof profile) groups straight away."""
    body = extract(text)
    if "goroutine profile: total" in body or _PPROF_GROUP.search(body.split("\n", 3)[-1] if body else ""):
        groups = _parse_pprof(body)
        if groups:
            return groups
    out: list[Goroutine] = []
    cur: Goroutine | None = None
    for raw in body.splitlines():
        line = raw.rstrip()
        m = _HEADER.match(line.strip())
        if m:
            parts = [p.strip() for p in m.group(2).split(",")]
            wait = next((int(w.group(1)) for p in parts if (w := _WAIT.search(p))), 0)
            cur = Goroutine(int(m.group(1)), parts[0], wait)
            out.append(cur)
            continue
        if cur is None or not line.strip():
            continue
        s = line.strip()
        if s.startswith("created by "):
            cur.created_by = s[len("created by "):].split(" in goroutine")[0]
        elif re.search(r"\.(go|s):\d+", s) and (s.startswith("/") or raw[:1] in ("\t", " ") or ":" in s.split()[0]):
            if cur.frames and not cur.frames[-1].location:
                cur.frames[-1].location = s.split(" +0x")[0]
        elif cur.created_by is None:
            # the arguments are the last parenthesised group: pkg.(*T).Method(0xc4.., 0x1)
            name = s.rpartition("(")[0] if s.endswith(")") and "(" in s else s
            cur.frames.append(Frame(name or s))
    if not out:
        raise StackError("no goroutines found: not a Go stack dump")
    return out


def _parse_pprof(body: str) -> list[Group]:
    groups: list[Group] = []
    cur: Group | None = None
    for line in body.splitlines():
        m = _PPROF_GROUP.match(line.strip())
        if m:
            cur = Group(state="(pprof: no state)", funcs=(), count=int(m.group(1)))
            groups.append(cur)
            continue
        f = _PPROF_FRAME.match(line.strip())
        if f and cur is not None:
            cur.frames.append(Frame(f.group(1), f.group(2)))
            cur.funcs = cur.funcs + (f.group(1),)
    return [g for g in groups if g.funcs]


_IDLE_STATES = ("IO wait", "select", "chan receive", "sleep", "syscall", "select (no cases)", "running")


def _order(g: Group) -> tuple:
    """Biggest first; among equals, stacks stuck in the program's own code before goroutines
    idling in the runtime, blocking states (chan send, semacquire) before the ones servers
    idle in (IO wait, select, chan receive), then the longest wait."""
    return (-g.count, g.top.startswith(_BORING), g.state in _IDLE_STATES, -g.max_wait)


def group(goroutines: list[Goroutine] | list[Group]) -> list[Group]:
    """Identical stacks together, in _order."""
    if goroutines and isinstance(goroutines[0], Group):
        return sorted(goroutines, key=_order)
    by: dict[tuple, Group] = {}
    for g in goroutines:
        key = (g.state, tuple(f.func for f in g.frames))
        grp = by.get(key)
        if grp is None:
            grp = by[key] = Group(g.state, key[1], frames=g.frames, created_by=g.created_by)
        grp.count += 1
        grp.max_wait = max(grp.max_wait, g.wait_minutes)
        if len(grp.ids) < 20:
            grp.ids.append(g.id)
    return sorted(by.values(), key=_order)


def load(text: str) -> list[Group]:
    return group(parse(text))


def hints(groups: list[Group]) -> list[str]:
    """What the grouped stacks point at (hang-signatures.md, section F)."""
    out = []
    total = sum(g.count for g in groups) or 1
    for g in groups:
        funcs = " ".join(g.funcs)
        if "reaper.Reap" in funcs and g.state == "chan send":
            out.append(f"shim reaper blocked in chan send for {g.max_wait} min: it has stopped "
                       "reaping (containerd#2709, class zombies-under-shim/shim-unresponsive)")
        elif "(*Monitor).Wait" in funcs and ("(*Runc).Exec" in funcs or "Kill" in funcs or "cmdOutput" in funcs):
            out.append(f"{g.count} goroutine(s) in reaper Monitor.Wait under a runc call for "
                       f"{g.max_wait} min: the shim waits on a runc child (exec pipe deadlock?)")
        elif "ttrpc.(*Client).dispatch" in funcs and re.search(r"shimClient\)?\.(Exec|Start|Kill|Delete|State)", funcs):
            call = re.search(r"shimClient\)?\.(\w+)", funcs).group(1)
            out.append(f"{g.count} containerd goroutine(s) waiting on a shim's {call} reply: look at that shim")
        elif (g.state.startswith("semacquire") or g.state == "(pprof: no state)") and "sync.(*Mutex).Lock" in funcs \
                and g.count * 20 >= total and g.count > 1:
            out.append(f"{g.count} goroutines wait for a mutex in {g.top}"
                       + (f" for up to {g.max_wait} min" if g.max_wait else "")
                       + ": one holder blocks them all (a container lock?)")
    return out


def summary(groups: list[Group], limit: int = 10) -> str:
    total = sum(g.count for g in groups)
    lines = [f"{total} goroutines in {len(groups)} distinct stacks"]
    for g in groups[:limit]:
        wait = f", up to {g.max_wait} min" if g.max_wait else ""
        lines.append(f"{g.count:>8}  [{g.state}{wait}]  {g.top}")
    for h in hints(groups):
        lines.append(f"hint: {h}")
    return "\n".join(lines)
