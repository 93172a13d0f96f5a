"""Goroutine dumps as the seeds show them (pprof profiles, logrus-quoted shim dumps, plain),
the same read back from the journal and syslog, and the reader's memory on big dumps.
Real dumps of several Go versions: tests/integration/test_go_dumps.py.

Every dump read here is read twice, by the C scanner and by Python alone, and the two must
agree (tests/helpers/stackpaths.py); the fuzz at the end feeds both broken input."""
import os
import random
import subprocess
import sys
import tracemalloc

import pytest

from hangconsole import stacks
from hangconsole.incidents import HERE
from hangconsole.stacks import reader
from tests.conftest import IN_CI
from tests.helpers.stackpaths import C_BUILT, both, same


@pytest.fixture(autouse=True)
def _both_paths(monkeypatch):
    both(monkeypatch)


def load(name: str) -> list[stacks.Group]:
    with open(os.path.join(HERE, name)) as f:
        return stacks.load(f.read())


def journald(text: str, tag: str) -> str:
    return "".join(f"Oct 27 15:20:23 node3 {tag}: {line}\n" for line in text.splitlines())


def test_seed_000_dockerd_pprof_profile():
    g = load("seed-000-dockerd-goroutines.txt")
    assert [x.count for x in g] == [717594, 4175, 1, 1]
    assert g[0].top == "github.com/docker/docker/daemon.(*Daemon).ContainerInspectCurrent"
    assert g[0].frames[2].location.endswith("daemon/inspect.go:40")
    assert any("717594 goroutines wait for a mutex" in h for h in stacks.hints(g))


def test_seed_000_lock_chain_and_truncated_profile():
    s = stacks.summarise(os.path.join(HERE, "seed-000-dockerd-goroutines.txt"))
    (d,) = s.dumps
    assert (d.declared, d.goroutines, d.truncated) == (722373, 721771, True)
    assert any("says 722373 goroutines but lists 721771" in h for h in s.hints)
    inspect = s.link_of(s.groups[0])
    # the one inspect past line 40 holds the container lock, and waits on the exec store ...
    assert inspect.how == "past the lock" and inspect.holder.top.endswith("exec.(*Store).List")
    chain = s.chain(inspect)
    # ... that ContainerExecStart holds while it waits on containerd (a guess: debug=1 has no addresses)
    assert chain[-1].where == "github.com/docker/docker/daemon.(*Daemon).ContainerExecStart" and chain[-1].guess
    assert any("717594 goroutines wait for a mutex" in h and "ContainerExecStart" in h for h in s.hints)
    text = stacks.render(s)
    assert "ContainerExecStart" in text and "truncated" in text


def test_seed_001_shim_dump_inside_a_log_line():
    g = load("seed-001-shim-stacks.log")
    reap = next(x for x in g if x.state == "chan send")
    assert reap.funcs[0] == "github.com/containerd/containerd/reaper.Reap" and reap.max_wait == 83
    assert reap.frames[0].location.endswith("reaper/reaper.go:44")
    sema = next(x for x in g if x.state == "semacquire" and "State" in " ".join(x.funcs))
    assert sema.top == "github.com/containerd/containerd/linux/shim.(*Service).State"


def test_seed_001_reaper_cycle_is_named():
    s = stacks.summarise(os.path.join(HERE, "seed-001-shim-stacks.log"))
    check = next(g for g in s.groups if g.top.endswith("(*Service).checkProcesses"))
    link = s.link_of(check)
    assert link.how == "address" and link.lock == "0xc4201e4000" and link.holder_id == 22661144
    assert link.where.endswith("shim.(*Service).Kill")           # not forward (a loop), not Reap (an argument)
    (cycle,) = [h for h in s.hints if "reaper cycle" in h]
    assert "Kill holds the shim's lock" in cycle and "stopped reaping" in cycle and "checkProcesses" in cycle
    assert s.dumps[0].time == "2021-06-23T16:35:07+08:00"
    assert s.longest[0].state in ("chan send", "semacquire") and s.longest[0].max_wait == 83


@pytest.mark.parametrize("name,tag", [("seed-001-shim-stacks.log", "containerd[1201]"),
                                      ("seed-003-dockerd-goroutines.log", "dockerd[1748]")])
