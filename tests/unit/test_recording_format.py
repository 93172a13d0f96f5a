"""Every kind of bad recording gets a one-line RecordingError, and good ones round-trip."""
import gzip
import json
import os

import pytest

from hangconsole import model as m
from hangconsole.record.fileformat import Recording, RecordingError, RecordingWriter


def _snap(i: int) -> m.HostSnapshot:
    p = m.Process(pid=100 + i, ppid=1, start_ticks=5000, comm="runc:[2:INIT]", state="S", uid=0,
                  age=12.5, argv=["runc", "init"], nthreads=2,
                  threads=[m.Thread(tid=100 + i, state="S", wchan="anon_pipe_write",
                                    syscall=m.Syscall(nr=1, name="write", args=[2, 7, 33], fd=2,
                                                      fd_target="pipe:[9] w"))],
                  fds=[m.Fd(num=2, kind="pipe", target="pipe:[9]", inode=9, mode="w", flags=1)])
    return m.HostSnapshot(taken_at=1000.0 + i, uptime=50.0 + i, hostname="h", kernel="6", arch="x86_64",
                          processes=[p], pipes=[m.Pipe(inode=9, writers=[m.PipeEnd(p.pid, 5000, p.comm, 2, "w")],
                                                       queued=65536, capacity=65536)],
                          containers=[m.Container(id="a" * 64, runtime="shim-v1", cgroup_paths={"pids": "/docker/x"},
                                                  cgroup=m.CgroupState(version=1, path="/docker/x",
                                                                       levels=[m.CgroupLevel(path="/docker/x", pids_current=8, pids_max=8)]))],
                          docker=m.DockerState(host="unix:///x", reachable=False,
                                               probes=[m.Probe("inspect", "a" * 64, "pending", 99.0, 42.0)]))


@pytest.fixture
def good(tmp_path):
    path = str(tmp_path / "good.hcrec")
    with RecordingWriter(path, redacted=False) as w:
        for i in range(3):
            w.write(_snap(i))
    return path


def test_round_trip_gives_equal_objects(good):
    rec = Recording(good)
    assert len(rec) == 3 and rec.times == [1000.0, 1001.0, 1002.0]
    for i in range(3):
        assert rec.frame(i) == _snap(i)
    assert rec.frame(0).docker.probes[0].text == "inspect aaaaaaaaaaaa: timed out after 42 s, still pending"


def test_recorder_killed_before_its_footer(tmp_path):
    path = str(tmp_path / "killed.hcrec")
    w = RecordingWriter(path, redacted=False)
    for i in range(3):
        w.write(_snap(i))            # each frame is sync-flushed; no close(), no footer
    with pytest.raises(RecordingError, match="truncated recording: 3 complete frames"):
        Recording(path)
    assert [s.taken_at for s in Recording(path, salvage=True).frames()] == [1000.0, 1001.0, 1002.0]


def test_cut_mid_frame(tmp_path):
    path = str(tmp_path / "cut.hcrec")
    w = RecordingWriter(path, redacted=False)
    sizes = []
    for i in range(3):
        w.write(_snap(i))
        sizes.append(os.path.getsize(path))
    w.close()
    raw = open(path, "rb").read()
    with open(path, "wb") as f:          # cut inside the third frame
        f.write(raw[: (sizes[1] + sizes[2]) // 2])
    with pytest.raises(RecordingError, match="truncated recording: 2 complete frames"):
        Recording(path)
    assert len(Recording(path, salvage=True)) == 2


def test_corrupt_file(good, tmp_path):
    raw = bytearray(open(good, "rb").read())
    for i in range(60, 90):
        raw[i] ^= 0x5A
    bad = tmp_path / "bad.hcrec"
    bad.write_bytes(bytes(raw))
    with pytest.raises(RecordingError, match="corrupt"):
        Recording(str(bad))


def test_foreign_files(tmp_path):
    cases = {
        "plain.txt": (b"hello\n", "not gzip-compressed"),
        "other.gz": (gzip.compress(b'{"hello": 1}\n'), "another kind"),
        "notjson.gz": (gzip.compress(b"\x00\x01binary\n"), "bad header"),
        "empty": (b"", "empty file"),
    }
    for name, (data, msg) in cases.items():
        f = tmp_path / name
        f.write_bytes(data)
        with pytest.raises(RecordingError, match=msg):
            Recording(str(f))


def test_newer_version(tmp_path):
    f = tmp_path / "new.hcrec"
    f.write_bytes(gzip.compress(json.dumps({"format": "hangconsole-recording", "version": 99}).encode() + b"\n"))
    with pytest.raises(RecordingError, match="version 99 is newer"):
        Recording(str(f))


def test_damaged_frame_shape(tmp_path):
    f = tmp_path / "shape.hcrec"
    lines = [{"format": "hangconsole-recording", "version": 1},
             {"frame": 0, "t": 1.0, "snapshot": {"taken_at": "yesterday"}}, {"end": True, "frames": 1}]
    f.write_bytes(gzip.compress(b"".join(json.dumps(x).encode() + b"\n" for x in lines)))
    with pytest.raises(RecordingError, match="frame 0 is damaged"):
        Recording(str(f)).frame(0)


def test_missing_and_unreadable(tmp_path):
    with pytest.raises(RecordingError, match="No such file"):
        Recording(str(tmp_path / "nope"))
    if os.geteuid() != 0:
        f = tmp_path / "locked"
        f.write_bytes(b"x")
        f.chmod(0)
        with pytest.raises(RecordingError, match="Permission denied"):
            Recording(str(f))


def test_writer_redacts_by_default(tmp_path):
    s = _snap(0)
    s.processes[0].argv = ["mysqld", "--password", "hunter2"]
    path = str(tmp_path / "r.hcrec")
    with RecordingWriter(path) as w:
        w.write(s)
    assert Recording(path).frame(0).processes[0].argv == ["mysqld", "--password", "<redacted>"]
    assert s.processes[0].argv[2] == "hunter2"       # the live object is untouched


def test_provenance_marks_round_trip_and_are_left_out_when_unset(tmp_path):
    from hangconsole.record import codec
    s = _snap(0)
    p = s.processes[0]
    assert "recon" not in codec.encode(p) and "argtext" not in codec.encode(p.threads[0].syscall)
    p.recon = {"age": "ps shows the start date only"}
    p.threads[0].syscall.argtext = ["2", '"/usr"...', "33"]
    s.recon, s.versions = {"uptime": "not in the report"}, {"docker": "18.06.3"}
    s.daemon_log = [m.KernelLogLine(uptime=1.0, kind="dockerd", text="x", recon={"uptime": "y"})]
    path = str(tmp_path / "marked.hcrec")
    with RecordingWriter(path, redacted=False) as w:
        w.write(s)
    back = Recording(path).frame(0)
    assert back == s and back.processes[0].recon == {"age": "ps shows the start date only"}
    assert back.processes[0].threads[0].syscall.text == 'write(2<pipe:[9] w>, "/usr"..., 33)'


def test_a_frame_from_before_the_provenance_fields_decodes_with_defaults():
    from hangconsole.record import codec
    old = codec.encode(_snap(0))
    for key in ("daemon_log", "versions"):         # written by every frame now; absent in older ones
        del old[key]
    back = codec.decode(m.HostSnapshot, old)
    assert back.daemon_log == [] and back.versions == {} and back.recon is None
    assert back.processes[0].recon is None and back == _snap(0)
    with pytest.raises(codec.FormatError):         # a required field missing is still an error
        codec.decode(m.HostSnapshot, {k: v for k, v in old.items() if k != "hostname"})
