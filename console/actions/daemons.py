"""Which dockerd and which containerd serve a container. A host can run two engines (a
distribution's Docker beside a Kubernetes containerd, a lab beside production): a signal
meant for one must never reach the other.

Live, the answer comes from the kernel: the daemon that holds the listening unix socket at
the address (its own network namespace's /proc/PID/net/unix, matched against its fds), which
also covers socket activation (`-H fd://`) and addresses set in a config file. On a recording,
or when /proc cannot say, from argv (`-H`/`--host`, `--address`/`-a`). Failing both, the only
daemon of its kind on the host; with several and no way to tell, none.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from .. import model as m

DEFAULT_DOCKER_SOCK = "/var/run/docker.sock"
DEFAULT_CONTAINERD_SOCK = "/run/containerd/containerd.sock"


@dataclass
class Choice:
    procs: list[m.Process]
    why: str                 # how they were chosen, or why none was


def _norm(path: str) -> str:
    # /var/run is a link to /run on every current distribution; compare real paths
    return os.path.realpath(path) if path else path


def docker_sock(docker_host: str | None) -> str | None:
    """The unix socket path of a Docker host URL, resolved as the docker CLI does; None for
    tcp:// or ssh:// (no socket to match)."""
    from ..collect.docker_probe import _unix_path, resolve_host
    return _unix_path(resolve_host(docker_host))


def _listening_paths(pid: int) -> set[str] | None:
    """Unix socket paths PID listens on, or None when /proc cannot tell (not root, gone)."""
    try:
        inodes = set()
        for fd in os.listdir(f"/proc/{pid}/fd"):
            t = os.readlink(f"/proc/{pid}/fd/{fd}")
            if t.startswith("socket:["):
                inodes.add(t[8:-1])
        paths = set()
        with open(f"/proc/{pid}/net/unix") as f:
            next(f, None)
            for line in f:
                parts = line.split()
                # Num RefCount Protocol Flags Type St Inode Path; flag 0x10000 = listening
                if len(parts) >= 8 and parts[6] in inodes and int(parts[3], 16) & 0x10000:
                    paths.add(_norm(parts[7].lstrip("@")))
        return paths
    except (OSError, ValueError):
        return None


def _argv_addresses(p: m.Process, flags: tuple[str, ...]) -> list[str]:
    argv, out = p.argv or [], []
    for i, a in enumerate(argv):
        for fl in flags:
            if a == fl and i + 1 < len(argv):
                out.append(argv[i + 1])
            elif a.startswith(fl + "="):
                out.append(a.split("=", 1)[1])
    return [x[len("unix://"):] if x.startswith("unix://") else x for x in out]


def _serving(snap: m.HostSnapshot, role: str, sock: str | None, flags: tuple[str, ...],
             default: str, live: bool) -> Choice:
    cands = [p for p in snap.processes if p.role == role and not p.zombie]
    if not cands:
        return Choice([], f"no {role} on this host" if live else
                      f"no {role} process in this data (the recording does not show it)")
    if sock:
        want = _norm(sock)
        if live:
            for p in cands:
                paths = _listening_paths(p.pid)
                if paths and want in paths:
                    return Choice([p], f"{role} {p.pid} listens on {sock}")
        for p in cands:
            addrs = _argv_addresses(p, flags)
            configured = bool(_argv_addresses(p, ("--config", "-c")))   # address may be in there
            if want in {_norm(a) for a in addrs} or (not addrs and not configured
                                                     and want == _norm(default)):
                return Choice([p], f"{role} {p.pid} is started with {sock}")
    if len(cands) == 1:
        return Choice(cands, f"{role} {cands[0].pid} is the only {role} "
                             + ("on this host" if live else "in this data"))
    pids = ", ".join(str(p.pid) for p in cands)
    return Choice([], f"cannot tell which {role} ({pids}) serves {sock or 'this container'}: "
                      f"none is signalled")


def dockerd_of(snap: m.HostSnapshot, docker_host: str | None, live: bool = True) -> Choice:
    return _serving(snap, m.DOCKERD, docker_sock(docker_host), ("-H", "--host"),
                    DEFAULT_DOCKER_SOCK, live)


def containerd_of(snap: m.HostSnapshot, shim: m.Process | None, live: bool = True) -> Choice:
    """The containerd whose socket the shim's -address names."""
    sock = None
    if shim is not None:
        addrs = _argv_addresses(shim, ("-address", "--address"))
        sock = addrs[0] if addrs else None
    return _serving(snap, m.CONTAINERD, sock, ("--address", "-a"), DEFAULT_CONTAINERD_SOCK, live)


DEFAULT_CRIO_SOCK = "/var/run/crio/crio.sock"


def crio_of(snap: m.HostSnapshot, conmon: m.Process | None, live: bool = True) -> Choice:
    """The CRI-O that started this conmon. A conmon whose --exit-command is podman belongs to a
    podman container: podman has no daemon, so there is none to dump."""
    if conmon is not None:
        exit_cmd = _argv_addresses(conmon, ("--exit-command",))
        if exit_cmd and os.path.basename(exit_cmd[0]) == "podman":
            return Choice([], f"conmon {conmon.pid} was started by podman (its --exit-command): "
                              f"podman has no daemon to dump")
    return _serving(snap, m.CRIO, None, ("--listen",), DEFAULT_CRIO_SOCK, live)
