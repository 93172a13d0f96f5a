"""The far end of a stuck stream: runtime clients told by their argv, matched to the container
they name, and the lab recording's chain rooted at the client's reader that never reads."""
from __future__ import annotations

import pytest

from hangconsole import model as m
from hangconsole.diagnose import clients
from hangconsole.diagnose.engine import diagnose
from hangconsole.diagnose.history import History
from hangconsole.incidents import find
from hangconsole.record.fileformat import Recording
from hangconsole.runtime_clients import streaming_words


@pytest.mark.parametrize("argv, sub", [
    ("docker exec web sh -c x", "exec"),
    ("/usr/bin/docker container exec -it web sh", "exec"),
    ("docker --host unix:///run/x.sock exec web true", "exec"),
    ("docker logs -f web", "logs"),
    ("docker attach web", "attach"),
    ("ctr -a /run/c.sock -n k8s.io task exec --exec-id e web0ctr sh", "exec"),
    ("kubectl -n prod exec -it web-0 -- sh", "exec"),
    ("crictl exec -it 4f2a9c1d sh", "exec"),
    ("podman exec web true", "exec"),
])
def test_streaming_clients_by_argv(argv, sub):
    assert streaming_words(argv.split())[0] == sub


@pytest.mark.parametrize("argv", ["docker ps", "dockerd --exec-root /run/x", "sh -c docker exec web",
                                  "kubectl get pods", "containerd-shim-runc-v2 -id x start", ""])
def test_not_streaming_clients(argv):
    assert streaming_words(argv.split()) is None


def _c(name: str, cid: str = "4f2a9c1d5e6b" + "0" * 52, pod: str | None = None) -> m.Container:
    return m.Container(id=cid, runtime=m.SHIM_V2, docker=m.DockerInfo(name=name) if not pod else None,
                       pod=m.PodInfo(name=pod, container=name) if pod else None)


def _p(argv: str) -> m.Process:
    return m.Process(pid=10, ppid=1, start_ticks=1, comm=argv.split()[0].rsplit("/", 1)[-1], state="S", uid=0,
                     age=5.0, argv=argv.split())


@pytest.mark.parametrize("argv, named", [
    ("docker exec web sh", True),
    ("docker exec web2 sh", False),                      # another container's name
    ("docker exec 4f2a9c sh", True),                     # an id prefix
    ("docker exec 4f2a sh", False),                      # too short to be sure
    ("kubectl exec -it web-0 -- sh", True),              # the pod's name
    ("docker ps web", False),                            # not a streaming call
])
def test_a_client_names_its_container(argv, named):
    c = _c("web") if "kubectl" not in argv else _c("web", pod="web-0")
    assert clients.names_container(_p(argv), c) is named


def test_lab_recording_roots_the_stuck_pipe_at_the_clients_reader():
    rec = Recording(find("lab-stuck-pipe").path)
    [f] = [f for f in diagnose(History([rec.frame(i) for i in range(len(rec))])) if f.cls == "stuck-pipe"]
    ev = f.evidence
    assert ev["client"]["comm"] == "docker" and ev["fd"]["pid"] == ev["client"]["pid"]
    assert [r["comm"] for r in ev["pipe"]["readers"]] == ["sleep"]
    assert ev["exec_side"]["chain"][-1]["comm"] == "head"
    texts = [c["text"] for c in f.causes]
    assert texts[0].startswith("sleep ") and "does not read it" in texts[0], texts
    assert texts[1].startswith(f"docker {ev['client']['pid']} (`docker exec ")
    assert any("ProcessEvent -> CloseStreams" in t for t in texts)
    assert any(t.startswith("head ") and "blocked in write(1<pipe:" in t for t in texts)
    # its exec still runs (head blocked): later execs answer now (measured on dockerd 20.10)
    assert "new `docker exec` calls on the container still answer" in f.summary
    assert "wait behind it" not in f.summary


def _held(listed: int, running_execs: int) -> tuple[m.HostSnapshot, m.Container]:
    cid = "4f2a9c1d5e6b" + "0" * 52
    c = _c("web", cid)
    c.shim_pid, c.init_pid = 100, 101
    c.docker.exec_ids = [f"e{i}" for i in range(listed)]
    procs = [m.Process(pid=100, ppid=1, start_ticks=1, comm="containerd-shim", state="S", uid=0, age=9.0,
                       role=m.SHIM_V2),
             m.Process(pid=101, ppid=100, start_ticks=2, comm="sleep", state="S", uid=0, age=9.0, container_id=cid)]
    procs += [m.Process(pid=200 + i, ppid=100, start_ticks=3, comm="sh", state="S", uid=0, age=1.0, container_id=cid)
              for i in range(running_execs)]
    return m.HostSnapshot(taken_at=0.0, uptime=99.0, hostname="h", kernel="6.1", arch="x86_64",
                          processes=procs, containers=[c]), c


@pytest.mark.parametrize("listed, running, says", [
    (1, 0, "its exec has ended but dockerd cannot close it"),      # the exits of later execs wait
    (2, 1, "its exec has ended but dockerd cannot close it"),
    (1, 1, "other execs on the container are not held up"),       # the one listed is running
    (0, 0, "other execs on the container are not held up"),       # dockerd took all its output
])
def test_an_ended_exec_holds_up_others_only_while_dockerd_lists_it(listed, running, says):
    from hangconsole.diagnose.stuck_pipe import _exec_consequence, held_execs
    snap, c = _held(listed, running)
    held = held_execs(snap, c)
    assert held == {"listed": listed, "running": running}
    assert says in _exec_consequence(False, held)
    assert "not checked" in _exec_consequence(False, None)


def test_a_pipe_is_full_when_a_write_finds_no_room():
    """Whole pages: a shell's 12-byte echo blocks at 65472/65536; a Go client's 32 KiB write
    blocks with 5 KiB free, which only its wait in the kernel (wchan) shows."""
    from hangconsole.diagnose.pipes_common import no_room
    pp = m.Pipe(inode=1, kind="pipe", queued=65472, capacity=65536)
    assert pp.full
    roomy = m.Pipe(inode=2, kind="pipe", queued=59933, capacity=65536)
    assert not roomy.full and not no_room(roomy, m.Thread(tid=3, state="S", wchan="futex_wait_queue"))
    assert no_room(roomy, m.Thread(tid=3, state="S", wchan="anon_pipe_write"))
    assert not m.Pipe(inode=3, kind="pipe", queued=0, capacity=4096).full