def test_seeds_read_back_from_the_journal_and_syslog(name, tag):
    with open(os.path.join(HERE, name)) as f:
        text = f.read()
    plain = stacks.summarise_text(text)
    for form in (journald(text, tag), journald(text, tag).replace("\t", "#011")):
        s = stacks.summarise_text(form)
        assert [(g.count, g.state, g.max_wait, g.frames) for g in s.groups] == \
               [(g.count, g.state, g.max_wait, g.frames) for g in plain.groups]
        assert "not a frame" not in s.skipped


def test_escaped_journal_line_and_grouping():
    body = ("goroutine 7 [semacquire, 5 minutes]:\\nsync.(*Mutex).Lock(0xc4)\\n\\t/go/src/sync/mutex.go:134 +0x108\\n"
            "main.handle(0x1)\\n\\t/src/main.go:10 +0x2\\n\\n"
            "goroutine 8 [semacquire, 9 minutes]:\\nsync.(*Mutex).Lock(0xc5)\\n\\t/go/src/sync/mutex.go:134 +0x108\\n"
            "main.handle(0x2)\\n\\t/src/main.go:10 +0x2\\n\\n"
            "goroutine 9 [running]:\\nmain.dump()\\n\\t/src/main.go:3 +0x1\\n")
    line = ('Nov 22 10:00:00 host containerd[42]: time="2026-11-22T10:00:00Z" level=info '
            f'msg="=== BEGIN goroutine stack dump ===\\n{body}=== END goroutine stack dump ==="')
    g = stacks.load(line)
    assert [(x.count, x.max_wait, x.ids) for x in g] == [(2, 9, [7, 8]), (1, 0, [9])]
    assert g[0].top == "main.handle" and g[0].frames[1].location == "/src/main.go:10"
    assert g[0].matches("handle") and not g[1].matches("mutex")


def test_repeated_ids_start_a_new_dump_and_non_frames_are_counted():
    one = ("goroutine 1 [chan receive, 3 minutes]:\nmain.main()\n\t/src/main.go:5 +0x1d\n\n"
           "goroutine 5 [select]:\nmain.loop()\n\t/src/main.go:9 +0x2\ncreated by main.main in goroutine 1\n"
           "\t/src/main.go:6 +0x3\n\n")
    s = stacks.summarise_text(one + one.replace("3 minutes", "4 minutes") + "exit status 2\n", "d.log")
    assert [(d.label, d.goroutines) for d in s.dumps] == [("d.log", 2), ("d.log#2", 2)]
    assert sorted((g.dump, g.max_wait) for g in s.groups if g.top == "main.main") == [(0, 3), (1, 4)]
    assert all(g.created_by == "main.main" for g in s.groups if g.top == "main.loop")
    assert s.skipped == {"exit status": 1} and s.skipped_examples["exit status"] == "d.log:21: exit status 2"
    assert [d.line for d in s.dumps] == [1, 11]


def test_not_a_dump():
    with pytest.raises(stacks.StackError):
        stacks.load("hello world\n")


def _dump(path: str, goroutines: int) -> None:
    """A debug=2 dump: three distinct stacks, every goroutine its own id and arguments."""
    rnd = random.Random(1)
    stacks_ = ["sync.runtime_SemacquireMutex(0x%x?, 0x0?, 0x1?)\n\t/go/src/runtime/sema.go:77 +0x25\n"
               "sync.(*Mutex).lockSlow(0xc0004a2000)\n\t/go/src/sync/mutex.go:171 +0x165\n"
               "main.(*D).Inspect(0xc000136000, {0x%x, 0x40})\n\t/src/d.go:40 +0x8d\n",
               "main.(*D).Stats(0xc0004a2000, 0x%x)\n\t/src/d.go:90 +0x2d\n",
               "internal/poll.runtime_pollWait(0x%x, 0x72)\n\t/go/src/runtime/netpoll.go:305 +0x89\n"]
    with open(path, "w") as f:
        for gid in range(goroutines):
            i = 0 if gid % 10 else 1 + gid // 10 % 2
            body = stacks_[i] % tuple(rnd.getrandbits(40) for _ in range(stacks_[i].count("%x")))
            f.write(f"goroutine {gid + 1} [{'semacquire' if i == 0 else 'select'}, {gid % 60} minutes]:\n{body}"
                    f"created by main.serve in goroutine 1\n\t/src/d.go:12 +0x4\n\n")


