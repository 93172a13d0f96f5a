"""containerd/pod units: where the socket is found, pods from labels and shims, attribution
from a shim's bundle and the init's cgroup (ids of any shape), the unanswered-state run."""
from __future__ import annotations

import os

from hangconsole import model as m
from hangconsole.collect import attribution, pods
from hangconsole.collect.containerd_probe import ContainerdProber, resolve_address


def proc(pid, ppid, comm, argv=None, role=None, cid=None, cgroup=None):
    p = m.Process(pid, ppid, pid * 10, comm, "S", 0, 100.0, argv=argv, cgroup=cgroup)
    p.role, p.container_id = role, cid
    return p


SHIM = ["/usr/bin/containerd-shim-runc-v2", "-namespace", "k8s.io", "-id", "sbx", "-address", "/x/c.sock"]


def test_address_explicit_env_named_default():
    procs = [proc(10, 1, "containerd-shim", SHIM, m.SHIM_V2, "sbx"),
             proc(11, 1, "containerd-shim", SHIM[:-1] + ["/x/c.sock"], m.SHIM_V2, "b"),
             proc(12, 1, "containerd", ["containerd", "-a", "/y/d.sock"], m.CONTAINERD)]
    assert resolve_address("unix:///a.sock", procs, env={"CONTAINERD_ADDRESS": "/b"}) == "/a.sock"
    assert resolve_address(None, procs, env={"CONTAINERD_ADDRESS": "/b"}) == "/b"
    assert resolve_address(None, procs, env={}) == "/x/c.sock"          # most-named
    assert resolve_address(None, [], env={}) == "/run/containerd/containerd.sock"


def test_pod_from_cri_labels_and_dockershim_labels():
    p = pods.from_labels({"io.kubernetes.pod.name": "web", "io.kubernetes.pod.namespace": "prod",
                          "io.kubernetes.pod.uid": "u1", "io.kubernetes.container.name": "app",
                          "io.cri-containerd.kind": "container"},
                         {"io.kubernetes.cri.sandbox-id": "sbx"})
    assert (p.name, p.namespace, p.uid, p.container, p.kind, p.sandbox_id) == ("web", "prod", "u1", "app", "container", "sbx")
    assert pods.from_labels({"app": "x"}) is None
    d = pods.from_docker(m.DockerInfo(pod="web", pod_namespace="prod", k8s_container="POD"))
    assert d.kind == "sandbox" and d.source == "docker"


def test_unlabelled_containers_under_one_shim_are_one_pod():
    snap = m.HostSnapshot(0, 100, "h", "k", "x86_64")
    snap.processes = [proc(10, 1, "containerd-shim", SHIM, m.SHIM_V2, "sbx")]
    snap.containers = [m.Container("sbx", m.SHIM_V2, shim_pid=10), m.Container("app1", m.SHIM_V2, shim_pid=10)]
    pods.complete(snap)
    assert [c.pod.kind for c in snap.containers] == ["sandbox", "container"]
    assert {c.pod.sandbox_id for c in snap.containers} == {"sbx"}
    assert [c.id for c in pods.members(snap, snap.containers[1])] == ["sbx", "app1"]
    assert pods.label(snap.containers[1]) == "pod of sbx"


def test_attribution_from_bundle_siblings_and_cgroup(tmp_path):
    ns = tmp_path / "k8s.io"
    for name, pid in (("sbx", 20), ("web0ctr", 30), ("elsewhere", 40)):
        (ns / name).mkdir(parents=True)
        (ns / name / "init.pid").write_text(str(pid))
    procs = [proc(10, 1, "containerd-shim", SHIM, m.SHIM_V2, "sbx"),
             proc(20, 10, "pause", ["pause"], cgroup="/kubepods/podu/sbx"),
             proc(30, 10, "sh", ["sh"], cgroup="/kubepods/podu/web0ctr"),
             proc(31, 30, "head", ["head"], cgroup="/kubepods/podu/web0ctr"),
             proc(32, 10, "sh", ["sh", "-c", "exec"], cgroup="/kubepods/podu/web0ctr"),
             proc(40, 99, "other", ["other"], cgroup="/elsewhere")]
    found = [m.Container("sbx", m.SHIM_V2, namespace="k8s.io", shim_pid=10, bundle=str(ns / "sbx"),
                         init_pid=20)]
    out = attribution.attribute(procs, found, lambda pid: {"pids": procs[0].cgroup or "/"})
    assert [c.id for c in out] == ["sbx", "web0ctr"]          # "elsewhere" is another shim's
    web = out[1]
    assert (web.shim_pid, web.init_pid, web.namespace) == (10, 30, "k8s.io")
    assert {p.pid: p.container_id for p in procs} == {10: "sbx", 20: "sbx", 30: "web0ctr", 31: "web0ctr",
                                                      32: "web0ctr", 40: None}
    assert os.path.basename(web.bundle) == "web0ctr"


