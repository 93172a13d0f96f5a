"""Seed 004: "容器share pid 导致 restart 命令卡主" — in a pod with a shared pid namespace,
`docker restart` of container2 kills its sh but not its child `sleep 1000`, so the task never
exits and the restart returns only when `sleep 1000` ends (containerd PR #2597 regression;
moby#38978; fixed by containerd PR #3149). Class: pidns-linger.

As the report shows them, exactly: the pod spec (shareProcessNamespace, container1 `sleep
12345`, container2 `touch /tmp/healthy && sleep 1000`); both `docker exec 259da1678e8c ps -ef`
outputs, kept as those calls' output and as the processes' pids inside the namespace, their
parents there, commands and start times: at 01:41 pause 1, sh 6 and sleep 11 of container1, sh
12 and sleep 18 of container2 (and ps 19 itself); at 01:49 sh 12 gone and sleep 18 with parent
0 (and ps 35); dockerd 836 and containerd 831 (their ps lines); the container ids' 12 hex digits;
container2's name, image and `docker ps` line; which calls hang: `docker restart a46c18158270`
(until `sleep 1000` ends), `docker inspect` and `docker logs` of it; `docker ps` and `docker
exec` answer. The frames are at the two ps -ef times, 01:41 (before the restart) and 01:49.

Reconstructed, and marked so: every host pid (in-namespace pid + 30000) and the shims (pids,
argv: containerd 1.2's v1 shim); a parent outside the namespace where ps shows 0 (the shim);
the full container ids; the pause container (the report shows only /pause, pid 1) and
container1's name; the containers' containerd namespace (Docker's "moby"); the date (the
post's, 2020-05-01; no time zone is given), the seconds of each time and dockerd's and
containerd's time of day (ps shows May01); the cgroup paths and members (from the pod uid and
spec); how long each call had waited; when the report's `docker ps` ran (its "24 minutes ago,
Up 7 minutes" does not fit the pod's 01:39 start and the 01:49 ps: it is kept as printed and
its time is marked). Not shown, so not recorded: the kernel and runtime versions, dockerd's and
containerd's dumps (the report shows how to take them, not what they said).
"""
from __future__ import annotations

from hangconsole import model as m
from ._build import CALL_TIME, NOT_SHOWN, UNKNOWN, WHOLE, Host, epoch, full_id, recon

TITLE = "docker restart hangs: a leftover process in a shared pid namespace (containerd 1.2)"
EXPECT = "pidns-linger"
PAUSE = full_id("6f0c2d1b7a99", "seed-004-pause")
C1 = full_id("259da1678e8c", "seed-004")
C2 = full_id("a46c18158270", "seed-004")
UID = "bfb31ed1-8c15-11ea-b37d-000c29df44e0"
POD = f"/kubepods/besteffort/pod{UID}"
BASE = 30000                       # host pid = in-namespace pid + BASE (reconstructed)
T0 = epoch("2020-05-01 01:41:00", 0)      # the first ps -ef; the second is 8 minutes later
TIMES = [0.0, 480.0, 485.0, 490.0]
STARTED = epoch("2020-05-01 01:39:00", 0)
PS_1 = """UID         PID   PPID  C STIME TTY          TIME CMD
root          1      0  0 01:39 ?        00:00:00 /pause
root          6      0  0 01:39 ?        00:00:00 /bin/sh -c sleep 12345
root         11      6  0 01:39 ?        00:00:00 sleep 12345
root         12      0  0 01:39 ?        00:00:00 /bin/sh -c touch /tmp/healthy && sleep 1000
root         18     12  0 01:39 ?        00:00:00 sleep 1000
root         19      0  0 01:41 ?        00:00:00 ps -ef"""
PS_2 = """UID         PID   PPID  C STIME TTY          TIME CMD
root          1      0  0 01:39 ?        00:00:00 /pause
root          6      0  0 01:39 ?        00:00:00 /bin/sh -c sleep 12345
root         11      6  0 01:39 ?        00:00:00 sleep 12345
root         18      0  0 01:39 ?        00:00:00 sleep 1000
root         35      0  0 01:49 ?        00:00:00 ps -ef"""
DOCKER_PS = ('a46c18158270        1d622ef86b13           "/bin/sh -c \'touch /…"   24 minutes ago      '
             'Up 7 minutes                            k8s_container2_nginx-jc_default_bfb31ed1-8c15-11ea-b37d-000c29df44e0_0')
