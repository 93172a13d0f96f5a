"""The causal chain of a finding, root first: each link with its evidence, where it was seen
(kernel log, pipe bytes, /proc, cgroups, Docker probes, a goroutine dump, the kubelet log)
and whether it was observed or inferred. Built per container from every finding on it, so
the symptom (a hung `docker inspect`) and the root cause (an OOM kill 28 days ago) carry the
same chain."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import model as m
from .. import provenance as pv
from . import content, kernel_causes, kubelet, registry
from . import evidence as ev
from .finding import Finding
from .history import History


@dataclass
class Extra:
    """What the samples do not hold: goroutine dumps, drained bytes, the kubelet's log."""
    stacks: list = field(default_factory=list)                    # grouped goroutines
    drained: list[tuple[str, bytes]] = field(default_factory=list)  # (file, bytes)
    kubelet: list[m.KernelLogLine] = field(default_factory=list)


link = ev.link

# A runtime call's step in a chain, by the call (what hangs or fails when it does).
_CALL_KEYS = {"inspect": "inspect-hangs", "stats": "inspect-hangs", "restart": "restart-hangs",
              "stop": "restart-hangs", "exec": "exec-fails", "list": "runtime-down"}
_EXEC_ERROR = re.compile(r"\bexec\b|stream copy error|OCI runtime", re.I)   # in the daemon's own log line


def _reconstructed(obj) -> str | None:
    """Why evidence OBJ holds a value a rebuilt recording reconstructed (the first such
    reason), or None when everything in it was seen."""
    if isinstance(obj, dict):
        if (r := obj.get("reconstructed")):
            return next((v for v in r.values() if isinstance(v, str)), "reconstructed") if isinstance(r, dict) else str(r)
        return next((w for v in obj.values() if (w := _reconstructed(v))), None)
    if isinstance(obj, list):
        return next((w for v in obj if (w := _reconstructed(v))), None)
    return None


def attach(h: History, findings: list[Finding], extra: Extra | None = None) -> None:
    extra = extra or Extra()
    snap = h.latest
    by_c: dict[str, list[Finding]] = {}
    for f in findings:
        if f.container:
            by_c.setdefault(f.container, []).append(f)
    host = [f for f in findings if not f.container and f.cls not in ("paused",)]
    chains = {}
    for cid, fs in by_c.items():
        c = snap.container(cid)
        if c is None:
            continue
        for f in [f for f in fs if registry.stands_alone(f.cls)]:
            fs.remove(f)
            f.causes = _marked(registry.links(h, f, c, {f.cls: f}, extra))
        if all(f.cls == "paused" for f in fs):
            continue
        daemon = [f for f in host if f.root_cause and f.root_cause.endswith(cid)]
        chains[cid] = _chain(h, c, fs + daemon, extra)
        for f in fs:
            if f.cls != "paused":
                f.causes = chains[cid]
    for f in host:
        cid = f.root_cause.split(":", 1)[1] if f.root_cause else None
        f.causes = chains.get(cid) or _chain(h, None, [f], extra)


def _chain(h: History, c: m.Container | None, fs: list[Finding], extra: Extra) -> list[dict]:
    snap = h.latest
    cls = {f.cls: f for f in fs}
    stuck = [p for f in fs for pid in f.pids if (p := snap.proc(pid))]
    roots: list[dict] = []
    pr = None
    if c is not None:
        gone = "runc-start-blocked" in cls
        ooms = kernel_causes.oom_kills(snap, c, runc_init_gone=gone)
        if ooms:
            lk = kernel_causes.oom_link(snap, c, ooms[-1], stuck)
            if len(ooms) > 1:
                lk["text"] += f" ({len(ooms)} OOM kills in the kernel log)"
            roots.append(lk)
        elif c.cgroup and (lv := next((x for x in c.cgroup.levels if x.mem_oom_kill), None)):
            roots.append(link(f"OOM killer killed {lv.mem_oom_kill} process(es) at {lv.path} "
                              f"(memory limit {kernel_causes.fmt_limit(lv.mem_limit) if lv.mem_limit else 'none'})",
                              "cgroup memory counters", {"cgroup": lv.path, "oom_kill": lv.mem_oom_kill}, key="memory-limit"))
        if (pr := kernel_causes.pids_refusals(snap, c)):
            roots.append(pr)
        elif "pids-exhausted" in cls:
            pe = cls["pids-exhausted"]        # the counters' statement: the failed exec is its own link
            roots.append(link(pe.evidence.get("counters_said") or pe.summary, "cgroup pids counters",
                              {"levels": cls["pids-exhausted"].evidence.get("levels")}, key="pids-limit"))
        roots.sort(key=lambda x: -(x["age"] or 0))
    said = _content(snap, c, cls, extra)
    at_pids_limit = c is not None and (pr is not None or "pids-exhausted" in cls)
    kinds = {r["kind"] for s in said for r in s["evidence"].get("recognised") or []}
    if at_pids_limit and kinds & {"runc-init-p", "go-abort"}:
        roots.append(link("runc init cannot start its threads at the pids limit (the limit counts threads) and "
                          "dies before it reports back to runc (runc#1914)", "runc source", kind="inferred", key="thread-create-fails"))
    if c is None and (f := cls.get("runc-start-blocked")):
        for line in f.evidence.get("kernel_log") or []:        # host-wide: the kill names no container
            k = next((k for k in snap.kernel_log if k.text == line), None)
            age = snap.uptime - k.uptime if k else None
            roots.append(link(f"OOM kill of {line.split('Kill process ', 1)[-1].split(' score')[0]}"
                              + (f" {ev.fmt_age(age)} ago" if age is not None else "")
                              + " (the line names no cgroup)", "kernel log", {"line": line}, age=age, key="memory-limit"))
    owned = [lk for k in registry.CLASSES if k in cls for lk in registry.links(h, cls[k], c, cls, extra)]
    out = roots + said + owned + _runtime(snap, c, cls, extra)     # the mechanism: each class's own links
    if (kl := kubelet.link(extra.kubelet or snap.kubelet_log)):
        out.append(kl)
    return _marked(out)


