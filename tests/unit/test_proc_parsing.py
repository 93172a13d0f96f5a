from hangconsole.collect import kmsg, procfs, syscalls


def test_stat_with_hostile_comm():
    # comm may contain spaces and parentheses; the last ')' ends it
    line = b"4242 (a) b (c) S 1 4242 4242 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 3 0 7777 0 0\n"
    s = procfs.parse_stat(line)
    assert (s.pid, s.comm, s.state, s.ppid, s.nthreads, s.start_ticks) == (4242, "a) b (c", "S", 1, 3, 7777)
    assert (s.pgrp, s.tty_nr, s.tpgid) == (4242, 0, -1)
    # a job Ctrl-Z stopped in `docker exec -it C sh` (read on the lab): its own group, the
    # terminal pts/2, the shell's group in the foreground
    job = procfs.parse_stat(b"12924 (sleep) T 12917 12924 12917 34818 12917 1077936384 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0\n")
    assert (job.state, job.pgrp, job.tty_nr, job.tpgid) == ("T", 12924, 34818, 12917)


def test_cgroup_file_v1_and_v2():
    data = b"12:pids:/docker/abc\n4:memory:/docker/abc\n1:name=systemd:/docker/abc\n0::/\n"
    cg = procfs.parse_cgroup(data)
    assert cg["pids"] == "/docker/abc" and cg["systemd"] == "/docker/abc" and cg[""] == "/"
    assert procfs.primary_cgroup(cg) == "/docker/abc"
    assert procfs.primary_cgroup(procfs.parse_cgroup(b"0::/system.slice/docker-x.scope\n")) == "/system.slice/docker-x.scope"


def test_syscall_lines_x86_and_arm():
    sc = syscalls.parse("1 0x2 0x7f512b7365f7 0x21 0x0 0x0 0x0 0x7ffe1121a658 0x7f512b7365f7", "x86_64")
    assert (sc.name, sc.fd, sc.args[2]) == ("write", 2, 33)
    assert syscalls.parse("64 0x1 0x0 0x1000 0 0 0 0x1 0x2", "aarch64").name == "write"
    assert syscalls.parse("257 0xffffff9c 0x7ffd 0x80000 0 0 0 0 0", "x86_64").fd is None   # AT_FDCWD
    op = syscalls.parse("257 0xffffff9c 0x7ffd 0x80000 0 0 0 0 0", "x86_64")
    assert syscalls.open_mode(op) == "r"
    assert syscalls.parse("-1 0x7ffe 0x4abc", "x86_64").name == "none"
    assert syscalls.parse("running", "x86_64").nr == -2
    assert syscalls.parse("9999 0 0 0 0 0 0 0 0", "x86_64").name == "syscall_9999"


def test_syscall_text_resolves_the_fd():
    sc = syscalls.parse("1 0x2 0x7f512b7365f7 0x21 0 0 0 0 0", "x86_64")
    sc.fd_target = "pipe:[1070361747] w"
    assert sc.text == "write(2<pipe:[1070361747] w>, 0x7f512b7365f7, 33)"


def test_kernel_log_lines_from_the_seeds():
    seen = {
        "Memory cgroup out of memory: Kill process 12800 (runc:[2:INIT]) score 997 or sacrifice child": ("oom", 12800),
        "Killed process 12788 (runc:[2:INIT]) total-vm:600736kB, anon-rss:3296kB, file-rss:276kB, shmem-rss:1012kB": ("oom-kill", 12788),
        "runc:[2:INIT] invoked oom-killer: gfp_mask=0xd0, order=0, oom_score_adj=997": ("oom", None),
        "Memory cgroup out of memory: Killed process 4242 (tail) total-vm:5000kB": ("oom-kill", 4242),
        "cgroup: fork rejected by pids controller in /docker/abc": ("pids-fork-rejected", None),
        "INFO: task nfsd:1234 blocked for more than 120 seconds.": ("hung-task", 1234),
    }
    for text, want in seen.items():
        assert kmsg.classify(text) == want, text
    assert kmsg.classify("eth0: link up") is None
    assert kmsg.parse_record(b"6,1234,5000000,-;Killed process 1 (x)\n SUBSYSTEM=x\n") == (5.0, "Killed process 1 (x)")


def test_multi_page_seq_files_are_read_whole():
    # /proc/self/maps of a Python process spans several pages, handed out a page per read
    from hangconsole.collect.guarded import read_file
    with open("/proc/self/maps", "rb") as f:
        whole = f.read()
    got = read_file("/proc/self/maps")
    assert len(whole) > 4096 and got.count(b"\n") >= whole.count(b"\n") - 2
