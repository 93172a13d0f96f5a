"""Seed 001: "pod terminating 排查之旅(二)" — a v1 shim that stopped reaping (containerd#2709,
"Exec process may cause shim hang"). Class: shim-unresponsive (with zombies-under-shim).

As the report shows them, exactly: the shim 119820 (uid root, parent 3608, started May07) and
its argv; all 43 <defunct> children of 119820 in its `ps -ef` (pid, uid, name, start date),
the container's own [dockerinit] 119886 among them; the shim's fds 0-2 on /dev/null (lsof);
`docker ps -a | grep PODNAME`: the app container 60f253d59f26 ("/dockerinit", image "image",
"Up 6 weeks", its k8s name) and the pod's pause container 6e6fc586dc12 (pause:3.1, "Exited (0)
About an hour ago"); kubelet's `PLEG is not healthy` line of 11:00:26; which calls answer and
which hang: `docker ps` answers, `docker inspect -f {{.State.Pid}} 60f253d59f26` hangs;
`docker-containerd-ctr ... c ls` answers, `t ls` hangs, `t ps 60f253d5...` hangs (on the
report's containerd socket); `docker-runc ... list` answers and shows the container "stopped",
with its bundle (its line is kept as the call's output); ps ran at 11:44 (its grep line).

Reconstructed, and marked so: the day of the sample (Jun 24, from kubelet's I0624; the year and
+08:00 are the shim dump's) and its seconds; the host's uptime; each process's time of day (ps
shows dates; the shim's and [dockerinit]'s are the container's creation in `runc list`);
3608's role, argv, parent, user and age (the report shows it only as the shim's parent); that [dockerinit] 119886 is the container's init; the pause
container's full id (the report shows 12 hex digits); how long each call took or waited; that
the frames are 5 s apart. Not shown, so not recorded: the hostname, kernel and Docker version
(the fleet was moving 1.13 -> 18.06), dockerd's pid, the shim's state and threads (ps -ef shows
no state; the report shows its goroutines: seed-001-shim-stacks.log), cgroups. Left out: the investigator's own `grep`
processes in the two ps outputs.
"""
from __future__ import annotations

from hangconsole import model as m
from ._build import CALL_TIME, NOT_SHOWN, UNKNOWN, Host, epoch, fd, full_id, recon

TITLE = "shim stopped reaping: 43 zombies, docker inspect and ctr t ps hang (v1 shim)"
EXPECT = "shim-unresponsive"
TZ = 8
CID = "60f253d59f26e1c573d4ba5f824e73b3a4b1bb1629edace85caba4c620755d4d"
PAUSE = full_id("6e6fc586dc12", "seed-001-pause")
UID = "013e3b0e-8d17-11eb-8ef7-246e9693e13c"
DAY = 86400.0
NOW = epoch("2021-06-24 11:44:00", TZ)
BUNDLE = f"/run/docker/containerd/daemon/io.containerd.runtime.v1.linux/moby/{CID}"
RUNC_LIST = (f"{CID} 0 stopped {BUNDLE} 2021-05-07T12:43:02.62261156Z root")
KUBELET = ("I0624 11:00:26.658872   21280 kubelet.go:1923] skipping pod synchronization - [PLEG is not "
           "healthy: pleg was last seen active 3m0.439656895s ago; threshold is 3m0s]")
CTR = "/var/run/docker/containerd/docker-containerd.sock"

AGE = "ps shows the start date only; the time of day is reconstructed"

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


def _age(date: str, at: str = "12:00:00") -> float:
    return NOW - epoch(f"2021-{date} {at}", TZ)


