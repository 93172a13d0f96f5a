"""Decode /proc/PID/task/TID/syscall lines.

The file holds `NR a0 a1 a2 a3 a4 a5 sp pc` in hex, `-1 sp pc` when the task is blocked
outside a syscall, or `running`. Names come from the kernel's tables for the two
architectures hosts run on; calls whose first argument is an fd are marked so the collector
can say what that fd is.
"""
from __future__ import annotations

from ..model import Syscall

# name -> (x86_64 nr, aarch64 nr or None); aarch64 has no legacy calls (open, poll, pipe...).
_TABLE: dict[str, tuple[int, int | None]] = {
    "read": (0, 63), "write": (1, 64), "open": (2, None), "close": (3, 57),
    "fstat": (5, 80), "poll": (7, None), "lseek": (8, 62), "mmap": (9, 222),
    "ioctl": (16, 29), "pread64": (17, 67), "pwrite64": (18, 68), "readv": (19, 65),
    "writev": (20, 66), "select": (23, None), "sched_yield": (24, 124), "pause": (34, None),
    "nanosleep": (35, 101), "sendfile": (40, 71), "connect": (42, 203), "accept": (43, 202),
    "sendto": (44, 206), "recvfrom": (45, 207), "sendmsg": (46, 211), "recvmsg": (47, 212),
    "clone": (56, 220), "fork": (57, None), "vfork": (58, None), "execve": (59, 221),
    "exit": (60, 93), "wait4": (61, 260), "kill": (62, 129), "fcntl": (72, 25),
    "flock": (73, 32), "fsync": (74, 82), "fdatasync": (75, 83), "getdents64": (217, 61),
    "rt_sigsuspend": (130, 133), "futex": (202, 98), "epoll_wait": (232, None),
    "restart_syscall": (219, 128), "clock_nanosleep": (230, 115), "exit_group": (231, 94),
    "waitid": (247, 95), "openat": (257, 56), "pselect6": (270, 72), "ppoll": (271, 73),
    "splice": (275, 76), "tee": (276, 77), "epoll_pwait": (281, 22), "accept4": (288, 242),
    "recvmmsg": (299, 243), "sendmmsg": (307, 269), "copy_file_range": (326, 285),
    "epoll_pwait2": (441, 441), "rt_sigtimedwait": (128, 137), "sync_file_range": (277, 84),
    "syncfs": (306, 267), "umount2": (166, 39), "mount": (165, 40), "unlinkat": (263, 35),
    "mkdirat": (258, 34), "renameat2": (316, 276), "fallocate": (285, 47),
    "io_getevents": (208, 4), "io_uring_enter": (426, 426), "msgrcv": (70, 188),
    "semop": (65, 193), "semtimedop": (220, 192), "sigaltstack": (131, 132),
}

# Calls whose first argument is a file descriptor (resolved against the fd table).
FD_CALLS = frozenset({
    "read", "write", "close", "fstat", "lseek", "ioctl", "pread64", "pwrite64", "readv",
    "writev", "sendfile", "connect", "accept", "sendto", "recvfrom", "sendmsg", "recvmsg",
    "fcntl", "flock", "fsync", "fdatasync", "getdents64", "epoll_wait", "splice", "tee",
    "epoll_pwait", "accept4", "recvmmsg", "sendmmsg", "copy_file_range", "epoll_pwait2",
    "sync_file_range", "syncfs", "fallocate", "io_uring_enter",
})

_BY_ARCH: dict[str, dict[int, str]] = {"x86_64": {}, "aarch64": {}}
for _name, (_x, _a) in _TABLE.items():
    _BY_ARCH["x86_64"][_x] = _name
    if _a is not None:
        _BY_ARCH["aarch64"][_a] = _name


def number(name: str, arch: str = "x86_64") -> int | None:
    """The syscall number of NAME on ARCH (for building recorded hosts and tests)."""
    x, a = _TABLE.get(name, (None, None))
    return a if arch == "aarch64" else x


def name_of(nr: int, arch: str) -> str:
    return _BY_ARCH.get(arch, _BY_ARCH["x86_64"]).get(nr, f"syscall_{nr}")


def parse(line: str, arch: str) -> Syscall | None:
    """Parse one syscall file; None for an empty or unreadable one."""
    parts = line.split()
    if not parts:
        return None
    if parts[0] == "running":
        return Syscall(nr=-2, name="running")
    try:
        nr = int(parts[0])
    except ValueError:
        return None
    if nr < 0:
        return Syscall(nr=-1, name="none")
    try:
        args = [int(a, 16) for a in parts[1:7]]
    except ValueError:
        args = []
    name = name_of(nr, arch)
    fd = None
    if name in FD_CALLS and args:
        fd = args[0] if args[0] < 1 << 31 else None   # a negative int (AT_FDCWD...) is no fd
    return Syscall(nr=nr, name=name, args=args, fd=fd)


# openat flags & O_ACCMODE, for "runc start blocked opening exec.fifo read-only".
def open_mode(sc: Syscall) -> str | None:
    if sc.name == "openat" and len(sc.args) >= 3:
        return ("r", "w", "rw", "?")[sc.args[2] & 3]
    if sc.name == "open" and len(sc.args) >= 2:
        return ("r", "w", "rw", "?")[sc.args[1] & 3]
    return None
