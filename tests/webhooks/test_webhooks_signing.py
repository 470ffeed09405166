"""The receivers' `verify` helper against signatures made by the `standardwebhooks` library (and
ours checked by it); the retry schedule setting and delays."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from standardwebhooks import Webhook

from helpers import assert_clean_failure, cli_env, run_cli
from mediagate.config import Settings
from mediagate.webhooks import InvalidSignature, verify
from mediagate.webhooks.schedule import parse_retry_after, parse_schedule, retry_delay
from mediagate.webhooks.signing import new_secret, signature_header

BODY = b'{"type":"task.succeeded","timestamp":"2026-12-01T10:00:00Z","data":{"id":"task_x"}}'


def _signed(secret: str, body: bytes = BODY, msg_id: str = "evt_1", at: float | None = None):
    when = datetime.fromtimestamp(at if at is not None else time.time(), tz=UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, when, body.decode()),
    }


def test_verify_accepts_what_the_library_signs_and_returns_the_payload():
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    payload = verify(BODY, _signed(secret), secret)
    assert payload == {
        "type": "task.succeeded",
        "timestamp": "2026-12-01T10:00:00Z",
        "data": {"id": "task_x"},
    }
    # Header names in any case, the body as text.
    headers = {k.title(): v for k, v in _signed(secret).items()}
    assert verify(BODY.decode(), headers, secret) == payload


def test_the_library_accepts_our_signatures_with_either_secret_during_a_rotation():
    old, new = new_secret(), new_secret()
    stamp = int(time.time())
    headers = {
        "webhook-id": "evt_2",
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature_header([new, old], "evt_2", stamp, BODY.decode()),
    }
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(BODY, headers)["data"]["id"] == "task_x"
        assert verify(BODY, headers, secret)["type"] == "task.succeeded"
    with pytest.raises(InvalidSignature):
        verify(BODY, headers, new_secret())


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b: (h, b.replace(b"succeeded", b"failed")),
        lambda h, b: ({**h, "webhook-id": "evt_other"}, b),
        lambda h, b: ({**h, "webhook-timestamp": str(int(h["webhook-timestamp"]) + 1)}, b),
        lambda h, b: ({k: v for k, v in h.items() if k != "webhook-signature"}, b),
        lambda h, b: ({**h, "webhook-signature": "garbage"}, b),
        lambda h, b: ({**h, "webhook-signature": "v1,not*base64"}, b),
        lambda h, b: ({**h, "webhook-timestamp": "soon"}, b),
    ],
)
def test_verify_refuses_anything_tampered_with(tamper):
    secret = new_secret()
    headers, body = tamper(_signed(secret), BODY)
    with pytest.raises(InvalidSignature):
        verify(body, headers, secret)


def test_verify_refuses_old_deliveries_and_bad_secrets():
    secret = new_secret()
    with pytest.raises(InvalidSignature, match="too old"):
        verify(BODY, _signed(secret, at=time.time() - 600), secret)
    with pytest.raises(ValueError, match="secret"):
        verify(BODY, _signed(secret), "not-a-secret")
    with pytest.raises(ValueError, match="secret"):
        verify(BODY, _signed(secret), "whsec_***")


def test_the_helper_imports_without_the_server():
    code = (
        "import sys; from mediagate.webhooks import verify, InvalidSignature; "
        "heavy = {'sqlalchemy', 'fastapi', 'asyncpg', 'starlette'} & set(sys.modules); "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_retry_schedule_setting():
    assert Settings().webhook_retry_delays == (5, 300, 1800, 7200, 18000, 36000, 36000)
    custom = Settings(webhook_retry_schedule="250ms, 1.5s,2m,1h,1d")
    assert custom.webhook_retry_delays == (0.25, 1.5, 120, 3600, 86400)
    for bad in ("", "5", "5x", "5s,,5m", "-1s", "5 s", "8d", ",".join(["1s"] * 51)):
        with pytest.raises(ValidationError, match="webhook_retry_schedule"):
            Settings(webhook_retry_schedule=bad)


def test_a_bad_schedule_is_a_clean_configuration_error(tmp_path):
    env = cli_env(data_dir=str(tmp_path), webhook_retry_schedule="5s,soon")
    proc = run_cli("worker", env=env)
    assert_clean_failure(proc, "MEDIAGATE_WEBHOOK_RETRY_SCHEDULE", "'soon' is not a delay")


def test_retry_delays_are_jittered_upwards_and_honour_retry_after():
    delays = parse_schedule("5s,5m")
    for _ in range(50):
        assert 5 <= retry_delay(delays, 1, None) <= 6
        assert 300 <= retry_delay(delays, 2, None) <= 360
    assert retry_delay(delays, 3, None) is None  # the schedule is spent: failed
    assert retry_delay(delays, 1, 120) == 120
    assert 5 <= retry_delay(delays, 1, 1) <= 6  # Retry-After is a floor
    assert retry_delay(delays, 1, 10**9) == 86400  # capped at a day
    assert retry_delay(delays, 3, 1) is None


def test_retry_after_in_seconds_or_as_a_date():
    now = 1_800_000_000.0
    assert parse_retry_after("30", now) == 30
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("soon", now) is None
    date = "Fri, 15 Jan 2027 08:00:10 GMT"
    at = datetime(2027, 1, 15, 8, 0, 10, tzinfo=UTC).timestamp()
    assert parse_retry_after(date, at - 10) == 10
    assert parse_retry_after(date, at + 10) == 0
