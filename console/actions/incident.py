"""The incident directory: evidence snapshots, drained data, stack dumps, the audit log and
the report all land here, so one directory tells the whole story afterwards."""
from __future__ import annotations

import getpass
import json
import os
import socket
import time

from ..model import HostSnapshot
from ..record.fileformat import RecordingWriter

DEFAULT_ROOT = os.environ.get("HANGCONSOLE_INCIDENTS", "/var/lib/hangconsole/incidents")


class Incident:
    def __init__(self, path: str | None = None, root: str = DEFAULT_ROOT, clock=time.time):
        self.clock = clock
        if path is None:
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(clock()))
            path = os.path.join(root, f"{stamp}-{socket.gethostname()}")
        self.path = path
        os.makedirs(path, mode=0o700, exist_ok=True)

    def file(self, name: str) -> str:
        return os.path.join(self.path, name)

    def save_evidence(self, snap: HostSnapshot, label: str) -> str:
        """A one-frame recording of the host as it was just before an action."""
        name = f"evidence-{len(self.list('evidence-')) + 1:02d}-{label}.hcrec"
        with RecordingWriter(self.file(name), note=f"evidence before {label}") as w:
            w.write(snap)
        return self.file(name)

    def record_findings(self, findings) -> None:
        """findings.json: what the incident's report lists (the latest diagnosis wins)."""
        tmp = self.file("findings.json.part")
        with open(tmp, "w") as f:
            json.dump({"findings": [x.to_json() for x in findings]}, f, indent=1)
        os.replace(tmp, self.file("findings.json"))

    def list(self, prefix: str) -> list[str]:
        return sorted(f for f in os.listdir(self.path) if f.startswith(prefix))

    def audit(self, action: str, target: dict | None, result: str, *, dry_run: bool = False,
              detail: dict | None = None) -> dict:
        """Append one line to audit.log (append-only, fsynced): time, user, host, action,
        target pid + start time, result."""
        line = {"time": self.clock(), "user": _user(), "host": socket.gethostname(),
                "action": action, "target": target, "result": result, "dry_run": dry_run,
                **({"detail": detail} if detail else {})}
        fd = os.open(self.file("audit.log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, (json.dumps(line, sort_keys=True) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        return line

    def audit_lines(self) -> list[dict]:
        try:
            with open(self.file("audit.log")) as f:
                return [json.loads(x) for x in f if x.strip()]
        except OSError:
            return []


def _user() -> str:
    who = os.environ.get("SUDO_USER")
    try:
        me = getpass.getuser()
    except Exception:
        me = str(os.geteuid())
    return f"{who} (as {me})" if who and who != me else me