def test_no_socket_is_a_note_not_an_error(tmp_path):
    st = ContainerdProber(str(tmp_path / "none.sock")).sample(0.1, [])
    assert st.reachable is None and "no containerd socket" in st.note


def test_cri_endpoint_order(tmp_path):
    from hangconsole.collect.cri_probe import resolve_endpoint
    assert resolve_endpoint("unix:///a.sock", "/c.sock", env={"CONTAINER_RUNTIME_ENDPOINT": "/b"}) == "/a.sock"
    assert resolve_endpoint(None, "/c.sock", env={"CONTAINER_RUNTIME_ENDPOINT": "unix:///b"}) == "/b"
    if not os.path.exists("/var/run/crio/crio.sock"):
        assert resolve_endpoint(None, "/c.sock", env={}) == "/c.sock"


def test_exec_conmon_is_not_the_containers_monitor():
    from hangconsole.collect.containers import exec_conmon
    base = ["/usr/bin/conmon", "--api-version", "1", "-c", "abc", "-u"]
    assert not exec_conmon(base + ["abc", "-r", "/usr/bin/runc"])
    assert exec_conmon(base + ["e1", "-r", "/usr/bin/runc"])
    assert exec_conmon(base + ["abc", "-e", "--exec-attach"])


def test_crio_role_and_conmon_is_never_signalled_for_a_dump():
    from hangconsole.actions.dump import cannot_dump
    from hangconsole.collect.runtime import classify
    assert classify(["/usr/bin/crio", "--log-level", "info"], "crio").role == m.CRIO
    conmon = proc(50, 1, "conmon", ["/usr/bin/conmon", "-c", "abc", "-u", "abc"], m.CONMON, "abc")
    assert "no goroutines" in cannot_dump(conmon, m.HostSnapshot(0, 1, "h", "k", "x86_64"), live=False)


def test_the_daemon_of_a_conmon_is_crio_unless_podman_started_it():
    """Dump "the daemons" of a conmon container: CRI-O (never a containerd or a dockerd that
    happens to run beside it); a podman conmon has no daemon, and nothing is chosen."""
    from hangconsole.actions.daemons import crio_of
    crio = proc(40, 1, "crio", ["/usr/bin/crio"], m.CRIO)
    ctrd = proc(41, 1, "containerd", ["containerd"], m.CONTAINERD)
    cri_conmon = proc(50, 1, "conmon", ["/usr/bin/conmon", "-c", "abc", "-u", "abc", "-r", "/usr/bin/runc",
                                        "--socket-dir-path", "/var/run/crio"], m.CONMON, "abc")
    pm_conmon = proc(51, 1, "conmon", ["/usr/bin/conmon", "-c", "def", "-u", "def", "--exit-command",
                                       "/usr/bin/podman", "--exit-command-arg", "--root"], m.CONMON, "def")
    snap = m.HostSnapshot(0, 1, "h", "k", "x86_64")
    snap.processes = [crio, ctrd, cri_conmon, pm_conmon]
    assert [p.pid for p in crio_of(snap, cri_conmon, live=False).procs] == [40]
    podman = crio_of(snap, pm_conmon, live=False)
    assert podman.procs == [] and "podman has no daemon" in podman.why
    snap.processes = [ctrd, cri_conmon]
    assert crio_of(snap, cri_conmon, live=False).procs == []


def test_a_name_like_id_takes_only_kernel_lines_of_its_own_cgroup():
    """`ctr run ... web0ctr` twice, in two cgroup parents: the first one's OOM kill and fork
    refusals name .../web0ctr too, but not this container's cgroup: not its evidence."""
    from hangconsole.diagnose import oom_kill, pids_exhausted  # noqa: F401
    from hangconsole.diagnose.engine import diagnose
    from hangconsole.diagnose.history import History
    pod = "/kubepods/besteffort/pod0c0ffee0"
    old, new = f"/labA{pod}/web0ctr", f"/labB{pod}/web0ctr"

    def snap(path: str) -> m.HostSnapshot:
        s = m.HostSnapshot(0, 5000.0, "h", "k", "x86_64")
        c = m.Container("web0ctr", "shim-v2", namespace="k8s.io")
        c.cgroup = m.CgroupState(1, new, [m.CgroupLevel(new, mem_usage=1 << 20), m.CgroupLevel(f"/labB{pod}"),
                                          m.CgroupLevel("/")])
        s.containers = [c]
        s.kernel_log = [
            m.KernelLogLine(3000.0, "oom-kill", f"oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=web0ctr,"
                                                f"mems_allowed=0,oom_memcg={path},task_memcg={path},task=tail,pid=2990,uid=0"),
            m.KernelLogLine(3001.0, "pids-fork-rejected", f"cgroup: fork rejected by pids controller in {path}")]
        return s

    stale = {f.cls for f in diagnose(History([snap(old)]))}
    assert not stale & {"oom-kill", "pids-exhausted"}, stale
    own = diagnose(History([snap(new)]))
    assert "oom-kill" in {f.cls for f in own}
