"""Roles and container ids from argv, using argv exactly as the field reports show them."""
from hangconsole import model as m
from hangconsole.collect.runtime import classify, container_id_from_cgroup

CID_000 = "bbd5e4b5f9c13666dd0ec7ff7afb2c4c2b0ede40a4adf1de43cc31c606f283f5"
CID_001 = "60f253d59f26e1c573d4ba5f824e73b3a4b1bb1629edace85caba4c620755d4d"


def test_v1_shim_from_seed_001():
    argv = ("docker-containerd-shim -namespace moby -workdir /docker/docker_rt/containerd/daemon/"
            f"io.containerd.runtime.v1.linux/moby/{CID_001} -address /var/run/docker/containerd/"
            "docker-containerd.sock -containerd-binary /usr/bin/docker-containerd "
            "-runtime-root /var/run/docker/runtime-runc").split()
    info = classify(argv, "docker-containe")
    assert (info.role, info.container_id, info.namespace) == (m.SHIM_V1, CID_001, "moby")


def test_v2_shim_as_the_real_engine_runs_it():
    argv = ["/usr/bin/containerd-shim-runc-v2", "-namespace", "moby", "-id", CID_000,
            "-address", "/run/containerd/containerd.sock"]
    info = classify(argv, "containerd-shim")
    assert (info.role, info.container_id, info.namespace) == (m.SHIM_V2, CID_000, "moby")


def test_short_lived_v2_start_and_delete_are_not_shims():
    for verb in ("start", "delete"):
        argv = ["containerd-shim-runc-v2", "-namespace", "k8s.io", "-address", "/x.sock",
                "-publish-binary", "/usr/bin/containerd", "-id", CID_000, verb]
        assert classify(argv, "containerd-shim") is None


def test_legacy_shim_positional_id():
    argv = ["docker-containerd-shim", CID_000, f"/var/run/docker/libcontainerd/{CID_000}", "docker-runc"]
    info = classify(argv, "docker-containe")
    assert (info.role, info.container_id, info.bundle) == (m.SHIM_LEGACY, CID_000,
                                                          f"/var/run/docker/libcontainerd/{CID_000}")


def test_runc_exec_from_seed_000():
    bundle = f"/run/docker/containerd/daemon/io.containerd.runtime.v1.linux/moby/{CID_000}"
    argv = ["docker-runc", "--root", "/var/run/docker/runtime-runc/moby", "--log", f"{bundle}/log.json",
            "--log-format", "json", "exec", "--process", "/tmp/runc-process616674997", "--detach",
            "--pid-file", f"{bundle}/0594c5897a41d401e4d1d7ddd44dacdd316c7e7d53bfdae7f16b0f6b26fcbcda.pid",
            CID_000]
    info = classify(argv, "docker-runc")
    assert (info.role, info.verb, info.container_id) == (m.RUNC, "exec", CID_000)
    assert info.exec_id == "0594c5897a41d401e4d1d7ddd44dacdd316c7e7d53bfdae7f16b0f6b26fcbcda"


def test_runc_start_and_init():
    assert classify(["runc", "--root", "/r", "start", CID_000], "runc").verb == "start"
    assert classify(["docker-runc", "init"], "runc:[2:INIT]").role == m.RUNC_INIT
    assert classify(None, "runc:[2:INIT]").role == m.RUNC_INIT     # argv unreadable


def test_conmon_and_daemons():
    info = classify(["/usr/bin/conmon", "-c", CID_000, "-u", "uuid", "-b", "/b", "-r", "/usr/bin/runc"], "conmon")
    assert (info.role, info.container_id, info.bundle) == (m.CONMON, CID_000, "/b")
    assert classify(["/usr/bin/dockerd", "-H", "fd://"], "dockerd").role == m.DOCKERD
    assert classify(["docker-containerd", "--config", "x"], "docker-containe").role == m.CONTAINERD
    assert classify(["/bin/sleep", "1000"], "sleep") is None


def test_comm_is_never_trusted():
    # a process that merely calls itself containerd-shim in comm is nothing special
    assert classify(["/usr/local/bin/myapp"], "containerd-shim") is None


def test_container_id_from_cgroup_shapes():
    assert container_id_from_cgroup(f"/docker/{CID_000}") == CID_000
    assert container_id_from_cgroup(f"/system.slice/docker-{CID_000}.scope") == CID_000
    assert container_id_from_cgroup(f"/kubepods/burstable/pod6c4333b3-a663-11ea-b39f-6c92bf85beda/{CID_000}") == CID_000
    assert container_id_from_cgroup(f"/kubepods.slice/cri-containerd-{CID_000}.scope") == CID_000
    assert container_id_from_cgroup("/user.slice/session-1.scope") is None