def test_memory_grows_with_distinct_stacks_not_goroutines(tmp_path):
    peaks = []
    for n in (20_000, 200_000):
        path = str(tmp_path / f"{n}.log")
        _dump(path, n)
        tracemalloc.start()
        s = stacks.summarise(path)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert s.goroutines == n and len(s.groups) == 3
        assert s.groups[0].count == n - n // 10 and s.link_of(s.groups[0]).holder.top == "main.(*D).Stats"
    # ten times the goroutines (and the file): the peak is the same chunks, the same groups,
    # plus a bit per goroutine id (to notice a second dump)
    assert peaks[1] < peaks[0] * 1.5, peaks
    assert peaks[1] < os.path.getsize(str(tmp_path / "200000.log")) / 2


def test_progress_and_cancel(tmp_path):
    path = str(tmp_path / "d.log")
    _dump(path, 30_000)
    seen = []
    stacks.summarise([path], progress=lambda i, done, total: seen.append((i, done, total)))
    assert seen and seen[-1][1] <= seen[-1][2] == os.path.getsize(path) and seen == sorted(seen)
    with pytest.raises(stacks.Cancelled):
        stacks.summarise(path, cancelled=lambda: True)


def test_the_journal_with_two_processes_dumps():
    a = "goroutine 1 [chan receive]:\nmain.main()\n\t/src/a.go:5 +0x1d\n\n"
    b = "goroutine 7 [select, 2 minutes]:\nmain.loop()\n\t/src/b.go:9 +0x2\n\n"
    log = journald(a, "dockerd[1748]") + "Oct 27 15:20:23 node3 kernel: eth0: link up\n" + journald(b, "containerd[990]")
    s = stacks.summarise_text(log, "journal")
    assert [(d.label, d.goroutines) for d in s.dumps] == [("journal", 1), ("journal#2", 1)]
    assert sorted((g.dump, g.top) for g in s.groups) == [(0, "main.main"), (1, "main.loop")] and s.skipped == {"a line from another process": 1}


def _signature(s: stacks.Summary):
    return ([(d.label, d.goroutines, d.line) for d in s.dumps],
            sorted((g.dump, g.count, g.state, g.max_wait, g.top, tuple(g.ids)) for g in s.groups),
            [(lk.count, lk.waiters.top, lk.holder and lk.holder.top, lk.holder_id, lk.how) for lk in s.links],
            s.skipped)


