"""The engine's scheduling: when a job runs next, and timers before sends."""

from __future__ import annotations

import threading

from warroom.engine.runner import Engine, Job, Priority


def job(next_in: object) -> Job:
    return Job("j", 0.05, lambda: None, next_in)  # type: ignore[arg-type]


def test_a_job_runs_again_when_its_next_timer_falls_due_if_sooner_than_the_poll() -> None:
    assert Engine._pause(job(lambda: 0.007)) == 0.007
    assert Engine._pause(job(lambda: 3.0)) == 0.05
    assert Engine._pause(job(lambda: -1.0)) == 0.0
    assert Engine._pause(job(lambda: None)) == 0.05
    assert Engine._pause(job(None)) == 0.05


def test_a_failing_next_in_falls_back_to_the_poll_interval() -> None:
    def broken() -> float:
        raise RuntimeError("database gone")

    assert Engine._pause(job(broken)) == 0.05


def test_senders_wait_while_timers_fire_and_go_on_when_they_are_done() -> None:
    priority = Priority(max_wait=5.0)
    priority.busy()
    passed = threading.Event()
    sender = threading.Thread(target=lambda: (priority.wait(), passed.set()))
    sender.start()
    assert not passed.wait(0.2)
    priority.idle()
    assert passed.wait(5.0)
    sender.join()
