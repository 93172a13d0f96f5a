"""The incremental collection finds on every lab fault what a full collection finds
(docs/collector.md). One live source is started before the fault, so the processes it
already holds turn bad under it; a full-scan source beside it samples the same host, each
full sample taken just before the incremental one (so the incremental one never sees less
time elapse). Needs root and Debian's docker.io; skips outside CI otherwise."""
from __future__ import annotations

import time

import pytest

from hangconsole.collect.live import LiveSource
from hangconsole.diagnose.engine import diagnose
from hangconsole.diagnose.history import History
from hangconsole.lab.catalog import FAULTS
from tests.integration.test_lab import hc


def _findings(snaps) -> set[tuple[str, str | None, str]]:
    return {(f.cls, f.container, f.severity) for f in diagnose(History(snaps))}


@pytest.mark.parametrize("name", list(FAULTS))
def test_the_incremental_path_finds_what_the_full_one_finds(lab, name):
    inc = LiveSource(lab.docker_host)
    full = None
    try:
        for _ in range(2):
            inc.snapshot()                       # held before the fault
        assert hc("lab", "clear", "--dir", lab.dir).returncode == 0
        r = hc("lab", "inject", name, "--dir", lab.dir)
        assert r.returncode == 0, r.stderr
        full = LiveSource(lab.docker_host, incremental=False)
        hf, hi = [], []
        for i in range(3):
            hf.append(full.snapshot())
            hi.append(inc.snapshot())
            if i < 2:
                time.sleep(5)
        want, got = _findings(hf), _findings(hi)
        assert want - got == set(), "missed by the incremental path"
        assert got - want == set(), "said by the incremental path only"
        if name != "baseline":
            assert want, "the fault was not found at all: this comparison compared nothing"
        assert len(inc.cache.fresh) < len(hi[-1].processes), "the incremental path read everything"
    finally:
        inc.close()
        if full is not None:
            full.close()
