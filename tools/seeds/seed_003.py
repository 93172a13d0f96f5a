"""Seed 003: "Docker 异常总结", 异常一 — `docker ps` hangs after the OOM killer killed a runc init
during a container start: the parent runc start waits on exec.fifo forever (containerd#1882,
runc PR #1698; containerd merged the fix in v1.0.2). Class: runc-start-blocked (and
daemon-unresponsive). Docker 17.03.2-ce, containerd 0.2.3, runc 1.0.0-rc2.

As the report shows them, exactly: the versions (`docker -v`, `docker-containerd -v`,
`docker-runc -v`); dockerd 7926's debug lines of 2018-12-14 20:04:45-47 (+08:00): the
kubelet's list-containers calls (`Calling GET /v1.27/containers/json?...`) that get no
answer, so `docker ps` hangs; the dmesg line `[7993043.926831] Memory cgroup out of memory:
Kill process 20357 (runc:[2:INIT]) score 970 or sacrifice child`, at that uptime; the lines
dockerd printed for its SIGUSR1 dump (2018-12-02; the dump is seed-003-dockerd-goroutines.log).

Reconstructed, and marked so: a runc start of the OOM-killed init's container, and that
container's id: the report shows neither; its analysis says the parent runc of the killed
stub blocks forever, so the recording holds one, wholly reconstructed, with no thread state
(nothing shows where it waits); when the sample was taken (just after the debug lines) and
the uptime then (after the OOM stamp); dockerd's argv, parent, user and age; the time of its
SIGUSR1 lines (the dump file's name); how long `docker ps` had waited; that the frames are 5 s
apart. Not shown, so not recorded: the hostname, the kernel
version, containerd's and the shims' pids, which container was OOM-killed (the report's
reproduction on node test-001 used an OOM-ing progrium/stress pod; that is another host).
"""
from __future__ import annotations

from ._build import CALL_TIME, NOT_SHOWN, UNKNOWN, WHOLE, Host, epoch, full_id, recon

TITLE = "docker ps hangs: runc start waits on exec.fifo after runc init was OOM-killed (17.03)"
EXPECT = "runc-start-blocked"
TZ = 8
CID = full_id("000000000003", "seed-003: the report names no container")
OOM_AT = 7993043.926831
DAY = 86400.0
NOW = epoch("2018-12-14 20:04:48", TZ)
DUMPED = epoch("2018-12-02 19:33:36", TZ)
OOM_LINE = "Memory cgroup out of memory: Kill process 20357 (runc:[2:INIT]) score 970 or sacrifice child"
DEBUG = [  # (second, fraction, message) of `Dec 14 20:04:4x dockerd[7926]: ...`
    (45, .788669544, "GET /v1.27/containers/json?all=1&filters=%7B%22label%22%3A%7B%22io.kubernetes.docker.type%3Dpodsandbox%22%3Atrue%7D%7D&limit=0"),
    (45, .790628950, "GET /v1.27/containers/json?all=1&filters=%7B%22label%22%3A%7B%22io.kubernetes.docker.type%3Dcontainer%22%3Atrue%7D%7D&limit=0"),
    (46, .792531056, "GET /v1.27/containers/json?all=1&filters=%7B%22label%22%3A%7B%22io.kubernetes.docker.type%3Dpodsandbox%22%3Atrue%7D%7D&limit=0"),
    (46, .794433693, "GET /v1.27/containers/json?all=1&filters=%7B%22label%22%3A%7B%22io.kubernetes.docker.type%3Dcontainer%22%3Atrue%7D%7D&limit=0"),
    (47, .097363259, "GET /v1.27/containers/json?filters=%7B%22label%22%3A%7B%22io.kubernetes.docker.type%3Dpodsandbox%22%3Atrue%7D%7D&limit=0"),
    (47, .098448324, "GET /v1.27/containers/json?all=1&filters=%7B%22label%22%3A%7B%22io.kubernetes.docker.type%3Dcontainer%22%3Atrue%7D%2C%22status%22%3A%7B%22running%22%3Atrue%7D%7D&limit=0"),
]
DUMP_LINES = ["...goroutine stacks written to /var/run/docker/goroutine-stacks-2018-12-02T193336z.log",
              "...daemon datastructure dump written to /var/run/docker/daemon-data-2018-12-02T193336z.log"]


def build() -> Host:
    h = Host("", "", taken_at=NOW, uptime=OOM_AT + 1800,
             recon={"taken_at": "just after dockerd's debug lines of 20:04:45-47 (+08:00)",
                    "uptime": "after the OOM line's stamp (7993043.926831); how long after is not in the report",
                    "frames": "the report's look is one moment; the three frames 5 s apart repeat it"},
             versions={"docker": "17.03.2-ce, build f5ec1e2",
                       "containerd": "0.2.3 commit:4ab9917febca54791c5f071a9d1f404867857fcc",
                       "runc": "1.0.0-rc2 commit: 54296cf40ad8143b62dbcaa1d90e520a2136ddfe spec: 1.0.0-rc2-dev"})
    # goroutine 1 of the Dec 2 dump had waited 91274 minutes since dockerd started
    h.proc(7926, 1, "dockerd", ["dockerd"], age=NOW - DUMPED + 91275 * 60, state=UNKNOWN,
           rec={**recon("not in the report: its log names it dockerd[7926]", "argv", "ppid", "uid"),
                "age": "inferred: started at least 91274 minutes before the Dec 2 dump (its goroutine 1 "
                       "waited that long); dockerd may have restarted since"})
    h.proc(20370, 1, "docker-runc", ["docker-runc", "--log", f"/run/docker/libcontainerd/containerd/{CID}/init/log.json",
                                     "--log-format", "json", "start", CID], age=1799.5, state=UNKNOWN,
           rec=recon("reconstructed: the report's analysis says the parent runc of the OOM-killed "
                     "runc:[2:INIT] blocks forever opening exec.fifo; it shows no such process, so its "
                     "pid, argv, container and age are made up and where it waits is not known", WHOLE))
    h.klog(OOM_AT, "oom", OOM_LINE, 20357)
    for sec, frac, what in DEBUG:
        h.daemon("dockerd", f'time="2018-12-14T20:04:{sec}.{f"{frac:.9f}"[2:]}+08:00" level=debug msg="Calling {what}"',
                 epoch(f"2018-12-14 20:04:{sec}", TZ) + frac)
    for line in DUMP_LINES:
        h.daemon("dockerd", line, DUMPED,
                 rec=recon("when: the dump file's name (2018-12-02T193336); dockerd's log line itself is "
                           "not shown with a time", "uptime"))
    h.engine("docker", "unix:///var/run/docker.sock", rec=recon("the default socket; " + NOT_SHOWN, "host"))
    h.probe("docker", "list", None, "pending", 0.0,        # docker ps (and the kubelet's list calls) hang
            rec=recon(CALL_TIME, "seconds"))
    return h
