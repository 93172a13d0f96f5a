"""Who holds the lock that thousands wait for.

With arguments in the dump (debug=2, runtime.Stack, SIGQUIT) the waiters' Lock frame names
the mutex's address, and the holder is a goroutine, not waiting on that lock, with the same
address (or the object holding the mutex) among its frames' arguments. A debug=1 profile
has no arguments: then the holder is guessed from the code, marked as a guess: a stack that
went past the waiters' Lock call in the same function, or one in a method of the same type.
Memory stays bounded: the addresses kept are capped and the cap is reported.
"""
from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass

from .model import LOCK_FUNCS, SEMA_FUNCS, Group, boring

MAX_ADDRESSES = 200_000
_PTR = re.compile(r"0xc[0-9a-f]{7,}")
_POINTER = re.compile(r"0xc[0-9a-f]+", re.ASCII)
_RECEIVER = re.compile(r"^(.*\(\*[^)]+\))\.")


@dataclass
class LockLink:
    """WAITERS (COUNT of them) wait for LOCK, held (by HOW we know) by HOLDER."""
    waiters: Group
    count: int
    lock: str                     # the mutex's address, "" when the dump has no arguments
    holder: Group | None
    holder_id: int | None         # the holding goroutine, when known by address
    how: str                      # "address", "past the lock", "same type", "not found"
    where: str = ""               # the holder's frame that ties it to the lock
    detail: str = ""

    @property
    def guess(self) -> bool:
        return self.how != "address"

    @property
    def why(self) -> str:
        return "by address" if self.how == "address" else f"guess: {self.how}"


def _first_pointer(line: str) -> str | None:
    i = line.rfind("(")
    if i < 0:
        return None
    a = line[i + 1:].split(",", 1)[0].strip(" )?")
    return a if len(a) >= 10 and _POINTER.fullmatch(a) else None


def _line_no(location: str) -> int:
    try:
        return int(location.rpartition(":")[2])
    except ValueError:
        return -1