def _marked(out: list[dict]) -> list[dict]:
    for lk in out:                      # a link resting on a reconstructed value says so, and why
        if (why := _reconstructed(lk.get("evidence"))):
            lk["reconstructed"] = why
    return out


def _content(snap: m.HostSnapshot, c: m.Container | None, cls: dict, extra: Extra) -> list[dict]:
    """What blocked writers' bytes and drained files say; runtime errors Docker returned."""
    out = []
    for f in cls.values():
        pipe = f.evidence.get("pipe") if isinstance(f.evidence.get("pipe"), dict) else None
        pp = snap.pipe(pipe["inode"]) if pipe else None
        if pp is not None and pp.peek and (found := content.recognise(pp.peek)):
            w = f.evidence.get("fd") or {}
            p = snap.proc(w.get("pid"))
            name = {0: "stdin", 1: "stdout", 2: "stderr"}.get(w.get("fd"), f"fd {w.get('fd')}")
            who = "runc init" if p is not None and p.role == m.RUNC_INIT else (p.comm if p else "the writer")
            what = "Go abort" if content.is_go_abort(found) else "error"
            how = pv.why(pp, "peek")                # a report's own read, or our tee
            out.append(link(f"{what} in {who}'s {name}: {content.headline(found)}",
                            f"pipe bytes ({how})" if how else "pipe bytes (copied with tee, not consumed)",
                            {"recognised": found, "pipe": pp.inode, "head": pp.peek[:400]}, key="go-abort-stderr"))
            break
    for path, data in extra.drained:
        if (found := content.recognise(data)):
            what = "Go abort" if content.is_go_abort(found) else "error"
            out.append(link(f"{what} in the drained bytes: {content.headline(found)}", "drained file",
                            {"file": path, "recognised": found}, key="go-abort-stderr"))
    seen = set()
    for engine, source in (("runc", "runc's output"), ("docker", "Docker API error"),
                           ("containerd", "containerd API error")):
        st = getattr(snap, engine)
        for pr in (st.probes if st else []):
            text = "\n".join(x for x in (pr.said, pr.error) if x)
            if pr.status == "error" and text and (c is None or pr.target in (None, c.id)) \
                    and (found := content.recognise(text)) and content.headline(found) not in seen:
                seen.add(content.headline(found))
                what = "printed a Go abort:" if engine == "runc" and content.is_go_abort(found) else "failed:"
                out.append(link(f"{engine} {pr.call} {what} {content.headline(found)}",
                                source, {"call": pr.call, "error": (pr.error or "")[:300], "recognised": found},
                                key="go-abort-stderr" if content.is_go_abort(found) else _CALL_KEYS.get(pr.call)))
    said = {}       # last, the symptom: the daemons' own errors, once per message (no debug lines)
    for k in snap.daemon_log:
        if not re.search(r"level=(error|warning|fatal|panic)", k.text) and not content.recognise(k.text):
            continue
        msg = re.search(r'msg="((?:[^"\\]|\\.)*)"', k.text)
        text = (msg.group(1) if msg else k.text).replace('\\"', '"')
        if c is not None and any(x.id[:12] in text for x in snap.containers if x.id != c.id):
            continue                # about another container
        said.setdefault((k.kind, text[:300]), []).append(k)
    for (kind, text), ks in list(said.items())[:4]:
        out.append(link(f"{kind} logged: {text}" + (f" ({len(ks)} lines)" if len(ks) > 1 else ""),
                        f"{kind} log", {"lines": [k.text for k in ks][:3], "recognised": content.recognise(text)},
                        key="exec-errors-logged" if _EXEC_ERROR.search(text) else None))
    return out


