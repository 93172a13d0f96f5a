"""The lab image, built locally (no registry is reachable): busybox-static's /bin/busybox
and its applet links, imported with PATH set."""
from __future__ import annotations

import io
import os
import struct
import subprocess
import tarfile

from .errors import LabError

IMAGE = "hc-busybox:lab"

BUSYBOX = "/bin/busybox"


def is_static(path: str) -> bool:
    """True when the ELF has no PT_INTERP (needs no loader or libraries in the container)."""
    with open(path, "rb") as f:
        d = f.read(65536)
    if d[:4] != b"\x7fELF" or d[4] != 2:
        return False
    phoff, = struct.unpack_from("<Q", d, 0x20)
    size, count = struct.unpack_from("<HH", d, 0x36)
    return not any(struct.unpack_from("<I", d, phoff + i * size)[0] == 3 for i in range(count))


def rootfs_tar() -> bytes:
    if not os.path.exists(BUSYBOX) or not is_static(BUSYBOX):
        raise LabError(f"{BUSYBOX} is missing or not static: apt-get install busybox-static")
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True).stdout.split()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for d in ("bin", "tmp", "proc", "sys", "dev", "etc"):
            ti = tarfile.TarInfo(d)
            ti.type, ti.mode = tarfile.DIRTYPE, 0o1777 if d == "tmp" else 0o755
            tar.addfile(ti)
        tar.add(BUSYBOX, arcname="bin/busybox")
        for a in applets:
            if a == "busybox":                  # the list names busybox itself
                continue
            ti = tarfile.TarInfo(f"bin/{a}")
            ti.type, ti.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(ti)
    return buf.getvalue()


def ensure_image(lab) -> None:
    if lab.docker("image", "inspect", IMAGE, check=False, timeout=30).returncode == 0:
        return
    lab.docker("import", "-c", "ENV PATH=/bin", "-", IMAGE, input=rootfs_tar(), timeout=120)
