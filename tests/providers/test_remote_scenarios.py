"""Every remote provider, end to end through the gateway's HTTP API, against the simulator over
loopback (live keys) and the built-in sandbox (test keys): the success path and every failure
scenario ends in the right status and error code.

The tasks of one model's scenarios are all created at once (and waited for together), so the
retries and backoffs of one scenario overlap the others'.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import pytest
from remote_support import Gateway

from helpers import check_file
from mediagate.simulator.scenarios import RUN_LENGTH


@dataclass(frozen=True)
class Case:
    """One model of one provider, and the input a client would send with its prompt."""

    provider: str
    model: str
    type: str
    fields: dict[str, Any] = field(default_factory=dict, hash=False)
    #: The provider reports queue positions (the `slow` scenario shows them).
    queue_positions: bool = False
    #: Synchronous providers answer a submit with the outputs: their scenarios play at submit.
    synchronous: bool = False

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}"

    @property
    def failures(self) -> dict[str, str]:
        """The failure scenarios that apply: a synchronous provider has no job to lose or to
        leave in an unknown state."""
        if self.synchronous:
            return {k: v for k, v in FAILURES.items() if k not in ("lost", "unknown")}
        return FAILURES

    @property
    def scenarios(self) -> tuple[str, ...]:
        return ("normal", *self.failures, *STORMS)


FOX_URL = "https://example.com/fox.png"
#: An 8x8 PNG as a data URI (providers that take images inline, such as Gemini).
TINY_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAFElEQVR4nGM8ESXHgA0wYRUdt"
    "BIA/zIBUFXKRGIAAAAASUVORK5CYII="
)
#: A 2x2 PNG as a data URI (Kling takes it as bare base64: the adapter strips the prefix).
KLING_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGM8ESDCwMDAxMDAw"
    "MDAAAAO7gEwyp3NFQAAAABJRU5ErkJggg=="
)
#: One row per model type of each provider.
CASES = [
    Case("vidgo", "sora-2", "video"),
    Case("vidgo", "gpt-image-2", "image", {"size": "3:2"}),
    Case("vidgo", "veo3.1-fast", "video", {"duration": 4}),
    Case("tripo", "tripo-v2.5", "model3d", queue_positions=True),
    Case("tripo", "tripo-v3.0", "model3d", {"image": "https://example.com/fox.png"}, True),
    Case("seedance", "seedance-1-0-pro", "video", {"ratio": "9:16", "duration": 3}),
    Case("seedance", "seedance-1-5-pro", "video", {"image": FOX_URL, "duration": 4}),
    Case("seedream", "seedream-4-0", "image", {"size": "1280x720"}, synchronous=True),
    Case("seedream", "seedream-4-5", "image", {"image": [FOX_URL]}, synchronous=True),
    Case("gemini", "veo-3.1-fast-generate-preview", "video", {"duration_seconds": 4}),
    Case("gemini", "veo-3.1-generate-preview", "video", {"image": TINY_PNG, "resolution": "1080p"}),
    Case("gemini", "gemini-2.5-flash-image", "image", {"aspect_ratio": "16:9"}, synchronous=True),
    Case("vidu", "viduq3-turbo", "video", {"duration": 2, "aspect_ratio": "9:16"}),
    Case("vidu", "viduq2", "video", {"image": "https://example.com/fox.png", "duration": 2}),
    Case("vidu", "viduq2-image", "image", {"aspect_ratio": "4:3"}),
    Case("kling", "kling-v2-6", "video", {"aspect_ratio": "1:1", "mode": "std"}),
    Case("kling", "kling-v2-1-master", "video", {"image": KLING_PNG}),
    Case("kling", "kling-v2-1-image", "image", {"aspect_ratio": "3:2"}),
]
#: Scenarios that end the task failed, with this code.
FAILURES = {
    "content_policy": "CONTENT_POLICY_VIOLATION",
    "lost": "PROVIDER_ERROR",
    "unknown": "PROVIDER_ERROR",
    "malformed": "PROVIDER_ERROR",
    "hang": "PROVIDER_ERROR",
}
#: Scenarios the gateway rides out.
STORMS = ("rate_limit", "server_error")


@dataclass
class Outcome:
    prompt: str
    task: dict[str, Any]  # final, with `seen`


_outcomes: dict[tuple[str, bool], dict[str, Outcome]] = {}


def outcomes(gateway: Gateway, case: Case, *, sandbox: bool = False) -> dict[str, Outcome]:
    """Every scenario of `case`: scenario -> outcome. The first call runs every scenario of
    every case, live and sandbox, concurrently."""
    if not _outcomes:
        created = {}
        for each in CASES:
            for box in (False, True):
                for scenario in each.scenarios:
                    marker = "" if scenario == "normal" else f" [sim:{scenario}]"
                    prompt = f"a fox in the snow, {each}, {'sandbox' if box else 'live'}{marker}"
                    task = gateway.create(each.model, each.type, prompt, sandbox=box,
                                          **each.fields)  # fmt: skip
                    assert task["provider"] == each.provider, task
                    created[(str(each), box, scenario)] = (prompt, task["id"])
        deadline = time.monotonic() + 180
        for (name, box, scenario), (prompt, task_id) in created.items():
            left = max(1.0, deadline - time.monotonic())
            final = gateway.wait(task_id, sandbox=box, timeout=left)
            _outcomes.setdefault((name, box), {})[scenario] = Outcome(prompt, final)
    return _outcomes[(str(case), sandbox)]


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("sandbox", [False, True], ids=["live", "sandbox"])
def test_success_downloads_a_real_file(
    gateway: Gateway, case: Case, sandbox: bool, tmp_path: Path
) -> None:
    done = outcomes(gateway, case, sandbox=sandbox)["normal"].task
    assert done["status"] == "succeeded", done
    statuses = [s for s, _, _ in done["seen"]]
    assert "failed" not in statuses
    assert done["progress"] == 100 and done["queue_position"] == -1 and done["eta_seconds"] == -1
    assert (done["cost"] == 0) is sandbox, done["cost"]
    for path in gateway.download(done, tmp_path):
        check_file(path, case.type)


@pytest.mark.parametrize(
    ("case", "scenario"),
    [(case, scenario) for case in CASES for scenario in case.failures],
    ids=lambda value: str(value),
)
@pytest.mark.parametrize("sandbox", [False, True], ids=["live", "sandbox"])
def test_failure_scenarios_map_to_the_contract(
    gateway: Gateway, case: Case, scenario: str, sandbox: bool
) -> None:
    done = outcomes(gateway, case, sandbox=sandbox)[scenario].task
    assert done["status"] == "failed", done
    assert done["error"]["code"] == case.failures[scenario], done["error"]
    assert done["cost"] == 0 and "result" not in done


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("scenario", STORMS)
def test_a_storm_of_429s_or_5xx_is_ridden_out_in_few_requests(
    gateway: Gateway, case: Case, scenario: str
) -> None:
    outcome = outcomes(gateway, case)[scenario]
    assert outcome.task["status"] == "succeeded", outcome.task
    requests = gateway.sim.sim.requests_for(outcome.prompt)
    refused = [r for r in requests if r.status >= 429]
    expected = 429 if scenario == "rate_limit" else 500
    assert all(r.status == expected or r.status > 500 for r in refused), refused
    # The whole run of refusals was seen, and then only a handful more requests.
    runs = 1 if case.synchronous else 2
    assert len(refused) == RUN_LENGTH * runs, requests
    assert len(requests) <= len(refused) + 8, requests


@pytest.mark.parametrize("case", CASES, ids=str)
def test_cancel_while_running(gateway: Gateway, case: Case) -> None:
    """Reaches the provider's cancel where it has one; either way the task ends cancelled and
    no result is ever attached."""
    http = gateway.client()
    task = gateway.create(case.model, case.type, "a slow fox [sim:slow]", **case.fields)
    if case.queue_positions:
        queued = _queue_position_shown(gateway, task["id"])
        assert queued["status"] == "queued" and queued["queue_position"] >= 1, queued
    else:
        gateway.wait(task["id"], until={"queued", "running"})
    response = http.post(f"/api/v1/tasks/{task['id']}/cancel")
    assert response.status_code == 200, response.text
    done = gateway.wait(task["id"])
    assert done["status"] == "cancelled" and "result" not in done and done["cost"] == 0


def _queue_position_shown(gateway: Gateway, task_id: str) -> dict[str, Any]:
    """The task once it left `queued` or shows a queue position: a task is `queued` from its
    submit, and the provider's position comes with the first poll after it."""
    http = gateway.client()
    deadline = time.monotonic() + 30
    while True:
        task = http.get(f"/api/v1/tasks/{task_id}").json()["data"]
        queued = task["status"] == "queued"
        if (queued and task["queue_position"] >= 1) or task["status"] not in ("pending", "queued"):
            return task
        assert time.monotonic() < deadline, task
        time.sleep(0.05)


#: Video models whose videos have sound with the inputs of `CASES` (Veo 3 and Sora 2 always;
#: Seedance 1.5 and Vidu Q3 by default; Kling 2.6 and vidgo's Veo only when asked).
WITH_SOUND = {"sora-2", "seedance-1-5-pro", "veo-3.1-fast-generate-preview",
              "veo-3.1-generate-preview", "viduq3-turbo"}  # fmt: skip


@pytest.mark.parametrize("case", [c for c in CASES if c.type == "video"], ids=str)
def test_a_video_has_sound_when_the_model_makes_sound(
    gateway: Gateway, case: Case, tmp_path: Path
) -> None:
    """The simulator's outputs have what the real model's have: a model "with audio" gives a
    video with an audio track that decodes, the others a silent one."""
    done = outcomes(gateway, case, sandbox=True)["normal"].task
    [path] = gateway.download(done, tmp_path)
    with av.open(str(path)) as container:
        audio = [s for s in container.streams if s.type == "audio"]
        if audio:
            assert sum(1 for _ in container.decode(audio=0)) > 0
    assert bool(audio) == (case.model in WITH_SOUND), (case.model, audio)
