"""Seed 000: "docker hang问题排查" — exec stdio pipe deadlock (Docker 18.06.3; the kernel
3.10.0-514.16.1.el7.stable.v1.4.x86_64, from its OOM report). Class: exec-pipe-deadlock.

As the report shows them, exactly: the ps lines of the shim 11646 (parent 6655, which the
report names as containerd), /dockerinit 11680, docker-runc exec 15581 and docker-runc init
15638 (uid, parent, start date, argv); every thread and its last call in the three strace
outputs (runc init 15638 in `write(2, "/usr/local/go/src/runtime/proc.g"..., 33`, runc exec
15619 in `read(6,`), as strace printed their arguments; every fd of the three lsof outputs
(number, mode, pipe and socket inodes, FIFO paths, log.json); the container id; the bytes of
runc init's stderr pipe as `cat /proc/15638/fd/2` printed them (less its last line, which
runc exec wrote after the drain let runc init die); the /var/log/messages OOM report of
Jun 17 03:18:17 (all its lines, the 3 GiB pod limit among them); kubelet's three `container
runtime is down` lines; `docker ps` answers and `docker inspect` of the container hangs;
Docker 18.06.3.

Reconstructed, and marked so in the recording: the year (2020, from the pod uid's v1 UUID
time) and the +08:00 offset of the report's clocks; when the sample was taken (just after
kubelet's first line); the host's uptime; each process's time of day (ps shows only "Jun17");
the states (ps -ef shows none; strace shows each thread waiting in a call, so S); 6655's
argv, parent, user and age; /dockerinit 11680's cgroup (its OOM report lists it in the pod's
memory cgroup); the pipe's queue (full: runc init is blocked writing it, and the report
says the write exceeded the pipe's size; 3.10's default is 64 KiB); how long each Docker call had taken or
waited; that the three frames are 5 s apart (the report's ps/strace/lsof are one look).
Not shown, so not recorded: dockerd's pid and argv, wait channels, the other pipes' queues,
the cgroups' counters at the sample (the OOM report's memory figures are a month old: they
stay in the kernel log), the container's name and pod (the report says only that the host ran
a redis cluster).
"""
from __future__ import annotations

from ._build import CALL_TIME, NOT_SHOWN, UNKNOWN, Host, epoch, fd, recon, traced
from hangconsole import model as m

TITLE = "docker exec deadlocked on runc init's stderr pipe (Docker 18.06.3)"
EXPECT = "exec-pipe-deadlock"
TZ = 8                                     # the report's clocks: China (reconstructed)
CID = "bbd5e4b5f9c13666dd0ec7ff7afb2c4c2b0ede40a4adf1de43cc31c606f283f5"
POD = "/kubepods/burstable/pod6c4333b3-a663-11ea-b39f-6c92bf85beda"
BUNDLE = f"/run/docker/containerd/daemon/io.containerd.runtime.v1.linux/moby/{CID}"
FIFO = f"/run/docker/containerd/{CID}"
DAY = 86400.0
OOM_AT = epoch("2020-06-17 03:18:17", TZ)
NOW = epoch("2020-07-15 10:43:29", TZ)

AGE = "ps shows the start date Jun17 only; the time of day is reconstructed"
R_6655 = "not in the report: it names 6655 as containerd (the shim's parent) and shows nothing else of it"

