"""The live collector on real processes and real pipes created by the tests."""
from __future__ import annotations

import os

import pytest

from hangconsole import model as m
from hangconsole.collect.live import LiveSource
from tests.conftest import need
from tests.helpers.procs import blocked_writer, kill, spawn_argv, wait_for, zombie_parent

CID_V2 = "0f5c6a4734e932c16009f331bbb7524a4c04d7cd2e982e353065cf2cc54a0bbf"
CID_V1 = "60f253d59f26e1c573d4ba5f824e73b3a4b1bb1629edace85caba4c620755d4d"


@pytest.fixture
def source():
    src = LiveSource(docker=False)
    yield src
    src.close()


def test_writer_blocked_on_a_full_pipe(source):
    writer, reader = blocked_writer()
    try:
        def writer_in_write():
            snap = source.snapshot()
            w = snap.proc(writer.pid)
            busy = [t for t in (w.threads if w else []) if t.syscall and t.syscall.name == "write"]
            return (snap, w, busy[0]) if busy else None
        snap, w, t = wait_for(writer_in_write)
        fd = t.syscall.fd
        pipe_fd = w.fd(fd)
        assert pipe_fd.kind == "pipe" and pipe_fd.mode == "w"
        assert "pipe" in (t.wchan or "")
        assert t.syscall.fd_target.startswith(f"pipe:[{pipe_fd.inode}]")
        pipe = snap.pipe(pipe_fd.inode)
        assert pipe.capacity and pipe.queued == pipe.capacity        # full
        assert [e.pid for e in pipe.readers] == [reader.pid]
        assert writer.pid in [e.pid for e in pipe.writers]
        # still there, unchanged, a sample later: the pid + start time identity holds
        again = source.snapshot()
        assert again.proc(writer.pid).key == w.key
        assert again.pipe(pipe_fd.inode).queued == pipe.queued
    finally:
        kill(writer, reader)


def test_zombies_under_a_parent_that_does_not_reap(source):
    parent = zombie_parent(3)
    try:
        snap = wait_for(lambda: (s := source.snapshot()) and
                        len([p for p in s.children(parent.pid) if p.zombie]) == 3 and s)
        zombies = [p for p in snap.children(parent.pid) if p.zombie]
        assert all(z.ppid == parent.pid and z.fds == [] for z in zombies)
    finally:
        kill(parent)


def test_shim_lookalikes_are_recognised(source, tmp_path):
    bundle = tmp_path / CID_V1
    bundle.mkdir()
    v2 = spawn_argv(["/usr/bin/containerd-shim-runc-v2", "-namespace", "moby", "-id", CID_V2,
                     "-address", "/run/containerd/containerd.sock"])
    v1 = spawn_argv(["docker-containerd-shim", "-namespace", "moby", "-workdir",
                     f"/var/lib/containerd/io.containerd.runtime.v1.linux/moby/{CID_V1}",
                     "-address", "/run/docker/containerd/docker-containerd.sock",
                     "-containerd-binary", "/usr/bin/docker-containerd",
                     "-runtime-root", "/var/run/docker/runtime-runc"], cwd=str(bundle))
    (bundle / "init.pid").write_text(str(v1.pid))
    os.mkfifo(bundle / "exec.fifo")          # must never be opened
    try:
        snap = wait_for(lambda: (s := source.snapshot()) and s.proc(v2.pid) and s.proc(v1.pid) and s)
        assert (snap.proc(v2.pid).role, snap.proc(v2.pid).container_id) == (m.SHIM_V2, CID_V2)
        assert (snap.proc(v1.pid).role, snap.proc(v1.pid).container_id) == (m.SHIM_V1, CID_V1)
        c1, c2 = snap.container(CID_V1), snap.container(CID_V2)
        assert (c1.shim_pid, c1.runtime, c1.bundle, c1.init_pid) == (v1.pid, m.SHIM_V1, str(bundle), v1.pid)
        assert (c2.shim_pid, c2.namespace) == (v2.pid, "moby")
        assert snap.proc(v1.pid).threads, "runtime processes get thread detail"
    finally:
        kill(v1, v2)


def test_processes_vanishing_mid_scan_are_normal(source):
    import subprocess
    import sys
    churn = subprocess.Popen([sys.executable, "-c",
                              "import subprocess\nwhile True: subprocess.run(['true'])"])
    try:
        for _ in range(5):
            snap = source.snapshot()
            assert snap.processes and not snap.stuck_reads
    finally:
        kill(churn)


def test_no_docker_on_the_host_keeps_the_proc_view():
    src = LiveSource("unix:///nonexistent/docker.sock")
    snap = src.snapshot()
    assert snap.docker.reachable is None and snap.processes
    assert any("no Docker daemon socket" in n for n in snap.degraded)


def test_not_root_is_reported_as_degraded(root, tmp_path):
    import subprocess
    import sys
    # import as root (the interpreter may live under /root), then drop to nobody
    code = ("import os\n"
            "from hangconsole.collect.live import LiveSource\n"
            "os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
            "s = LiveSource(docker=False).snapshot()\n"
            "print(len(s.processes)); print('\\n'.join(s.degraded))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert out.returncode == 0, out.stderr
    count, *notes = out.stdout.splitlines()
    assert int(count) > 5, "the /proc view still works"
    assert any(n.startswith("not root") for n in notes)
    assert any("fd tables of" in n for n in notes)
