"""Goroutine dumps as the seeds show them: pprof profiles, logrus-quoted shim dumps, plain."""
import os

import pytest

from hangconsole import stacks
from hangconsole.incidents import HERE


def load(name: str) -> list[stacks.Group]:
    with open(os.path.join(HERE, name)) as f:
        return stacks.load(f.read())


def test_seed_000_dockerd_pprof_profile():
    g = load("seed-000-dockerd-goroutines.txt")
    assert [x.count for x in g] == [717594, 4175, 1, 1]
    assert g[0].top == "github.com/docker/docker/daemon.(*Daemon).ContainerInspectCurrent"
    assert g[0].frames[2].location.endswith("daemon/inspect.go:40")
    assert any("717594 goroutines wait for a mutex" in h for h in stacks.hints(g))


def test_seed_001_shim_dump_inside_a_log_line():
    g = load("seed-001-shim-stacks.log")
    reap = next(x for x in g if x.state == "chan send")
    assert reap.funcs[0] == "github.com/containerd/containerd/reaper.Reap" and reap.max_wait == 83
    assert reap.frames[0].location.endswith("reaper/reaper.go:44")
    sema = next(x for x in g if x.state == "semacquire" and "State" in " ".join(x.funcs))
    assert sema.top == "github.com/containerd/containerd/linux/shim.(*Service).State"
    assert any("stopped reaping" in h for h in stacks.hints(g))


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


def test_not_a_dump():
    with pytest.raises(stacks.StackError):
        stacks.load("hello world\n")
