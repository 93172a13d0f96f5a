"""The causal chain: each seed recording's chain, root first, matches its field report; bytes a
writer could not write, kernel OOM and pids lines, goroutine dumps and the kubelet's log each
become a link with their evidence, observed or inferred; JSON, text and the incident report
carry it."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from hangconsole import model as m
from hangconsole.diagnose import causes, content, kubelet
from hangconsole.diagnose.engine import diagnose
from hangconsole.diagnose.history import History
from hangconsole.incidents import HERE
from tools.seeds import seed_000, seed_001, seed_002, seed_003, seed_004

SEEDS = {0: seed_000, 1: seed_001, 2: seed_002, 3: seed_003, 4: seed_004}


def chain(n: int, with_dumps: bool = True) -> tuple[str, list[dict]]:
    h = SEEDS[n].build()
    dumps = [os.path.join(HERE, f) for f in sorted(os.listdir(HERE)) if f.startswith(f"seed-{n:03d}-")]
    extra = causes.Extra(stacks=causes.load_stacks(dumps)[0] if with_dumps else [])
    top = diagnose(History([h.frame(i) for i in range(len(h.times))]), extra)[0]
    return top.cls, top.causes


def texts(links: list[dict]) -> list[str]:
    return [c["text"] for c in links]


def test_seed_000_oom_to_kubelet():
    cls, links = chain(0)
    t = texts(links)
    held = [c for c in links if c["source"] == "goroutine dump (lock holders)"]    # console/stacks links
    links = [c for c in links if c not in held]
    t = texts(links)
    # the holder as the report found it (getInspectData -> exec Store.List), and as every face says it
    assert not held or held[0]["text"].startswith("dockerd: the container lock is held by "
                                                  "daemon.(*Daemon).ContainerInspectCurrent blocked in exec.(*Store).List")
    assert cls == "exec-pipe-deadlock" and len(t) == 8
    assert t[0].startswith("OOM kill of runc:[2:INIT] 12788 28d7h ago (pod memory limit 3 GiB)")
    assert "not the one stuck now (15638)" in t[0]
    assert t[1].startswith("Go abort in runc init's stderr: runtime/cgo: pthread_create failed")
    assert t[2].startswith("stderr pipe full (≈65536/65536 bytes")   # the report never showed its size
    assert t[3].startswith("runc init 15638 blocked in write(2") and "at least 10s (alive ≈28d7h)" in t[3]
    assert t[4] == "runc exec 15581 waits for runc init 15638"
    assert t[5].startswith("shim 11646 waits for runc exec")
    assert t[6] == "dockerd holds the container lock (717,594 goroutines wait in ContainerInspect)"
    assert t[7].startswith("kubelet: container runtime is down")
    assert [c["kind"] for c in links] == ["observed"] * 5 + ["inferred"] + ["observed"] * 2
    assert links[0]["evidence"]["limit"] == 3 * 2**30 and links[0]["age"] > 28 * 86400


def test_seed_000_without_a_dump_infers_the_lock():
    _, links = chain(0, with_dumps=False)
    lock = links[-2]
    assert lock["kind"] == "inferred" and "docker inspect pending" in lock["text"]
    assert "container lock the exec holds" in lock["text"]


def test_seed_001_reaper_cycle():
    cls, links = chain(1)
    t = texts(links)
    assert cls == "shim-unresponsive"
    assert "reaper is blocked in chan send" in t[0] and "containerd#2709" in t[0]
    assert t[1].startswith("shim 119820 does not reap: 43 zombies") and "exit times are unknown" in t[1]
    assert t[2].startswith("docker inspect pending")


def test_seed_002_pids_limit_behind_read_init_p():
    cls, links = chain(2)
    t = texts(links)
    assert cls == "pids-exhausted"
    # the report shows pids.max and a graph of threads at 1w, no kernel line: the count is marked
    assert t[0].startswith("pids cgroup of aa1e331ec24f is full: ≈10000/10000") and links[0]["reconstructed"]
    assert links[1]["kind"] == "inferred" and "pids limit" in t[1]
    assert t[2].startswith("runc exec printed a Go abort: runtime/cgo: pthread_create failed: Resource "
                           "temporarily unavailable") and links[2]["source"] == "runc's output"
    assert "read init-p: connection reset by peer" in t[3] and links[3]["source"] == "Docker API error"
    # dockerd's own error lines, in the recording since it was rebuilt, are the symptom's end
    assert t[4] == "dockerd logged: stream copy error: reading from a closed fifo (2 lines)"
    assert t[5].startswith("dockerd logged: Error running exec 110deb1c1b2a") and links[5]["source"] == "dockerd log"
    assert not any("fork rejected" in x for x in t)


def test_seed_003_runc_init_oom_killed_behind_runc_start():
    cls, links = chain(3)
    t = texts(links)
    assert cls == "runc-start-blocked"
    assert t[0].startswith("OOM kill of 20357 (runc:[2:INIT])") and links[0]["kind"] == "observed"
    assert t[1].startswith("containerd 0.2.3 predates the exec.fifo fix") and links[1]["kind"] == "inferred"
    # the report shows no runc start: the one the recording holds is reconstructed, and said so
    assert t[2].startswith("runc start 20370 waits on exec.fifo") and links[2]["reconstructed"]
    assert t[3].startswith("dockerd does not answer")
    assert not any("openat" in x or "blocked opening" in x for x in t)


def test_seed_004_lingering_process_in_the_shared_pid_namespace():
    cls, links = chain(4)
    t = texts(links)
    assert cls == "pidns-linger"
    assert "linger in its cgroup (shared pid namespace" in t[0] and "sleep 30018" in t[0]
    assert links[1]["kind"] == "inferred" and t[2].startswith("docker restart pending")


def test_symptoms_share_the_root_causes_chain():
    h = seed_000.build()
    fs = diagnose(History([h.frame(i) for i in range(3)]))
    assert {f.cls for f in fs} >= {"exec-pipe-deadlock", "runtime-call-hung", "oom-kill"}
    assert len({json.dumps(f.causes) for f in fs}) == 1


def test_content_recognised():
    found = content.recognise(b"runtime/cgo: pthread_create failed: Resource temporarily unavailable\n"
                              b"SIGABRT: abort\nPC=0x1 m=0\n\ngoroutine 1 [running]:\nmain.main()\n")
    assert [f["kind"] for f in found] == ["go-abort", "sigabrt", "goroutines"]
    assert content.is_go_abort(found)
    assert content.recognise("fatal error: runtime: out of memory\n")[0]["means"] == \
        "Go fatal error: runtime: out of memory"
    f = content.recognise('exec failed: container_linux.go:348: starting container process caused '
                          '"read init-p: connection reset by peer"')
    assert {x["kind"] for x in f} == {"runc-start", "runc-init-p"}
    assert "resource temporarily unavailable" in content.recognise(
        "fork/exec /usr/bin/runc: resource temporarily unavailable")[0]["means"]
    assert content.recognise(b"hello world\n") == []


def test_kernel_oom_tied_by_memcg_with_the_container_limit():
    h = seed_000.build()
    cid = seed_000.CID
    h.containers[0].cgroup.levels[0].mem_limit = 16 * 2**20
    h.kernel_log = []
    h.klog(h.uptime - 3600, "oom", f"oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
                                  f"oom_memcg={seed_000.POD}/{cid},task_memcg={seed_000.POD}/{cid},task=tail,pid=4242,uid=0")
    h.klog(h.uptime - 3600, "oom-kill", "Memory cgroup out of memory: Killed process 4242 (tail) total-vm:1kB", 4242)
    h.klog(h.uptime - 60, "oom", "oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/other,task_memcg=/other/x,task=a,pid=9,uid=0")
    f = next(f for f in diagnose(History([h.frame(i) for i in range(3)])) if f.cls == "oom-kill")
    assert f.causes[0]["text"] == "OOM kill of tail 4242 60m ago (container memory limit 16 MiB)"
    assert "container memory limit 16 MiB" in f.summary


def test_kubelet_lines():
    lines = kubelet.parse("x\nE0101 kubelet.go:2183] PLEG is not healthy: pleg was last seen active 3m0s ago\n"
                          "I0715 kubelet.go:1835] skipping pod synchronization - [container runtime is down]\n")
    assert [k.kind for k in lines] == ["kubelet-pleg", "kubelet-runtime-down"]
    assert kubelet.link(lines)["text"].startswith("kubelet: container runtime is down")


@pytest.fixture
def exe():
    return shutil.which("hangconsole")


def test_json_text_and_kubelet_file(exe, tmp_path):
    kl = tmp_path / "kubelet.log"
    kl.write_text("E0101 kubelet.go:2183] PLEG is not healthy: pleg was last seen active 3m0s ago\n")
    r = subprocess.run([exe, "diagnose", "--replay", "seed-001", "--json", "--kubelet-log", str(kl)],
                       capture_output=True, text=True, timeout=60)
    top = json.loads(r.stdout)["findings"][0]
    assert top["causes"][-1]["text"].startswith("kubelet: PLEG is not healthy")
    assert {"text", "kind", "source", "evidence", "age"} <= set(top["causes"][0])
    r = subprocess.run([exe, "diagnose", "--replay", "seed-000"], capture_output=True, text=True, timeout=60)
    assert "causes (root first):" in r.stdout and "-> kubelet: container runtime is down" in r.stdout
    assert "unchanged for at least 10s (observed across samples; the process is ≈28d7h old" in r.stdout


def test_drained_file_joins_the_chain_and_the_report(exe, tmp_path):
    from hangconsole import report
    from hangconsole.actions.incident import Incident
    d = tmp_path / "drained.bin"
    d.write_bytes(b"fatal error: runtime: cannot allocate memory\n\ngoroutine 1 [running]:\n")
    r = subprocess.run([exe, "diagnose", "--replay", "seed-004", "--json", "--drained", str(d)],
                       capture_output=True, text=True, timeout=60)
    top = json.loads(r.stdout)["findings"][0]
    assert any(c["source"] == "drained file" and "Go fatal error" not in c["text"] and
               "fatal error: runtime: cannot allocate memory" in c["text"] for c in top["causes"])
    inc = Incident(str(tmp_path / "inc"))
    h = seed_000.build()
    fs = diagnose(History([h.frame(i) for i in range(3)]))
    with open(inc.file("findings.json"), "w") as f:
        json.dump({"findings": [x.to_json() for x in fs]}, f)
    with open(inc.file("drained-pid15638-fd2-pipe1070361747.bin"), "wb") as f:
        f.write(b"runtime/cgo: pthread_create failed: Resource temporarily unavailable\nSIGABRT: abort\n")
    text = open(report.write(inc)).read()
    assert "causal chain, root first:" in text and "causal chain: as above" in text
    assert "Go abort in the drained bytes of 15638" in text
    lines = [ln for ln in text.splitlines() if ln.strip()[:2].rstrip(".").isdigit()]
    assert "OOM kill" in lines[0] and "drained bytes" in lines[2] and "stderr pipe full" in lines[3]


def test_no_chain_without_a_finding():
    h = seed_004.build()
    h.probes = []
    snaps = [h.frame(i) for i in range(3)]
    for s in snaps:
        s.containers = [c for c in s.containers if c.id != seed_004.C2]
        s.processes = [p for p in s.processes if p.container_id != seed_004.C2]
    fs = diagnose(History(snaps))
    assert all(f.causes == [] or f.container for f in fs)
    assert isinstance(m.HostSnapshot(0, 0, "h", "k", "x").kubelet_log, list)


def test_pids_refusal_at_the_pod_level():
    h = seed_002.build()
    h.kernel_log = []
    h.klog(h.uptime - 120, "pids-fork-rejected", f"cgroup: fork rejected by pids controller in {seed_002.POD}")
    h.containers[0].cgroup.levels.append(m.CgroupLevel(path=seed_002.POD, pids_current=10001, pids_max=10001))
    top = diagnose(History([h.frame(i) for i in range(3)]))[0]
    assert top.causes[0]["text"].startswith("fork rejected by the pids controller at the pod cgroup "
                                            "(pids.max 10001, now 10001), 1 time(s)")


def test_live_kubelet_reader_off_thread(tmp_path, monkeypatch):
    from hangconsole.collect import kubelet_log
    calls = []
    monkeypatch.setattr(kubelet_log, "read_journal", lambda timeout=3.0: calls.append(1) or kubelet.parse(
        "I0715 kubelet.go:1835] skipping pod synchronization - [container runtime is down]"))
    monkeypatch.setattr(kubelet_log.shutil, "which", lambda name: "/usr/bin/journalctl")
    k = kubelet_log.KubeletLog(refresh=0.05)
    import time
    for _ in range(100):
        if k.lines():
            break
        time.sleep(0.01)
    k.close()
    assert k.lines()[0].kind == "kubelet-runtime-down" and calls


def test_the_pipe_is_named_by_the_execs_stream_not_the_writers_fd():
    """`sh -c 'yes | head >&2'`: head blocks on its fd 1, which is the exec's stderr."""
    from hangconsole import model as m
    from hangconsole.diagnose.pipes_common import stream_name as _stream
    chain = [{"pid": 1, "role": m.SHIM_V2}, {"pid": 2, "role": None}, {"pid": 3, "role": None}]
    e = {"fd": {"pid": 3, "fd": 1}, "chain": chain,
         "pipe": {"writers": [{"pid": 2, "fd": 2}, {"pid": 3, "fd": 1}, {"pid": 3, "fd": 2}]}}
    assert _stream(e) == "stderr"
    e["pipe"]["writers"] = [{"pid": 2, "fd": 1}, {"pid": 2, "fd": 2}, {"pid": 3, "fd": 1}]   # 2>&1
    assert _stream(e) == "stdout+stderr"
    e["chain"], e["pipe"]["writers"] = chain[::2], [{"pid": 3, "fd": 1}]
    assert _stream(e) == "stdout"


def test_seed_000_lock_holders_are_the_same_on_every_face():
    """The stacks summary's hint, the stacks screen's lock line and the finding's causal chain
    name the same holders, in the same words (one walk, one wording: stacks.summary)."""
    from hangconsole import stacks
    path = os.path.join(HERE, "seed-000-dockerd-goroutines.txt")
    s = stacks.summarise([path])
    first = next(lk for lk in s.links if lk.holder is not None and "ContainerInspect" in " ".join(lk.waiters.funcs))
    words = [stacks.holder_text(lk) for lk in s.chain(first)]
    assert words[0].startswith("daemon.(*Daemon).ContainerInspectCurrent blocked in exec.(*Store).List")
    hint = next(h for h in s.hints if h.startswith("717594 goroutines wait for a mutex"))
    assert hint.endswith("held by " + ", which waits for a lock held by ".join(words))
    _, links = chain(0)
    held = next(c for c in links if c["source"] == "goroutine dump (lock holders)")
    assert held["evidence"]["holders"] == words
