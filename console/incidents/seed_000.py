"""Seed 000: "docker hang问题排查" — exec stdio pipe deadlock (Docker 18.06.3, CentOS 7,
kernel 3.10.0-514.16.1.el7). Class: exec-pipe-deadlock.

From the report, exactly: the pids 6655 (containerd), 11646 (shim), 11680 (/dockerinit),
15581 (docker-runc exec), 15638 (runc init) and their argv; every thread id and syscall in
the strace output (runc init 15638 in write(2, "/usr/local/go/src/runtime/proc.g"..., 33),
runc exec 15619 in read(6)); every fd, inode and FIFO path in the lsof output; the container
id bbd5e4b5...; the pod cgroup from the OOM report; the kernel OOM lines of Jun 17 03:18:17;
the kubelet clock (2020-07-15 10:43:28, +08:00); `docker ps` answers, `docker inspect` hangs.
The head of runc init's stderr pipe is the report's `cat /proc/15638/fd/2`, its first lines
(as tee(2) would copy them; the hex stack words elided); the kubelet lines are the report's.
Reconstructed: the pipe's queue (full at the default 64 KiB: the report says the write
exceeded the pipe size), wchan names (3.10's pipe_wait etc.), dockerd's pid and argv, host
uptime, how long inspect had been pending, the pod and container names (the report says only
that the host ran a redis cluster), the threads' futex addresses where strace cut them.
"""
from __future__ import annotations

from ._build import Host, epoch, fd, sc, thread

TITLE = "docker exec deadlocked on runc init's stderr pipe (Docker 18.06)"
EXPECT = "exec-pipe-deadlock"
CID = "bbd5e4b5f9c13666dd0ec7ff7afb2c4c2b0ede40a4adf1de43cc31c606f283f5"
POD = "/kubepods/burstable/pod6c4333b3-a663-11ea-b39f-6c92bf85beda"
BUNDLE = f"/run/docker/containerd/daemon/io.containerd.runtime.v1.linux/moby/{CID}"
DAY = 86400.0
STDERR_HEAD = """runtime/cgo: pthread_create failed: Resource temporarily unavailable
SIGABRT: abort
PC=0x7f512b7365f7 m=0 sigcode=18446744073709551610

goroutine 0 [idle]:
runtime: unknown pc 0x7f512b7365f7
stack: frame={sp:0x7ffe1121a658, fp:0x0} stack=[0x7ffe0ae1bb28,0x7ffe1121ab50)
00007ffe1121a558:  00007ffe1121a6d8  00007ffe1121a6b0
00007ffe1121a568:  0000000000000001  00007f512c527660
"""
KUBELET = [
    "I0715 10:43:28.049240   16315 kubelet.go:1835] skipping pod synchronization - [container runtime is down]",
    "I0715 10:43:33.049359   16315 kubelet.go:1835] skipping pod synchronization - [container runtime is down]",
    "I0715 10:43:38.049492   16315 kubelet.go:1835] skipping pod synchronization - [container runtime is down]",
]


