"""The TCP connections dockerd holds to its containers' log endpoints (fluentd, gelf, syslog,
splunk), with the kernel's queues, and the local process at the other end when there is one.

A log driver in blocking mode (Docker's default) writes each line before it reads the next
from the container's FIFO: an endpoint that accepts and stops reading fills the connection's
queues, and the container then blocks in write(1). The queues say so without a packet:
/proc/PID/net/tcp gives tx_queue (bytes not yet acknowledged) and rx_queue (received, not read
by the application). The table is read from dockerd's own network namespace; nothing is
connected to or opened. Unix-socket endpoints have no queue in /proc and are not followed.
"""
from __future__ import annotations

import ipaddress
import json
import re
import sys

from .. import model as m
from ..runtime_clients import option_values

# Docker's network log drivers and the option naming where each sends; fluentd's default
_ADDRESS_OPT = {"fluentd": "fluentd-address", "gelf": "gelf-address", "syslog": "syslog-address",
                "splunk": "splunk-url"}
_DEFAULT = {"fluentd": "localhost:24224"}
_STATES = {"01": "ESTABLISHED", "02": "SYN_SENT", "04": "FIN_WAIT1", "05": "FIN_WAIT2",
           "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT", "09": "LAST_ACK", "0A": "LISTEN",
           "0B": "CLOSING"}
NOT_LISTENING = "NONE"          # a local endpoint with no socket listening at it (looked for: none)
_DEFAULT_PORT = {"https": 443, "http": 80, "tcp": None}


def endpoint(driver: str | None, opts: dict[str, str] | None) -> tuple[str, str, int] | None:
    """(as written, host, port) of a driver's TCP endpoint; None for files, UDP and unix sockets."""
    if driver not in _ADDRESS_OPT:
        return None
    text = (opts or {}).get(_ADDRESS_OPT[driver]) or _DEFAULT.get(driver)
    if not text:
        return None
    mt = re.fullmatch(r"(?:(?P<scheme>[a-z+]+)://)?\[?(?P<host>[^\]/]*?)\]?(?::(?P<port>\d+))?(?:/.*)?", text)
    if not mt or (mt["scheme"] or "tcp") not in ("tcp", "tcp+tls", "tls", "http", "https"):
        return None
    port = int(mt["port"]) if mt["port"] else _DEFAULT_PORT.get(mt["scheme"] or "tcp")
    return (text, mt["host"] or "localhost", port) if port else None


def _addr(hexaddr: str) -> tuple[str, int]:
    ip, port = hexaddr.split(":")
    raw = bytes.fromhex(ip)
    # the kernel prints each 32-bit word in host byte order
    raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4)) if _LITTLE else raw
    a = ipaddress.ip_address(raw)
    if isinstance(a, ipaddress.IPv6Address) and a.ipv4_mapped:
        a = a.ipv4_mapped
    return str(a), int(port, 16)


_LITTLE = sys.byteorder == "little"


def read_table(proc: str, pid: int) -> list[tuple[int, tuple[str, int], tuple[str, int], str, int, int]]:
    """(inode, local, remote, state, tx_queue, rx_queue) of every TCP socket in PID's netns."""
    rows = []
    for name in ("tcp", "tcp6"):
        try:
            with open(f"{proc}/{pid}/net/{name}") as f:
                next(f, None)
                for line in f:
                    p = line.split()
                    if len(p) < 10:
                        continue
                    tx, rx = (int(x, 16) for x in p[4].split(":"))
                    rows.append((int(p[9]), _addr(p[1]), _addr(p[2]), _STATES.get(p[3], p[3]), tx, rx))
        except (OSError, ValueError):
            continue
    return rows


def data_roots(snap: m.HostSnapshot, read) -> list[str]:
    """Each dockerd's --data-root (or daemon.json's data-root, or the default)."""
    out = []
    for p in snap.processes:
        if p.role != m.DOCKERD or not p.argv:
            continue
        root = (option_values(p.argv, "--data-root", "-g") or [None])[-1]
        if root is None:
            cfg = (option_values(p.argv, "--config-file") or ["/etc/docker/daemon.json"])[-1]
            try:
                root = json.loads(read(cfg) or b"{}").get("data-root")
            except (ValueError, AttributeError):
                root = None
        out.append(root or "/var/lib/docker")
    return list(dict.fromkeys(out))


