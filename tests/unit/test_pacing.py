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
