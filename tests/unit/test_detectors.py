"""Detectors must not fire without their evidence: no time, no corroboration, no finding."""
from __future__ import annotations

from hangconsole import model as m
from hangconsole.diagnose.engine import diagnose
from hangconsole.diagnose.history import History
from tools.seeds import seed_000, seed_001, seed_004
from tools.seeds._build import sc, thread


def classes(snaps) -> set[str]:
    return {f.cls for f in diagnose(History(snaps))}


def test_one_sample_is_never_stuck():
    h = seed_000.build()
    assert "exec-pipe-deadlock" not in classes([h.frame(0)])
    assert "exec-pipe-deadlock" in classes([h.frame(0), h.frame(1)])


def test_a_pipe_that_moves_is_not_stuck():
    h = seed_000.build()
    snaps = [h.frame(i) for i in range(3)]
    snaps[1].pipe(1070361747).queued = 60000          # someone read in between
    assert "exec-pipe-deadlock" not in classes(snaps)


def test_a_pipe_with_another_reader_is_not_a_deadlock():
    h = seed_000.build()
    snaps = [h.frame(i) for i in range(3)]
    for s in snaps:
        s.pipe(1070361747).readers.append(m.PipeEnd(4242, 1, "cat", 3, "r"))
    assert "exec-pipe-deadlock" not in classes(snaps)


def test_zombies_need_ten_seconds():
    h = seed_001.build()
    assert "zombies-under-shim" not in classes([h.frame(0), h.frame(1)])      # 5 s apart
    assert "zombies-under-shim" in classes([h.frame(0), h.frame(1), h.frame(2)])


def _calls_answer(h) -> None:
    """Every runtime call of the host answers (the report's hung ones too)."""
    h.probes = []
    h.probe("docker", "ping", None, "ok", 0.01)
    h.probe("docker", "inspect", seed_001.CID, "ok", 0.01)


def test_an_idle_shim_in_futex_is_not_unresponsive():
    h = seed_001.build()
    h.procs = [p for p in h.procs if p["state"] != "Z"]        # no zombies
    shim = next(d for d in h.procs if d["pid"] == 119820)      # idle Go threads, as a live shim has
    shim["state"], shim["threads"] = "S", [thread(119820 + i, "S", "futex_wait_queue_me", sc("futex", 0x7fd008, 0))
                                           for i in range(4)]
    _calls_answer(h)
    assert classes([h.frame(i) for i in range(3)]) == set()


def test_zombies_without_a_hung_call_are_only_a_warning():
    h = seed_001.build()
    _calls_answer(h)
    found = diagnose(History([h.frame(i) for i in range(3)]))
    assert [(f.cls, f.severity) for f in found] == [("zombies-under-shim", "warning")]


def test_pidns_linger_needs_the_init_gone():
    h = seed_004.build()
    h.proc(seed_004.BASE + 12, 29003, "sh", ["/bin/sh", "-c", "touch /tmp/healthy && sleep 1000"], age=600,
           frames={1, 2, 3})                                   # container2's sh never died
    assert "pidns-linger" not in classes([h.frame(i) for i in range(4)])


def test_paused_is_info_and_a_surprise_freeze_is_critical():
    h = seed_004.build()
    c = h.containers[1]                                        # container1
    c.cgroup.freezer = "FROZEN"
    c.docker.paused, c.docker.state = True, "paused"
    found = {f.cls: f.severity for f in diagnose(History([h.frame(i) for i in range(3)]))
             if f.container == c.id}
    assert found == {"paused": "info"}
    c.docker.paused, c.docker.state = False, "running"
    found = {f.cls: f.severity for f in diagnose(History([h.frame(i) for i in range(3)]))
             if f.container == c.id}
    assert found == {"frozen-cgroup": "critical"}


def test_d_state_on_storage_but_not_in_the_freezer():
    h = seed_004.build()
    h.proc(777, 1, "rsync", ["rsync", "-a", "/mnt/nfs/", "/data/"], age=900, state="D",
           threads=[thread(777, "D", "rpc_wait_bit_killable", sc("read", 3, 0, 4096))])
    h.proc(778, 1, "app", ["app"], age=900, state="D",
           threads=[thread(778, "D", "__refrigerator", sc("read", 3, 0, 4096))])
    found = [f for f in diagnose(History([h.frame(i) for i in range(3)])) if f.cls == "d-state-io"]
    assert len(found) == 1 and found[0].pids == [777] and found[0].container is None


def test_a_writer_whose_write_count_moves_is_not_stuck():
    """A full pipe at every sample is not enough: a busy healthy writer (`yes` into a log the
    shim copies as fast as it can) keeps the pipe full, but its wchar grows between samples."""
    h = seed_000.build()
    snaps = [h.frame(i) for i in range(3)]
    writer = 15638
    for i, s in enumerate(snaps):
        s.proc(writer).wchar = 1_000_000 * (i + 1)        # it wrote between every two samples
    assert "exec-pipe-deadlock" not in classes(snaps)
    for s in snaps:
        s.proc(writer).wchar = 4096                        # the same count: it has not moved
    assert "exec-pipe-deadlock" in classes(snaps)


def test_stuck_for_grows_past_the_samples_kept():
    """The live console keeps four samples; with its memory of when a state was first seen,
    "stuck for" keeps growing with every sample instead of stopping at the window's width."""
    from hangconsole.diagnose.history import thread_sig
    h = seed_000.build()
    frames = [h.frame(i) for i in range(3)]
    since: dict = {}
    seen = []
    for n in range(1, 7):                                # samples 5 s apart, four kept at most
        import copy
        snaps = []
        for i in range(max(0, n - 4), n):
            s = copy.deepcopy(frames[min(i, 2)])
            s.uptime = frames[0].uptime + 5 * i
            s._index = None
            snaps.append(s)
        hist = History(snaps, since)
        p = hist.latest.proc(15638)
        seen.append(hist.steady(p, thread_sig(p.threads[0].tid, 1070361747)))
    assert seen == [0.0, 5.0, 10.0, 15.0, 20.0, 25.0], seen
    without = History(snaps)
    assert without.steady(p, thread_sig(p.threads[0].tid, 1070361747)) == 15.0   # the window's width