# `cat /proc/15638/fd/2` as the report printed it; its last line ("exec failed: ...") came from
# runc exec once runc init could finish, so it was not yet in the pipe.
_CAT = """runtime/cgo: pthread_create failed: Resource temporarily unavailable
SIGABRT: abort
PC=0x7f512b7365f7 m=0 sigcode=18446744073709551610

goroutine 0 [idle]:
runtime: unknown pc 0x7f512b7365f7
stack: frame={sp:0x7ffe1121a658, fp:0x0} stack=[0x7ffe0ae1bb28,0x7ffe1121ab50)
""" + """00007ffe1121a558:  00007ffe1121a6d8  00007ffe1121a6b0
00007ffe1121a568:  0000000000000001  00007f512c527660
00007ffe1121a578:  00007f512c54d560  00007f512c54d208
00007ffe1121a588:  00007f512c333e6f  0000000000000000
00007ffe1121a598:  00007f512c527660  0000000000000005
00007ffe1121a5a8:  0000000000000000  0000000000000001
00007ffe1121a5b8:  00007f512c54d208  00007f512c528000
00007ffe1121a5c8:  00007ffe1121a600  00007f512b704b0c
00007ffe1121a5d8:  00007f512b7110c0  0000000000000000
00007ffe1121a5e8:  00007f512c54d560  00007ffe1121a620
00007ffe1121a5f8:  00007ffe1121a610  000000000f11ed7d
00007ffe1121a608:  00007f512c550153  00000000ffffffff
00007ffe1121a618:  00007f512c550a9b  00007f512b707d00
00007ffe1121a628:  00007f512babc868  00007f512c9e9e5e
00007ffe1121a638:  00007f512d3bb080  00000000000000f1
00007ffe1121a648:  0000000000000011  0000000000000000
00007ffe1121a658: <00007f512b737ce8  0000000000000020
00007ffe1121a668:  0000000000000000  0000000000000000
00007ffe1121a678:  0000000000000000  0000000000000000
00007ffe1121a688:  0000000000000000  0000000000000000
00007ffe1121a698:  0000000000000000  0000000000000000
00007ffe1121a6a8:  0000000000000000  0000000000000000
00007ffe1121a6b8:  0000000000000000  0000000000000000
00007ffe1121a6c8:  0000000000000000  0000000000000000
00007ffe1121a6d8:  0000000000000000  00007f512babc868
00007ffe1121a6e8:  00007f512c9e9e5e  00007f512d3bb080
00007ffe1121a6f8:  00007f512c33f260  00007f512babc1c0
00007ffe1121a708:  00007f512babc1c0  0000000000000001
00007ffe1121a718:  00007f512babc243  00000000000000f1
00007ffe1121a728:  00007f512b7787ec  0000000000000001
00007ffe1121a738:  00007f512babc1c0  000000000000000a
00007ffe1121a748:  00007f512b7e8a4d  000000000000000a
"""
STDERR = (_CAT + _CAT.split("goroutine 0 [idle]:\n", 1)[1] + """
goroutine 1 [running, locked to thread]:
runtime.systemstack_switch()
	/usr/local/go/src/runtime/asm_amd64.s:363 fp=0xc4200a3ed0 sp=0xc4200a3ec8 pc=0x7f512c7281d0
runtime.startTheWorld()
	/usr/local/go/src/runtime/proc.go:978 +0x2f fp=0xc4200a3ee8 sp=0xc4200a3ed0 pc=0x7f512c70221f
runtime.GOMAXPROCS(0x1, 0xc42013d9a0)
	/usr/local/go/src/runtime/debug.go:30 +0xa0 fp=0xc4200a3f10 sp=0xc4200a3ee8 pc=0x7f512c6d9810
main.init.0()
	/go/src/github.com/opencontainers/runc/init.go:14 +0x61 fp=0xc4200a3f30 sp=0xc4200a3f10 pc=0x7f512c992801
main.init()
	<autogenerated>:1 +0x624 fp=0xc4200a3f88 sp=0xc4200a3f30 pc=0x7f512c9a1014
runtime.main()
	/usr/local/go/src/runtime/proc.go:186 +0x1d2 fp=0xc4200a3fe0 sp=0xc4200a3f88 pc=0x7f512c6ff962
runtime.goexit()
	/usr/local/go/src/runtime/asm_amd64.s:2361 +0x1 fp=0xc4200a3fe8 sp=0xc4200a3fe0 pc=0x7f512c72ad71

goroutine 6 [syscall]:
os/signal.signal_recv(0x0)
	/usr/local/go/src/runtime/sigqueue.go:139 +0xa8
os/signal.loop()
	/usr/local/go/src/os/signal/signal_unix.go:22 +0x24
created by os/signal.init.0
	/usr/local/go/src/os/signal/signal_unix.go:28 +0x43

rax    0x0
rbx    0x7f512babc868
rcx    0xffffffffffffffff
rdx    0x6
rdi    0x271
rsi    0x271
rbp    0x7f512c9e9e5e
rsp    0x7ffe1121a658
r8     0xa
r9     0x7f512c524740
r10    0x8
r11    0x206
r12    0x7f512d3bb080
r13    0xf1
r14    0x11
r15    0x0
rip    0x7f512b7365f7
rflags 0x206
cs     0x33
fs     0x0
gs     0x0
""")

