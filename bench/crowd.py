"""A crowd of real processes holding real pipes, for benchmarks and scale tests.

Pairs of `sleep` processes: one holds the write end of a pipe as stdout, the other the read
end as stdin; every fourth pipe is left with data queued. The crowd is started in its own
session so it can be killed as a group.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time


class Crowd:
    def __init__(self, n: int = 3000, fill_every: int = 4):
        self.n = n
        self.fill_every = fill_every
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> "Crowd":
        sleep = "/bin/sleep" if os.path.exists("/bin/sleep") else "sleep"
        for i in range(0, self.n, 2):
            r, w = os.pipe()
            if (i // 2) % self.fill_every == 0:
                os.write(w, b"x" * 4096)
            self.procs.append(subprocess.Popen([sleep, "3600"], stdout=w, stdin=subprocess.DEVNULL,
                                               close_fds=True))
            if i + 1 < self.n:
                self.procs.append(subprocess.Popen([sleep, "3600"], stdin=r, stdout=subprocess.DEVNULL,
                                                   close_fds=True))
            os.close(r)
            os.close(w)
        time.sleep(0.5)
        return self

    def __exit__(self, *exc) -> None:
        for p in self.procs:
            try:
                p.send_signal(signal.SIGKILL)
            except ProcessLookupError:
                pass
        for p in self.procs:
            p.wait()
