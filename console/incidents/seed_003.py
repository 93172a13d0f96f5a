"""Seed 003: "Docker 异常总结", 异常一 — runc start blocked on exec.fifo after the OOM killer
killed runc init (Docker 17.03.2-ce, containerd 0.2.3, runc 1.0.0-rc2; containerd#1882).
Class: runc-start-blocked (and daemon-unresponsive: `docker ps` hangs).

From the report, exactly: the versions; `docker ps` not answering while dockerd keeps
listing containers; the dmesg line `[7993043.926831] Memory cgroup out of memory: Kill
process 20357 (runc:[2:INIT]) score 970 or sacrifice child`; dockerd's goroutine dump path.
Reconstructed: every pid except 20357, the container id, argv of the 0.2.3-era daemons and
the pre-1.0 shim (`docker-containerd-shim <ID> /var/run/docker/libcontainerd/<ID> docker-runc`),
runc start's openat of exec.fifo and its wchan, how long `docker ps` had waited.
"""
from __future__ import annotations

from .. import model as m
from ._build import Host, epoch, fd, full_id, sc, thread

TITLE = "docker ps hangs: runc start waits on exec.fifo after runc init was OOM-killed (17.03)"
EXPECT = "runc-start-blocked"
CID = full_id("3e0b9c6f1d2a", "seed-003")
OOM_AT = 7993043.926831
DAY = 86400.0


def build() -> Host:
    h = Host("test-001", "3.10.0-693.el7.x86_64", taken_at=epoch("2018-12-14 20:04:45", 8),
             uptime=OOM_AT + 1800)
    h.proc(7926, 1, "dockerd", ["/usr/bin/dockerd", "--debug"], age=80 * DAY)
    h.proc(7940, 7926, "docker-containe", [
        "docker-containerd", "-l", "unix:///var/run/docker/libcontainerd/docker-containerd.sock",
        "--metrics-interval=0", "--start-timeout", "2m", "--state-dir",
        "/var/run/docker/libcontainerd/containerd", "--shim", "docker-containerd-shim",
        "--runtime", "docker-runc"], age=80 * DAY)
    h.proc(20301, 7940, "docker-containe", ["docker-containerd-shim", CID,
           f"/var/run/docker/libcontainerd/{CID}", "docker-runc"], age=1800.5)
    h.proc(20370, 7940, "docker-runc", ["docker-runc", "--log",
           f"/run/docker/libcontainerd/containerd/{CID}/init/log.json", "--log-format", "json",
           "start", CID], age=1800.2,
           threads=[thread(20370, wchan="wait_for_partner",
                           call=sc("openat", 0xffffff9c, 0xc42001a0c0, 0o2000000)),
                    thread(20371, wchan="futex_wait_queue_me", call=sc("futex", 0xc420036110, 0))])
    h.klog(OOM_AT, "oom", "Memory cgroup out of memory: Kill process 20357 (runc:[2:INIT]) score 970 or sacrifice child", 20357)
    h.containers = [m.Container(
        id=CID, runtime="shim-legacy", shim_pid=20301, bundle=f"/var/run/docker/libcontainerd/{CID}",
        cgroup_paths={"pids": f"/kubepods/burstable/pod8a1f/{CID}", "memory": f"/kubepods/burstable/pod8a1f/{CID}"},
        cgroup=m.CgroupState(version=1, path=f"/kubepods/burstable/pod8a1f/{CID}", levels=[
            m.CgroupLevel(path=f"/kubepods/burstable/pod8a1f/{CID}", pids_current=0,
                          mem_usage=0, mem_limit=214748364, mem_oom=0)], freezer="THAWED", procs=[]),
        docker=m.DockerInfo(name=f"k8s_stress_oomtest-5c9d_test_{CID[:8]}_0", image="progrium/stress",
                            state="created", pod="oomtest-5c9d", pod_namespace="test", k8s_container="stress"))]
    h.probe("ping", None, "ok", 0.003)
    h.probe("list", None, "pending", 95.0)         # docker ps hangs on the daemon lock
    return h
