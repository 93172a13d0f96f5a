"""Seed 002: "docker exec 失败问题排查之旅" — the container's pids cgroup is exhausted, so runc
init cannot start a thread and every exec fails (runc#1914). Class: pids-exhausted.

As the report shows them, exactly: dockerd[4085]'s three log lines of 2021-05-12 09:08:40
(+08:00): two `stream copy error: reading from a closed fifo` and the `Error running exec
110deb1c...` with `read init-p: connection reset by peer`; which calls fail, with their
errors: `docker exec aa1e331ec24f sleep 1` (docker ps answered, listing it),
`docker-containerd-ctr ... t exec --exec-id stupig1 aa1e331e... sleep 1` (on the report's
containerd socket) and `docker-runc --root /var/run/docker/runtime-runc/moby/ exec aa1e331e...
sleep`, whose whole output (the Go runtime's `pthread_create failed: Resource temporarily
unavailable` abort and runc's last line) is kept as that call's output; the container id; its
pids cgroup path (pod64a6c0e7-830c-11eb-86d6-b8cef604db88) and pids.max 10000.

Reconstructed, and marked so: pids.current 10000 (the report's monitoring graph: every
container's threads had reached 1w, the 10,000 limit; the file itself was not read); when
the sample was taken (just after the log lines); the host's uptime; dockerd's argv, parent,
user and age; how long each call took; that the frames are 5 s apart. Not shown, so not
recorded: the real hostname (the log prints the placeholder HOSTNAME, recorded as printed),
the kernel and runtime versions, every other pid (the shim,
the container's processes: the report shows none), the container's name, the pod cgroup's
and the host's pids counts. No kernel line: the report shows runc's error, not dmesg.
"""
from __future__ import annotations

from hangconsole import model as m
from ._build import CALL_TIME, NOT_SHOWN, UNKNOWN, Host, epoch, recon

TITLE = "docker exec fails: the container used all 10000 pids (threads)"
EXPECT = "pids-exhausted"
TZ = 8
CID = "aa1e331ec24f621ab3152ebe94f1e533734164af86c9df0f551eab2b1967ec4e"
POD = "/kubepods/burstable/pod64a6c0e7-830c-11eb-86d6-b8cef604db88"
DAY = 86400.0
NOW = epoch("2021-05-12 09:08:41", TZ)
CTR = "/var/run/docker/containerd/docker-containerd.sock"
RUNC = "docker-runc --root /var/run/docker/runtime-runc/moby/"
EXEC_ERROR = ('OCI runtime exec failed: exec failed: container_linux.go:348: starting container process '
              'caused "read init-p: connection reset by peer": unknown')
RUNC_LAST = ('exec failed: container_linux.go:348: starting container process caused '
             '"read init-p: connection reset by peer"')