def test_two_halves_read_at_once_give_the_same_summary(tmp_path, monkeypatch):
    from hangconsole.stacks import parallel
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    one = tmp_path / "one.log"
    _dump(str(one), 30_000)
    two = tmp_path / "two.log"                  # two SIGUSR1s: the ids repeat past the middle
    two.write_text(one.read_text() + "goroutine profile: total 2\n1 @ 0x1\n#\t0x1\tmain.x+0x1\t/src/x.go:1\n\n"
                   + one.read_text()[:len(one.read_text()) // 3].rpartition("\ngoroutine ")[0] + "\nexit status 2\n")
    for path in (one, two):
        seq = stacks.summarise(str(path))
        par = stacks.summarise(str(path), parallel=True)
        assert _signature(par) == _signature(seq)
    assert [d.kind for d in seq.dumps] == ["goroutines", "pprof debug=1", "goroutines"]
    assert [d.truncated for d in seq.dumps] == [False, True, False]


# ---- the C scanner ---------------------------------------------------------------------------

def test_the_c_scanner_is_built_into_the_installed_package():
    """CI must not pass on the slow path: the wheel the tests installed has the scanner."""
    if not C_BUILT:
        if IN_CI:
            pytest.fail(f"CI: the C scanner is not built: {reader._WHY_NOT}")
        pytest.skip(reader._WHY_NOT)
    import hangconsole
    from hangconsole.stacks import _scan
    assert os.path.dirname(os.path.dirname(_scan.__file__)) == os.path.dirname(hangconsole.__file__)
    if os.environ.get("HANGCONSOLE_TEST_INSTALLED"):
        assert "site-packages" in _scan.__file__, _scan.__file__
    assert _scan.STALL == reader.STALL
    if not os.environ.get("HANGCONSOLE_STACKS_PYTHON"):
        assert stacks.scanner() == "the C scanner"


def test_the_summary_says_which_path_read_it(tmp_path):
    path = tmp_path / "d.log"
    _dump(str(path), 50)
    env = dict(os.environ)
    env.pop("HANGCONSOLE_STACKS_PYTHON", None)
    run = [sys.executable, "-m", "hangconsole", "stacks", "--text", str(path)]
    out = subprocess.run(run, capture_output=True, text=True, env=env, timeout=60).stdout
    if C_BUILT:
        assert out.rstrip().endswith("read by the C scanner")
    else:
        assert out.rstrip().splitlines()[-1].startswith("read by Python (the C scanner is not built)")
    env["HANGCONSOLE_STACKS_PYTHON"] = "1"
    out = subprocess.run(run, capture_output=True, text=True, env=env, timeout=60).stdout
    assert out.rstrip().splitlines()[-1] == ("read by Python (HANGCONSOLE_STACKS_PYTHON is set)" if C_BUILT
                                             else f"read by Python ({reader._WHY_NOT})")
    journal = tmp_path / "journal.log"
    journal.write_text(journald(path.read_text(), "dockerd[1]"))
    s = stacks.summarise(str(journal))
    assert s.read_by == "Python (journal/syslog lines, line by line)"


def _texts() -> list[str]:
    """Dumps of every form the seeds and these tests have, to break."""
    out = []
    for name in sorted(os.listdir(HERE)):
        if name.endswith((".txt", ".log")):
            with open(os.path.join(HERE, name)) as f:
                out.append(f.read()[:60_000])
    rnd = random.Random(3)
    one = ("goroutine 1 [chan receive, 3 minutes]:\nmain.main()\n\t/src/main.go:5 +0x1d\n\n"
           "goroutine 5 [select]:\nmain.loop()\n\t/src/main.go:9 +0x2\ncreated by main.main in goroutine 1\n"
           "\t/src/main.go:6 +0x3\n\n"
           "goroutine 9 gp=0xc0002788c0 m=8 mp=0xc000536008 [sync.Mutex.Lock, 2 minutes]:\n"
           "sync.runtime_SemacquireMutex(0xc0004a2004?, 0x0?, 0x1?)\n\t/go/src/runtime/sema.go:77 +0x25 fp=0xc1 sp=0xc2 pc=0x3\n"
           "sync.(*Mutex).lockSlow(0xc0004a2000)\n\t/go/src/sync/mutex.go:171 +0x165\n"
           "main.(*D).Inspect(0xc000136000, {0xc0004a2000, 0x40})\n\t/src/d.go:40 +0x8d\n\n")
    out.append(one + one.replace("3 minutes", "4 minutes") + "exit status 2\n")
    out.append("panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:5 +0x1d\n"
               "\tgoroutine running on other thread; stack unavailable\n...additional frames elided...\n"
               "rax    0x0\nrip    0x4\n\n" + one)
    big = []
    for gid in range(300):
        k = rnd.randrange(4)
        big.append(f"goroutine {gid} [{'semacquire' if k else 'IO wait'}, {rnd.randrange(60)} minutes]:\n"
                   f"sync.(*Mutex).Lock(0xc0004a2{k:03x})\n\t/go/src/sync/mutex.go:90 +0x{k}\n"
                   f"main.h{k}(0xc{rnd.getrandbits(36):09x})\n\t/src/h.go:{k + 1} +0x2\n\n")
    out.append("".join(big))
    return out


NOISE = ["\t", "\n", " ", "=", " fp=0x1", "goroutine ", "\ngoroutine 7 [x]:\n", "٣", "²", "\x00", "\r", "\ufffd",
         "[", "]:", "(", ")", "0xc", "0xczz", "created by ", "\n\n", "é", "99999999999999999999999",
         " minutes", "=== BEGIN goroutine stack dump ===", "=== END goroutine stack dump ===",
         "goroutine profile: total 9\n", "1 @ 0x1\n", "#\t0x1\tmain.x+0x1\t/x.go:1\n", "[originating from goroutine 1]:\n"]


def _mutate(rnd: random.Random, text: str) -> str:
    for _ in range(rnd.randrange(1, 6)):
        r = rnd.random()
        i = rnd.randrange(len(text) + 1)
        if r < 0.3:
            text = text[:i]                                   # truncated
        elif r < 0.6:
            text = text[:i] + rnd.choice(NOISE) + text[i + rnd.randrange(3):]
        elif r < 0.8:
            ls = text.split("\n")
            j = rnd.randrange(len(ls))
            ls[j:j + 1] = rnd.choice([[], [ls[j], ls[j]], [ls[j][: len(ls[j]) // 2]]])
            text = "\n".join(ls)
        else:
            text = text[:i] + text[i:i + rnd.randrange(200)] * rnd.randrange(1, 4) + text[i:]
    return text


def test_the_address_cap_reads_the_same_both_ways(monkeypatch):
    """Past MAX_ADDRESSES the lock search stops keeping addresses, the same way on both paths
    (the C scanner indexes the tracker's holders then, as no address is added any more)."""
    from hangconsole.stacks import locks
    monkeypatch.setattr(locks, "MAX_ADDRESSES", 40)
    rnd = random.Random(5)
    text = "".join(f"goroutine {gid} [{'semacquire' if gid % 3 else 'chan receive'}, 1 minutes]:\n"
                   + (f"sync.(*Mutex).Lock(0xc{rnd.getrandbits(36):09x})\n\t/go/src/sync/mutex.go:90 +0x1\n" if gid % 3 else "")
                   + f"main.(*T).Run(0xc{rnd.randrange(30):09x}, {{0xc{rnd.getrandbits(36):09x}, 0x1}})\n\t/src/t.go:9 +0x2\n\n"
                   for gid in range(1, 400))
    s = stacks.summarise_text(text)                       # both paths, compared
    assert s.incomplete and s.goroutines == 399


def test_two_halves_keep_the_address_cap_as_one_reader(tmp_path, monkeypatch):
    """Past the cap one reader keeps the first addresses only: so does the merge of two halves."""
    from hangconsole.stacks import locks, parallel
    from tests.helpers.stackpaths import fingerprint
    monkeypatch.setattr(locks, "MAX_ADDRESSES", 50)
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    rnd = random.Random(9)
    path = tmp_path / "leak.log"
    path.write_text("".join(
        f"goroutine {gid} [chan receive, {gid % 7} minutes]:\n"
        f"main.(*C).wait(0xc{rnd.randrange(40):09x}, {{0xc{rnd.getrandbits(36):09x}, 0x1}})\n\t/src/c.go:9 +0x2\n"
        + (f"sync.(*Mutex).Lock(0xc{rnd.randrange(80):09x})\n\t/go/src/sync/mutex.go:90 +0x1\n" if gid % 2 else "")
        + "\n" for gid in range(1, 3000)))
    one, two = stacks.summarise(str(path)), stacks.summarise(str(path), parallel=True)
    assert one.incomplete and fingerprint(two) == fingerprint(one)
    kept = []
    for halves in (False, True):                      # the addresses the lock search kept
        r = stacks.Reader()
        r.feed_file(str(path), parallel=halves)
        pos = {id(g): i for i, g in enumerate(r.groups)}
        kept.append((r.locks.full, [(k, [(gid, pos[g], i, rc) for gid, g, i, rc in lst])
                                    for k, lst in r.locks.holders.items()]))
    assert len(kept[0][1]) == 50 and kept[1] == kept[0]


def test_fuzz_both_paths_agree_and_never_crash():
    """Truncated, shuffled, garbled dumps: the same summary (or the same StackError) either way."""
    rnd = random.Random(13)
    texts = _texts()
    cases = list(texts)
    for _ in range(400):
        cases.append(_mutate(rnd, rnd.choice(texts)))
    for _ in range(40):
        cases.append("".join(rnd.choice(NOISE) for _ in range(rnd.randrange(200))))
    for text in cases:
        try:
            same(stacks.summarise_text, text, "fuzz")
        except stacks.StackError:
            pass


def test_fuzz_bytes_and_chunk_edges(tmp_path, monkeypatch):
    """Files as bytes (invalid UTF-8, characters cut by a chunk, lines over four chunks, long
    stretches without a goroutine), read in small chunks so every edge is crossed."""
    monkeypatch.setattr(reader, "CHUNK", 4096)
    rnd = random.Random(7)
    texts = _texts()
    path = tmp_path / "fuzz.log"
    for n in range(120):
        data = _mutate(rnd, rnd.choice(texts)).encode()
        if n % 3 == 0:
            data = bytearray(data)
            for _ in range(rnd.randrange(1, 20)):
                i = rnd.randrange(len(data) + 1)
                data[i:i] = rnd.choice([b"\xff", b"\xe2\x82", b"\xc3", b"\x80\x80", bytes(rnd.randrange(256) for _ in range(9))])
            data = bytes(data)
        if n % 10 == 0:
            data = b"x" * rnd.randrange(17_000, 40_000) + data          # a line over four chunks
        if n % 10 == 1:
            data = b"log line\n" * 3000 + data                           # no goroutine for a long way
        path.write_bytes(data)
        for parallel in (False, True):
            try:
                same(stacks.summarise, str(path), parallel=parallel)
            except stacks.StackError:
                pass