class LockTracker:
    """Fed every goroutine of a tracked group (with its function lines, arguments included)."""

    def __init__(self):
        self._lock_idx: dict[int, list[int]] = {}
        self._arg_idx: dict[int, list[int]] = {}
        self.waiting: dict[tuple[int, str], Counter] = {}     # (dump, mutex) -> id(group) -> n
        self.owners: dict[tuple[int, str], set[str]] = {}     # (dump, mutex) -> objects around it
        # (dump, pointer) -> (gid, id(group), frame, is the frame's receiver)
        self.holders: dict[tuple[int, str], list[tuple[int, int, int, bool]]] = {}
        self.groups: dict[int, Group] = {}
        self.full = False
        self._sorted: dict[int, list[tuple[int, str]]] | None = None
        self._addr: dict[str, str] = {}
        self.reorders = 0               # lock_line() changed for some group
        self.max_addresses = MAX_ADDRESSES

    def new_group(self, grp: Group) -> None:
        k = id(grp)
        self.groups[k] = grp
        if grp.state == "(pprof: no state)":
            return
        if grp.lock_wait:
            # the Lock frame names the mutex; the semacquire below it only its sema field
            idx = [i for i, f in enumerate(grp.funcs) if f in LOCK_FUNCS] + \
                  [i for i, f in enumerate(grp.funcs) if f in SEMA_FUNCS]
            if idx:
                self._lock_idx[k] = idx
                grp.track = True
        else:
            idx = [i for i, f in enumerate(grp.funcs) if not boring(f)][:8]
            if idx:
                self._arg_idx[k] = idx
                grp.track = True

    def lock_line(self, grp: Group) -> int | None:
        """Which of a lock-waiting group's function lines names the mutex (None: not waiting)."""
        idx = self._lock_idx.get(id(grp))
        return idx[0] if idx else None

    def arg_lines(self, grp: Group) -> list[int]:
        """Which of a group's function lines have their pointer arguments kept (a group not
        waiting on a lock; the C scanner does what goroutine() does with them)."""
        return list(self._arg_idx.get(id(grp), ()))

    def goroutine(self, grp: Group, gid: int, funcs: list[str], wait: int) -> Counter | None:
        """Count a goroutine of GRP (FUNCS: its function lines, arguments and all). Returns the
        Counter it went into when every goroutine of GRP with the same line at lock_line(GRP)
        goes there too, and nothing else happens for it (the C scanner then counts those
        itself, until `reorders` changes)."""
        k = id(grp)
        idx = self._lock_idx.get(k)
        if idx is not None:
            line = funcs[idx[0]]
            addr = self._addr.get(line)             # thousands wait on one mutex: one line
            if addr is None:
                addr = _first_pointer(line)
                if len(self._addr) < 4096:
                    self._addr[line] = addr or ""
            same = bool(addr)                       # a function of that one line
            if not addr:
                addr = next((a for i in idx[1:] if (a := _first_pointer(funcs[i]))), None)
                if addr is None:
                    return None
                good = next(i for i in idx if _first_pointer(funcs[i]) == addr)
                idx.remove(good)
                idx.insert(0, good)         # where this group's goroutines show the address
                self.reorders += 1
            key = (grp.dump, addr)
            c = self.waiting.get(key)
            if c is None:
                if len(self.waiting) >= self.max_addresses:
                    self.full = True
                    return None
                c = self.waiting[key] = Counter()
                # the object that holds the mutex: an argument just below its address
                a = int(addr, 16)
                last = max(idx)
                self.owners[key] = {v for f in funcs[last + 1:last + 4]
                                    for v in _PTR.findall(f) if 0 <= a - int(v, 16) < 512}
            c[k] += 1
            return c if same else None
        holders = self.holders
        for i in self._arg_idx.get(k, ()):
            f = funcs[i]
            args = f[f.rfind("("):]
            for n, v in enumerate(_PTR.findall(args)):
                hk = (grp.dump, v)
                lst = holders.get(hk)
                if lst is None:
                    if len(holders) >= self.max_addresses:
                        self.full = True
                        continue
                    lst = holders[hk] = []
                if len(lst) < 4:
                    lst.append((gid, k, i, n == 0 and args.startswith("(" + v)))
        return None

    def merge(self, other: "LockTracker", groups: dict[int, Group], dumps: dict[int, int]) -> None:
        """OTHER's addresses into these: GROUPS maps its group keys to groups here, DUMPS its
        dump indexes to indexes here."""
        for g in groups.values():
            self.groups[id(g)] = g
        for (d, addr), c in other.waiting.items():
            key = (dumps[d], addr)
            mine = self.waiting.get(key)
            if mine is None:
                if len(self.waiting) >= self.max_addresses:
                    self.full = True
                    continue
                mine = self.waiting[key] = Counter()
            for k, n in c.items():
                mine[id(groups[k])] += n
            self.owners.setdefault(key, set()).update(other.owners.get((d, addr), ()))
        for (d, v), lst in other.holders.items():
            hk = (dumps[d], v)
            mine = self.holders.get(hk)
            if mine is None:                    # as one reader would: no new address past the cap
                if len(self.holders) >= self.max_addresses:
                    self.full = True
                    continue
                mine = self.holders[hk] = []
            for gid, k, i, receiver in lst:
                if len(mine) < 4:
                    mine.append((gid, id(groups[k]), i, receiver))
        self.full |= other.full

    # ---- after reading ----------------------------------------------------------------------

    def _near(self, dump: int, addr: str) -> list[str]:
        """Pointers held by non-waiters to an object that holds the mutex (up to 512 bytes below
        it: a struct with the mutex as a field, when the waiters' own frames show no pointer)."""
        if self._sorted is None:
            self._sorted = {}
            for d, v in self.holders:
                self._sorted.setdefault(d, []).append((int(v, 16), v))
            for lst in self._sorted.values():
                lst.sort()
        lst = self._sorted.get(dump, [])
        a = int(addr, 16)
        i = bisect.bisect_left(lst, (a - 511, ""))
        return [v for n, v in lst[i:i + 64] if n <= a]

    def links(self, groups: list[Group]) -> list[LockLink]:
        out: list[LockLink] = []
        linked: set[int] = set()
        self._sorted = None
        ranked = sorted(self.waiting.items(), key=lambda kv: -sum(kv[1].values()))
        for n_lock, ((dump, addr), counter) in enumerate(ranked):
            cands = list(self.holders.get((dump, addr), []))
            for o in self.owners.get((dump, addr), ()):
                cands += self.holders.get((dump, o), [])
            if not cands and n_lock < 100:
                for v in self._near(dump, addr):
                    cands += self.holders.get((dump, v), [])
            for k, n in counter.most_common():
                w = self.groups[k]
                best = max(cands, key=lambda c: self._rank(c), default=None)
                if best is not None:
                    gid, hk, i, _ = best
                    h = self.groups[hk]
                    others = len({c[0] for c in cands}) - 1
                    out.append(LockLink(w, n, addr, h, gid, "address", h.funcs[i],
                                        f"{others} other goroutine(s) also hold a pointer to it" if others else ""))
                else:
                    out.append(LockLink(w, n, addr, None, None, "not found", "",
                                        "no goroutine outside the waiters refers to the mutex"))
                linked.add(k)
        for w in groups:
            if w.lock_wait and id(w) not in linked:
                out.append(self._guess(w, groups))
        out.sort(key=lambda link: -link.count)
        return out

    def _rank(self, cand: tuple[int, int, int, bool]) -> tuple:
        """A method called on the object (the waiters call methods on it too) before a function
        handed the pointer; mid-stack (a handler) before a goroutine's own loop function; a
        blocked state before an idle one."""
        gid, k, i, receiver = cand
        g = self.groups[k]
        return (receiver, i < len(g.funcs) - 1, not g.idle, g.max_wait, -i)

    def _guess(self, w: Group, groups: list[Group]) -> LockLink:
        """No address: a holder from the code (a debug=1 profile)."""
        after = [i for i, f in enumerate(w.funcs) if f in LOCK_FUNCS]
        start = (after[-1] + 1) if after else 0
        caller = next((i for i in range(start, len(w.funcs)) if not boring(w.funcs[i])), None)
        same_dump = [g for g in groups if g.dump == w.dump and g is not w]
        if caller is not None:
            fn, loc = w.frames[caller].func, w.frames[caller].location
            for g in same_dump:
                for fr in g.frames:
                    if fr.func == fn and fr.location.rpartition(":")[0] == loc.rpartition(":")[0] \
                            and _line_no(fr.location) > _line_no(loc) and g.count <= w.count:
                        return LockLink(w, w.count, "", g, g.ids[0] if g.ids else None, "past the lock",
                                        fr.func, f"it is in {fn.rpartition('/')[2]} past line {_line_no(loc)}, where the others wait")
        types = []
        for f in w.funcs[start:]:
            m = _RECEIVER.match(f)
            if m and m.group(1) not in types and not boring(f):
                types.append(m.group(1))
        for t in types:
            cands = [g for g in same_dump if g.count <= w.count and not g.lock_wait
                     and any(f.startswith(t + ".") for f in g.funcs)]
            if cands:
                h = max(cands, key=lambda g: (not g.idle, -g.count, g.max_wait))
                return LockLink(w, w.count, "", h, h.ids[0] if h.ids else None, "same type",
                                next(f for f in h.funcs if f.startswith(t + ".")), f"a {t.rpartition('/')[2]} method blocked elsewhere; the dump has no addresses")
        return LockLink(w, w.count, "", None, None, "not found", "", "no candidate in the dump")