def fill_log_configs(snap: m.HostSnapshot, reads) -> None:
    """Docker containers whose log driver the API did not give (the inspect is pending: a
    blocked log driver holds the container's lock) get it from dockerd's own hostconfig.json,
    read with a deadline."""
    want = [c for c in snap.containers if c.docker and c.docker.log_driver is None]
    if not want:
        return
    roots = data_roots(snap, lambda path: reads.read_many([path], budget=1.0).get(path))
    paths = {f"{r}/containers/{c.id}/hostconfig.json": c for r in roots for c in want}
    got = reads.read_many(list(paths), budget=2.0)
    for path, data in got.items():
        c = paths[path]
        try:
            log = json.loads(data).get("LogConfig") or {}
        except (ValueError, TypeError, AttributeError):
            continue
        if isinstance(log.get("Type"), str):
            c.docker.log_driver = log["Type"]
            c.docker.log_opts = kept_log_opts(log.get("Config"))


def kept_log_opts(opts) -> dict[str, str] | None:
    """Where a log driver sends and how it blocks; never its credentials (splunk-token ...),
    nor a URL's user:password@."""
    if not isinstance(opts, dict):
        return None
    return {k: re.sub(r"//[^/@]*@", "//", str(v)) for k, v in opts.items()
            if k in ("mode", "max-buffer-size", "fluentd-async", "fluentd-async-connect")
            or k.endswith(("-address", "-url"))} or None


def _host_ips(host: str) -> set[str] | None:
    """The addresses HOST names, when that needs no lookup (a literal or localhost); None: any."""
    if host in ("localhost", ""):
        return {"127.0.0.1", "::1"}
    try:
        return {str(ipaddress.ip_address(host))}
    except ValueError:
        return None          # a name: resolving it could hang the collector; match the port only


def _fmt(a: tuple[str, int]) -> str:
    return f"[{a[0]}]:{a[1]}" if ":" in a[0] else f"{a[0]}:{a[1]}"


def log_connections(snap: m.HostSnapshot, proc: str = "/proc") -> list[m.Socket]:
    """dockerd's connections to the endpoints its containers' log drivers name, and their local
    far ends. Read only when some container uses a network log driver."""
    ends = {e for c in snap.containers if c.docker and (e := endpoint(c.docker.log_driver, c.docker.log_opts))}
    daemons = [p for p in snap.processes if p.role == m.DOCKERD and p.fds]
    if not ends or not daemons:
        return []
    holders: dict[int, list[m.PipeEnd]] = {}
    for p in snap.processes:
        for fd in p.fds or ():
            if fd.kind == "socket" and fd.inode:
                holders.setdefault(fd.inode, []).append(m.PipeEnd(p.pid, p.start_ticks, p.comm, fd.num, fd.mode))
    out: list[m.Socket] = []
    for d in daemons:
        mine = {fd.inode for fd in d.fds if fd.kind == "socket"}
        table = read_table(proc, d.pid)
        by_pair = {(loc, rem): (ino, st, tx, rx) for ino, loc, rem, st, tx, rx in table}
        for text, host, port in ends:        # a local endpoint: is anything listening there?
            if _host_ips(host) and _host_ips(host) <= {"127.0.0.1", "::1"}:
                lis = [r for r in table if r[3] == "LISTEN" and r[1][1] == port
                       and r[1][0] in ("127.0.0.1", "0.0.0.0", "::", "::1")]
                out += [m.Socket(r[0], _fmt(r[1]), _fmt(r[2]), "LISTEN", r[4], r[5], holders.get(r[0], []),
                                 endpoint=text) for r in lis] or [
                    m.Socket(0, text, "", NOT_LISTENING, 0, 0, [], endpoint=text)]
        for ino, loc, rem, st, tx, rx in table:
            if ino not in mine or st == "LISTEN":
                continue
            for text, host, port in ends:
                ips = _host_ips(host)
                if rem[1] != port or (ips is not None and rem[0] not in ips):
                    continue
                s = m.Socket(ino, _fmt(loc), _fmt(rem), st, tx, rx, holders.get(ino, []), endpoint=text)
                if (far := by_pair.get((rem, loc))) and far[0]:
                    s.peer = far[0]
                    out.append(m.Socket(far[0], _fmt(rem), _fmt(loc), far[1], far[2], far[3],
                                        holders.get(far[0], []), endpoint=text, peer=ino))
                out.append(s)
                break
    return out


__all__ = ["endpoint", "fill_log_configs", "kept_log_opts", "log_connections", "read_table"]