# /var/log/messages, Jun 17 03:18:17 host-xx kernel: ... (the message part of each line)
OOM_REPORT = """runc:[2:INIT] invoked oom-killer: gfp_mask=0xd0, order=0, oom_score_adj=997
CPU: 14 PID: 12788 Comm: runc:[2:INIT] Tainted: G        W  OE  ------------ T 3.10.0-514.16.1.el7.stable.v1.4.x86_64 #1
Hardware name: Inspur SA5212M4/YZMB-00370-107, BIOS 4.1.10 11/14/2016
ffff88103841dee0 00000000c4394691 ffff880263e4bcb8 ffffffff8168863d
ffff880263e4bd50 ffffffff81683585 ffff88203cc5e300 ffff880ee02b2380
0000000000000001 0000000000000000 0000000000000000 0000000000000046
Call Trace:
[<ffffffff8168863d>] dump_stack+0x19/0x1b
[<ffffffff81683585>] dump_header+0x85/0x27f
[<ffffffff81185b06>] ? find_lock_task_mm+0x56/0xc0
[<ffffffff81185fbe>] oom_kill_process+0x24e/0x3c0
[<ffffffff81093c2e>] ? has_capability_noaudit+0x1e/0x30
[<ffffffff811f4d91>] mem_cgroup_oom_synchronize+0x551/0x580
[<ffffffff811f41b0>] ? mem_cgroup_charge_common+0xc0/0xc0
[<ffffffff81186844>] pagefault_out_of_memory+0x14/0x90
[<ffffffff816813fa>] mm_fault_error+0x68/0x12b
[<ffffffff81694405>] __do_page_fault+0x395/0x450
[<ffffffff816944f5>] do_page_fault+0x35/0x90
[<ffffffff81690708>] page_fault+0x28/0x30
memory: usage 3145728kB, limit 3145728kB, failcnt 14406932
memory+swap: usage 3145728kB, limit 9007199254740988kB, failcnt 0
kmem: usage 3143468kB, limit 9007199254740988kB, failcnt 0
Memory cgroup stats for /kubepods/burstable/pod6c4333b3-a663-11ea-b39f-6c92bf85beda: cache:0KB rss:0KB rss_huge:0KB mapped_file:0KB swap:0KB inactive_anon:0KB active_anon:0KB inactive_file:0KB active_file:0KB unevictable:0KB
Memory cgroup stats for /kubepods/burstable/pod6c4333b3-a663-11ea-b39f-6c92bf85beda/b761e05249245695278b3f409d2d6e5c6a5bff6995ff0cf44d03af4aa9764a30: cache:0KB rss:40KB rss_huge:0KB mapped_file:0KB swap:0KB inactive_anon:0KB active_anon:40KB inactive_file:0KB active_file:0KB unevictable:0KB
Memory cgroup stats for /kubepods/burstable/pod6c4333b3-a663-11ea-b39f-6c92bf85beda/1d1750ecc627cc5d60d80c071b2eb4d515ee8880c5b5136883164f08319869b0: cache:0KB rss:0KB rss_huge:0KB mapped_file:0KB swap:0KB inactive_anon:0KB active_anon:0KB inactive_file:0KB active_file:0KB unevictable:0KB
Memory cgroup stats for /kubepods/burstable/pod6c4333b3-a663-11ea-b39f-6c92bf85beda/bbd5e4b5f9c13666dd0ec7ff7afb2c4c2b0ede40a4adf1de43cc31c606f283f5: cache:0KB rss:2220KB rss_huge:0KB mapped_file:0KB swap:0KB inactive_anon:0KB active_anon:2140KB inactive_file:0KB active_file:0KB unevictable:0KB
Memory cgroup stats for /kubepods/burstable/pod6c4333b3-a663-11ea-b39f-6c92bf85beda/bbd5e4b5f9c13666dd0ec7ff7afb2c4c2b0ede40a4adf1de43cc31c606f283f5/super-agent: cache:0KB rss:0KB rss_huge:0KB mapped_file:0KB swap:0KB inactive_anon:0KB active_anon:0KB inactive_file:0KB active_file:0KB unevictable:0KB
[ pid ]   uid  tgid total_vm      rss nr_ptes swapents oom_score_adj name
[30598]     0 30598      255        1       4        0          -998 pause
[11680]     0 11680   164833     1118      20        0           997 dockerinit
[12788]     0 12788   150184     1146      23        0           997 runc:[2:INIT]
oom-kill:,cpuset=bbd5e4b5f9c13666dd0ec7ff7afb2c4c2b0ede40a4adf1de43cc31c606f283f5,mems_allowed=0-1,oom_memcg=/kubepods/burstable/pod6c4333b3-a663-11ea-b39f-6c92bf85beda,task_memcg=/kubepods/burstable/pod6c4333b3-a663-11ea-b39f-6c92bf85beda/bbd5e4b5f9c13666dd0ec7ff7afb2c4c2b0ede40a4adf1de43cc31c606f283f5,task=runc:[2:INIT],pid=12800,uid=0
Memory cgroup out of memory: Kill process 12800 (runc:[2:INIT]) score 997 or sacrifice child
Killed process 12788 (runc:[2:INIT]) total-vm:600736kB, anon-rss:3296kB, file-rss:276kB, shmem-rss:1012kB"""

