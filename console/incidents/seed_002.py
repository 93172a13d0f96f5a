"""Seed 002: "docker exec 失败问题排查之旅" — the pids cgroup is exhausted (runc#1914).
Class: pids-exhausted.

From the report, exactly: the container id aa1e331e..., its pids cgroup path under
pod64a6c0e7-830c-11eb-86d6-b8cef604db88 and pids.max 10000; that every container had reached
the 10,000-thread limit; runc's `pthread_create failed: Resource temporarily unavailable`
and `read init-p: connection reset by peer`; the dockerd error of 2021-05-12 09:08:40 (+08:00); `docker exec aa1e331ec24f sleep 1`'s
error, as a failed exec call.
Reconstructed: pids (the report shows none), the application's argv and thread count
(10000 minus its init), pids.events max, the kernel's `fork rejected` line (the report shows
the runc error, not dmesg), the shim's argv (Docker 18.06's v1 shim), host uptime.
"""
from __future__ import annotations

from .. import model as m
from ._build import Host, epoch, sc, thread

TITLE = "docker exec fails: the container used all 10000 pids (threads)"
EXPECT = "pids-exhausted"
CID = "aa1e331ec24f621ab3152ebe94f1e533734164af86c9df0f551eab2b1967ec4e"
POD = "/kubepods/burstable/pod64a6c0e7-830c-11eb-86d6-b8cef604db88"
DAY = 86400.0
EXEC_ERROR = ('OCI runtime exec failed: exec failed: container_linux.go:348: starting container process '
              'caused "read init-p: connection reset by peer": unknown')


def build() -> Host:
    h = Host("HOSTNAME", "3.10.0-957.el7.x86_64", taken_at=epoch("2021-05-12 09:08:40", 8), uptime=40 * DAY)
    h.proc(4085, 1, "dockerd", ["/usr/bin/dockerd"], age=30 * DAY)
    h.proc(4100, 4085, "docker-containe", ["docker-containerd", "--config",
           "/var/run/docker/containerd/containerd.toml"], age=30 * DAY)
    h.proc(52011, 4100, "docker-containe", [
        "docker-containerd-shim", "-namespace", "moby", "-workdir",
        f"/var/lib/docker/containerd/daemon/io.containerd.runtime.v1.linux/moby/{CID}",
        "-address", "/var/run/docker/containerd/docker-containerd.sock",
        "-containerd-binary", "/usr/bin/docker-containerd", "-runtime-root", "/var/run/docker/runtime-runc"],
        age=20 * DAY)
    h.proc(52040, 52011, "java", ["java", "-Xmx4g", "-jar", "/app/service.jar"], age=20 * DAY,
           cgroup=f"{POD}/{CID}", nthreads=9999,
           threads=[thread(52040, wchan="futex_wait_queue_me", call=sc("futex", 0x7f2a1c0009d0, 0))])
    h.kernel_log = []
    h.klog(40 * DAY - 5, "pids-fork-rejected", f"cgroup: fork rejected by pids controller in {POD}/{CID}")
    levels = [m.CgroupLevel(path=f"{POD}/{CID}", pids_current=10000, pids_max=10000, pids_events_max=1873),
              m.CgroupLevel(path=POD, pids_current=10001),
              m.CgroupLevel(path="/kubepods/burstable", pids_current=31245),
              m.CgroupLevel(path="/kubepods", pids_current=40112), m.CgroupLevel(path="/")]
    h.containers = [m.Container(
        id=CID, runtime="shim-v1", namespace="moby", shim_pid=52011, init_pid=52040,
        cgroup_paths={"pids": f"{POD}/{CID}"},
        cgroup=m.CgroupState(version=1, path=f"{POD}/{CID}", levels=levels, freezer="THAWED", procs=[52040]),
        docker=m.DockerInfo(name=f"k8s_app_app-7d9f_default_{CID[:8]}_0", state="running", status="Up 3 weeks",
                            pid=52040, pod="app-7d9f", pod_namespace="default", k8s_container="app"))]
    h.probe("ping", None, "ok", 0.004)
    h.probe("list", None, "ok", 0.015)
    h.probe("inspect", CID, "ok", 0.009)
    h.probe("exec", CID, "error", 0.21, error=EXEC_ERROR)      # `docker exec aa1e331ec24f sleep 1`
    return h
