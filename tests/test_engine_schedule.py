"""When the engine polls a job: quickly at first, slower as it runs, at its ETA when known."""

from __future__ import annotations

from mediagate.engine.schedule import POLL_CAP_S, next_poll, poll_interval, retry_delay


def test_polls_slow_down_as_a_job_runs_long():
    intervals = [poll_interval(t) for t in (0, 30, 120, 600, 7200)]
    assert intervals == sorted(intervals) and intervals[0] == 1.0 and intervals[-1] == POLL_CAP_S


def test_a_provider_hint_wins_within_bounds():
    assert poll_interval(500, hint_s=0.5) == 0.5
    assert poll_interval(0, hint_s=3600) == POLL_CAP_S
    assert poll_interval(0, hint_s=0) > 0


def test_a_known_eta_moves_the_poll_to_just_after_the_expected_end():
    assert next_poll(1, None, 59) == 59.25  # one poll at the end, not one every few seconds
    assert next_poll(1, None, 3600) == 120.0  # but never trusted further than two minutes
    assert next_poll(1, None, 0) == 1.0  # "any moment now": at most once a second
    assert next_poll(1, 0.5, 59) == 0.5  # an explicit hint still wins


def test_retries_back_off_with_jitter_and_honour_retry_after():
    first = [retry_delay(1) for _ in range(50)]
    sixth = [retry_delay(6) for _ in range(50)]
    assert max(first) <= 1.0 < min(sixth) and len(set(sixth)) > 1
    assert 30 <= retry_delay(1, retry_after_s=30) < 30.3


def test_the_longest_wait_between_polls_is_a_setting() -> None:
    assert next_poll(1, None, 3600, cap_s=20) == 20  # MEDIAGATE_MAX_POLL_INTERVAL_SECONDS
    assert next_poll(1, None, 59, cap_s=20) == 20
    assert next_poll(1, None, 5, cap_s=20) == 5.25  # an ETA sooner than the cap still wins
    assert next_poll(4000, None, None, cap_s=10) == 10  # and so for the steps without an ETA
