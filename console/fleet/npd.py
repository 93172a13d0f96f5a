"""`hangconsole check --npd`: a node-problem-detector custom plugin.

NPD's protocol (pkg/custompluginmonitor): exit 0 OK, 1 problem (NonOK), anything else
unknown (we use 2); stdout, trimmed, is the message and is cut at max_output_length bytes
(80 by default); the plugin is killed (its process group) at the rule's timeout. So: one
line that fits, naming the class, where (pod or container) and the key evidence; and a
watchdog that answers UNKNOWN before the timeout whatever hangs inside.
"""
from __future__ import annotations

import os
import re
import sys
import threading
import time

from ..safetext import visible
from . import check as ck

EXIT = {"ok": 0, "problem": 1, "unknown": 2}
MARGIN = 0.8                 # seconds kept between the watchdog and NPD's kill


def cut(text: str, limit: int) -> str:
    """TEXT in at most LIMIT bytes of UTF-8, on a character boundary, '~' marking a cut."""
    text = visible(" ".join(text.split()), None)         # host text is data: one inert line
    b = text.encode()
    if len(b) <= limit:
        return text
    return b[:max(0, limit - 1)].decode(errors="ignore") + "~"


def where(f: dict) -> str:
    if f.get("pod"):
        return f"{f.get('namespace') or 'default'}/{f['pod']}" + (
            f"/{f['k8s_container']}" if f.get("k8s_container") else "")
    if f.get("container"):
        return f.get("name") or f["container"][:12]
    return "host"


def _evidence(f: dict) -> str:
    """The summary without the container id it repeats (the line already says where)."""
    s = f.get("summary") or ""
    cid = (f.get("container") or "")[:12]
    if cid:
        s = s.replace(f" of {cid}", "").replace(f" in {cid}", "").strip()
    return re.sub(r"\b([0-9a-f]{12})[0-9a-f]{52}\b", r"\1", s)


def line(res: ck.Result, classes: set[str] | None, limit: int) -> tuple[int, str]:
    bad = [f for f in res.findings if f["severity"] in ("warning", "critical")
           and (not classes or f["class"] in classes)]
    status = ck.status_of(res.findings, res.reason, classes)
    meta = []
    if res.mode == "cached":
        meta.append(f"cached {res.age:.0f}s")
    elif res.mode in ("paired", "confirmed"):
        meta.append(f"vs {res.gap:.0f}s ago")
    if bad:
        f = bad[0]
        more = f" +{len(bad) - 1}" if len(bad) > 1 else ""
        tag = f" [{', '.join(meta)}]" if meta else ""
        text = f"{f['class']} {where(f)}{more}{tag}: {_evidence(f)}"
    elif status == "unknown":
        text = f"UNKNOWN: {res.reason}"
    else:
        what = "/".join(sorted(classes)) if classes and len(classes) <= 2 else "hang"
        text = f"OK: no {what} recognised" + (f" [{', '.join(meta)}]" if meta else "")
    return EXIT[status], cut(text, limit)


def watchdog(seconds: float, limit: int, out) -> threading.Timer:
    """At SECONDS: print UNKNOWN and leave at once (exit 2), helpers killed first."""
    def fire():
        try:
            for obj in list(_SOURCES):
                for h in list(getattr(obj.pool, "helpers", [])):
                    try:
                        h.p.kill()
                    except OSError:
                        pass
        except Exception:       # noqa: BLE001 - nothing may stop the exit
            pass
        try:
            out.write(cut(f"UNKNOWN: check did not finish within {seconds:.1f}s", limit) + "\n")
            out.flush()
        finally:
            os._exit(2 if getattr(_ARGS, "npd", True) else 3)
    t = threading.Timer(max(0.0, seconds), fire)
    t.daemon = True
    t.start()
    return t


_SOURCES: list = []           # live sources of this run, for the watchdog
_ARGS = None


def run(args) -> int:
    """The check command; args from fleet/cli.py."""
    global _ARGS
    _ARGS = args
    start = time.monotonic()
    limit = args.max_output_length
    budget = max(1.0, args.timeout - max(MARGIN, 0.1 * args.timeout))
    # helpers inherit fd 2: point it at /dev/null so nothing but us holds NPD's pipes
    out = sys.stdout
    err = os.fdopen(os.dup(2), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    dog = watchdog(budget, limit, out)
    classes = set(args.classes.split(",")) if args.classes else None
    from ..collect.engines_options import EngineAddresses
    from .capture import options as capture_opts
    engines = EngineAddresses.from_args(args)

    def factory():
        left = start + budget - time.monotonic()
        s = engines.source(docker_wait=max(0.2, min(1.5, (left - 1.0) / 3)))
        _SOURCES.append(s)
        return s
    opts = ck.Options(state_dir=args.state_dir or ck.default_state_dir(),
                      deadline=start + budget - 0.3, engines=engines, reuse=args.reuse, max_age=args.max_age,
                      interval=args.interval, full=args.full, **capture_opts(args))
    try:
        res = ck.run(opts, source_factory=factory)
    except OSError as e:
        res = ck.Result("unknown", reason=f"cannot check the host: {e}")
    except Exception as e:      # noqa: BLE001 - a bug must not read as exit 1 (a problem) to NPD
        import traceback
        traceback.print_exc(file=err)
        res = ck.Result("unknown", reason=f"internal error: {type(e).__name__}: {e}")
    code, text = line(res, classes, limit)
    dog.cancel()
    if not args.npd:          # monitoring-plugin codes, as diagnose: 1 WARNING 2 CRITICAL 3 UNKNOWN
        bad = {f["severity"] for f in res.findings if f["severity"] in ("warning", "critical")
               and (not classes or f["class"] in classes)}
        code = {0: 0, 2: 3}.get(code, 2 if "critical" in bad else 1)
    out.write(text + "\n")
    out.flush()
    if args.verbose:
        for f in res.findings:
            err.write(f"{f['severity']} {f['class']} {where(f)}: {f['summary']}\n")
        err.write(f"mode {res.mode}, {res.duration:.1f}s, state {opts.state_dir}"
                  + (f", second sample for: {'; '.join(res.suspects)}" if res.suspects else "")
                  + (f", captured {res.captured}" if res.captured else "") + "\n")
        err.flush()
    return code
