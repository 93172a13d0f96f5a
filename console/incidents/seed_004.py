"""Seed 004: "容器share pid 导致 restart 命令卡主" — shared PID namespace: container2's
leftover `sleep 1000` keeps its task alive (containerd PR #2597 regression; moby#38978,
fixed by containerd PR #3149). Class: pidns-linger.

From the report, exactly: the pod spec (shareProcessNamespace, container1 `sleep 12345`,
container2 `touch /tmp/healthy && sleep 1000`), the in-namespace pids (pause 1, sh 6 and
sleep 11 of container1, sh 12 and sleep 18 of container2), container ids 259da1678e8c and
a46c18158270, `docker restart a46c18158270` hanging, then `docker inspect` and `docker logs`
hanging while `docker ps` shows it "Up 7 minutes", its name and image id.
Reconstructed: host pids (in-namespace pid + 30000), full container ids, argv of dockerd,
containerd 1.2 and its v1 shims, host uptime, how long inspect had waited.
"""
from __future__ import annotations

from .. import model as m
from ._build import Host, epoch, full_id

TITLE = "docker restart hangs: a leftover process in a shared pid namespace (containerd 1.2)"
EXPECT = "pidns-linger"
PAUSE = full_id("6f0c2d1b7a99", "seed-004-pause")
C1 = full_id("259da1678e8c", "seed-004")
C2 = full_id("a46c18158270", "seed-004")
POD = "/kubepods/besteffort/podbfb31ed1-8c15-11ea-b37d-000c29df44e0"
BASE = 30000                       # host pid = in-namespace pid + BASE (reconstructed)


def _shim(pid: int, cid: str, age: float) -> tuple:
    return (pid, 900, "containerd-shim", [
        "containerd-shim", "-namespace", "moby", "-workdir",
        f"/var/lib/containerd/io.containerd.runtime.v1.linux/moby/{cid}",
        "-address", "/run/containerd/containerd.sock", "-containerd-binary", "/usr/bin/containerd",
        "-runtime-root", "/var/run/docker/runtime-runc"], age)


def build() -> Host:
    h = Host("ubuntu", "4.15.0-96-generic", taken_at=epoch("2020-05-01 09:49:00", -7), uptime=2 * 86400)
    h.proc(836, 1, "dockerd", ["/usr/bin/dockerd", "-H", "fd://", "--containerd=/run/containerd/containerd.sock"], age=86400)
    h.proc(900, 1, "containerd", ["/usr/bin/containerd"], age=86400)
    ten = 600.0                     # the pod was created at 01:39, seen at 01:49
    for pid, ppid, comm, argv, age in (_shim(29001, PAUSE, ten), _shim(29002, C1, ten), _shim(29003, C2, ten)):
        h.proc(pid, ppid, comm, argv, age=age)
    h.proc(BASE + 1, 29001, "pause", ["/pause"], age=ten, cgroup=f"{POD}/{PAUSE}")
    h.proc(BASE + 6, 29002, "sh", ["/bin/sh", "-c", "sleep 12345"], age=ten, cgroup=f"{POD}/{C1}")
    h.proc(BASE + 11, BASE + 6, "sleep", ["sleep", "12345"], age=ten, cgroup=f"{POD}/{C1}")
    # container2: its sh (pid 12) was killed by the restart; sleep 1000 (pid 18) lingers,
    # reparented to the shim (the subreaper): "被0号进程接收" as seen from inside
    h.proc(BASE + 18, 29003, "sleep", ["sleep", "1000"], age=ten, cgroup=f"{POD}/{C2}")
    ns = f"/proc/{BASE + 1}/ns/pid"

    def cont(cid, shim, init, name, procs, pidns):
        return m.Container(
            id=cid, runtime="shim-v1", namespace="moby", shim_pid=shim, init_pid=init,
            bundle=f"/run/containerd/io.containerd.runtime.v1.linux/moby/{cid}", pidns_path=pidns,
            cgroup_paths={"pids": f"{POD}/{cid}"},
            cgroup=m.CgroupState(version=1, path=f"{POD}/{cid}", freezer="THAWED", procs=procs,
                                 levels=[m.CgroupLevel(path=f"{POD}/{cid}", pids_current=len(procs))]),
            docker=m.DockerInfo(name=name, state="running", status="Up 7 minutes", pid=init,
                                pod="nginx-jc", pod_namespace="default", k8s_container=name.split("_")[1]))
    h.containers = [
        cont(PAUSE, 29001, BASE + 1, "k8s_POD_nginx-jc_default_bfb31ed1-8c15-11ea-b37d-000c29df44e0_0", [BASE + 1], None),
        cont(C1, 29002, BASE + 6, "k8s_container1_nginx-jc_default_bfb31ed1-8c15-11ea-b37d-000c29df44e0_0",
             [BASE + 6, BASE + 11], ns),
        cont(C2, 29003, BASE + 12, "k8s_container2_nginx-jc_default_bfb31ed1-8c15-11ea-b37d-000c29df44e0_0",
             [BASE + 18], ns),
    ]
    h.probe("ping", None, "ok", 0.002)
    h.probe("list", None, "ok", 0.011)
    h.probe("inspect", C2, "pending", 45.0)
    return h
