"""The steps every causal chain is made of: each link a detector puts in a chain carries one
of these keys (its type, beside its sentence), so what a chain says can be compared, ordered
and scored without reading English. Training's answers (incidents/stories.toml `answer`) are
ordered lists of the same keys, and a test holds each bundled incident's diagnosis to its
answer's order (tests/unit/test_one_account.py).

Written as an on-call would note it, never naming a class: the training chain prompt shows
these sentences before the trainee has named one."""
from __future__ import annotations

LINKS: dict[str, str] = {
    "memory-limit": "a memory cgroup hits its limit; the OOM killer kills a process in it",
    "thread-create-fails": "a process fails to create a thread (pthread_create: resource unavailable)",
    "go-abort-stderr": "a Go runtime abort trace is written to stderr",
    "pipe-full": "a stdio pipe fills up: its reader is not reading it",
    "runc-init-write": "runc init blocks in write() on that pipe",
    "exec-never-ends": "the exec never returns: runc exec, the shim and the daemon wait on it",
    "daemon-lock": "the daemon holds the container's lock while it waits",
    "inspect-hangs": "docker inspect / stats of that container hang",
    "kubelet-notready": "kubelet's runtime check times out: the node goes NotReady",
    "shim-stopped": "the shim is stopped or frozen: it answers nothing",
    "shim-not-reaping": "the shim does not reap the processes that exit",
    "zombies": "exited processes stay zombies under the shim",
    "delete-fails": "container delete / pod delete fails or hangs",
    "pids-limit": "the pids cgroup limit is reached",
    "fork-rejected": "fork/clone fails: the kernel rejects new tasks",
    "exec-fails": "docker exec fails to start its process",
    "runaway-forks": "a process in the container keeps forking",
    "log-endpoint-gone": "nothing listens at the log endpoint: the driver retries it forever",
    "log-endpoint-deaf": "the log endpoint accepts the connection and does not read",
    "log-copier-blocked": "the daemon's log copier blocks sending lines",
    "app-write-blocked": "the application blocks in write() to its stdout/stderr",
    "client-not-reading": "the exec client does not read its output",
    "process-stopped": "a process is stopped (state T, SIGSTOP): it runs and answers nothing",
    "paused-on-purpose": "the container was paused on purpose (its freezer is FROZEN)",
    "d-state-io": "a task sleeps uninterruptibly (D state) waiting on I/O",
    "init-outlived": "a process outlives the container's init: the pid namespace lingers",
    "shared-pid-ns": "the pod shares one pid namespace between its containers",
    "restart-hangs": "docker restart / stop does not return",
    "runtime-down": "the daemon answers nothing: docker ps hangs too",
    "disk-full": "the disk under the daemon's data root is full",
    "execs-exit-in-burst": "many processes exec'd into the container exit at once",
    "fifo-open-blocks": "runc blocks opening the exec fifo: its partner is gone",
    "containerd-unresponsive": "containerd stops answering the daemon",
    "pleg-unhealthy": "kubelet says PLEG is not healthy: the runtime does not report the pod's state",
    "exec-errors-logged": "the daemon logs exec errors (OCI runtime exec failed, stream copy error)",
}
