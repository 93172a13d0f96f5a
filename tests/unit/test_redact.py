from hangconsole.record.redact import MASK, redact_argv


def test_secret_options_and_pairs_are_masked():
    argv = ["mysqld", "--password", "hunter2", "--token=abc123", "-e", "DB_PASSWORD=s3cret",
            "--url=https://bob:pw@example.com/x", "--name", "keepme", "AWS_REGION=eu"]
    out = redact_argv(argv)
    assert "hunter2" not in out and "s3cret" not in " ".join(out) and "abc123" not in " ".join(out)
    assert out[2] == MASK and out[3] == f"--token={MASK}" and out[5] == f"DB_PASSWORD={MASK}"
    assert out[6] == f"--url=https://bob:{MASK}@example.com/x"
    assert out[8] == "keepme" and out[9] == "AWS_REGION=eu"


def test_token_shapes_and_runtime_argv_untouched():
    assert redact_argv(["x", "ghp_" + "a" * 30]) == ["x", MASK]
    shim = ["/usr/bin/containerd-shim-runc-v2", "-namespace", "moby", "-id", "ab" * 32, "-address", "/run/c.sock"]
    assert redact_argv(shim) == shim