def _runtime(snap: m.HostSnapshot, c: m.Container | None, cls: dict, extra: Extra) -> list[dict]:
    """The daemons: what waits on the container (pending calls, goroutines in a dump)."""
    out = []
    waiters = _inspect_waiters(extra.stacks)
    pending = [pr for pr in (snap.docker.probes if snap.docker else [])
               if pr.status == "pending" and c is not None and pr.target == c.id]
    if waiters:
        if (found := _holders(extra.stacks)):
            held, guessed = found
            out.append(link(f"dockerd: the container lock is {held[0]}", "goroutine dump (lock holders)",
                            {"holders": held[1:]}, kind="inferred" if guessed else "observed", key="daemon-lock"))
        out.append(link(f"dockerd holds the container lock ({waiters:,} goroutines wait in ContainerInspect)",
                        "goroutine dump", {"waiters": waiters, "pending": [pr.text for pr in pending]}, key="daemon-lock"))
    elif pending:
        lock = (" (dockerd waits on the container lock the exec holds)" if "exec-pipe-deadlock" in cls else "")
        mk = "≈" if pending[0].recon and "seconds" in pending[0].recon else ""
        out.append(link(f"docker {pending[0].call} pending {mk}{pending[0].seconds:.0f}s{lock}", "Docker API probe",
                        {"pending": [pr.text for pr in pending]},
                        kind="inferred" if lock else "observed", key=_CALL_KEYS.get(pending[0].call)))
    if (f := cls.get("daemon-unresponsive")) or (c is None and cls):
        calls = [pr for pr in (snap.docker.probes if snap.docker else []) if pr.status == "pending" and not pr.target]
        if calls:
            d = (f.evidence.get("dockerd") if f else None) or {}
            why = ({"T": f"dockerd {d.get('pid')} is stopped (state T)", "t": f"dockerd {d.get('pid')} is traced",
                    "D": f"dockerd {d.get('pid')} is in D state"}.get(d.get("state"))
                   or "something inside it holds the call, a lock or a call it waits on; its stacks say which")
            out.append(link(f"dockerd does not answer: {calls[0].text}; {why}",
                            "Docker API probe", {"pending": [pr.text for pr in calls],
                                                 **({"reconstructed": calls[0].recon} if calls[0].recon else {})}, key="runtime-down"))
    return out


def _inspect_waiters(groups) -> int:
    n = 0
    for g in groups:
        funcs = " ".join(getattr(g, "funcs", ()) or ())
        if "ContainerInspect" in funcs and ("Mutex).Lock" in funcs or "semacquire" in getattr(g, "state", "")):
            n += getattr(g, "count", 0)
    return n


def _short(func: str) -> str:
    return func.rsplit("/", 1)[-1]


def _holders(groups) -> tuple[list[str], bool] | None:
    """From the ContainerInspect waiters along console/stacks' lock-holder links: (["held by
    X (how), which waits for ... held by Y", step, step...], whether any step is a guess), or
    None without links."""
    links = getattr(groups, "links", None) or []
    first = next((lk for lk in links if "ContainerInspect" in " ".join(lk.waiters.funcs)), None)
    if first is None or first.holder is None:
        return None
    from ..stacks.summary import holder_text, lock_chain
    chain = lock_chain(links, first)
    steps = [holder_text(lk) for lk in chain]
    return [f"held by {', which waits for a lock held by '.join(steps)}"] + steps, any(lk.guess for lk in chain)


class _Groups(list):
    """Grouped goroutines, and the lock-holder links when console/stacks gives them."""
    links: list = []


def load_stacks(paths: list[str]) -> tuple[list, list[str]]:
    """Grouped goroutines of every dump in PATHS, with console/stacks' lock-holder links, and a
    note per file that could not be read."""
    groups, notes = _Groups(), []
    groups.links = []
    if not paths:
        return groups, notes
    from .. import stacks                      # the stack reader is imported only to read one
    for p in paths:
        try:
            s = stacks.summarise(p)
        except (OSError, ValueError) as e:      # a dump we cannot read (StackError too) is a note, never a crash
            notes.append(f"{p}: {e}")
            continue
        groups += list(s.groups)
        groups.links = groups.links + list(s.links or [])
    return groups, notes
