"""Where the live source finds the engines: parsed once from the command line, used by every
command that samples the host (the console, diagnose, fix, record, check, metrics), so no
command accepts an address and then drops it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineAddresses:
    docker_host: str | None = None
    docker: bool = True                    # False: --no-docker, the Docker API is not probed
    containerd_address: str | None = None
    cri_endpoint: str | None = None

    @classmethod
    def from_args(cls, args) -> "EngineAddresses":
        return cls(docker_host=getattr(args, "docker_host", None), docker=not getattr(args, "no_docker", False),
                   containerd_address=getattr(args, "containerd_address", None),
                   cri_endpoint=getattr(args, "cri_endpoint", None))

    def source(self, **kw):
        """A LiveSource on these addresses (KW: its other settings, such as docker_wait)."""
        from .live import LiveSource
        return LiveSource(self.docker_host, docker=self.docker, containerd_address=self.containerd_address,
                          cri_endpoint=self.cri_endpoint, **kw)