RESTART = "returns only when `sleep 1000` ends (the report: 命令卡主了，直到`sleep 1000`执行结束)"

HOST_PID = "host pids are reconstructed (in-namespace pid + 30000); the report shows the pids inside the namespace"
MINUTE = "ps shows the start time to the minute; the seconds are reconstructed"
OUTSIDE = "ps shows PPID 0 inside the namespace: its parent is outside it (the shim, reconstructed)"
SHIM = ("reconstructed: the report shows no shims; containerd 1.2 runs one v1 containerd-shim per "
        "container, under containerd 831")
SHIMS = {PAUSE: 29001, C1: 29002, C2: 29003}


def _ns(ns_pid: int, ppid: int, argv: list[str], age: float, container: str, *, frames=None,
        ppid_why: str = HOST_PID, h: Host) -> None:
    h.proc(BASE + ns_pid, ppid, argv[0].rsplit("/", 1)[-1][:15], argv, age=age, state=UNKNOWN,
           cgroup=f"{POD}/{container}", frames=frames, ns_pid=ns_pid,
           rec={"pid": HOST_PID, "ppid": ppid_why, "age": MINUTE,
                "cgroup": "reconstructed from the pod uid (container names) and spec (no resources: "
                          "BestEffort); the report shows no cgroup"})