def build() -> Host:
    h = Host("", "", taken_at=NOW, uptime=90 * DAY,
             recon={"taken_at": "ps ran at 11:44 (its grep line); the day (Jun 24) is kubelet's I0624, the "
                                "year and +08:00 the shim dump's; the seconds are reconstructed",
                    "uptime": NOT_SHOWN,
                    "frames": "the report's ps and lsof are one look at the host; the three frames 5 s "
                              "apart repeat it (the pod had been stuck for days)"})
    created = epoch("2021-05-07 12:43:02", 0)           # `runc list`: 2021-05-07T12:43:02.62261156Z
    h.proc(3608, 1, "docker-containe", ["docker-containerd", "--config", "/var/run/docker/containerd/containerd.toml"],
           age=NOW - created + 3600, state=UNKNOWN,
           rec=recon("not in the report: it shows 3608 only as the shim's parent (containerd, which the "
                     "shim's -containerd-binary names)", "ppid", "comm", "argv", "age", "uid"))
    h.proc(119820, 3608, "docker-containe", [
        "docker-containerd-shim", "-namespace", "moby", "-workdir",
        f"/docker/docker_rt/containerd/daemon/io.containerd.runtime.v1.linux/moby/{CID}",
        "-address", CTR, "-containerd-binary", "/usr/bin/docker-containerd",
        "-runtime-root", "/var/run/docker/runtime-runc"],
        age=NOW - created + 1, state=UNKNOWN,
        rec=recon("ps shows May07; the time is the container's creation in `runc list` (12:43:02Z)", "age"),
        fds=[fd(0, "/dev/null", "r", "device"), fd(1, "/dev/null", "w", "device"),
             fd(2, "/dev/null", "w", "device")])
    for uid, pid, comm, date in ZOMBIES:
        age = NOW - created if pid == 119886 else _age(date)
        h.proc(pid, 119820, comm, None, age=age, state="Z", uid=uid,
               rec=recon("ps shows the start date only; the time of day is reconstructed"
                         + (" (the container's creation in `runc list`)" if pid == 119886 else ""), "age"))
    name = f"k8s_CNAME_PODNAME_default_{UID}_10"
    h.containers = [
        m.Container(id=CID, runtime="shim-v1", namespace="moby", shim_pid=119820, bundle=BUNDLE, init_pid=119886,
                    runtime_state="stopped",
                    docker=m.DockerInfo(name=name, image="image", state="running", status="Up 6 weeks",
                                        pod="PODNAME", pod_namespace="default", k8s_container="CNAME"),
                    recon=recon("inferred: [dockerinit] 119886 is the shim's child started May07, the day the "
                                "container was created, and the container's command is /dockerinit", "init_pid")),
        m.Container(id=PAUSE, runtime="docker",
                    docker=m.DockerInfo(name=f"k8s_POD_PODNAME_default_{UID}_1", image="pause:3.1", state="exited",
                                        status="Exited (0) About an hour ago", pod="PODNAME",
                                        pod_namespace="default", k8s_container="POD"),
                    recon=recon("the report shows 6e6fc586dc12 only; the rest of the id is a stable hash", "id")),
    ]
    h.kubelet(KUBELET, epoch("2021-06-24 11:00:26", TZ) + 0.658872)
    t = recon(CALL_TIME, "seconds")
    h.engine("docker", "unix:///var/run/docker.sock", rec=recon("the default socket; " + NOT_SHOWN, "host"))
    h.probe("docker", "list", None, "ok", 0.020, rec=t)                   # docker ps, docker ps -a
    h.probe("docker", "inspect", CID, "pending", 0.0, rec=t)             # docker inspect -f {{.State.Pid}}
    h.engine("containerd", CTR)
    h.probe("containerd", "containers", "moby", "ok", 0.010, rec=t)        # ctr -n moby c ls
    h.probe("containerd", "tasks", "moby", "pending", 0.0, rec=t)         # ctr -n moby t ls
    h.probe("containerd", "task-ps", CID, "pending", 0.0, rec=t)         # ctr -n moby t ps 60f253d5...
    h.engine("runc", "docker-runc --root /var/run/docker/runtime-runc/moby/")
    h.probe("runc", "list", None, "ok", 0.010, said=RUNC_LIST, rec=t)
    return h

