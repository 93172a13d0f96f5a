"""A drill acts on the lab only, never on the host's own engines: the console is shown the
lab's processes and containers alone, and every act the actions layer makes is checked
against the same scope right before it is made (actions/guard.py's limit_to)."""
from __future__ import annotations

import dataclasses
import re

from .. import model as m


class LabScope:
    """What belongs to LAB: processes whose argv names its directory (its daemons, shims,
    conmon), whose cgroup is under its cgroup parent (its containers), or that descend from one
    of its helpers (the stalled clients a fault starts)."""

    def __init__(self, lab):
        self.lab = lab
        self.needle = lab.dir.rstrip("/") + "/"
        self.cgroup = f"/{lab.cgroup_parent}/"
        self.what = f"the {lab.ENGINE} lab at {lab.dir}"
        self.since: float | None = None        # uptime the drill began: older kernel lines are not its own

    def helpers(self) -> set[int]:
        st = getattr(self.lab, "_state", None)
        if st is not None:
            out = {h["pid"] for h in st().get("helpers", []) if isinstance(h, dict)}
        else:
            out = set()
        try:                                   # the containerd and podman labs: "pid start" lines
            with open(self.lab.path("helpers")) as f:
                out |= {int(ln.split()[0]) for ln in f if ln.strip()}
        except (OSError, ValueError):
            pass
        return out

    def mine(self, p: m.Process) -> bool:
        return bool((p.cgroup and self.cgroup in p.cgroup + "/") or
                    (p.argv and any(self.needle in a or a == self.needle.rstrip("/") for a in p.argv)))

    def owned(self, snap: m.HostSnapshot) -> set[int]:
        """The pids of SNAP that belong to the lab."""
        helpers = self.helpers()
        by = {p.pid: p for p in snap.processes}
        below: dict[int, bool] = {}            # pid -> descends from a helper

        def from_helper(p: m.Process) -> bool:
            path, q = [], p
            while q is not None and q.pid not in below and q.pid not in helpers and q.pid not in path:
                path.append(q.pid)
                q = by.get(q.ppid)
            found = q is not None and (q.pid in helpers or below.get(q.pid, False))
            for pid in path:
                below[pid] = found
            return found
        return {p.pid for p in snap.processes if self.mine(p) or from_helper(p)}

    def filter(self, snap: m.HostSnapshot) -> m.HostSnapshot:
        """SNAP with only the lab's processes, pipe ends and containers."""
        keep = self.owned(snap)
        snap.processes = [p for p in snap.processes if p.pid in keep]
        pipes = (dataclasses.replace(pp, readers=[e for e in pp.readers if e.pid in keep],   # new objects:
                                     writers=[e for e in pp.writers if e.pid in keep])   # the collector keeps its own
                 for pp in snap.pipes)
        snap.pipes = [pp for pp in pipes if pp.readers or pp.writers]
        snap.kernel_log = [k for k in snap.kernel_log if self._kernel_line_ok(k)]
        snap.containers = [c for c in snap.containers if any(self.cgroup in p + "/" for p in c.cgroup_paths or ())
                           or any(p.container_id == c.id for p in snap.processes)]
        snap._index = None
        return snap

    def _kernel_line_ok(self, k: m.KernelLogLine) -> bool:
        """A kernel line of the drill: logged since it began, and naming no cgroup but the lab's."""
        if self.since is not None and k.uptime < self.since:
            return False
        paths = _CGROUP_IN_LINE.findall(k.text)
        return not paths or any(self.cgroup in "/" + p.strip("/") + "/" for p in paths)

    def pid_ok(self, pid: int) -> bool:
        """Read from /proc right before an act: the same tests, on the live process."""
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
            with open(f"/proc/{pid}/cgroup") as f:
                cg = f.read()
        except OSError:
            return False
        if self.cgroup in cg or any(self.needle in a for a in argv):
            return True
        helpers, seen = self.helpers(), set()
        while pid > 1 and pid not in seen:     # a helper's descendant
            if pid in helpers:
                return True
            seen.add(pid)
            try:
                with open(f"/proc/{pid}/stat") as f:
                    pid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                return False
        return False

    def path_ok(self, path: str) -> bool:
        return self.cgroup in path.rstrip("/") + "/"


_CGROUP_IN_LINE = re.compile(r"(?:\bin |memcg=|task_memcg=|oom_memcg=)(/[^\s,]+)")


class ScopedSource:
    """A live source that shows the console the lab alone (and hands each sample to TEE)."""

    def __init__(self, source, scope: LabScope, tee=None):
        self.source, self.scope, self.tee = source, scope, tee

    def __getattr__(self, name):
        return getattr(self.source, name)

    def snapshot(self) -> m.HostSnapshot:
        snap = self.scope.filter(self.source.snapshot())
        if self.tee is not None:
            self.tee(snap)
        return snap
