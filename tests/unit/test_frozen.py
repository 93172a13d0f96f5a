"""Runtime processes held by a freezer cgroup: named by the cgroup that froze them (their own
or an ancestor, v1 and v2, on kernel-shaped trees), told apart from a docker pause and from
a task the kernel holds in D on storage; playbook conditions say what they saw and what next."""
from __future__ import annotations

from hangconsole import model as m
from hangconsole.actions.incident import Incident
from hangconsole.collect import cgroups, holds
from hangconsole.diagnose.engine import diagnose
from hangconsole.diagnose.history import History
from tools.seeds import seed_001
from tools.seeds._build import sc, thread
from hangconsole.playbook import conditions
from hangconsole.playbook.context import RunContext

CID = "ab" * 32


def write(d, **files):
    d.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (d / name.replace("__", ".")).write_text(text)


def test_v2_an_ancestor_froze_it(tmp_path):
    root = tmp_path / "unified"
    write(root / "system.slice", cgroup__freeze="1\n", cgroup__events="populated 1\nfrozen 1\n")
    write(root / "system.slice" / "containerd.service", cgroup__freeze="0\n",
          cgroup__events="populated 1\nfrozen 1\n")
    mnt = {"": ("/", str(root))}
    got = cgroups.frozen_by({"": "/system.slice/containerd.service"}, mnt)
    assert got == ("FROZEN", ["/system.slice"])
    write(root / "system.slice", cgroup__freeze="0\n")
    assert cgroups.frozen_by({"": "/system.slice/containerd.service"}, mnt) is None
    assert cgroups.thaw_file(2, "/system.slice", mnt) == (f"{root}/system.slice/cgroup.freeze", "0")


def test_v2_freezing_until_every_task_stopped(tmp_path):
    root = tmp_path / "unified"
    write(root / "shim", cgroup__freeze="1\n", cgroup__events="populated 1\nfrozen 0\n")
    assert cgroups.frozen_by({"": "/shim"}, {"": ("/", str(root))}) == ("FREEZING", ["/shim"])


def test_v1_self_freezing_names_the_level(tmp_path):
    fz = tmp_path / "freezer"
    write(fz / "hc-freeze", freezer__state="FROZEN\n", freezer__self_freezing="1\n", freezer__parent_freezing="0\n")
    write(fz / "hc-freeze" / "shim", freezer__state="FROZEN\n", freezer__self_freezing="0\n",
          freezer__parent_freezing="1\n")
    mnt = {"freezer": ("/", str(fz))}
    assert cgroups.frozen_by({"freezer": "/hc-freeze/shim"}, mnt) == ("FROZEN", ["/hc-freeze"])
    write(fz / "hc-freeze" / "shim", freezer__state="THAWED\n")
    assert cgroups.frozen_by({"freezer": "/hc-freeze/shim"}, mnt) is None
    assert cgroups.thaw_file(1, "/hc-freeze", mnt) == (f"{fz}/hc-freeze/freezer.state", "THAWED")


def test_pending_signals_parsed():
    st = b"Name:\tx\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000100\n"
    assert holds.parse_pending(st) == 0x100


def _frozen_shim(kill_pending=False):
    """Seed 001's shim (zombies, inspect pending), its threads in D, held by a freezer."""
    h = seed_001.build()
    shim = next(d for d in h.procs if d["pid"] == 119820)
    shim["state"] = "D"
    shim["threads"] = [thread(t.tid, "D", t.wchan, t.syscall) for t in shim["threads"]]
    snaps = [h.frame(i) for i in range(3)]
    for s in snaps:
        p = s.proc(119820)
        p.freezer, p.frozen_by = "FROZEN", ["/hc-freeze"]
        p.sig_pending = 0x100 if kill_pending else 0
    return snaps


def test_frozen_shim_is_named_frozen_with_its_cgroup():
    found = {f.cls: f for f in diagnose(History(_frozen_shim()))}
    fz, shim = found["frozen-cgroup"], found["shim-unresponsive"]
    assert "frozen by freezer cgroup /hc-freeze" in fz.summary and "not T" in fz.summary
    assert fz.evidence["runtime"][0]["pid"] == 119820 and fz.evidence["frozen_by"] == ["/hc-freeze"]
    assert "frozen by freezer cgroup /hc-freeze" in shim.summary
    assert shim.root_cause == fz.id and shim.evidence["frozen_by"] == ["/hc-freeze"]
    assert found["runtime-call-hung"].root_cause == fz.id


