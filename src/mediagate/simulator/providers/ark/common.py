"""ModelArk's shared conventions, as the simulator answers them: Bearer API keys, the error
body `{"error": {"code", "message", "param", "type"}}`, and request checks."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mediagate.simulator.app import Simulator
from mediagate.simulator.requests import bearer, read_json
from mediagate.simulator.scenarios import RETRY_AFTER_S, Scenario, scenario_of

T = TypeVar("T")

#: Output URLs are signed for 24 hours (`X-Tos-Expires=86400` on ModelArk's URLs).
URL_TTL_S = 24 * 3600.0
_TYPES = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
          429: "TooManyRequests", 500: "InternalServerError"}  # fmt: skip


def request_id() -> str:
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(12)


def ark_error(
    status: int, code: str, message: str, param: str = "", *, replay: bool = True
) -> Response:
    """An error answer. `replay=False` adds `x-should-retry: false`, which the official SDK
    obeys: its default retries would otherwise send a failed create again."""
    rid = request_id()
    headers = {"x-request-id": rid}
    if status == 429:
        headers["Retry-After"] = str(RETRY_AFTER_S)
    if not replay:
        headers["x-should-retry"] = "false"
    error = {"code": code, "message": f"{message} Request id: {rid}", "param": param,
             "type": _TYPES.get(status, "BadRequest")}  # fmt: skip
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def unauthorized() -> Response:
    return ark_error(
        401, "AuthenticationError", "The API key or AK/SK in the request is missing or invalid."
    )


def authorized(request: Request, key: str) -> bool:
    return bearer(request) == key


def failure(sim: Simulator, scenario: Scenario, subject: str, *, create: bool) -> Response | None:
    """The simulated 429 / 5xx while a run of them lasts (a create's says not to replay it)."""
    failing = sim.failure_now(scenario, subject)
    if failing is Scenario.RATE_LIMIT:
        return ark_error(429, "RateLimitExceeded.EndpointRPMExceeded",
                         "The request rate limit (RPM) of the endpoint has been exceeded.",
                         replay=not create)  # fmt: skip
    if failing is Scenario.SERVER_ERROR:
        return ark_error(500, "InternalServiceError",
                         "The service encountered an unexpected internal error.",
                         replay=not create)  # fmt: skip
    return None


class Invalid(Exception):
    """A request ModelArk refuses: answered as `ark_error(status, code, message, param)`."""

    def __init__(
        self, param: str, message: str, code: str = "InvalidParameter", status: int = 400
    ) -> None:
        super().__init__(message)
        self.param, self.message, self.code, self.status = param, message, code, status

    def response(self) -> Response:
        return ark_error(self.status, self.code, self.message, self.param)


def invalid(param: str, why: str) -> Invalid:
    return Invalid(param, f"The parameter `{param}` specified in the request is not valid: {why}.")


def choice(body: dict[str, Any], param: str, allowed: tuple[Any, ...]) -> Any:
    value = body.get(param)
    if value is not None and value not in allowed:
        raise invalid(param, f"must be one of {', '.join(map(str, allowed))}")
    return value


def integer(body: dict[str, Any], param: str, low: int, high: int) -> int | None:
    value = body.get(param)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise invalid(param, f"must be an integer in [{low}, {high}]")
    return value


def boolean(body: dict[str, Any], *params: str) -> None:
    for param in params:
        if body.get(param) is not None and not isinstance(body[param], bool):
            raise invalid(param, "must be a boolean")


def image_ref(param: str, value: Any) -> str:
    """An input image as ModelArk takes it: a URL, a base64 data URI or an `asset://` id."""
    if isinstance(value, str) and (
        value.startswith(("http://", "https://", "asset://"))
        or (value.startswith("data:image/") and ";base64," in value[:40])
    ):
        return value
    raise invalid(param, "must be an image URL, a data:image/<format>;base64 URI or asset://")


@dataclass(frozen=True)
class Start(Generic[T]):
    """A generation request that passed the checks: its body, prompt, scenario and what the
    model's validation made of it."""

    body: Any
    prompt: str
    scenario: Scenario
    valid: T


async def start(
    sim: Simulator,
    provider: str,
    key: str,
    request: Request,
    prompt_of: Callable[[Any], str],
    validate: Callable[[Any], T],
) -> Start[T] | Response:
    """The checks ModelArk runs on a generation request, in its order (key, the scenario's
    429/5xx run, the body); a refusal is recorded and answered."""
    if not authorized(request, key):
        sim.record(provider, "submit", "", 401)
        return unauthorized()
    body = await read_json(request)
    prompt = prompt_of(body)
    scenario = scenario_of(prompt)
    refused = failure(sim, scenario, f"submit:{prompt}", create=True)
    if refused is None:
        try:
            return Start(body, prompt, scenario, validate(body))
        except Invalid as exc:
            refused = exc.response()
    sim.record(provider, "submit", prompt, refused.status_code)
    return refused
