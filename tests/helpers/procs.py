"""Real processes for tests: blocked pipe writers, unreaped zombies, argv look-alikes."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

HERE = os.path.dirname(__file__)


def wait_for(pred, timeout: float = 10.0, step: float = 0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = pred()
        if got:
            return got
        time.sleep(step)
    raise AssertionError("condition not reached in time")


def argv_pause_binary() -> str:
    """Compile helpers/argv_pause.c once per session (gcc is installed by the test setup)."""
    out = os.path.join(tempfile.gettempdir(), f"hc-argv-pause-{os.getuid()}")
    src = os.path.join(HERE, "argv_pause.c")
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc:
            raise RuntimeError("no C compiler: install gcc (the test setup does)")
        subprocess.run([cc, "-O2", "-o", out + ".tmp", src], check=True)
        os.replace(out + ".tmp", out)
    return out


def spawn_argv(argv: list[str], **kw) -> subprocess.Popen:
    """A process whose /proc/PID/cmdline is exactly ARGV."""
    return subprocess.Popen(argv, executable=argv_pause_binary(), stdin=subprocess.DEVNULL, **kw)


BLOCKED_WRITER = textwrap.dedent("""
    import os, sys
    fd = int(sys.argv[1])
    data = b"E" * (1 << 20)
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    os.write(fd, data)          # blocks: nobody reads
""")


def blocked_writer():
    """(writer, reader, read_fd): WRITER blocks in write(2) on a full pipe whose read end is
    held by READER, a process that never reads. Caller kills both."""
    r, w = os.pipe()
    reader = spawn_argv(["hc-test-reader"], pass_fds=(r,))
    writer = subprocess.Popen([sys.executable, "-c", BLOCKED_WRITER, str(w)], pass_fds=(w,),
                              stdout=subprocess.PIPE, text=True)
    os.close(r)
    os.close(w)
    assert writer.stdout.readline().strip() == "ready"
    return writer, reader


ZOMBIE_PARENT = textwrap.dedent("""
    import os, sys, time
    n = int(sys.argv[1])
    for _ in range(n):
        if os.fork() == 0:
            os._exit(0)
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    time.sleep(3600)            # never waits: the children stay zombies
""")


def zombie_parent(n: int = 3) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", ZOMBIE_PARENT, str(n)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    return p


def kill(*procs) -> None:
    for p in procs:
        try:
            p.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
