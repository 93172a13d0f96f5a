"""The containerd lab: Debian's containerd alone (no dockerd) on a private socket, root, state,
config and cgroup parent, driven with `ctr`, and a Kubernetes-shaped pod in namespace k8s.io:
a sandbox and an app container sharing one containerd-shim-runc-v2 (the app joins through the
io.containerd.runc.v2.group annotation, as the CRI plugin's sandbox-id annotation does), with
io.kubernetes.* labels and cgroups under /<lab>/kubepods/besteffort/pod<uid>/<id>.

`down` removes every task, container, process, mount, cgroup, shim socket and directory it made.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import io
import tarfile
import time
from dataclasses import dataclass

from .engine import (LabError, NeedsRoot, _alive, _cgroup_members, _comm, _kill_helpers, _lab_cgroups, _mounts_under,
                     _read_int, _remove_cgroups, _spawn_helper, _state, _wait_gone)

NS = "k8s.io"
SHIM_SOCKETS = "/run/containerd/s"      # where containerd 1.6 shims put their sockets


def _which(name: str) -> str | None:
    return shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


@dataclass
class ContainerdLab:
    """The containerd lab: a Kubernetes-shaped pod (sandbox + app on one shim) per scenario."""
    dir: str
    ENGINE = "containerd"

    def hint(self) -> str:
        return (f"export CONTAINERD_ADDRESS={self.sock}\n"
                f"ctr -a {self.sock} -n k8s.io task ls      # crictl: --runtime-endpoint unix://{self.sock}")

    def status(self) -> str:
        return self.ctr("task", "ls", timeout=10, check=False).stdout.decode().rstrip() if self.is_up() else ""

    def inject(self, fault: str) -> str:
        from .engines import inject_containerd
        return inject_containerd(self, fault)

    def clear(self) -> None:
        self.down()
        self.up()

    @property
    def sock(self) -> str:
        return os.path.join(self.dir, "containerd.sock")

    @property
    def cgroup_parent(self) -> str:
        return (os.path.basename(self.dir.rstrip("/")) or "hangconsole-lab") + "-ctrd"

    def path(self, *parts: str) -> str:
        return os.path.join(self.dir, *parts)

    # --- ctr against the lab ------------------------------------------------------------
    def ctr(self, *args: str, ns: str = NS, timeout: float = 30.0, check: bool = True,
            wait: bool = True):
        argv = [_which("ctr") or "ctr", "-a", self.sock, "-n", ns, *args]
        if not wait:
            log = open(self.path("ctr.log"), "ab")
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                 start_new_session=True)
            log.close()
            return p
        try:
            r = subprocess.run(argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise LabError(f"ctr {' '.join(args[:3])} did not return in {timeout:.0f}s") from None
        if check and r.returncode != 0:
            raise LabError(f"ctr {' '.join(args[:3])} failed: {r.stderr.decode(errors='replace').strip()[-300:]}")
        return r

    def is_up(self) -> bool:
        if not os.path.exists(self.sock):
            return False
        try:
            return self.ctr("version", timeout=5, check=False).returncode == 0
        except LabError:
            return False

    # --- up / down --------------------------------------------------------------------------
    def up(self, timeout: float = 30.0) -> None:
        if os.geteuid() != 0:
            raise NeedsRoot("the containerd lab needs root")
        missing = [b for b in ("containerd", "ctr", "runc", "containerd-shim-runc-v2") if not _which(b)]
        if missing:
            raise LabError(f"missing {', '.join(missing)}: apt-get install containerd runc")
        if self.is_up():
            return
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        for d in ("root", "state", "opt", "cni/bin", "cni/net.d"):
            os.makedirs(self.path(d), exist_ok=True)
        with open(self.path("config.toml"), "w") as f:
            f.write(self._config())
        log = open(self.path("containerd.log"), "ab")
        p = subprocess.Popen([_which("containerd"), "--config", self.path("config.toml"),
                              "--log-level", "info"], stdin=subprocess.DEVNULL, stdout=log,
                             stderr=log, start_new_session=True, close_fds=True)
        log.close()
        with open(self.path("containerd.pid"), "w") as f:
            f.write(str(p.pid))
        end = time.monotonic() + timeout
        while not self.is_up():
            if time.monotonic() > end or p.poll() is not None:
                raise LabError(f"lab containerd did not answer in {timeout:.0f}s; see {self.path('containerd.log')}")
            time.sleep(0.2)
        self._rootfs()

    def _config(self) -> str:
        d = self.dir
        return f"""version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "{d}/containerd.sock"
