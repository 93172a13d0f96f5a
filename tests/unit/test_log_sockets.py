"""Reading a log driver's endpoint and dockerd's connections to it (collect/sockets.py), and
the log-driver-blocked class on histories built from those tables: stalled is a hang, a queue
that moves is throttling (info, no playbook), a healthy endpoint with no blocked writer is
nothing, and the stuck pipe it explains is not also reported for draining."""
from __future__ import annotations

import sys

import pytest

from hangconsole import model as m
from hangconsole.collect import sockets
from hangconsole.diagnose.engine import diagnose
from hangconsole.diagnose.history import History


@pytest.mark.parametrize("driver,opts,want", [
    ("fluentd", None, ("localhost:24224", "localhost", 24224)),
    ("fluentd", {"fluentd-address": "tcp://10.0.0.5:24224"}, ("tcp://10.0.0.5:24224", "10.0.0.5", 24224)),
    ("fluentd", {"fluentd-address": "unix:///var/run/fluent.sock"}, None),
    ("gelf", {"gelf-address": "udp://1.2.3.4:12201"}, None),
    ("syslog", {"syslog-address": "tcp://[::1]:514"}, ("tcp://[::1]:514", "::1", 514)),
    ("splunk", {"splunk-url": "https://splunk.example:8088"}, ("https://splunk.example:8088", "splunk.example", 8088)),
    ("json-file", None, None),
])
def test_endpoint(driver, opts, want):
    assert sockets.endpoint(driver, opts) == want


def test_kept_log_opts_never_keeps_credentials():
    got = sockets.kept_log_opts({"splunk-token": "SECRET", "splunk-url": "https://u:pw@h:8088",
                                 "mode": "blocking", "tag": "x"})
    assert got == {"splunk-url": "https://h:8088", "mode": "blocking"}


def _row(sl, local, remote, st, tx, rx, inode):
    return f"{sl:4}: {local} {remote} {st} {tx:08X}:{rx:08X} 00:00000000 00000000     0        0 {inode} 1\n"


def _proc(tmp_path, rows):
    d = tmp_path / "proc" / "100" / "net"
    d.mkdir(parents=True)
    head = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    (d / "tcp").write_text(head + "".join(rows))
    (d / "tcp6").write_text(head)
    return str(tmp_path / "proc")


LO = "0100007F"          # 127.0.0.1 as the kernel prints it on a little-endian host


def _snap(tmp_path, tx, rx, listening=True, uptime=100.0, driver_opts=None, writer_wchan="anon_pipe_write"):
    rows = [_row(0, f"{LO}:A2D2", f"{LO}:5EDF", "01", tx, 0, 501),      # dockerd -> endpoint
            _row(1, f"{LO}:5EDF", f"{LO}:A2D2", "01", 0, rx, 502)]      # the endpoint's side
    if listening:
        rows.append(_row(2, f"{LO}:5EDF", "00000000:0000", "0A", 0, 0, 503))
    proc = _proc(tmp_path / str(uptime), rows)
    dockerd = m.Process(100, 1, 10, "dockerd", "S", 0, 500.0, argv=["/usr/sbin/dockerd"], role=m.DOCKERD,
                        fds=[m.Fd(18, "socket", "socket:[501]", 501)])
    ep = m.Process(200, 1, 20, "fluent-bit", "S", 0, 500.0, argv=["fluent-bit"],
                   fds=[m.Fd(4, "socket", "socket:[502]", 502), m.Fd(3, "socket", "socket:[503]", 503)])
    shim = m.Process(300, 1, 30, "containerd-shim", "S", 0, 400.0, argv=["containerd-shim-runc-v2"],
                     role=m.SHIM_V2, fds=[m.Fd(13, "pipe", "pipe:[900]", 900, "r")])
    sc = m.Syscall(1, "write", [1, 0, 67], fd=1, fd_target="pipe:[900]")
    app = m.Process(301, 300, 31, "app", "S", 0, 400.0, argv=["app"], container_id="c" * 64,
                    threads=[m.Thread(301, "S", writer_wchan, sc, wchar=5000)],
                    fds=[m.Fd(1, "pipe", "pipe:[900]", 900, "w")])
    pipe = m.Pipe(900, readers=[m.PipeEnd(300, 30, "containerd-shim", 13, "r")],
                  writers=[m.PipeEnd(301, 31, "app", 1, "w")], queued=65500, capacity=65536)
    info = m.DockerInfo(name="web", state="running", pid=301, log_driver="fluentd",
                        log_opts=driver_opts or {"fluentd-address": "127.0.0.1:24287"})
    c = m.Container("c" * 64, "shim-v2", namespace="moby", shim_pid=300, init_pid=301, docker=info)
    snap = m.HostSnapshot(taken_at=uptime, uptime=uptime, hostname="h", kernel="6", arch="x86_64",
                          processes=[dockerd, ep, shim, app], pipes=[pipe], containers=[c])
    snap.sockets = sockets.log_connections(snap, proc)
    return snap


