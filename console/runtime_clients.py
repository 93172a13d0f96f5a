"""Runtime clients by their argv: `docker exec`, `kubectl exec`, `crictl exec`, `ctr task
exec`, `podman exec`, `docker logs -f`, `docker attach`: the far end of a container's stream."""
from __future__ import annotations

import os

TOOLS = {"docker", "nerdctl", "podman", "crictl", "kubectl", "oc", "ctr"}
STREAMING = {"exec", "attach", "logs", "run", "start"}


def streaming_words(argv: list[str]) -> tuple[str, list[str]] | None:
    """(subcommand, the words after it) of a runtime client's argv, or None."""
    if not argv or os.path.basename(argv[0]) not in TOOLS:
        return None
    # the first few non-option words: global options' values come first (`ctr -n k8s.io task
    # exec`, `kubectl -n prod exec`), and `docker container exec` / `ctr task exec` nest it
    at = next((i for i, a in enumerate(argv[1:10], 1) if a in STREAMING), None)
    if at is None:
        return None
    rest = argv[at + 1:]
    return argv[at], rest[:rest.index("--")] if "--" in rest else rest


def option_values(argv: list[str], *flags: str) -> list[str]:
    """The values ARGV gives FLAGS (`-n NAME`, `--name NAME`, `--name=NAME`), in order."""
    out = []
    for i, a in enumerate(argv):
        for fl in flags:
            if a == fl and i + 1 < len(argv):
                out.append(argv[i + 1])
            elif fl.startswith("--") and a.startswith(fl + "="):
                out.append(a.split("=", 1)[1])
    return out