[ttrpc]
  address = "{d}/containerd.sock.ttrpc"
[debug]
  address = "{d}/debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "{d}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{d}/cni/bin"
    conf_dir = "{d}/cni/net.d"
"""

    def _rootfs(self) -> None:
        """busybox-static unpacked once; every lab container runs on it (--rootfs)."""
        if os.path.exists(self.path("rootfs", "bin", "busybox")):
            return
        from .image import rootfs_tar
        with tarfile.open(fileobj=io.BytesIO(rootfs_tar())) as tar:
            tar.extractall(self.path("rootfs"), filter="fully_trusted")

    # --- containers and pods --------------------------------------------------------------------
    def cgroup(self, pod_uid: str | None, cid: str) -> str:
        if pod_uid:
            return f"/{self.cgroup_parent}/kubepods/besteffort/pod{pod_uid}/{cid}"
        return f"/{self.cgroup_parent}/{cid}"

    def run(self, cid: str, cmd: list[str], *, labels: dict[str, str] | None = None,
            group: str | None = None, pod_uid: str | None = None, ns: str = NS,
            memory_limit: int | None = None) -> None:
        """A detached container (ctr run -d) on the busybox rootfs."""
        args = ["run", "-d", "--rootfs", "--cgroup", self.cgroup(pod_uid, cid), "--env", "PATH=/bin",
                "--runc-root", self.path("runc"), "--fifo-dir", self.path("fifo")]   # never the host's /run/containerd
        if memory_limit:
            args += ["--memory-limit", str(memory_limit)]
        for k, v in (labels or {}).items():
            args += ["--label", f"{k}={v}"]
        if group:
            args += ["--annotation", f"io.containerd.runc.v2.group={group}"]
        self.ctr(*args, self.path("rootfs"), cid, *cmd, ns=ns, timeout=60)

    def pod(self, name: str = "web", namespace: str = "default", uid: str = "0c0ffee0-1ab5-4e11-9d00-000000000001",
            sandbox: str = "websandbox0", app: str = "web0ctr", app_cmd: list[str] | None = None,
            app_memory_limit: int | None = None) -> dict:
        """A sandbox (pause: sleep) and an app container sharing the sandbox's shim."""
        base = {"io.kubernetes.pod.name": name, "io.kubernetes.pod.namespace": namespace,
                "io.kubernetes.pod.uid": uid}
        self.run(sandbox, ["sleep", "86400"], labels={**base, "io.cri-containerd.kind": "sandbox"},
                 pod_uid=uid)
        self.run(app, app_cmd or ["sleep", "86400"], group=sandbox, pod_uid=uid, memory_limit=app_memory_limit,
                 labels={**base, "io.cri-containerd.kind": "container", "io.kubernetes.container.name": "app"})
        return {"sandbox": sandbox, "app": app, "uid": uid, "shim": self.shim_of(sandbox)}

    def spawn(self, name: str, shell: str) -> int:
        """A detached helper (a stalled ctr client), in its own session, killed at down."""
        return _spawn_helper(self.path("helpers"), self.path(f"{name}.log"), shell)

    def stuck_exec(self, cid: str, exec_id: str = "stuck") -> int:
        """`ctr task exec` whose output nobody reads: the client blocks writing its stdout, the
        shim blocks on the client's FIFO, and the exec'd writer on its full pipe to the shim."""
        os.makedirs(self.path("fifo"), exist_ok=True)
        return self.spawn("stalled-ctr", f"{_which('ctr')} -a {self.sock} -n {NS} task exec "
                          f"--fifo-dir {self.path('fifo')} --exec-id {exec_id} {cid} "
                          f"sh -c 'yes | head -c 50000000' | sleep 1000000")

    def pod_pids_exhausted(self, pod: dict, limit: int = 8) -> str:
        """podPidsLimit on the pod cgroup (where the kubelet puts it), then the app forks up to
        it: the pod level refuses the next fork. Returns the pod cgroup."""
        pod_cg = os.path.dirname(self.cgroup(pod["uid"], pod["app"]))
        base = "/sys/fs/cgroup/pids" if os.path.isdir("/sys/fs/cgroup/pids") else "/sys/fs/cgroup"
        with open(f"{base}{pod_cg}/pids.max", "w") as f:
            f.write(str(limit))
        self.ctr("task", "exec", "-d", "--fifo-dir", self.path("fifo"), "--exec-id", "forker", pod["app"],
                 "sh", "-c", "for i in 1 2 3 4 5 6 7 8 9; do sleep 1000000 & done; wait", timeout=30, check=False)
        return pod_cg

    def task_pid(self, cid: str, ns: str = NS) -> int:
        out = self.ctr("task", "ls", ns=ns, timeout=15).stdout.decode().splitlines()
        for line in out[1:]:
            parts = line.split()
            if parts and parts[0] == cid:
                return int(parts[1])
        raise LabError(f"no task {cid}")

    def shim_of(self, cid: str, ns: str = NS) -> int:
        return _ppid(self.task_pid(cid, ns))

    def shims(self) -> list[int]:
        return [p for p in _pids() if _argv0(p).endswith("containerd-shim-runc-v2")
                and f"-address\0{self.sock}\0" in _cmdline(p)]

    def processes(self) -> list[int]:
        """containerd, its shims and every process in the lab's cgroups."""
        out = set(self.shims())
        pid = _read_int(self.path("containerd.pid"))
        if pid and _alive(pid) and self.sock in _cmdline(pid).replace("\0", " ") or \
                pid and _alive(pid) and self.path("config.toml") in _cmdline(pid):
            out.add(pid)
        out.update(_cgroup_members(self.cgroup_parent))
        return sorted(out)

    def down(self) -> list[str]:
        forced: list[str] = []
        if not os.path.isdir(self.dir):
            return forced
        for p in self.processes():
            try:
                if _state(p) in ("T", "t"):
                    os.kill(p, signal.SIGCONT)
            except OSError:
                pass
        _kill_helpers(self.path("helpers"))
        if self.is_up():
            for ns in (NS, "default"):
                try:
                    for line in self.ctr("task", "ls", "-q", ns=ns, timeout=15).stdout.decode().split():
                        self.ctr("task", "kill", "-s", "SIGKILL", line, ns=ns, timeout=15, check=False)
                    for cid in self.ctr("containers", "ls", "-q", ns=ns, timeout=15).stdout.decode().split():
                        self.ctr("task", "delete", "-f", cid, ns=ns, timeout=20, check=False)
                        self.ctr("containers", "rm", cid, ns=ns, timeout=20, check=False)
                except LabError as e:
                    forced.append(str(e))
        shim_socks = self._shim_sockets()
        pid = _read_int(self.path("containerd.pid"))
        if pid:                                  # a goroutine dump it wrote on SIGUSR1
            try:
                os.unlink(f"/tmp/containerd.{pid}.stacks.log")
            except OSError:
                pass
        if pid and _alive(pid) and self.path("config.toml") in _cmdline(pid):
            os.kill(pid, signal.SIGTERM)
            if not _wait_gone(pid, 15):
                os.kill(pid, signal.SIGKILL)
                forced.append(f"containerd {pid} killed")
        for p in self.processes():
            forced.append(f"killed leftover {p} ({_comm(p)})")
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        for p in self.processes():          # orphans of a killed shim are reaped by pid 1: wait
            _wait_gone(p, 15)
        for s in shim_socks:
            try:
                os.unlink(s)
            except OSError:
                pass
        for m in reversed(_mounts_under(self.dir)):
            subprocess.run(["umount", "-l", m], capture_output=True)
        _remove_cgroups(self.cgroup_parent)
        shutil.rmtree(self.dir, ignore_errors=True)
        return forced

    def _shim_sockets(self) -> list[str]:
        """A shim's socket is /run/containerd/s/sha256(<address>/<ns>/<group id>); each lab
        bundle names the group it joined in its address file (or is its own group)."""
        out = []
        base = self.path("state", "io.containerd.runtime.v2.task")
        for ns in os.listdir(base) if os.path.isdir(base) else ():
            for cid in os.listdir(os.path.join(base, ns)):
                h = hashlib.sha256(os.path.join(self.sock, ns, cid).encode()).hexdigest()
                out.append(os.path.join(SHIM_SOCKETS, h))
        return out

    def leftovers(self) -> list[str]:
        left = [f"process {p} ({_comm(p)})" for p in self.processes()]
        left += [f"mount {m}" for m in _mounts_under(self.dir)]
        left += [f"cgroup {top}" for top in _lab_cgroups(self.cgroup_parent)]
        if os.path.exists(self.dir):
            left.append(f"directory {self.dir}")
        return left


def _pids() -> list[int]:
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline") as f:
            return f.read()
    except OSError:
        return ""


def _argv0(pid: int) -> str:
    return _cmdline(pid).split("\0", 1)[0]


def _ppid(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])
