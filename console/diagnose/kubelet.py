"""The kubelet's view of the runtime: its log (the journal, or a file given with
--kubelet-log) read for the lines that say it gave up on the runtime. Seed 000: a kubelet
restarted while one container's inspect hung never finished its start-up inspect, so the
node went NotReady with "container runtime is down"."""
from __future__ import annotations

from .. import model as m
from ..collect.kubelet_log import classify, parse, read_file, read_journal  # noqa: F401  (re-exported)


def link(lines: list[m.KernelLogLine]) -> dict | None:
    """One chain link: what the kubelet said about the runtime, the last line as evidence."""
    if not lines:
        return None
    kinds = {k.kind for k in lines}
    what = ("container runtime is down (node NotReady)" if "kubelet-runtime-down" in kinds
            else "PLEG is not healthy" if "kubelet-pleg" in kinds
            else "skipping pod synchronization" if "kubelet-skipping-sync" in kinds
            else "runtime calls time out")
    key = "pleg-unhealthy" if what == "PLEG is not healthy" else "kubelet-notready"
    return {"key": key, "text": f"kubelet: {what}, {len(lines)} line(s)", "kind": "observed", "source": "kubelet log",
            "age": None, "evidence": {"lines": [k.text for k in lines][-3:]}}