def build() -> Host:
    h = Host("ubuntu", "", taken_at=T0, uptime=2 * 86400, times=TIMES,
             recon={"taken_at": "the in-container ps -ef times (01:41, 01:49); the date is the post's "
                                "(2020-05-01) and no time zone is given",
                    "uptime": NOT_SHOWN,
                    "frames": "frame 1 is the first ps -ef (01:41), before the restart; frames 2-4 the "
                              "second (01:49), 5 s apart"})
    daemons = epoch("2020-05-01 01:00:00", 0)
    h.proc(836, 1, "dockerd", ["/usr/bin/dockerd", "-H", "fd://", "--containerd=/run/containerd/containerd.sock"],
           age=T0 - daemons, state=UNKNOWN,
           rec=recon("ps shows the start date May01 only; the time is reconstructed", "age"))
    h.proc(831, 1, "containerd", ["/usr/bin/containerd"], age=T0 - daemons + 5, state=UNKNOWN,
           rec=recon("ps shows the start date May01 only; the time is reconstructed", "age"))
    age = T0 - STARTED
    for cid, pid in SHIMS.items():
        h.proc(pid, 831, "containerd-shim", [
            "containerd-shim", "-namespace", "moby", "-workdir",
            f"/var/lib/containerd/io.containerd.runtime.v1.linux/moby/{cid}",
            "-address", "/run/containerd/containerd.sock", "-containerd-binary", "/usr/bin/containerd",
            "-runtime-root", "/var/run/docker/runtime-runc"], age=age + 1, state=UNKNOWN, rec=recon(SHIM, WHOLE))
    _ns(1, SHIMS[PAUSE], ["/pause"], age, PAUSE, ppid_why=OUTSIDE, h=h)
    _ns(6, SHIMS[C1], ["/bin/sh", "-c", "sleep 12345"], age, C1, ppid_why=OUTSIDE, h=h)
    _ns(11, BASE + 6, ["sleep", "12345"], age, C1, h=h)
    _ns(12, SHIMS[C2], ["/bin/sh", "-c", "touch /tmp/healthy && sleep 1000"], age, C2, frames={0},
        ppid_why=OUTSIDE, h=h)
    _ns(18, BASE + 12, ["sleep", "1000"], age, C2, frames={0}, h=h)
    # the restart killed sh 12; sleep 18 lingers, "被0号进程接收": its parent is now outside the
    # namespace (the shim, the subreaper)
    _ns(18, SHIMS[C2], ["sleep", "1000"], age, C2, frames={1, 2, 3}, ppid_why=OUTSIDE, h=h)
    _ns(19, SHIMS[C1], ["ps", "-ef"], 0.0, C1, frames={0}, ppid_why=OUTSIDE, h=h)
    _ns(35, SHIMS[C1], ["ps", "-ef"], -480.0, C1, frames={1}, ppid_why=OUTSIDE, h=h)
    ns = f"/proc/{BASE + 1}/ns/pid"
    r_ns = ("the report: shareProcessNamespace: true (the pod's namespace, whose pid 1 is /pause); the "
            "path is reconstructed")
    r_procs = "inferred from the ps -ef parents and the spec; cgroup.procs is not shown"
    r_cg = ("reconstructed from the pod uid (container names) and spec (no resources: BestEffort); "
            "the report shows no cgroup")
    r_mob = "Docker's containerd namespace; the report does not show it"

    def cont(cid, init, name, procs, pidns, *, docker, rec):
        return m.Container(
            id=cid, runtime="shim-v1", namespace="moby", shim_pid=SHIMS[cid], init_pid=init,
            bundle=f"/run/containerd/io.containerd.runtime.v1.linux/moby/{cid}", pidns_path=pidns,
            cgroup_paths={"pids": f"{POD}/{cid}"},
            cgroup=m.CgroupState(version=1, path=f"{POD}/{cid}", procs=procs,
                                 levels=[m.CgroupLevel(path=f"{POD}/{cid}", recon=recon(r_cg, "path"))],
                                 recon={"procs": r_procs, "path": r_cg}),
            docker=docker, recon={"namespace": r_mob, "cgroup_paths": r_cg, **rec})

    ids = recon("the report shows the first 12 hex digits; the rest is a stable hash", "id")
    h.containers = [
        cont(PAUSE, BASE + 1, f"k8s_POD_nginx-jc_default_{UID}_0", [BASE + 1], None,
             docker=m.DockerInfo(name=f"k8s_POD_nginx-jc_default_{UID}_0", state="running", pod="nginx-jc",
                                 pod_namespace="default", k8s_container="POD"),
             rec=recon("reconstructed: the report shows only /pause, pid 1 of the pod's namespace; this "
                       "container's id, name, state and shim are made up", WHOLE)),
        cont(C1, BASE + 6, f"k8s_container1_nginx-jc_default_{UID}_0", [BASE + 6, BASE + 11], ns,
             docker=m.DockerInfo(name=f"k8s_container1_nginx-jc_default_{UID}_0", image="ubuntu", state="running",
                                 pod="nginx-jc", pod_namespace="default", k8s_container="container1"),
             rec={**ids, "pidns_path": r_ns, "init_pid": HOST_PID, "shim_pid": SHIM, "bundle": SHIM,
                  "docker.name": "reconstructed by the kubelet's naming from the pod; not in the report"}),
        cont(C2, BASE + 12, f"k8s_container2_nginx-jc_default_{UID}_0", [BASE + 18], ns,
             docker=m.DockerInfo(name=f"k8s_container2_nginx-jc_default_{UID}_0", image="1d622ef86b13",
                                 state="running", status="Up 7 minutes", pod="nginx-jc",
                                 pod_namespace="default", k8s_container="container2"),
             rec={**ids, "pidns_path": r_ns, "init_pid": HOST_PID, "shim_pid": SHIM, "bundle": SHIM,
                  "docker.status": "the report's docker ps line; when it ran is not given (its '24 minutes "
                                   "ago' does not fit the pod's 01:39 start and the 01:49 ps)"}),
    ]
    # cgroup.procs as the two ps -ef show the namespace (each ps is in container1's cgroup)
    h.procs_at = {C1: {0: [BASE + 6, BASE + 11, BASE + 19], 1: [BASE + 6, BASE + 11, BASE + 35]},
                  C2: {0: [BASE + 12, BASE + 18]}}
    t = recon(CALL_TIME, "seconds")
    h.engine("docker", "unix:///var/run/docker.sock", rec=recon("the default socket; " + NOT_SHOWN, "host"))
    h.probe("docker", "exec", C1, "ok", 0.1, said=PS_1, rec=t, frames={0})            # docker exec ... ps -ef
    h.probe("docker", "restart", C2, "pending", 0.0, said=RESTART, rec=t, frames={1, 2, 3})
    h.probe("docker", "exec", C1, "ok", 0.1, said=PS_2, rec=t, frames={1, 2, 3})
    h.probe("docker", "list", None, "ok", 0.011, said=DOCKER_PS, rec=t, frames={1, 2, 3})
    h.probe("docker", "inspect", C2, "pending", 0.0, rec=t, frames={1, 2, 3})
    h.probe("docker", "logs", C2, "pending", 0.0, rec=t, frames={1, 2, 3})
    return h