def test_pending_kill_on_a_frozen_shim_is_said():
    fz = {f.cls: f for f in diagnose(History(_frozen_shim(kill_pending=True)))}["frozen-cgroup"]
    assert "SIGKILL is already pending on 119820" in fz.summary


def test_docker_pause_is_not_a_runtime_freeze():
    snaps = _frozen_shim()
    for s in snaps:                                    # only the container's tasks, paused by Docker
        s.proc(119820).freezer = None
        c = s.containers[0]
        c.cgroup = m.CgroupState(version=1, path=f"/docker/{c.id}", freezer="FROZEN")
        c.docker.paused, c.docker.state = True, "paused"
    assert "frozen-cgroup" not in {f.cls for f in diagnose(History(snaps))}


def _ctx(snap, finding, tmp_path):
    return RunContext(finding=finding, snapshot=snap, incident=Incident(str(tmp_path / "inc")),
                      take_snapshot=lambda: snap, simulate=True)


def test_conditions_say_why_the_shim_survived_and_what_next(tmp_path):
    snaps = _frozen_shim(kill_pending=True)
    f = {f.cls: f for f in diagnose(History(snaps))}["shim-unresponsive"]
    ctx = _ctx(snaps[-1], f, tmp_path)
    ok, seen = conditions.shim_gone(ctx)
    assert not ok and "frozen by freezer cgroup /hc-freeze" in seen and "SIGKILL is pending" in seen
    assert "Next: run the thaw step" in seen
    ok, seen = conditions.thawed(ctx)
    assert not ok and "/hc-freeze" in seen
    ok, seen = conditions.runtime_answers(ctx)
    assert not ok and "frozen" in seen


def test_d_state_on_storage_says_no_signal_helps(tmp_path):
    snaps = _frozen_shim()
    h = seed_001.build()
    h.proc(777, 1, "rsync", ["rsync", "-a", "/mnt/nfs/", "/data/"], age=900, state="D",
           threads=[m.Thread(777, "D", "rpc_wait_bit_killable", sc("read", 3, 0, 4096),
                             ["rpc_wait_bit_killable", "__rpc_execute", "nfs_file_read"])])
    snaps = [h.frame(i) for i in range(3)]
    f = next(f for f in diagnose(History(snaps)) if f.cls == "d-state-io")
    assert "rpc_wait_bit_killable < rpc_wait_bit_killable < __rpc_execute" in f.summary
    assert "stays pending until the kernel returns" in f.summary and "not a freezer" in f.summary
    ok, seen = conditions.tasks_in_d(_ctx(snaps[-1], f, tmp_path))
    assert ok and "no signal can hurry it" in seen and "kernel stack" in seen


def test_honest_ages_are_lower_bounds():
    from tools.seeds import seed_000
    h = seed_000.build()
    f = next(f for f in diagnose(History([h.frame(i) for i in range(3)])) if f.cls == "exec-pipe-deadlock")
    assert f.stuck_for == 10.0 and "at least 10s (alive ≈28d7h)" in f.summary    # ps shows the date only
    assert "up to ≈28d7h" in f.stuck_note
    z = next(f for f in diagnose(History([seed_001.build().frame(i) for i in range(3)]))
             if f.cls == "zombies-under-shim")
    assert "exit time unknown" in z.evidence["zombies"][0]["age_text"] and "oldest exited" not in z.summary


def test_held_out_case_refrigerator_without_freezer_data(tmp_path):
    """The case that failed: shim threads in D in __refrigerator, zombies, inspect pending, and
    no freezer data in the snapshot: it is called frozen, and a kill is said to stay pending."""
    h = seed_001.build()
    shim = next(d for d in h.procs if d["pid"] == 119820)
    shim["state"] = "D"                  # (the report shows no shim threads: these are the case's)
    shim["threads"] = [thread(119820 + i, "D", "__refrigerator", sc("futex", 0x7fd008, 0)) for i in range(4)]
    snaps = [h.frame(i) for i in range(3)]
    found = {f.cls: f for f in diagnose(History(snaps))}
    su, fz = found["shim-unresponsive"], found["frozen-cgroup"]
    assert "frozen by a freezer cgroup" in su.summary and "D __refrigerator" in " ".join(su.evidence["thread_states"])
    assert su.root_cause == fz.id and "SIGKILL too" in fz.summary
    assert fz.causes[0]["kind"] == "inferred" and "__refrigerator" in fz.causes[0]["text"]
    ok, seen = conditions.shim_gone(_ctx(snaps[-1], su, tmp_path))
    assert not ok and "frozen by a freezer cgroup" in seen and "no signal is delivered until it is thawed" in seen
