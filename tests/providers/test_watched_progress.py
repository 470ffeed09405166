"""Fresh progress for a task someone watches, the ETA schedule for the rest.

Tripo's slow scenario reports a queue of 15 with an ETA of about 90 s, which the engine trusts
(it polls around then). A task a client reads while it is queued or running is polled every
`MEDIAGATE_WATCHED_POLL_SECONDS` (3 s) instead, so its queue position moves while someone looks;
a task nobody reads is left alone (no polling storm)."""

from __future__ import annotations

import time

from remote_support import Gateway, running_gateway


def test_a_watched_task_moves_and_an_unwatched_one_is_left_alone(gateway: Gateway) -> None:
    watched_prompt = "a slowly rendered fox, watched [sim:slow]"
    alone_prompt = "a slowly rendered fox, alone [sim:slow]"
    watched = gateway.create("tripo-v2.5", "model3d", watched_prompt)
    gateway.create("tripo-v2.5", "model3d", alone_prompt)
    http = gateway.client()
    positions = []
    deadline = time.monotonic() + 16
    while time.monotonic() < deadline:
        task = http.get(f"/api/v1/tasks/{watched['id']}").json()["data"]
        if task["status"] in ("queued", "running"):
            positions.append((task["status"], task["queue_position"], task["progress"]))
        time.sleep(0.5)
    distinct = list(dict.fromkeys(positions))
    assert len(distinct) >= 3, positions  # it moved while watched (every ~3 s)
    polls = {
        prompt: [r for r in gateway.sim.sim.requests_for(prompt) if r.action == "poll"]
        for prompt in (watched_prompt, alone_prompt)
    }
    assert len(polls[watched_prompt]) >= 3, polls[watched_prompt]
    # Unwatched: its first poll and then the provider's ETA, far beyond these 16 s.
    assert len(polls[alone_prompt]) <= 2, polls[alone_prompt]
    # Watched is not a storm either: about one poll per 3 s, not one per read.
    assert len(polls[watched_prompt]) <= 16 / 3 + 3, polls[watched_prompt]


def test_the_longest_wait_between_polls_is_a_setting(sim_server, tmp_path) -> None:
    """With MEDIAGATE_MAX_POLL_INTERVAL_SECONDS=2 an unwatched task is polled every 2 s, not at
    the provider's ETA of about 90 s."""
    prompt = "a slowly rendered fox, capped [sim:slow]"
    with running_gateway(sim_server, tmp_path, max_poll_interval_seconds=2) as capped:
        capped.create("tripo-v2.5", "model3d", prompt)
        time.sleep(9)
        polls = [r for r in sim_server.sim.requests_for(prompt) if r.action == "poll"]
    assert len(polls) >= 3, polls
