"""Who is who on a container host, from argv and cgroup paths alone.

Never from comm: the kernel cuts it at 15 characters (`containerd-shim-runc-v2` shows as
`containerd-shim`). These are pure functions so the live collector, the recorded-incident
builders and the tests classify the same way.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from .. import model as m

_HEX64 = re.compile(r"[0-9a-f]{64}")

# runc global options that take a value (everything else before the verb is a flag).
_RUNC_VALUE_OPTS = {"--root", "--log", "--log-format", "--criu", "--rootless"}


def container_id_from_cgroup(path: str | None) -> str | None:
    """The last 64-hex token of a cgroup path: /docker/<id>, docker-<id>.scope,
    cri-containerd-<id>.scope, crio-<id>.scope, kubepods/.../<id>."""
    if not path:
        return None
    found = _HEX64.findall(path)
    return found[-1] if found else None


@dataclass(slots=True)
class RoleInfo:
    role: str
    container_id: str | None = None
    namespace: str | None = None
    bundle: str | None = None        # from argv, where argv names it
    verb: str | None = None          # runc verb
    exec_id: str | None = None


def _opt(argv: list[str], name: str) -> str | None:
    """Value of a Go-flag style option: `-id X`, `--id X` or `-id=X`."""
    for i, a in enumerate(argv):
        bare = a.lstrip("-")
        if a.startswith("-") and bare == name.lstrip("-"):
            return argv[i + 1] if i + 1 < len(argv) else None
        if a.startswith("-") and bare.startswith(name.lstrip("-") + "="):
            return bare.split("=", 1)[1]
    return None


def _runc(argv: list[str]) -> RoleInfo:
    i = 1
    while i < len(argv) and argv[i].startswith("-"):
        opt = argv[i].split("=", 1)[0]
        i += 2 if (opt in _RUNC_VALUE_OPTS and "=" not in argv[i]) else 1
    verb = argv[i] if i < len(argv) else None
    if verb == "init":
        return RoleInfo(m.RUNC_INIT)
    last = argv[-1] if len(argv) > i + 1 and not argv[-1].startswith("-") else None
    info = RoleInfo(m.RUNC, container_id=last, verb=verb)
    if verb == "exec":
        pid_file = _opt(argv, "pid-file")
        if pid_file:
            info.exec_id = os.path.basename(pid_file).removesuffix(".pid")
            info.bundle = os.path.dirname(pid_file)
    return info


def classify(argv: list[str] | None, comm: str) -> RoleInfo | None:
    """The runtime role of a process, or None for everything else."""
    if comm.startswith("runc:["):            # runc:[0:PARENT] [1:CHILD] [2:INIT]
        return RoleInfo(m.RUNC_INIT)
    if not argv:
        return None
    base = os.path.basename(argv[0])
    if base in ("dockerd", "docker-daemon"):
        return RoleInfo(m.DOCKERD)
    if base in ("containerd", "docker-containerd"):
        return RoleInfo(m.CONTAINERD)
    if base == "crio":
        return RoleInfo(m.CRIO)
    if base.startswith("containerd-shim-"):   # v2: containerd-shim-runc-v2, -runc-v1, ...
        if argv[-1] in ("start", "delete"):   # short-lived helper runs, not the shim
            return None
        return RoleInfo(m.SHIM_V2, container_id=_opt(argv, "id"), namespace=_opt(argv, "namespace"))
    if base in ("containerd-shim", "docker-containerd-shim"):
        workdir = _opt(argv, "workdir")
        if workdir:
            return RoleInfo(m.SHIM_V1, container_id=os.path.basename(workdir.rstrip("/")),
                            namespace=_opt(argv, "namespace"))
        if len(argv) >= 3 and _HEX64.fullmatch(argv[1]):
            return RoleInfo(m.SHIM_LEGACY, container_id=argv[1], bundle=argv[2])
        return RoleInfo(m.SHIM_V1)
    if base == "conmon":
        return RoleInfo(m.CONMON, container_id=_opt(argv, "c") or _opt(argv, "cid"),
                        bundle=_opt(argv, "b") or _opt(argv, "bundle"))
    if base in ("runc", "docker-runc") or base.startswith("runc."):
        return _runc(argv)
    if base == "pause" and comm == "pause":
        return RoleInfo(m.PAUSE)
    return None
