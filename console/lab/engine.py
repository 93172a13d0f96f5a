"""The lab engine: Debian's dockerd (with its own containerd) on private sockets, state
directories, config file and cgroup parent, so it never touches a Docker the host runs.

Everything the lab starts is recorded in its directory, and `down` removes every process,
mount, cgroup and directory it made.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass

from .. import selfexec
from ..actions.guard import start_ticks as _start_ticks
from .errors import LabError, NeedsRoot
from .image import IMAGE, ensure_image  # noqa: F401  (IMAGE: the lab's users import it from here)

DEFAULT_DIR = os.environ.get("HANGCONSOLE_LAB_DIR", "/run/hangconsole-lab")
CGROUP_PARENT = "hangconsole-lab"

@dataclass
class Lab:
    """The Docker lab. Every lab (lab/registry.py) offers up, down, clear, inject(fault) ->
    container id, status() ('' when down) and hint() (the environment that points tools at it)."""
    ENGINE = "docker"
    dir: str = DEFAULT_DIR

    # --- paths ---------------------------------------------------------------------
    @property
    def sock(self) -> str:
        return os.path.join(self.dir, "docker.sock")

    @property
    def cgroup_parent(self) -> str:
        """Named after the lab's directory, so two labs on one host never share cgroups."""
        return os.path.basename(self.dir.rstrip("/")) or CGROUP_PARENT

    @property
    def docker_host(self) -> str:
        return f"unix://{self.sock}"

    def path(self, *parts: str) -> str:
        return os.path.join(self.dir, *parts)

    # --- state -----------------------------------------------------------------------
    def _state(self) -> dict:
        try:
            with open(self.path("state.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {"helpers": [], "faults": [], "stopped": []}

    def _save(self, st: dict) -> None:
        tmp = self.path("state.json.tmp")
        with open(tmp, "w") as f:
            json.dump(st, f, indent=1)
        os.replace(tmp, self.path("state.json"))

    def note(self, key: str, value) -> None:
        st = self._state()
        st.setdefault(key, []).append(value)
        self._save(st)

    def is_up(self) -> bool:
        if not os.path.exists(self.sock):
            return False
        import docker                          # the SDK's own client, with a deadline
        import requests
        client = None
        try:
            client = docker.DockerClient(base_url=f"unix://{self.sock}", timeout=2)
            return bool(client.ping())
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError):
            return False                       # refused, timed out, an API error: not up
        finally:
            if client is not None:
                client.close()

    # --- docker CLI against the lab ----------------------------------------------------
    def docker(self, *args: str, timeout: float = 60.0, check: bool = True,
               input: bytes | None = None) -> subprocess.CompletedProcess:
        exe = "/usr/bin/docker" if os.path.exists("/usr/bin/docker") else shutil.which("docker")
        if not exe:
            raise LabError("no docker CLI: install Debian's docker.io")
        env = dict(os.environ, DOCKER_HOST=self.docker_host)
        env.pop("DOCKER_CONTEXT", None)
        try:
            r = subprocess.run([exe, *args], capture_output=True, timeout=timeout, env=env,
                               input=input, stdin=None if input is not None else subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise LabError(f"docker {' '.join(args[:3])} did not return in {timeout:.0f}s") from None
        if check and r.returncode != 0:
            msg = (r.stderr or r.stdout).decode(errors="replace").strip().splitlines()
            raise LabError(f"docker {' '.join(args[:3])} failed: {msg[-1] if msg else r.returncode}")
        return r

    def spawn(self, name: str, argv: list[str]) -> int:
        """A detached helper process (a stalled client, a driver loop), recorded for down."""
        env = dict(os.environ, DOCKER_HOST=self.docker_host)
        log = open(self.path(f"{name}.log"), "ab")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                             start_new_session=True, close_fds=True)
        log.close()
        self.note("helpers", {"name": name, "pid": p.pid, "start": _start_ticks(p.pid)})
        return p.pid

    # --- up / down -----------------------------------------------------------------------
    def up(self, timeout: float = 60.0) -> None:
        if os.geteuid() != 0:
            raise NeedsRoot("the lab needs root (it starts dockerd and containerd)")
        missing = [b for b in ("dockerd", "containerd", "runc", "containerd-shim-runc-v2")
                   if not shutil.which(b, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")]
        if missing:
            raise LabError(f"missing {', '.join(missing)}: apt-get install docker.io busybox-static")
        if self.is_up():
            return
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        with open(self.path("daemon.json"), "w") as f:
            f.write("{}\n")             # never the host's /etc/docker/daemon.json
        dockerd = shutil.which("dockerd", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
        argv = [dockerd, "--config-file", self.path("daemon.json"), "--storage-driver=vfs",
                "--iptables=false", "--ip-masq=false", "--bridge=none", "--userland-proxy=false",
                "--data-root", self.path("root"), "--exec-root", self.path("exec"),
                "--pidfile", self.path("docker.pid"), "-H", self.docker_host,
                "--cgroup-parent", f"/{self.cgroup_parent}", "--log-level", "info"]
        log = open(self.path("dockerd.log"), "ab")
        subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                         start_new_session=True, close_fds=True)
        log.close()
        end = time.monotonic() + timeout
        while not self.is_up():
            if time.monotonic() > end:
                raise LabError(f"lab dockerd did not answer in {timeout:.0f}s; see {self.path('dockerd.log')}")
            time.sleep(0.2)
        ensure_image(self)

    def hint(self) -> str:
        return f"export DOCKER_HOST={self.docker_host}"

    def status(self) -> str:
        if not self.is_up():
            return ""
        return self.docker("ps", "-a", "--format", "{{.ID}} {{.Names}} {{.Status}}",
                           timeout=10).stdout.decode().rstrip() or "(no containers)"

    def inject(self, fault: str) -> str:
        from .faults import inject
        return inject(self, fault)

    def clear(self) -> None:
        """Remove every lab container and helper, keep the engine running."""
        for p in self._lab_processes():
            if _state(p) in ("T", "t"):
                os.kill(p, signal.SIGCONT)
        self._kill_helpers()
        self._serve_log_endpoints()
        ids = self.docker("ps", "-aq", timeout=15).stdout.decode().split()
        if ids:
            self.docker("rm", "-f", *ids, timeout=90, check=False)
        self._kill_helpers()
        st = self._state()
        st["faults"], st["stopped"], st["helpers"], st["log-endpoint"] = [], [], [], []
        self._save(st)

    def _serve_log_endpoints(self) -> None:
        """A container whose fluentd endpoint is deaf or gone cannot be removed: dockerd's close
        of the driver waits to flush, retrying. A reading endpoint on each port lets it finish."""
        from .faults import port_free
        for port in self._state().get("log-endpoint", []):
            port_free(port, 5)
            self.spawn("log-endpoint-flush", selfexec.argv("hangconsole.lab.log_endpoint", "--port", str(port)))

    def _kill_helpers(self) -> None:
        for h in self._state().get("helpers", []):
            if _start_ticks(h["pid"]) == h["start"]:
                try:
                    os.killpg(h["pid"], signal.SIGKILL)
                except OSError:
                    pass

    def down(self) -> list[str]:
        """Stop everything the lab made. Returns what it had to force, for the operator."""
        forced = []
        if not os.path.isdir(self.dir):
            return forced
        mine = self._lab_processes()
        for p in mine:                      # let stopped shims run so removal can finish
            if _state(p) in ("T", "t"):
                os.kill(p, signal.SIGCONT)
        self._kill_helpers()
        if self.is_up():
            self._serve_log_endpoints()
            try:
                ids = self.docker("ps", "-aq", timeout=15).stdout.decode().split()
                if ids:
                    self.docker("rm", "-f", *ids, timeout=60, check=False)
            except LabError as e:
                forced.append(str(e))
            self._kill_helpers()
        pid = _read_int(self.path("docker.pid"))
        if pid and _alive(pid):
            os.kill(pid, signal.SIGTERM)
            if not _wait_gone(pid, 20):
                os.kill(pid, signal.SIGKILL)
                forced.append(f"dockerd {pid} killed")
        for p in self._lab_processes():
            forced.append(f"killed leftover {p} ({_comm(p)})")
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        for p in self._lab_processes():
            _wait_gone(p, 5)
        for mnt in reversed(_mounts_under(self.dir)):
            subprocess.run(["umount", "-l", mnt], capture_output=True)
        _remove_cgroups(self.cgroup_parent)
        shutil.rmtree(self.dir, ignore_errors=True)
        if os.path.exists(self.dir):
            forced.append(f"could not remove {self.dir}")
        return forced

    def _lab_processes(self) -> list[int]:
        """Live processes that belong to the lab: argv names its directory, or they sit in
        its cgroup parent. Zombies are already dead and are not counted."""
        out = []
        needle = (self.dir.rstrip("/") + "/").encode()   # not a prefix of another lab's dir
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) == os.getpid():
                continue
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    argv = f.read()
                with open(f"/proc/{name}/cgroup", "rb") as f:
                    cg = f.read()
            except OSError:
                continue
            if (needle in argv or f"/{self.cgroup_parent}/".encode() in cg) and _state(int(name)) != "Z":
                out.append(int(name))
        return out

    def leftovers(self) -> list[str]:
        """What of the lab still exists (for tests of `down`)."""
        out = [f"process {p} ({_comm(p)})" for p in self._lab_processes()]
        out += [f"mount {m}" for m in _mounts_under(self.dir)]
        out += [f"cgroup {d}" for d in _lab_cgroups(self.cgroup_parent)]
        if os.path.exists(self.dir):
            out.append(f"directory {self.dir}")
        return out


def _read_int(path: str) -> int | None:
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    st = _state(pid)
    return st is not None and st != "Z"


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
        return data[data.rindex(b")") + 2:].split()[0].decode()
    except (OSError, ValueError, IndexError):
        return None


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def _wait_gone(pid: int, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return not _alive(pid)


def _mounts_under(d: str) -> list[str]:
    out = []
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                point = line.split()[4].replace("\\040", " ")
                if point == d or point.startswith(d.rstrip("/") + "/"):
                    out.append(point)
    except OSError:
        pass
    return out


def _cgroup_members(parent: str) -> list[int]:
    """Live processes in cgroup parent PARENT (a zombie is dead: pid 1 reaps it)."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cgroup") as f:
                if f"/{parent}/" in f.read() and _state(int(name)) != "Z":
                    out.append(int(name))
        except OSError:
            pass
    return out


def _spawn_helper(helpers: str, log_path: str, shell: str, env: dict | None = None) -> int:
    """`sh -c SHELL` detached in its own session, recorded (pid, start) in the file HELPERS."""
    log = open(log_path, "ab")
    p = subprocess.Popen(["sh", "-c", shell], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                         env=env, start_new_session=True, close_fds=True)
    log.close()
    with open(helpers, "a") as f:
        f.write(f"{p.pid} {_start_ticks(p.pid)}\n")
    return p.pid


def _kill_helpers(helpers: str) -> None:
    """SIGKILL the sessions recorded in HELPERS whose pid still has its recorded start."""
    try:
        with open(helpers) as f:
            rows = [ln.split() for ln in f if ln.strip()]
    except OSError:
        return
    for pid, start in rows:
        if str(_start_ticks(int(pid))) == start:
            try:
                os.killpg(int(pid), signal.SIGKILL)
            except OSError:
                pass


def _lab_cgroups(parent: str) -> list[str]:
    out = []
    base = "/sys/fs/cgroup"
    candidates = [os.path.join(base, parent)]
    try:
        candidates += [os.path.join(base, d, parent) for d in os.listdir(base)]
    except OSError:
        pass
    for c in candidates:
        if os.path.isdir(c):
            out.append(c)
    return out


def _remove_cgroups(parent: str) -> None:
    for top in _lab_cgroups(parent):
        for root, dirs, _ in os.walk(top, topdown=False):
            for d in dirs:
                try:
                    os.rmdir(os.path.join(root, d))
                except OSError:
                    pass
        try:
            os.rmdir(top)
        except OSError:
            pass
