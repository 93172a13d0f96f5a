"""The findings screen shows each finding's causal chain, root first (seed 000: from the OOM
kill 28 days ago to the kubelet's "container runtime is down"). Looked at before accepted."""
from __future__ import annotations

from tests.ui.test_snapshots import keys, replay


def test_findings_chain_seed_000(snap_compare):
    app = replay("seed-000", stacks=["seed-000-dockerd-goroutines.txt", "seed-000-containerd-goroutines.txt"])
    assert snap_compare(app, run_before=keys("f"), terminal_size=(140, 40))


def test_findings_chain_seed_002(snap_compare):
    assert snap_compare(replay("seed-002"), run_before=keys("f"), terminal_size=(120, 36))
