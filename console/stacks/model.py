"""What a goroutine dump is read into: frames interned once per distinct stack, groups of
identical stacks per dump, and the dumps themselves."""
from __future__ import annotations

from dataclasses import dataclass, field

# Frames of the runtime and of standard plumbing: where a goroutine parks, never why.
BORING = ("runtime.", "sync.", "internal/", "syscall.", "net.", "net/http.", "io.", "bufio.",
          "os/signal.", "golang.org/x/sys/", "time.", "context.", "reflect.")
# Wait states in which a server's goroutines idle; anything else is a blocked call.
IDLE_STATES = frozenset(("IO wait", "select", "chan receive", "sleep", "syscall", "select (no cases)",
                         "running", "runnable", "idle", "chan receive (nil chan)", "GC sweep wait",
                         "GC scavenge wait", "finalizer wait", "force gc (idle)", "GC worker (idle)",
                         "sync.Cond.Wait", "(pprof: no state)"))
# semacquire before Go 1.24 (or 1.2x), the named states after it.
LOCK_STATES = frozenset(("semacquire", "sync.Mutex.Lock", "sync.RWMutex.Lock", "sync.RWMutex.RLock"))
LOCK_FUNCS = frozenset(("sync.(*Mutex).Lock", "sync.(*Mutex).lockSlow", "internal/sync.(*Mutex).Lock",
                        "internal/sync.(*Mutex).lockSlow", "sync.(*RWMutex).Lock", "sync.(*RWMutex).RLock"))
SEMA_FUNCS = frozenset(("sync.runtime_SemacquireMutex", "internal/sync.runtime_SemacquireMutex",
                        "sync.runtime_SemacquireRWMutexR", "sync.runtime_SemacquireRWMutex",
                        "sync.runtime_Semacquire"))


def boring(func: str) -> bool:
    return func.startswith(BORING) or "/vendor/google.golang.org/grpc" in func


@dataclass(frozen=True)
class Frame:
    func: str
    location: str = ""        # file:line, without the +0x pc offset


@dataclass
class Group:
    """Goroutines of one dump with the same state and the same call sites."""
    state: str                                 # "semacquire", "chan send", "sync.Mutex.Lock"...
    funcs: tuple[str, ...]
    frames: list[Frame] = field(default_factory=list)
    count: int = 0
    max_wait: int = 0                          # minutes, the longest any of them had waited
    ids: list[int] = field(default_factory=list)   # the first 20
    created_by: str | None = None
    dump: int = 0                              # index into Summary.dumps
    notes: list[str] = field(default_factory=list)  # "frames elided", "stack unavailable"...
    track: bool = field(default=False, repr=False)  # its goroutines' arguments go to the lock tracker
    key: tuple = field(default=(), repr=False, compare=False)  # (state, call sites): the reader's

    @property
    def top(self) -> str:
        """The first frame outside the runtime and standard plumbing: where it is stuck."""
        for f in self.funcs:
            if not boring(f):
                return f
        return self.funcs[0] if self.funcs else "?"

    @property
    def idle(self) -> bool:
        return self.state in IDLE_STATES

    @property
    def lock_wait(self) -> bool:
        """Waiting for a sync.Mutex/RWMutex (a semacquire may also be a WaitGroup)."""
        return (self.state in LOCK_STATES or self.state == "(pprof: no state)") \
            and any(f in LOCK_FUNCS for f in self.funcs[:8])

    def matches(self, text: str) -> bool:
        t = text.lower()
        return t in self.state.lower() or any(t in f.lower() for f in self.funcs)


@dataclass
class Dump:
    """One dump in a file: a SIGQUIT traceback, one BEGIN/END block, one pprof profile."""
    file: str
    index: int                  # 0-based within its file
    kind: str                   # "goroutines" (debug=2, runtime.Stack, SIGQUIT), "pprof debug=1"
    time: str = ""              # from the journal/syslog prefix or the logrus time=, if any
    line: int = 0               # 1-based line where it starts
    goroutines: int = 0
    declared: int | None = None  # "goroutine profile: total N"
    reason: str = ""            # "panic: ...", "fatal error: ...", "SIGQUIT: quit"

    @property
    def label(self) -> str:
        return f"{self.file}#{self.index + 1}" if self.index else self.file

    @property
    def truncated(self) -> bool:
        return self.declared is not None and self.goroutines < self.declared