def build() -> Host:
    h = Host("host-xx", "3.10.0-514.16.1.el7.stable.v1.4.x86_64",
             taken_at=epoch("2020-07-15 10:43:28", 8), uptime=120 * DAY)
    age = 28 * DAY + 7 * 3600                 # "Jun 17" in ps, seen on Jul 15
    h.proc(6600, 1, "dockerd", ["/usr/bin/dockerd", "--exec-root", "/var/run/docker"], age=60 * DAY)
    h.proc(6655, 6600, "docker-containe", ["docker-containerd", "--config",
           "/var/run/docker/containerd/containerd.toml"], age=60 * DAY)
    h.proc(11646, 6655, "docker-containe", [
        "docker-containerd-shim", "-namespace", "moby", "-workdir",
        f"/home/docker_rt/containerd/daemon/io.containerd.runtime.v1.linux/moby/{CID}",
        "-address", "/var/run/docker/containerd/docker-containerd.sock",
        "-containerd-binary", "/usr/bin/docker-containerd", "-runtime-root", "/var/run/docker/runtime-runc"],
        age=age + 3600, threads=[
            thread(11646, wchan="futex_wait_queue_me", call=sc("futex", 0x7fd008, 0)),
            thread(11647, wchan="futex_wait_queue_me", call=sc("futex", 0x7fc730, 0)),
            thread(11649, wchan="futex_wait_queue_me", call=sc("futex", 0xc420082548, 0)),
            thread(11650, wchan="futex_wait_queue_me", call=sc("futex", 0xc420082948, 0)),
            thread(11651, wchan="futex_wait_queue_me", call=sc("futex", 0xc4200b4148, 0)),
            thread(11653, wchan="ep_poll", call=sc("epoll_wait", 4, 0)),
            thread(11654, wchan="futex_wait_queue_me", call=sc("futex", 0x818bd8, 0)),
            thread(11655, wchan="futex_wait_queue_me", call=sc("restart_syscall")),
            thread(11656, wchan="futex_wait_queue_me", call=sc("futex", 0x818cc0, 0)),
            thread(37342, wchan="ep_poll", call=sc("epoll_pwait", 5, 0))],
        fds=[fd(0, "/dev/null", "r", "device"), fd(1, "/dev/null", "w", "device"), fd(2, "/dev/null", "w", "device"),
             fd(3, "pipe:[1070361745]", "r"), fd(4, "anon_inode:[eventpoll]"), fd(5, "anon_inode:[eventpoll]"),
             fd(6, "socket:[1066743079]"), fd(7, "socket:[1066743968]"), fd(8, "pipe:[1066743970]", "r"),
             fd(9, "pipe:[1070361745]", "w"), fd(10, "pipe:[1066743971]", "r"),
             fd(11, f"/run/docker/containerd/{CID}/init-stdout", "rw", "fifo", 1066700778),
             fd(12, "pipe:[1066743972]", "r"),
             fd(13, f"/run/docker/containerd/{CID}/init-stdout", "w", "fifo", 1066700778),
             fd(14, f"/run/docker/containerd/{CID}/init-stdout", "rw", "fifo", 1066700778),
             fd(15, f"/run/docker/containerd/{CID}/init-stdout", "r", "fifo", 1066700778),
             fd(16, f"/run/docker/containerd/{CID}/init-stderr", "rw", "fifo", 1066700779),
             fd(17, f"/run/docker/containerd/{CID}/init-stderr", "w", "fifo", 1066700779),
             fd(18, f"/run/docker/containerd/{CID}/init-stderr", "rw", "fifo", 1066700779),
             fd(19, f"/run/docker/containerd/{CID}/init-stderr", "r", "fifo", 1066700779),
             fd(20, "pipe:[1070361746]", "r"), fd(26, "pipe:[1070361747]", "r")])
    h.proc(11680, 11646, "dockerinit", ["/dockerinit"], age=age, cgroup=f"{POD}/{CID}",
           threads=[thread(11680, wchan="ep_poll", call=sc("epoll_wait", 3, 0))])
    h.proc(15581, 11646, "docker-runc", [
        "docker-runc", "--root", "/var/run/docker/runtime-runc/moby", "--log", f"{BUNDLE}/log.json",
        "--log-format", "json", "exec", "--process", "/tmp/runc-process616674997", "--detach",
        "--pid-file", f"{BUNDLE}/0594c5897a41d401e4d1d7ddd44dacdd316c7e7d53bfdae7f16b0f6b26fcbcda.pid", CID],
        age=age, threads=[
            thread(15581, wchan="futex_wait_queue_me", call=sc("futex", 0x7fd6d25d9b28, 0)),
            thread(15584, wchan="futex_wait_queue_me", call=sc("restart_syscall")),
            thread(15586, wchan="futex_wait_queue_me", call=sc("futex", 0x7fd6d25f6320, 0)),
            thread(15590, wchan="futex_wait_queue_me", call=sc("futex", 0xc420084d48, 0)),
            thread(15591, wchan="futex_wait_queue_me", call=sc("futex", 0x7fd6d25f6238, 0)),
            thread(15592, wchan="futex_wait_queue_me", call=sc("futex", 0xc4200be148, 0)),
            thread(15619, wchan="unix_stream_data_wait", call=sc("read", 6, 0xc4201a4000, 512))],
        fds=[fd(0, "pipe:[1070361745]", "r"), fd(1, "pipe:[1070361746]", "w"), fd(2, "pipe:[1070361747]", "w"),
             fd(3, f"{BUNDLE}/log.json", "w", "file", 1066709902), fd(4, "anon_inode:[eventpoll]"),
             fd(6, "socket:[1070361342]")])
    h.proc(15638, 15581, "runc:[2:INIT]", ["docker-runc", "init"], age=age, cgroup=f"{POD}/{CID}",
           threads=[
               thread(15638, wchan="pipe_wait", call=sc("write", 2, 0x7f512c9e9e5e, 33)),
               thread(15639, wchan="futex_wait_queue_me", call=sc("restart_syscall")),
               thread(15642, wchan="futex_wait_queue_me", call=sc("futex", 0xc420082948, 0)),
               thread(15643, wchan="futex_wait_queue_me", call=sc("futex", 0xc420082d48, 0)),
               thread(15645, wchan="futex_wait_queue_me", call=sc("futex", 0xc4200bc148, 0)),
               thread(15647, wchan="futex_wait_queue_me", call=sc("futex", 0x7f512cea5238, 0)),
               thread(15648, wchan="futex_wait_queue_me", call=sc("futex", 0x7f512cea5320, 0))],
           fds=[fd(0, "pipe:[1070361745]", "r"), fd(1, "pipe:[1070361746]", "w"), fd(2, "pipe:[1070361747]", "w"),
                fd(3, "socket:[1070361341]"), fd(5, "anon_inode:[eventpoll]")])
    h.peeks = {1070361747: STDERR_HEAD}
    for line in KUBELET:
        h.kubelet(line)
    h.queues = {1070361747: (65536, 65536), 1070361746: (0, 65536), 1070361745: (0, 65536),
                1066743970: (0, 65536), 1066743971: (0, 65536), 1066743972: (0, 65536)}
    from .. import model as m
    h.containers = [m.Container(id=CID, runtime="shim-v1", namespace="moby", shim_pid=11646, bundle=BUNDLE,
                                init_pid=11680, cgroup_paths={"pids": f"{POD}/{CID}", "memory": f"{POD}/{CID}"},
                                cgroup=m.CgroupState(version=1, path=f"{POD}/{CID}", levels=[
                                    m.CgroupLevel(path=f"{POD}/{CID}", mem_usage=2220 * 1024, mem_oom=0),
                                    m.CgroupLevel(path=POD, mem_usage=3145728 * 1024, mem_limit=3145728 * 1024, mem_oom=0),
                                    m.CgroupLevel(path="/kubepods/burstable"), m.CgroupLevel(path="/kubepods"),
                                    m.CgroupLevel(path="/")], freezer="THAWED", procs=[11680]),
                                docker=m.DockerInfo(name=f"k8s_redis_redis-0_default_{CID[:8]}_0", state="running",
                                                    status="Up 4 weeks", pid=11680, pod="redis-0",
                                                    pod_namespace="default", k8s_container="redis"))]
    oom_at = h.uptime - 28 * DAY - 7 * 3600      # Jun 17 03:18:17
    for text, kind, pid in [
        ("runc:[2:INIT] invoked oom-killer: gfp_mask=0xd0, order=0, oom_score_adj=997", "oom", None),
        (f"oom-kill:,cpuset={CID},mems_allowed=0-1,oom_memcg={POD},task_memcg={POD}/{CID},"
         "task=runc:[2:INIT],pid=12800,uid=0", "oom", 12800),
        ("Memory cgroup out of memory: Kill process 12800 (runc:[2:INIT]) score 997 or sacrifice child", "oom", 12800),
        ("Killed process 12788 (runc:[2:INIT]) total-vm:600736kB, anon-rss:3296kB, file-rss:276kB, shmem-rss:1012kB",
         "oom-kill", 12788)]:
        h.klog(oom_at, kind, text, pid)
    h.probe("ping", None, "ok", 0.004)
    h.probe("list", None, "ok", 0.012)                 # docker ps answers
    h.probe("inspect", CID, "pending", 30.0)          # docker inspect hangs
    return h