KUBELET = [(epoch("2020-07-15 10:43:28", TZ) + 0.049240,
            "I0715 10:43:28.049240   16315 kubelet.go:1835] skipping pod synchronization - [container runtime is down]"),
           (epoch("2020-07-15 10:43:33", TZ) + 0.049359,
            "I0715 10:43:33.049359   16315 kubelet.go:1835] skipping pod synchronization - [container runtime is down]"),
           (epoch("2020-07-15 10:43:38", TZ) + 0.049492,
            "I0715 10:43:38.049492   16315 kubelet.go:1835] skipping pod synchronization - [container runtime is down]")]

SHIM_STRACE = {   # the last call of each thread in the report's strace of 11646
    37342: "epoll_pwait(5,  <unfinished ...>", 11656: "futex(0x818cc0, FUTEX_WAIT, 0, NULL <unfinished ...>",
    11655: "restart_syscall(<... resuming interrupted call ...> <unfinished ...>",
    11654: "futex(0x818bd8, FUTEX_WAIT, 0, NULL <unfinished ...>", 11653: "epoll_wait(4,  <unfinished ...>",
    11651: "futex(0xc4200b4148, FUTEX_WAIT, 0, NULL <unfinished ...>",
    11650: "futex(0xc420082948, FUTEX_WAIT, 0, NULL <unfinished ...>",
    11649: "futex(0xc420082548, FUTEX_WAIT, 0, NULL <unfinished ...>",
    11647: "futex(0x7fc730, FUTEX_WAIT, 0, {60, 0}", 11646: "futex(0x7fd008, FUTEX_WAIT, 0, NULL <unfinished ...>"}
EXEC_STRACE = {
    15619: "read(6,  <unfinished ...>", 15592: "futex(0xc4200be148, FUTEX_WAIT, 0, NULL <unfinished ...>",
    15591: "futex(0x7fd6d25f6238, FUTEX_WAIT, 0, NULL <unfinished ...>",
    15590: "futex(0xc420084d48, FUTEX_WAIT, 0, NULL <unfinished ...>",
    15586: "futex(0x7fd6d25f6320, FUTEX_WAIT, 0, NULL <unfinished ...>",
    15584: "restart_syscall(<... resuming interrupted call ...> <unfinished ...>",
    15581: "futex(0x7fd6d25d9b28, FUTEX_WAIT, 0, NULL"}
