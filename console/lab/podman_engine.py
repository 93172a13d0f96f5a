"""The podman lab: Debian's podman running containers under conmon, the monitor CRI-O uses
(`-c/-u/-r/-b/-p/-P/-l`), on private configuration, storage (vfs), run, tmp, lock (file locks,
not /dev/shm) and event directories, no network, and its own cgroup parent, so it never
touches a podman or CRI-O the host runs. `down` removes every container, process, mount,
cgroup and directory it made."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
from dataclasses import dataclass

from .containerd_engine import _cmdline, _pids
from .engine import (LabError, NeedsRoot, _cgroup_members, _comm, _kill_helpers, _lab_cgroups, _mounts_under,
                     _remove_cgroups, _spawn_helper, _state, _wait_gone)

IMAGE = "hc-busybox:lab"


@dataclass
class PodmanLab:
    """The podman lab: containers under conmon."""
    dir: str
    ENGINE = "podman"

    def hint(self) -> str:
        return (f"export CONTAINERS_CONF={self.path('containers.conf')} "
                f"CONTAINERS_STORAGE_CONF={self.path('storage.conf')}")

    def status(self) -> str:
        if not os.path.exists(self.path("containers.conf")):
            return ""
        return self.podman("ps", "-a", "--format", "{{.ID}} {{.Names}} {{.Status}}", timeout=10,
                           check=False).stdout.decode().rstrip() or "(no containers)"

    def inject(self, fault: str) -> str:
        from .engines import inject_podman
        return inject_podman(self, fault)

    def clear(self) -> None:
        self.down()
        self.up()

    @property
    def cgroup_parent(self) -> str:
        return (os.path.basename(self.dir.rstrip("/")) or "hangconsole-lab") + "-podman"

    def path(self, *parts: str) -> str:
        return os.path.join(self.dir, *parts)

    def env(self) -> dict[str, str]:
        return dict(os.environ, CONTAINERS_CONF=self.path("containers.conf"),
                    CONTAINERS_STORAGE_CONF=self.path("storage.conf"))

    def podman(self, *args: str, timeout: float = 60.0, check: bool = True, input: bytes | None = None):
        exe = shutil.which("podman")
        if not exe:
            raise LabError("no podman: apt-get install podman")
        try:
            # in the lab's directory: conmon leaves files in its working directory (an `oom`
            # file after an OOM kill), which must not land in the caller's
            r = subprocess.run([exe, *args], capture_output=True, timeout=timeout, env=self.env(),
                               input=input, stdin=None if input is not None else subprocess.DEVNULL,
                               cwd=self.dir if os.path.isdir(self.dir) else None)
        except subprocess.TimeoutExpired:
            raise LabError(f"podman {' '.join(args[:3])} did not return in {timeout:.0f}s") from None
        if check and r.returncode != 0:
            raise LabError(f"podman {' '.join(args[:3])} failed: {r.stderr.decode(errors='replace').strip()[-300:]}")
        return r

    def up(self) -> None:
        if os.geteuid() != 0:
            raise NeedsRoot("the podman lab needs root")
        for b in ("podman", "conmon", "runc"):
            if not shutil.which(b, path=os.environ.get("PATH", "") + ":/usr/sbin:/usr/libexec/podman"):
                raise LabError(f"missing {b}: apt-get install podman conmon runc")
        for d in ("root", "runroot", "tmp", "static", "volumes", "netconf", "cni"):
            os.makedirs(self.path(d), exist_ok=True)
        d = self.dir
        with open(self.path("containers.conf"), "w") as f:
            f.write(f"""[containers]
netns = "none"
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{d}/events.log"
lock_type = "file"
tmp_dir = "{d}/tmp"
static_dir = "{d}/static"
volume_path = "{d}/volumes"
[network]
network_backend = "cni"
network_config_dir = "{d}/netconf"
cni_plugin_dirs = ["{d}/cni"]
""")
        with open(self.path("storage.conf"), "w") as f:
            f.write(f'[storage]\ndriver = "vfs"\ngraphroot = "{d}/root"\nrunroot = "{d}/runroot"\n')
        if self.podman("image", "exists", IMAGE, check=False).returncode != 0:
            from .image import rootfs_tar
            self.podman("import", "-c", "ENV PATH=/bin", "-", IMAGE, input=rootfs_tar(), timeout=120)

    def run(self, name: str, cmd: list[str], *opts: str) -> str:
        r = self.podman("run", "-d", "--name", name, "--network", "none",
                        "--cgroup-parent", f"/{self.cgroup_parent}", *opts, IMAGE, *cmd)
        return r.stdout.decode().strip()

    def conmon_of(self, cid: str) -> int:
        with open(self.path("runroot", "vfs-containers", cid, "userdata", "conmon.pid")) as f:
            return int(f.read().strip())

    def spawn(self, name: str, shell: str) -> int:
        return _spawn_helper(self.path("helpers"), self.path(f"{name}.log"), shell, env=self.env())

    def stuck_exec(self, name: str) -> int:
        """`podman exec` whose output nobody reads: the exec's conmon blocks on the attach
        socket and the exec'd writer on its full pipe to conmon."""
        return self.spawn("stalled-podman", f"{shutil.which('podman')} exec {name} "
                          f"sh -c 'yes | head -c 50000000' | sleep 1000000")

    def processes(self) -> list[int]:
        out = {p for p in _pids() if _comm(p) == "conmon" and f"{self.dir}/" in _cmdline(p)}
        return sorted(out | set(_cgroup_members(self.cgroup_parent)))

    def down(self) -> list[str]:
        forced: list[str] = []
        if not os.path.isdir(self.dir):
            return forced
        for p in self.processes():
            if _state(p) in ("T", "t"):
                os.kill(p, signal.SIGCONT)
        _kill_helpers(self.path("helpers"))
        if os.path.exists(self.path("containers.conf")):
            self.podman("rm", "-f", "-a", "-t", "0", timeout=60, check=False)
        for p in self.processes():          # conmons exit once their container is gone
            if _comm(p) == "conmon":
                _wait_gone(p, 3)
        for p in self.processes():
            forced.append(f"killed leftover {p} ({_comm(p)})")
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
            _wait_gone(p, 5)
        for m in reversed(_mounts_under(self.dir)):
            subprocess.run(["umount", "-l", m], capture_output=True)
        _remove_cgroups(self.cgroup_parent)
        shutil.rmtree(self.dir, ignore_errors=True)
        return forced

    def leftovers(self) -> list[str]:
        left = [f"process {p} ({_comm(p)})" for p in self.processes()]
        left += [f"mount {m}" for m in _mounts_under(self.dir)]
        left += [f"cgroup {top}" for top in _lab_cgroups(self.cgroup_parent)]
        if os.path.exists(self.dir):
            left.append(f"directory {self.dir}")
        return left