DOCKERD_LOG = [
    ("2021-05-12 09:08:40", 0.642410594, 'time="2021-05-12T09:08:40.642410594+08:00" level=error '
                                         'msg="stream copy error: reading from a closed fifo"'),
    ("2021-05-12 09:08:40", 0.642418571, 'time="2021-05-12T09:08:40.642418571+08:00" level=error '
                                         'msg="stream copy error: reading from a closed fifo"'),
    ("2021-05-12 09:08:40", 0.663754355, 'time="2021-05-12T09:08:40.663754355+08:00" level=error '
                                         'msg="Error running exec 110deb1c1b2a2d2671d7368bd02bfc18a968e4712a3c771dedf0b362820e73cb in '
                                         'container: OCI runtime exec failed: exec failed: container_linux.go:348: starting container '
                                         'process caused \\"read init-p: connection reset by peer\\": unknown"'),
]
_HEX = """00007ffd30f0d118: 0000000000000002 00007ffd30f7f184
00007ffd30f0d128: 000000000069c31c 00007ffd30f0d1a8
00007ffd30f0d138: 000000000045814e <runtime.callCgoMmap+62> 00007ffd30f0d140
00007ffd30f0d148: 00007ffd30f0d190 0000000000411a88 <runtime.persistentalloc1+456>
00007ffd30f0d158: 0000000000bf6dd0 0000000000000000
00007ffd30f0d168: 0000000000010000 0000000000000008
00007ffd30f0d178: 0000000000bf6dd8 0000000000bf7ca0
00007ffd30f0d188: 00007fdcbb4b7000 00007ffd30f0d1c8
00007ffd30f0d198: 0000000000451205 <runtime.persistentalloc.func1+69> 0000000000000000
00007ffd30f0d1a8: 0000000000000000 0000000000c1c080
00007ffd30f0d1b8: 00007fdcbb4b7000 00007ffd30f0d1e0
00007ffd30f0d1c8: 00007ffd30f0d210 00007ffd30f0d220
00007ffd30f0d1d8: 0000000000000000 00000000000000f1
00007ffd30f0d1e8: 0000000000000011 0000000000000000
00007ffd30f0d1f8: 000000000069c31c 0000000000c1c080
00007ffd30f0d208: 000000000045814e <runtime.callCgoMmap+62> 00007ffd30f0d210
00007ffd30f0d218: <00007ffd30f0d268 fffffffe7fffffff
00007ffd30f0d228: ffffffffffffffff ffffffffffffffff
00007ffd30f0d238: ffffffffffffffff ffffffffffffffff
00007ffd30f0d248: ffffffffffffffff ffffffffffffffff
00007ffd30f0d258: ffffffffffffffff ffffffffffffffff
00007ffd30f0d268: ffffffffffffffff ffffffffffffffff
00007ffd30f0d278: ffffffffffffffff ffffffffffffffff
00007ffd30f0d288: ffffffffffffffff ffffffffffffffff
00007ffd30f0d298: ffffffffffffffff 0000000000000000
00007ffd30f0d2a8: 00000000006b68ba 0000000000000020
00007ffd30f0d2b8: 0000000000000000 0000000000000000
00007ffd30f0d2c8: 0000000000000000 0000000000000000
00007ffd30f0d2d8: 0000000000000000 0000000000000000
00007ffd30f0d2e8: 0000000000000000 0000000000000000
00007ffd30f0d2f8: 0000000000000000 0000000000000000
00007ffd30f0d308: 0000000000000000 0000000000000000
"""
_UNKNOWN_PC = """runtime: unknown pc 0x6b657e
stack: frame={sp:0x7ffd30f0d218, fp:0x0} stack=[0x7ffd2ab0e738,0x7ffd30f0d760)
"""
RUNC_OUTPUT = ("""runtime/cgo: pthread_create failed: Resource temporarily unavailable
SIGABRT: abort
PC=0x6b657e m= sigcode=18446744073709551610
goroutine [idle]:
""" + _UNKNOWN_PC + _HEX + _UNKNOWN_PC + _HEX + """goroutine 1 [running]:
runtime.systemstack_switch()
/usr/local/go/src/runtime/asm_amd64.s:363 fp=0xc4200fe788 sp=0xc4200fe780 pc=0x454120
runtime.main()
/usr/local/go/src/runtime/proc.go:128 +0x63 fp=0xc4200fe7e0 sp=0xc4200fe788 pc=0x42bb83
runtime.goexit()
/usr/local/go/src/runtime/asm_amd64.s:2361 +0x1 fp=0xc4200fe7e8 sp=0xc4200fe7e0 pc=0x456c91
rax 0x0
rbx 0xbe2978
rcx 0x6b657e
rdx 0x0
rdi 0x2
rsi 0x7ffd30f0d1a0
rbp 0x8347ce
rsp 0x7ffd30f0d218
r8 0x0
r9 0x6
r10 0x8
r11 0x246
r12 0x2bedc30
r13 0xf1
r14 0x11
r15 0x0
rip 0x6b657e
rflags 0x246
cs 0x33
fs 0x0
gs 0x0
""" + RUNC_LAST)



def build() -> Host:
    h = Host("HOSTNAME", "", taken_at=NOW, uptime=40 * DAY,
             recon={"taken_at": "just after dockerd's log lines of 09:08:40 (+08:00); the engineers' "
                                "exec checks came later the same day, when is not given",
                    "uptime": NOT_SHOWN,
                    "frames": "the report's checks are one look at the host; the three frames 5 s apart "
                              "repeat it"})
    h.proc(4085, 1, "dockerd", ["dockerd"], age=30 * DAY, state=UNKNOWN,
           rec=recon("not in the report: its log names it dockerd[4085] and shows nothing else of it",
                     "argv", "ppid", "age", "uid"))
    for day, frac, text in DOCKERD_LOG:
        h.daemon("dockerd", text, epoch(day, TZ) + frac)
    h.containers = [m.Container(
        id=CID, runtime="docker", namespace="moby", cgroup_paths={"pids": f"{POD}/{CID}"},
        cgroup=m.CgroupState(version=1, path=f"{POD}/{CID}", levels=[
            m.CgroupLevel(path=f"{POD}/{CID}", pids_current=10000, pids_max=10000,
                          recon=recon("the report's monitoring graph: every container's threads had reached "
                                      "1w (10,000), the limit; pids.current itself was not read",
                                      "pids_current"))]),
        docker=m.DockerInfo(state="running"))]
    t = recon(CALL_TIME, "seconds")
    h.engine("docker", "unix:///var/run/docker.sock", rec=recon("the default socket; " + NOT_SHOWN, "host"))
    h.probe("docker", "list", None, "ok", 0.015, rec=t)                          # docker ps | ... | xargs
    h.probe("docker", "exec", CID, "error", 0.21, error=EXEC_ERROR, rec=t)       # docker exec aa1e331ec24f sleep 1
    h.engine("containerd", CTR)
    h.probe("containerd", "task-exec", CID, "error", 0.20, error="ctr: " + EXEC_ERROR, rec=t)
    h.engine("runc", RUNC)
    h.probe("runc", "exec", CID, "error", 0.05, error=RUNC_LAST, said=RUNC_OUTPUT, rec=t)
    return h
