"""The first screen on a recorded host: containers with their runtime process trees."""
from __future__ import annotations

from textual.widgets import Tree

from hangconsole import model as m
from hangconsole.record.fileformat import Recording, RecordingWriter
from hangconsole.screens.app import HangConsoleApp
from hangconsole.sources import ReplaySource

CID = "bbd5e4b5f9c13666dd0ec7ff7afb2c4c2b0ede40a4adf1de43cc31c606f283f5"


def _host(frame: int) -> m.HostSnapshot:
    P = m.Process
    procs = [
        P(pid=6655, ppid=1, start_ticks=100, comm="docker-containe", state="S", uid=0, age=9e5,
          argv=["docker-containerd", "--config", "/var/run/docker/containerd/containerd.toml"], role=m.CONTAINERD),
        P(pid=11646, ppid=6655, start_ticks=200, comm="docker-containe", state="S", uid=0, age=8e5,
          argv=["docker-containerd-shim", "-namespace", "moby", "-workdir", f"/x/moby/{CID}"],
          role=m.SHIM_V1, container_id=CID),
        P(pid=15581, ppid=11646, start_ticks=300, comm="docker-runc", state="S", uid=0, age=7e5,
          argv=["docker-runc", "exec", "--detach", CID], role=m.RUNC, runtime_verb="exec", container_id=CID),
        P(pid=15638, ppid=15581, start_ticks=301, comm="runc:[2:INIT]", state="S", uid=0, age=7e5,
          argv=["docker-runc", "init"], role=m.RUNC_INIT, container_id=CID,
          threads=[m.Thread(15638, "S", "pipe_wait", m.Syscall(1, "write", [2, 1, 33], 2, "pipe:[1070361747] w"))]),
    ]
    if frame == 1:
        procs.append(P(pid=40825, ppid=11646, start_ticks=400, comm="su", state="Z", uid=0, age=10, role=None,
                       container_id=CID))
    return m.HostSnapshot(taken_at=1000.0 + frame, uptime=9e5, hostname="host-xx", kernel="3.10.0", arch="x86_64",
                          processes=procs, containers=[m.Container(id=CID, runtime=m.SHIM_V1, shim_pid=11646)])


def _labels(tree: Tree) -> list[str]:
    out = []

    def walk(node):
        for child in node.children:
            out.append(str(child.label))
            walk(child)
    walk(tree.root)
    return out


async def test_replay_shows_the_runtime_tree_and_steps_frames(tmp_path):
    path = str(tmp_path / "r.hcrec")
    with RecordingWriter(path) as w:
        w.write(_host(0))
        w.write(_host(1))
    app = HangConsoleApp(ReplaySource(Recording(path)))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        labels = _labels(app.screen.query_one(Tree))
        assert any("[shim-v1]" in s for s in labels)
        init = next(s for s in labels if "15638" in s)
        assert "write(2<pipe:[1070361747] w>" in init
        assert not any("40825" in s for s in labels)
        await pilot.press("right_square_bracket")
        await pilot.pause()
        labels = _labels(app.screen.query_one(Tree))
        assert any("40825" in s and "<defunct>" in s for s in labels)
        assert "frame 2/2" in app.sub_title
        await pilot.press("q")
    assert app.return_code in (0, None)