def test_log_connections_reads_both_ends_and_the_listener(tmp_path):
    s = _snap(tmp_path, 3_870_720, 114_000)
    by = {x.inode: x for x in s.sockets}
    assert by[501].send_queue == 3_870_720 and by[501].remote == "127.0.0.1:24287" and by[501].peer == 502
    assert by[502].recv_queue == 114_000 and [e.pid for e in by[502].holders] == [200]
    assert by[503].state == "LISTEN"
    gone = _snap(tmp_path / "gone", 3_870_720, 114_000, listening=False)
    assert not any(x.state == "LISTEN" for x in gone.sockets)


def test_stalled_endpoint_is_the_root_and_the_pipe_is_not_drained(tmp_path):
    h = History([_snap(tmp_path, 3_870_720, 114_000, uptime=100.0), _snap(tmp_path, 3_870_720, 114_000, uptime=106.0)])
    found = diagnose(h)
    assert [f.cls for f in found] == ["log-driver-blocked"], [f.summary for f in found]
    f = found[0]
    assert f.severity == "warning" and f.playbook == "log-driver-blocked"
    assert "3,870,720 bytes unsent" in f.summary and "fluent-bit 200" in f.summary
    assert f.causes[0]["text"].startswith("log endpoint 127.0.0.1:24287, fluent-bit 200, does not read")


def test_a_moving_queue_is_throttling_not_a_hang(tmp_path):
    h = History([_snap(tmp_path, 39_960, 10, uptime=100.0), _snap(tmp_path, 148, 3_404, uptime=106.0)])
    found = diagnose(h)
    assert [(f.cls, f.severity, f.playbook) for f in found] == [("log-driver-blocked", "info", None)]
    assert "Throttled, not stuck" in found[0].summary


def test_an_empty_connection_is_a_slow_copier_not_a_hang(tmp_path):
    """dockerd busy encoding `yes` lines: its connection empty at both samples (seen on the lab,
    CI 347fadd), the writer waiting between bursts. Said as throttled; never a drain."""
    h = History([_snap(tmp_path, 0, 0, uptime=100.0), _snap(tmp_path, 0, 0, uptime=106.0)])
    found = diagnose(h)
    assert [(f.cls, f.severity, f.playbook) for f in found] == [("log-driver-blocked", "info", None)]
    assert "held nothing unsent at every sample" in found[0].summary


def test_an_empty_connection_for_a_minute_is_not_called_throttled(tmp_path):
    h = History([_snap(tmp_path, 0, 0, uptime=100.0), _snap(tmp_path, 0, 0, uptime=170.0)])
    found = diagnose(h)
    assert not any("Throttled" in f.summary for f in found), [f.summary for f in found]
    assert "stuck-pipe" in [f.cls for f in found]


def test_non_blocking_mode_is_not_this_class(tmp_path):
    opts = {"fluentd-address": "127.0.0.1:24287", "mode": "non-blocking"}
    h = History([_snap(tmp_path, 3_870_720, 114_000, uptime=100.0, driver_opts=opts),
                 _snap(tmp_path, 3_870_720, 114_000, uptime=106.0, driver_opts=opts)])
    assert "log-driver-blocked" not in [f.cls for f in diagnose(h)]


@pytest.mark.skipif(sys.byteorder != "little", reason="the table's words are in host byte order")
def test_the_byte_order_of_the_kernel_table():
    assert sockets._addr("0100007F:5EDF") == ("127.0.0.1", 24287)
    assert sockets._addr("0000000000000000FFFF00000100007F:01BB") == ("127.0.0.1", 443)