INIT_STRACE = {
    15648: "futex(0x7f512cea5320, FUTEX_WAIT, 0, NULL <unfinished ...>",
    15647: "futex(0x7f512cea5238, FUTEX_WAIT, 0, NULL <unfinished ...>",
    15645: "futex(0xc4200bc148, FUTEX_WAIT, 0, NULL <unfinished ...>",
    15643: "futex(0xc420082d48, FUTEX_WAIT, 0, NULL <unfinished ...>",
    15642: "futex(0xc420082948, FUTEX_WAIT, 0, NULL <unfinished ...>",
    15639: "restart_syscall(<... resuming interrupted call ...> <unfinished ...>",
    15638: 'write(2, "/usr/local/go/src/runtime/proc.g"..., 33'}


def _threads(calls: dict[int, str]) -> list[m.Thread]:
    return [traced(tid, line) for tid, line in sorted(calls.items())]


def _traced_proc(why_state: str) -> dict[str, str]:
    return {**recon(AGE, "age"), "state": why_state}


def build() -> Host:
    h = Host("host-xx", "3.10.0-514.16.1.el7.stable.v1.4.x86_64", taken_at=NOW, uptime=120 * DAY,
             recon={"taken_at": "the kubelet log's clock (I0715 10:43:28, just after its first line); "
                                "the year 2020 and the +08:00 offset are reconstructed",
                    "uptime": NOT_SHOWN,
                    "frames": "the report's ps, strace and lsof are one look at the host; the three "
                              "frames 5 s apart repeat it (the hang lasted days)"},
             versions={"docker": "18.06.3", "kernel": "3.10.0-514.16.1.el7.stable.v1.4.x86_64"})
    strace_state = "inferred: strace shows its threads waiting in calls; ps -ef shows no state"
    t_shim = epoch("2020-06-17 03:00:00", TZ)            # reconstructed times of day on Jun 17
    t_exec = OOM_AT
    h.proc(6655, 1, "docker-containe", ["docker-containerd", "--config", "/var/run/docker/containerd/containerd.toml"],
           age=NOW - t_shim + 3600, state=UNKNOWN,
           rec=recon(R_6655, "ppid", "comm", "argv", "age", "uid"))
    h.proc(11646, 6655, "docker-containe", [
        "docker-containerd-shim", "-namespace", "moby", "-workdir",
        f"/home/docker_rt/containerd/daemon/io.containerd.runtime.v1.linux/moby/{CID}",
        "-address", "/var/run/docker/containerd/docker-containerd.sock",
        "-containerd-binary", "/usr/bin/docker-containerd", "-runtime-root", "/var/run/docker/runtime-runc"],
        age=NOW - t_shim, nthreads=10, threads=_threads(SHIM_STRACE), rec=_traced_proc(strace_state),
        fds=[fd(0, "/dev/null", "r", "device"), fd(1, "/dev/null", "w", "device"), fd(2, "/dev/null", "w", "device"),
             fd(3, "pipe:[1070361745]", "r"), fd(4, "anon_inode:[eventpoll]", "rw"),
             fd(5, "anon_inode:[eventpoll]", "rw"),
             fd(6, "socket:[1066743079]", "rw"), fd(7, "socket:[1066743968]", "rw"), fd(8, "pipe:[1066743970]", "r"),
             fd(9, "pipe:[1070361745]", "w"), fd(10, "pipe:[1066743971]", "r"),
             fd(11, f"{FIFO}/init-stdout", "rw", "fifo", 1066700778),
             fd(12, "pipe:[1066743972]", "r"),
             fd(13, f"{FIFO}/init-stdout", "w", "fifo", 1066700778),
             fd(14, f"{FIFO}/init-stdout", "rw", "fifo", 1066700778),
             fd(15, f"{FIFO}/init-stdout", "r", "fifo", 1066700778),
             fd(16, f"{FIFO}/init-stderr", "rw", "fifo", 1066700779),
             fd(17, f"{FIFO}/init-stderr", "w", "fifo", 1066700779),
             fd(18, f"{FIFO}/init-stderr", "rw", "fifo", 1066700779),
             fd(19, f"{FIFO}/init-stderr", "r", "fifo", 1066700779),
             fd(20, "pipe:[1070361746]", "r"), fd(26, "pipe:[1070361747]", "r")])
    h.proc(11680, 11646, "dockerinit", ["/dockerinit"], age=NOW - t_shim - 1, state=UNKNOWN,
           cgroup=f"{POD}/{CID}",
           rec={**recon(AGE, "age"),
                "cgroup": "inferred: the report names 11680 the container's init, and its OOM report lists it "
                          "in the pod's memory cgroup; its cgroup file is not shown"})
    h.proc(15581, 11646, "docker-runc", [
        "docker-runc", "--root", "/var/run/docker/runtime-runc/moby", "--log", f"{BUNDLE}/log.json",
        "--log-format", "json", "exec", "--process", "/tmp/runc-process616674997", "--detach",
        "--pid-file", f"{BUNDLE}/0594c5897a41d401e4d1d7ddd44dacdd316c7e7d53bfdae7f16b0f6b26fcbcda.pid", CID],
        age=NOW - t_exec, nthreads=7, threads=_threads(EXEC_STRACE), rec=_traced_proc(strace_state),
        fds=[fd(0, "pipe:[1070361745]", "r"), fd(1, "pipe:[1070361746]", "w"), fd(2, "pipe:[1070361747]", "w"),
             fd(3, f"{BUNDLE}/log.json", "w", "file", 1066709902), fd(4, "anon_inode:[eventpoll]", "rw"),
             fd(6, "socket:[1070361342]", "rw")])
    h.proc(15638, 15581, "runc:[2:INIT]", ["docker-runc", "init"], age=NOW - t_exec, nthreads=7,
           threads=_threads(INIT_STRACE), rec=_traced_proc(strace_state),
           fds=[fd(0, "pipe:[1070361745]", "r"), fd(1, "pipe:[1070361746]", "w"), fd(2, "pipe:[1070361747]", "w"),
                fd(3, "socket:[1070361341]", "rw"), fd(5, "anon_inode:[eventpoll]", "rw")])
    h.pipe(1070361747, 65536, 65536, STDERR,
           rec={**recon("inferred: runc init is blocked writing it and the report says the write exceeded the "
                        "pipe's size; the figures are 3.10's default 64 KiB, not read", "queued", "capacity"),
                **recon("the report read these bytes with `cat /proc/15638/fd/2`, which drained the pipe; "
                        "no tee copy was taken", "peek")})
    for wall, line in KUBELET:
        h.kubelet(line, wall)
    from hangconsole.collect.kmsg import classify
    for text in OOM_REPORT.splitlines():
        kind, pid = classify(text) or ("oom", None)
        h.klog(h.uptime_at(OOM_AT), kind, text, pid)
    h.containers = [m.Container(
        id=CID, runtime="shim-v1", namespace="moby", shim_pid=11646, bundle=BUNDLE, init_pid=11680,
        cgroup_paths={"memory": f"{POD}/{CID}"},
        cgroup=m.CgroupState(version=1, path=f"{POD}/{CID}",      # the OOM report's memcg paths
                             levels=[m.CgroupLevel(path=f"{POD}/{CID}"), m.CgroupLevel(path=POD)]),
        docker=m.DockerInfo(state="running"))]
    h.engine("docker", "unix:///var/run/docker.sock", rec=recon("the default socket; " + NOT_SHOWN, "host"))
    h.probe("docker", "list", None, "ok", 0.012, rec=recon(CALL_TIME, "seconds"))        # docker ps answers
    h.probe("docker", "inspect", CID, "pending", 0.0, rec=recon(CALL_TIME, "seconds"))  # docker inspect hangs
    return h

