"""What a drill tells the trainee: the page, as the on-call would receive it, and nothing else.
Neither the page nor the container's name says the fault (the lab's own names, hc-<fault>, do:
a drill names the Docker and podman labs' containers; the containerd lab's pod is a neutral "web")."""
from __future__ import annotations

# faults a drill can hide, per engine: each has a fix the console can make and a condition of
# victory checked on the live lab (victory.py). oom-kill is an event, not a hang to fix, and
# log-driver-blocked's fix is the operator's (the collector), so neither is drilled.
DRILLABLE: dict[str, tuple[str, ...]] = {
    "docker": ("stuck-pipe", "stopped-shim", "pids-exhausted"),
    "containerd": ("stuck-pipe", "stopped-shim", "pids-exhausted"),
    "podman": ("stuck-pipe", "stopped-shim"),
}
RED_HERRING = "paused"          # a container paused on purpose: it must be left as it is
TWO_AT_ONCE = ("docker",)       # the other labs start each fault on a fresh engine (one at a time)

# neutral names for the Docker and podman labs' containers, handed out in a drill's own random order
NAMES = ("orders-api", "report-worker", "billing-cron", "search-indexer")

PAGES: dict[str, str] = {
    "stuck-pipe": "The nightly report job runs an exec into {name} and has not finished; none of its output "
                  "has arrived for hours. The developers say the container itself looks fine.",
    "stopped-shim": "Monitoring says inspecting {name} times out, while listing containers still "
                    "answers. Health-check execs into {name} pile up and never return.",
    "pids-exhausted": "Deploys fail at the step that execs a migration into {name}: the exec errors out, "
                      "and the application in {name} logs that it cannot start its workers.",
}


def page(faults: list[tuple[str, str]]) -> str:
    """The page for FAULTS [(fault, container name)]: one paragraph per fault hidden, never
    the red herring (the trainee meets it on the console, as on a real host)."""
    return "\n".join(PAGES[f].format(name=n) for f, n in faults if f in PAGES)
