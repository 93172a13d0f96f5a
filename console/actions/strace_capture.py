"""A goroutine dump from a process whose stderr is /dev/null (a v1 shim under Docker 18.06:
seed 001): its SIGUSR1 dump is written and discarded, so it is read from the write(2) calls
themselves, with strace attached while the signal is sent. The report needed a kprobe on
write_null for this; it notes that plain strace would have been enough.

strace stops the process only while it attaches and at each write it reports, and detaches on
SIGINT, leaving it running. -xx prints every byte of every write as \\xNN: nothing to unescape
but hex, whatever the dump holds."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time

_WRITE = re.compile(r'^\d+\s+write\(\d+, "((?:\\x[0-9a-f]{2})*)"')


def available() -> bool:
    return shutil.which("strace") is not None


def writes(path: str) -> str:
    """The bytes every write(2) in strace's output file PATH carried, in order, as text."""
    out = bytearray()
    try:
        with open(path, errors="replace") as f:
            for line in f:
                if m := _WRITE.match(line):
                    out += bytes.fromhex(m.group(1).replace("\\x", ""))
    except OSError:
        return ""
    return out.decode("utf-8", "replace")


def _traced_by(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next((int(ln.split()[1]) for ln in f if ln.startswith("TracerPid:")), 0)
    except (OSError, ValueError):
        return 0


def capture(pid: int, out_path: str, signal_it, wait: float, done: str) -> str:
    """Attach strace to PID (writing its output to OUT_PATH), call SIGNAL_IT() once attached,
    and collect what PID writes until DONE appears in it or WAIT seconds pass; strace is then
    detached. Returns the text written (empty when nothing was)."""
    tracer = subprocess.Popen([shutil.which("strace"), "-f", "-qq", "-xx", "-s", "16777216", "-e", "trace=write",
                               "-e", "signal=none", "-o", out_path, "-p", str(pid)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        end = time.monotonic() + 5.0
        while _traced_by(pid) != tracer.pid:         # attached: the signal's writes are seen
            if tracer.poll() is not None or time.monotonic() > end:
                err = tracer.stderr.read().decode(errors="replace").strip().splitlines()
                raise OSError(f"strace could not attach to {pid}: {err[-1] if err else 'it exited'}")
            time.sleep(0.05)
        signal_it()
        end = time.monotonic() + wait
        text = ""
        while time.monotonic() < end:
            time.sleep(0.2)
            text = writes(out_path)
            if done in text:
                time.sleep(0.3)                      # the rest of the line
                break
        return writes(out_path)
    finally:
        if tracer.poll() is None:
            tracer.send_signal(signal.SIGINT)        # detach: the process runs on
            try:
                tracer.wait(5)
            except subprocess.TimeoutExpired:
                tracer.kill()
                tracer.wait()
        tracer.stderr.close()
        if os.path.exists(out_path) and os.path.getsize(out_path) == 0:
            os.unlink(out_path)
