"""Docker API probes that never block the collector.

Each call (ping, list, inspect of one container) runs on its own daemon thread with its own
client, so a hung call holds nothing anyone else needs. A sample waits at most `wait` seconds;
a call still running then is reported "timed out after N s, still pending" at every sample
until it returns, and is not issued again meanwhile. When it finally returns, its latency is
reported once and the next sample issues a fresh one. Unversioned API paths (the daemon treats
them as its current version) avoid a version handshake that could itself hang.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..model import DockerInfo, DockerState, Probe
from .sockets import kept_log_opts

DEFAULT_HOST = "unix:///var/run/docker.sock"
CALL_TIMEOUT = 600.0        # a call pending this long is given up and reported as failed


def resolve_host(explicit: str | None = None, env: dict[str, str] | None = None) -> str:
    """--docker-host, else DOCKER_HOST, else the default socket: as the docker CLI does."""
    env = os.environ if env is None else env
    return explicit or env.get("DOCKER_HOST") or DEFAULT_HOST


def _unix_path(host: str) -> str | None:
    for prefix in ("unix://", "http+unix://"):
        if host.startswith(prefix):
            return host[len(prefix):]
    return None


@dataclass
class _Call:
    call: str
    target: str | None
    started_wall: float
    started: float = field(default_factory=time.monotonic)
    done: threading.Event = field(default_factory=threading.Event)
    ended: float | None = None
    result: object = None
    error: str | None = None
    reported: bool = False


def _short_error(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:200]


class DockerProber:
    def __init__(self, host: str | None = None, clock: Callable[[], float] = time.time):
        self.host = resolve_host(host)
        self.clock = clock
        self._calls: dict[tuple[str, str | None], _Call] = {}
        self._lock = threading.Lock()
        self.known_ids: list[str] = []
        self.info: dict[str, DockerInfo] = {}
        self.version: str | None = None

    # --- one call on its own thread -------------------------------------------------
    def _client(self):
        import docker   # imported lazily: a host without docker should not pay for it
        kw = {}
        if not self.host.startswith(("unix://", "http+unix://", "npipe://")):
            kw = docker.utils.kwargs_from_env() if os.environ.get("DOCKER_HOST") == self.host else {}
        kw["base_url"] = self.host
        return docker.APIClient(version="1.24", timeout=CALL_TIMEOUT, **kw)

    def _run(self, c: _Call, path: str) -> None:
        try:
            api = self._client()
            try:
                resp = api.get(api.base_url + path)
                resp.raise_for_status()
                if c.call == "ping":
                    c.result = resp.headers.get("Api-Version") or resp.text
                else:
                    c.result = resp.json()
            finally:
                api.close()
        except BaseException as e:        # anything at all: it is reported, never raised
            c.error = _short_error(e)
        c.ended = time.monotonic()
        c.done.set()

    def _issue(self, call: str, target: str | None, path: str) -> _Call | None:
        key = (call, target)
        with self._lock:
            old = self._calls.get(key)
            if old and not old.done.is_set():
                return None                 # still pending: never pile up a second one
            c = self._calls[key] = _Call(call, target, started_wall=self.clock())
        threading.Thread(target=self._run, args=(c, path), daemon=True,
                         name=f"hangconsole-docker-{call}").start()
        return c

    # --- a sample ---------------------------------------------------------------------
    def sample(self, wait: float = 1.5, proc_ids: list[str] | None = None) -> DockerState:
        sock = _unix_path(self.host)
        if sock is not None and not os.path.exists(sock):
            return DockerState(host=self.host, reachable=None,
                               note=f"no Docker daemon socket at {sock}: /proc view only")
        end = time.monotonic() + wait
        issued = [self._issue("ping", None, "/_ping")]
        lst = self._issue("list", None, "/containers/json?all=1")
        issued.append(lst)
        if lst:
            lst.done.wait(max(0.0, end - time.monotonic()))
            if lst.done.is_set() and lst.error is None:
                self._absorb_list(lst.result)
        targets = list(dict.fromkeys(self.known_ids + (proc_ids or [])))
        issued += [self._issue("inspect", cid, f"/containers/{cid}/json") for cid in targets]
        for c in issued:            # calls already known to hang are not waited on again
            if c is not None:
                c.done.wait(max(0.0, end - time.monotonic()))
        return self._report(targets)

    def _absorb_list(self, rows) -> None:
        if not isinstance(rows, list):
            return
        self.known_ids = [r["Id"] for r in rows if isinstance(r, dict) and "Id" in r
                          and r.get("State") not in ("exited",)]
        for r in rows:
            if not isinstance(r, dict) or "Id" not in r:
                continue
            info = self.info.setdefault(r["Id"], DockerInfo())
            names = r.get("Names") or []
            info.name = names[0].lstrip("/") if names else info.name
            info.image = r.get("Image") or info.image
            info.state, info.status = r.get("State"), r.get("Status")
            info.paused = r.get("State") == "paused"
            _k8s_labels(info, r.get("Labels") or {})

    def _absorb_inspect(self, cid: str, data) -> None:
        if not isinstance(data, dict):
            return
        info = self.info.setdefault(cid, DockerInfo())
        st = data.get("State") or {}
        info.name = (data.get("Name") or "").lstrip("/") or info.name
        info.image = (data.get("Config") or {}).get("Image") or info.image
        info.state = st.get("Status") or info.state
        info.paused = bool(st.get("Paused"))
        info.pid = st.get("Pid") or None
        _k8s_labels(info, (data.get("Config") or {}).get("Labels") or {})
        ids = data.get("ExecIDs")
        info.exec_ids = [i[:12] for i in ids if isinstance(i, str)] if isinstance(ids, list) else []
        log = (data.get("HostConfig") or {}).get("LogConfig") or {}
        if isinstance(log, dict) and isinstance(log.get("Type"), str):
            info.log_driver = log["Type"]
            info.log_opts = kept_log_opts(log.get("Config"))

    def _report(self, targets: list[str]) -> DockerState:
        now = time.monotonic()
        probes: list[Probe] = []
        reachable = None
        with self._lock:
            calls = sorted(self._calls.values(), key=lambda c: (c.call != "ping", c.call, c.target or ""))
        for c in calls:
            if c.call == "inspect" and c.target not in targets and c.done.is_set():
                continue
            if not c.done.is_set():
                probes.append(Probe(c.call, c.target, "pending", c.started_wall, now - c.started))
                if c.call == "ping":
                    reachable = False
                continue
            secs = (c.ended or now) - c.started
            if c.error:
                probes.append(Probe(c.call, c.target, "error", c.started_wall, secs, c.error))
                if c.call == "ping":
                    reachable = False
            else:
                probes.append(Probe(c.call, c.target, "ok", c.started_wall, secs))
                if c.call == "ping":
                    reachable, self.version = True, str(c.result)
                if c.call == "inspect" and c.target:
                    self._absorb_inspect(c.target, c.result)
        return DockerState(host=self.host, reachable=reachable, version=self.version, probes=probes)


def _k8s_labels(info: DockerInfo, labels: dict) -> None:
    info.pod = labels.get("io.kubernetes.pod.name", info.pod)
    info.pod_namespace = labels.get("io.kubernetes.pod.namespace", info.pod_namespace)
    info.k8s_container = labels.get("io.kubernetes.container.name", info.k8s_container)
