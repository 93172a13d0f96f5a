"""The lab's faults and what each does (kept free of imports: `--help` lists them)."""

FAULTS: dict[str, str] = {
    "stopped-shim": "SIGSTOP the shim of hc-stopped-shim after three detached execs; their "
                    "processes exit into unreaped zombies and a `docker exec` hangs, and with it "
                    "`docker inspect` of that container, while `docker ps` answers (seeds 000/001).",
    "stuck-pipe": "`docker exec hc-stuck-pipe sh -c 'yes | head -c 50000000'` from a client "
                  "whose stdout nobody reads: head blocks in write(1) on a full pipe whose only "
                  "reader is the shim (the general form of seed 000).",
    "pids-exhausted": "hc-pids-exhausted runs with --pids-limit 8 and 7 background sleeps; an exec "
                      "that forks (`sh -c 'sleep 1 & wait'`) then cannot fork and the kernel logs "
                      "`fork rejected by pids controller` (seed 002; runc 1.1 still starts the "
                      "exec's own command).",
    "oom-kill": "hc-oom-kill runs with --memory 16m and a dd that allocates and touches 64 MiB at "
                "once: the OOM killer kills dd (seeds 000 and 003 start with an OOM kill).",
    "log-driver-blocked": "hc-log-driver-blocked logs through Docker's fluentd driver (blocking mode) to a "
                          "local endpoint that accepts and never reads: dockerd's connection fills, its "
                          "copier waits, and the container blocks in write(1) on its stdout pipe.",
    "paused": "`docker pause hc-paused`: a deliberate freeze, which must be reported as paused, "
              "never as a hang.",
    "hostile": "hc-hostile's processes are named `[/]` and a title-rewrite escape, with escapes, an "
               "OSC 52 clipboard write and a bidi override in their argv and pod labels; an exec nobody "
               "reads fills its stderr pipe with escape sequences. Nothing of it may reach the "
               "operator's terminal or take the console down.",
    "baseline": "four busy healthy containers (hc-baseline-N) and a loop of short execs: no "
                "fault at all, for checking there are no false findings.",
}

# the same faults where the other lab engines can show them (lab/engines.py injects them)
ENGINE_FAULTS: dict[str, tuple[str, ...]] = {
    "containerd": ("baseline", "stopped-shim", "stuck-pipe", "pids-exhausted", "oom-kill", "paused", "hostile"),
    "podman": ("baseline", "stopped-shim", "stuck-pipe", "oom-kill", "paused", "hostile"),
}
