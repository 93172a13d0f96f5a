"""The remedies on the real engine, through the installed `hangconsole fix`: a stuck pipe
drained with every byte on disk, a stopped shim's stacks dumped and the shim killed, a pids
limit raised, a paused container never touched, refusals without --yes."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

from hangconsole.actions.incident import Incident
from hangconsole.lab.engine import Lab

EXE = shutil.which("hangconsole") or "hangconsole"


def hc(lab: Lab, *args, timeout: float = 240):
    """The installed command against the lab. `fix` and `diagnose` sample twice 5 s apart
    (what "stuck" needs, history.STUCK_AFTER) unless a test says otherwise; the defaults
    (3 samples over 10 s, what zombies need) are proven in test_lab.py."""
    env = dict(os.environ, DOCKER_HOST=lab.docker_host)
    if args and args[0] in ("fix", "diagnose") and "--samples" not in args:
        args = (*args, "--samples", "2", "--interval", "5")
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=timeout, env=env)


def fault(lab: Lab, name: str) -> str:
    assert hc(lab, "lab", "clear", "--dir", lab.dir).returncode == 0
    r = hc(lab, "lab", "inject", name, "--dir", lab.dir)
    assert r.returncode == 0, r.stderr
    return lab._state()["faults"][-1]["container"]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_stuck_pipe_drained_every_byte_on_disk(lab, tmp_path):
    fault(lab, "stuck-pipe")
    r = hc(lab, "fix", "stuck-pipe", "--container", "hc-stuck-pipe", "--incident-dir", str(tmp_path / "a"))
    refused = [x for x in r.stdout.splitlines() if "refused without --yes" in x]
    assert r.returncode == 3 and len(refused) == 1 and "step 3 'Drain the pipe'" in refused[0], r.stdout
    assert not list((tmp_path / "a").glob("drained-*")), "a drain takes bytes from their reader: not without --yes"
    inc = tmp_path / "inc"
    r = hc(lab, "fix", "stuck-pipe", "--container", "hc-stuck-pipe", "--incident-dir", str(inc), "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    finding = json.load(open(inc / "findings.json"))["findings"][0]
    writer = finding["evidence"]["fd"]["pid"]
    drains = [a for a in Incident(str(inc)).audit_lines() if a["action"] == "drain-pipe"]
    assert len(drains) == 1
    path = drains[0]["detail"]["to"]
    count = int(drains[0]["result"].split()[1])
    assert count == os.path.getsize(path) > 1 << 20, "every byte read is on disk"
    with open(path, "rb") as f:
        assert set(f.read()) <= set(b"y\n")
    assert not alive(writer), "head moved on and finished"
    assert "[ok] verify: The writer moved on" in r.stdout
    assert f"drained {count:,} bytes" in r.stdout and f"saved to {path}" in r.stdout
    assert "first lines:\n    y\n    y" in r.stdout                 # what was in the pipe, shown


def test_dry_run_changes_nothing(lab, tmp_path):
    fault(lab, "stuck-pipe")
    inc = tmp_path / "inc"
    r = hc(lab, "fix", "stuck-pipe", "--container", "hc-stuck-pipe", "--incident-dir", str(inc), "--dry-run")
    assert r.returncode == 0 and "dry-run" in r.stdout
    step = next(x for x in r.stdout.splitlines() if x.startswith("step 3/5 act:"))
    assert "through /proc/" in step and "[targets: head pid" in step and "(start " in step
    finding = json.load(open(inc / "findings.json"))["findings"][0]
    assert alive(finding["evidence"]["fd"]["pid"]), "the writer is still blocked"
    assert all(a["dry_run"] for a in Incident(str(inc)).audit_lines())
    assert not list(inc.glob("drained-*"))


def test_stopped_shim_refused_without_yes_then_fixed(lab, tmp_path):
    cid = fault(lab, "stopped-shim")
    r = hc(lab, "fix", "shim-unresponsive", "--container", cid[:12], "--incident-dir", str(tmp_path / "a"))
    assert r.returncode == 3 and "refused without --yes" in r.stdout
    shim = json.load(open(tmp_path / "a" / "findings.json"))["findings"][0]["evidence"]["shim"]["pid"]
    assert alive(shim), "refused means untouched"
    inc = tmp_path / "b"
    r = hc(lab, "fix", "shim-unresponsive", "--container", cid[:12], "--incident-dir", str(inc), "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "cannot dump until it runs again" in r.stdout            # a stopped shim, said not waited on
    dumps = sorted(p.name for p in inc.glob("stacks-*.log"))
    assert any(d.startswith("stacks-dockerd-") for d in dumps) and any(d.startswith("stacks-containerd-") for d in dumps)
    assert not alive(shim)
    for line in ("The shim is gone", "No zombies left under a shim", "docker inspect of the container answers again"):
        assert f"[ok] verify: {line}" in r.stdout
    kill = next(a for a in Incident(str(inc)).audit_lines() if a["action"] == "SIGKILL")
    assert kill["target"]["pid"] == shim and kill["target"]["start_ticks"] and kill["result"] == "sent"
    assert lab.docker("inspect", cid, timeout=15).returncode == 0


def test_pids_limit_raised(lab, tmp_path):
    cid = fault(lab, "pids-exhausted")
    r = hc(lab, "fix", "pids-exhausted", "--container", cid[:12], "--incident-dir", str(tmp_path / "a"))
    assert r.returncode == 3 and "refused without --yes" in r.stdout
    r = hc(lab, "fix", "pids-exhausted", "--container", cid[:12], "--incident-dir", str(tmp_path / "b"), "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    with open(f"/sys/fs/cgroup/pids/{lab.cgroup_parent}/{cid}/pids.max") as f:
        assert int(f.read()) > 8
    assert lab.docker("exec", "hc-pids-exhausted", "sh", "-c", "sleep 1 & wait", timeout=30).returncode == 0


def test_paused_container_is_never_touched(lab, tmp_path):
    cid = fault(lab, "paused")
    inc = tmp_path / "inc"
    r = hc(lab, "fix", "frozen-cgroup", "--container", "hc-paused", "--incident-dir", str(inc), "--yes")
    assert r.returncode == 0 and "nothing to fix" in r.stdout
    assert not inc.exists(), "no action, no incident"
    assert lab.docker("inspect", "-f", "{{.State.Paused}}", cid, timeout=15).stdout.decode().strip() == "true"


def test_two_engines_only_the_containers_daemons_are_signalled(lab, tmp_path):
    """A second private engine beside the lab: the shim playbook's SIGUSR1s go to the dockerd
    at the chosen Docker host and the containerd its shim names, never the other engine's."""
    other = Lab(lab.dir + "-other")
    other.down()
    other.up()
    try:
        cid = fault(lab, "stopped-shim")
        inc = tmp_path / "inc"
        r = hc(lab, "fix", "shim-unresponsive", "--container", cid[:12], "--incident-dir", str(inc), "--yes")
        assert r.returncode == 0, r.stdout + r.stderr
        mine = {int(open(lab.path("docker.pid")).read()), *daemon_pids(lab, "containerd")}
        theirs = {int(open(other.path("docker.pid")).read()), *daemon_pids(other, "containerd")}
        assert len(mine) == 2 and len(theirs) == 2
        usr1 = {a["target"]["pid"] for a in Incident(str(inc)).audit_lines() if a["action"] == "SIGUSR1"
                and a["result"] == "sent"}
        assert usr1 == mine, (usr1, mine, theirs)
        assert not [f for f in os.listdir(other.path("exec")) if f.startswith("goroutine-stacks-")]
        assert "listens on" in r.stdout                               # how each daemon was chosen
    finally:
        other.down()
    assert other.leftovers() == []


def daemon_pids(lab: Lab, comm: str) -> list[int]:
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv[0].endswith(comm.encode()) and (lab.dir + "/").encode() in b" ".join(argv):
            out.append(int(pid))
    return out
