"""Write the seed recordings from their builders:  python -m tools.seeds.build [DIR]

Each builder says when its frames are (most: three frames five seconds apart, enough for
"unchanged across samples"). The output is byte-for-byte deterministic, so a test checks the
committed files match the builders."""
from __future__ import annotations

import importlib
import os
import sys

from hangconsole.record.fileformat import RecordingWriter

# the checkout's copy, which the wheel bundles (not the installed package's)
HERE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                    "console", "incidents")


def write_seed(n: int, out_dir: str = HERE) -> str:
    mod = importlib.import_module(f"tools.seeds.seed_{n:03d}")
    host = mod.build()
    path = os.path.join(out_dir, f"seed-{n:03d}.hcrec")
    with RecordingWriter(path, redacted=False, note=mod.TITLE,
                         meta={"incident": f"seed-{n:03d}", "expect": mod.EXPECT}) as w:
        for i in range(len(host.times)):
            w.write(host.frame(i))
    return path


def main() -> int:
    out = sys.argv[1] if len(sys.argv) > 1 else HERE
    for n in range(5):
        print(write_seed(n, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
