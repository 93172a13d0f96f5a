"""Nothing the collector waits on can hold it: stuck /proc reads and hung Docker calls are
reported as evidence with how long they have been pending."""
from __future__ import annotations

import os
import threading
import time

from hangconsole.collect.docker_probe import DockerProber
from hangconsole.collect.guarded import GuardedReader
from hangconsole.collect.live import LiveSource
from tests.helpers.hung_docker import HungDocker


def test_a_blocking_read_is_abandoned_remembered_and_released(tmp_path):
    fifo = str(tmp_path / "no-writer")
    os.mkfifo(fifo)                        # open(O_RDONLY) blocks in the kernel until a writer comes
    normal = tmp_path / "normal"
    normal.write_bytes(b"ok")
    g = GuardedReader(per_read=0.2)
    t0 = time.monotonic()
    got = g.read_many([fifo, str(normal)])
    assert time.monotonic() - t0 < 2.0
    assert got == {str(normal): b"ok"}     # the rest of the batch was still read
    assert fifo in g.stuck()
    # the next batch does not queue behind it again
    t1 = time.monotonic()
    assert g.read_many([fifo, str(normal)]) == {str(normal): b"ok"}
    assert time.monotonic() - t1 < 0.5
    assert g.stuck()[fifo] >= 0.2
    # a writer arrives: the abandoned read returns and the path is readable again
    w = os.open(fifo, os.O_WRONLY)
    os.close(w)
    deadline = time.monotonic() + 5
    while fifo in g.stuck() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fifo not in g.stuck()


def test_hung_docker_calls_are_pending_never_waited_on(tmp_path):
    hung = HungDocker(str(tmp_path / "docker.sock"))
    try:
        prober = DockerProber(hung.url)
        t0 = time.monotonic()
        first = prober.sample(wait=0.3)
        assert time.monotonic() - t0 < 1.0
        assert {p.call for p in first.probes} == {"ping", "list"}
        assert all(p.status == "pending" for p in first.probes) and first.reachable is False
        time.sleep(1.0)
        t1 = time.monotonic()
        second = prober.sample(wait=0.3)
        assert time.monotonic() - t1 < 0.1, "already-pending calls are not waited on again"
        ping = next(p for p in second.probes if p.call == "ping")
        assert ping.seconds >= 1.0 and "still pending" in ping.text
        assert len(hung.conns) == 2, "a pending call is never issued twice"
    finally:
        hung.close()


def test_inspect_hangs_while_list_answers(tmp_path):
    """The seed 000 pattern: `docker ps` answers, `docker inspect` of one container hangs."""
    hung = HungDocker(str(tmp_path / "docker.sock"), answer_ping=True)
    cid = "bbd5e4b5f9c13666dd0ec7ff7afb2c4c2b0ede40a4adf1de43cc31c606f283f5"
    try:
        prober = DockerProber(hung.url)
        state = prober.sample(wait=0.5, proc_ids=[cid])
        by = {(p.call, p.target): p for p in state.probes}
        assert by[("ping", None)].status == "ok" and by[("list", None)].status == "ok"
        assert by[("inspect", cid)].status == "pending"
        assert state.reachable is True
    finally:
        hung.close()


def test_live_snapshot_stays_prompt_with_a_hung_daemon(tmp_path):
    hung = HungDocker(str(tmp_path / "docker.sock"))
    try:
        src = LiveSource(hung.url, docker_wait=0.5)
        for _ in range(3):
            t0 = time.monotonic()
            snap = src.snapshot()
            assert time.monotonic() - t0 < 3.0
        assert snap.docker.reachable is False and snap.docker.pending()
        assert snap.processes
        assert threading.active_count() < 40, "no thread pile-up from repeated samples"
    finally:
        hung.close()
