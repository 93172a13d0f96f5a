"""Seed 001: "pod terminating 排查之旅(二)" — a v1 shim that stopped reaping (Docker 18.06,
containerd#2709). Class: shim-unresponsive (with zombies-under-shim).

From the report, exactly: shim 119820 (ppid 3608) and its argv; all 43 zombie children with
their pid, uid and start date from `ps -ef` (the container's own /dockerinit 119886 among
them); the shim's fds 0-2 on /dev/null and its cwd (lsof); the container id 60f253d5...;
`docker ps` answers and shows the container "Up 6 weeks" with its k8s name;
`docker inspect -f {{.State.Pid}} 60f253d59f26` hangs; the ps clock (2021-06-24 11:44, +08:00).
Reconstructed: containerd's argv, host uptime, ages from the dates at 00:00, thread ids and
wchans of the shim (the report shows goroutines, not threads), how long inspect had waited.
"""
from __future__ import annotations

from .. import model as m
from ._build import Host, epoch, fd, sc, thread

TITLE = "shim stopped reaping: 43 zombies, docker inspect hangs (Docker 18.06)"
EXPECT = "shim-unresponsive"
CID = "60f253d59f26e1c573d4ba5f824e73b3a4b1bb1629edace85caba4c620755d4d"
DAY = 86400.0
NOW = epoch("2021-06-24 11:44:00", 8)

# (uid, pid, comm, start date) of every <defunct> child of 119820 in the report's ps -ef
ZOMBIES = [
    (0, 40825, "su", "06-04"), (76183, 40833, "bash", "06-04"), (0, 119886, "dockerinit", "05-07"),
    (0, 568896, "su", "06-07"), (76183, 568898, "bash", "06-07"), (0, 695031, "su", "05-08"),
    (74647, 695037, "bash", "05-08"), (0, 802705, "su", "06-09"), (74647, 802709, "bash", "06-09"),
    (0, 865131, "su", "06-07"), (69099, 865133, "bash", "06-07"), (0, 1073407, "su", "06-23"),
    (76183, 1073428, "bash", "06-23"), (0, 1375526, "su", "06-22"), (69099, 1375561, "bash", "06-22"),
    (0, 1397568, "su", "06-16"), (69099, 1397570, "bash", "06-16"), (0, 1483339, "su", "06-23"),
    (76183, 1483341, "bash", "06-23"), (0, 1692888, "su", "06-07"), (76183, 1692903, "bash", "06-07"),
    (0, 1882984, "su", "06-21"), (76183, 1882985, "bash", "06-21"), (0, 1964311, "su", "06-07"),
    (76183, 1964318, "bash", "06-07"), (0, 2019760, "su", "06-07"), (76183, 2019784, "bash", "06-07"),
    (0, 2122420, "su", "06-07"), (76183, 2122434, "bash", "06-07"), (0, 2288703, "su", "06-09"),
    (69099, 2288705, "bash", "06-09"), (0, 2330164, "su", "06-07"), (76183, 2330166, "bash", "06-07"),
    (0, 2406740, "su", "05-27"), (74647, 2406745, "bash", "05-27"), (0, 2421050, "su", "06-07"),
    (76183, 2421069, "bash", "06-07"), (0, 2445918, "su", "06-22"), (76183, 2445927, "bash", "06-22"),
    (0, 2487600, "su", "06-22"), (76183, 2487602, "bash", "06-22"), (0, 2897660, "su", "06-07"),
    (76183, 2897662, "bash", "06-07"),
]


def _age(date: str) -> float:
    return NOW - epoch(f"2021-{date} 00:00:00", 8)


def build() -> Host:
    h = Host("elastic-node-07", "3.10.0-957.el7.x86_64", taken_at=NOW, uptime=90 * DAY)
    h.proc(3600, 1, "dockerd", ["/usr/bin/dockerd", "--exec-root", "/var/run/docker"], age=60 * DAY)
    h.proc(3608, 3600, "docker-containe", ["docker-containerd", "--config",
           "/var/run/docker/containerd/containerd.toml"], age=60 * DAY)
    h.proc(119820, 3608, "docker-containe", [
        "docker-containerd-shim", "-namespace", "moby", "-workdir",
        f"/docker/docker_rt/containerd/daemon/io.containerd.runtime.v1.linux/moby/{CID}",
        "-address", "/var/run/docker/containerd/docker-containerd.sock",
        "-containerd-binary", "/usr/bin/docker-containerd", "-runtime-root", "/var/run/docker/runtime-runc"],
        age=_age("05-07") + 3600, threads=[
            thread(119820, wchan="futex_wait_queue_me", call=sc("futex", 0x7fd008, 0)),
            thread(119821, wchan="futex_wait_queue_me", call=sc("futex", 0x7fc730, 0)),
            thread(119822, wchan="ep_poll", call=sc("epoll_wait", 4, 0)),
            thread(119823, wchan="futex_wait_queue_me", call=sc("futex", 0xc420082548, 0))],
        fds=[fd(0, "/dev/null", "r", "device"), fd(1, "/dev/null", "w", "device"),
             fd(2, "/dev/null", "w", "device")])
    for uid, pid, comm, date in ZOMBIES:
        h.proc(pid, 119820, comm, None, age=_age(date), state="Z", uid=uid,
               cgroup=f"/kubepods/burstable/pod013e3b0e-8d17-11eb-8ef7-246e9693e13c/{CID}")
    h.containers = [m.Container(
        id=CID, runtime="shim-v1", namespace="moby", shim_pid=119820,
        bundle=f"/run/docker/containerd/daemon/io.containerd.runtime.v1.linux/moby/{CID}", init_pid=119886,
        docker=m.DockerInfo(name="k8s_CNAME_PODNAME_default_013e3b0e-8d17-11eb-8ef7-246e9693e13c_10",
                            image="image", state="running", status="Up 6 weeks", pid=119886,
                            pod="PODNAME", pod_namespace="default", k8s_container="CNAME"))]
    h.probe("ping", None, "ok", 0.003)
    h.probe("list", None, "ok", 0.020)
    h.probe("inspect", CID, "pending", 60.0)
    return h
