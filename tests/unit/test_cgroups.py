"""Cgroup state from both hierarchies, on directory trees shaped like the kernel's: this CI
machine runs cgroup v1, most current hosts run v2."""
from __future__ import annotations

from hangconsole.collect import cgroups

CID = "ab" * 32
POD = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice"
LEAF = f"{POD}/cri-containerd-{CID}.scope"


def write(d, **files):
    d.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (d / name.replace("__", ".")).write_text(text)


def test_v2_levels_memory_freezer_and_procs(tmp_path):
    root = tmp_path / "unified"
    write(root, cgroup__procs="1\n2\n")
    write(root / POD.lstrip("/"), pids__current="40\n", pids__max="40\n", pids__events="max 7\n",
          memory__current="1000\n", memory__max="max\n", memory__events="low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\n",
          cgroup__procs="")
    write(root / LEAF.lstrip("/"), pids__current="38\n", pids__max="max\n", pids__events="max 0\n",
          memory__current="900\n", memory__max="16777216\n", memory__events="oom 1\noom_kill 1\n",
          cgroup__freeze="1\n", cgroup__events="populated 1\nfrozen 0\n", cgroup__procs="4242\n4243\n")
    mnt = {"": ("/", str(root))}
    st = cgroups.read_state({"": LEAF}, mnt)
    assert st.version == 2 and st.freezer == "FREEZING" and st.procs == [4242, 4243]
    leaf, pod = st.levels[0], next(lv for lv in st.levels if lv.path == POD)
    assert (leaf.pids_current, leaf.pids_max, leaf.mem_limit, leaf.mem_oom_kill) == (38, None, 16777216, 1)
    assert (pod.pids_current, pod.pids_max, pod.pids_events_max) == (40, 40, 7)    # the pod's limit
    assert pod.mem_limit is None and st.levels[-1].path == "/"
    where = cgroups.pid_cgroups(mnt)
    assert where[4242] == LEAF and where[1] == "/"


def test_v1_per_controller_paths(tmp_path):
    leaf = f"/docker/{CID}"
    for ctl in ("pids", "memory", "freezer"):
        write(tmp_path / ctl, cgroup__procs="1\n", tasks="1\n")
    write(tmp_path / "pids" / "docker", pids__current="9\n", pids__max="max\n", pids__events="max 0\n")
    write(tmp_path / "pids" / leaf.lstrip("/"), pids__current="8\n", pids__max="8\n", pids__events="max 20\n",
          cgroup__procs="77\n")
    write(tmp_path / "memory" / leaf.lstrip("/"), memory__usage_in_bytes="100\n",
          memory__limit_in_bytes="9223372036854771712\n", memory__oom_control="oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
    write(tmp_path / "freezer" / leaf.lstrip("/"), freezer__state="FROZEN\n")
    mnt = {c: ("/", str(tmp_path / c)) for c in ("pids", "memory", "freezer")}
    st = cgroups.read_state({"pids": leaf, "memory": leaf, "freezer": leaf}, mnt)
    assert st.version == 1 and st.freezer == "FROZEN" and st.procs == [77]
    assert (st.levels[0].pids_current, st.levels[0].pids_max, st.levels[0].pids_events_max) == (8, 8, 20)
    assert st.levels[0].mem_limit is None and st.levels[0].mem_oom_kill == 2      # "no limit" page counter
    assert cgroups.pid_cgroups(mnt)[77] == leaf


def test_mount_root_inside_a_cgroup_namespace(tmp_path):
    # a collector running in a cgroup namespace sees paths relative to its own root
    write(tmp_path / "u" / "ns-child", pids__current="3\n", pids__max="5\n", cgroup__procs="9\n")
    mnt = {"": ("/outer/ns", str(tmp_path / "u"))}
    st = cgroups.read_state({"": "/outer/ns/ns-child"}, mnt)
    assert st.levels[0].pids_current == 3 and st.levels[0].pids_max == 5
