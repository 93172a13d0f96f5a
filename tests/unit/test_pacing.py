"""The live console's refresh pacing: the base interval on a calm host, longer when a refresh
is costly or the run queue is long, back down step by step, never past the cap."""
from hangconsole.pacing import MAX, next_wait


def test_calm_host_keeps_the_base_interval():
    assert next_wait(2.0, 2.0, 0.1, 0.3) == (2.0, None)
    assert next_wait(2.0, 2.0, 0.1, None) == (2.0, None)


def test_costly_refresh_backs_off_to_three_times_its_cost():
    wait, why = next_wait(2.0, 2.0, 1.5, 0.5)
    assert wait == 4.5 and why == "a refresh took 1.5s"


def test_long_run_queue_backs_off_and_says_so():
    wait, why = next_wait(2.0, 2.0, 0.1, 4.0)
    assert wait == 8.0 and why == "load 4.0 per CPU"


def test_never_past_the_cap():
    wait, _ = next_wait(2.0, 2.0, 40.0, 50.0)
    assert wait == MAX


def test_comes_back_down_step_by_step():
    wait, why = next_wait(2.0, 10.0, 0.1, 0.2)
    assert wait == 6.0 and why == "coming back down after load"
    steps = [wait]
    while wait > 2.0:
        wait, why = next_wait(2.0, wait, 0.1, 0.2)
        steps.append(wait)
    assert steps[-1] == 2.0 and why is None and len(steps) < 10


def test_diagnose_samples_are_at_least_the_interval_apart():
    """`diagnose --samples 2 --interval 5` must see a state unchanged for 5 s as stuck: the
    samples' starts are a little more than the interval apart (uptime has 10 ms steps)."""
    from hangconsole.diagnose import report
    from hangconsole.diagnose.history import STUCK_AFTER

    from hangconsole import model as m

    class Source:
        def snapshot(self):
            return m.HostSnapshot(taken_at=1.0, uptime=1.0, hostname="h", kernel="6", arch="x86_64")
    slept = []
    report.sample_live(Source(), 2, STUCK_AFTER, sleep=slept.append)
    assert len(slept) == 1 and STUCK_AFTER + 0.02 <= slept[0] <= STUCK_AFTER + report.MARGIN
