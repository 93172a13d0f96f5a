"""Parsers and small safe /proc reads (stat, wchan, fd links and fdinfo never block on the
target). The bulk per-process scan is in scanner.py; reads that can block, in guarded.py.

Processes vanish mid-scan all the time; every reader returns None for a process that is gone
or unreadable, and the caller moves on.
"""
from __future__ import annotations

import os
import stat as st
from dataclasses import dataclass

from ..model import Fd
from .guarded import read_file

PROC = "/proc"


@dataclass(slots=True)
class Stat:
    pid: int
    comm: str
    state: str
    ppid: int
    nthreads: int
    start_ticks: int
    pgrp: int = 0
    tty_nr: int = 0                  # 0: no controlling terminal
    tpgid: int = -1                  # the terminal's foreground process group


def parse_stat(data: bytes) -> Stat | None:
    """/proc/PID/stat. comm is in parentheses and may itself contain ') '."""
    try:
        lp = data.index(b"(")
        rp = data.rindex(b")")
        rest = data[rp + 2:].split()
        return Stat(pid=int(data[:lp]), comm=data[lp + 1:rp].decode("utf-8", "replace"),
                    state=rest[0].decode(), ppid=int(rest[1]), nthreads=int(rest[17]),
                    start_ticks=int(rest[19]), pgrp=int(rest[2]), tty_nr=int(rest[4]), tpgid=int(rest[5]))
    except (ValueError, IndexError):
        return None


def read_stat(path: str) -> Stat | None:
    data = read_file(path)
    return parse_stat(data) if data else None


def list_pids(proc: str = PROC) -> list[int]:
    return [int(n) for n in os.listdir(proc) if n.isdigit()]


def list_tids(pid: int, proc: str = PROC) -> list[int]:
    try:
        return sorted(int(n) for n in os.listdir(f"{proc}/{pid}/task"))
    except OSError:
        return []


def parse_argv(data: bytes | None) -> list[str] | None:
    if not data:
        return None if data is None else []
    return data.rstrip(b"\0").decode("utf-8", "replace").split("\0")


def fd_kind(target: str) -> tuple[str, int | None]:
    """(kind, inode) from a /proc/PID/fd link text."""
    if target.startswith("pipe:["):
        return "pipe", int(target[6:-1])
    if target.startswith("socket:["):
        return "socket", int(target[8:-1])
    if target.startswith("anon_inode:"):
        return "anon", None
    if target.startswith("/"):
        return "path", None          # refined by the caller with a stat of the target
    return "other", None


def parse_fdinfo_flags(data: bytes | None) -> int | None:
    if not data:
        return None
    for line in data.split(b"\n"):
        if line.startswith(b"flags:"):
            try:
                return int(line.split()[1], 8)
            except (IndexError, ValueError):
                return None
    return None


def read_fdinfo(pid: int, fd: Fd, proc: str = PROC) -> None:
    flags = parse_fdinfo_flags(read_file(f"{proc}/{pid}/fdinfo/{fd.num}"))
    if flags is not None:
        fd.flags, fd.mode = flags, ("r", "w", "rw", None)[flags & 3]


def stat_kind(link: str) -> tuple[str, int] | None:
    """Kind and inode of what an fd link points at, by stat(2): never opens it (a FIFO
    stays unopened) but can block on a dead network mount, so run it guarded."""
    try:
        s = os.stat(link)
    except OSError:
        return None
    kind = ("fifo" if st.S_ISFIFO(s.st_mode) else "dir" if st.S_ISDIR(s.st_mode)
            else "device" if st.S_ISCHR(s.st_mode) or st.S_ISBLK(s.st_mode)
            else "socket" if st.S_ISSOCK(s.st_mode) else "file")
    return kind, s.st_ino


def parse_io(data: bytes | None) -> dict[str, int]:
    """/proc/PID/io: rchar, wchar, syscr, ... as numbers ({} when unreadable)."""
    out = {}
    for line in (data or b"").decode("ascii", "replace").splitlines():
        k, _, v = line.partition(":")
        if v.strip().isdigit():
            out[k.strip()] = int(v)
    return out


def read_wchan(path: str) -> str | None:
    data = read_file(path)
    if not data or data == b"0":
        return None
    return data.decode("ascii", "replace").strip() or None


_cg_cache: dict[bytes, dict[str, str]] = {}


def parse_cgroup(data: bytes | None) -> dict[str, str]:
    """/proc/PID/cgroup -> {controller: path}; the v2 line is under key ''. Processes share
    a handful of distinct files, so parses are cached (callers must not mutate the result)."""
    if data is not None and (hit := _cg_cache.get(data)) is not None:
        return hit
    if len(_cg_cache) > 4096:
        _cg_cache.clear()
    out = _parse_cgroup(data)
    if data is not None:
        _cg_cache[data] = out
    return out


def _parse_cgroup(data: bytes | None) -> dict[str, str]:
    out: dict[str, str] = {}
    if not data:
        return out
    for line in data.decode("utf-8", "replace").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        for ctl in parts[1].split(",") if parts[1] else [""]:
            out[ctl.removeprefix("name=")] = parts[2]
    return out


def primary_cgroup(cg: dict[str, str]) -> str | None:
    """The path that names the container: pids (v1), else the unified one, else any."""
    for key in ("pids", "memory", "cpu", ""):
        if cg.get(key) not in (None, "/"):
            return cg[key]
    return cg.get("pids") or cg.get("")


def uptime(proc: str = PROC) -> float:
    data = read_file(f"{proc}/uptime") or b"0 0"
    return float(data.split()[0])
