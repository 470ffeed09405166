"""The OpenAPI document (`/openapi.json`), completed from what the routes declare (`api.docs`):

- the Bearer scheme, required by every route that declares a 401;
- each error response's body: the envelope with the codes the route may answer (the
  upper-case words in backticks of the response's description, else the status's own code),
  or OpenAI's error shape on the OpenAI-compatible face (`/v1/...`);
- the errors any route can answer: 401 and 429 (authenticated routes), 413 (routes with a
  body), 500 and 503 (all), with `Retry-After` where the contract promises it;
- none of FastAPI's 422s: this API answers 400 for every bad request.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from mediagate.catalog import CATALOG
from mediagate.openai_face import errors as openai_errors
from mediagate.tasks.schemas import create_body_schema

_CODE = re.compile(r"`([A-Z][A-Z0-9_]+)`")
_STATUS_CODES = {
    400: ["INVALID_PARAMETER"],
    401: ["UNAUTHORIZED"],
    402: ["INSUFFICIENT_CREDITS"],
    403: ["FORBIDDEN"],
    404: ["NOT_FOUND"],
    413: ["PAYLOAD_TOO_LARGE"],
    416: ["RANGE_NOT_SATISFIABLE"],
    429: ["RATE_LIMITED"],
    500: ["INTERNAL_ERROR"],
    503: ["SERVICE_UNAVAILABLE"],
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}
_COMMON = {
    429: "Too many requests for this key (`RATE_LIMITED`); see `Retry-After`.",
    500: "An unexpected error (`INTERNAL_ERROR`); never for anything the client sent.",
    503: "The database or the storage cannot be reached (`SERVICE_UNAVAILABLE`); nothing was "
    "changed. See `Retry-After`.",
}
_BODY_TOO_LARGE = "The body is larger than the server accepts (`PAYLOAD_TOO_LARGE`)."
_SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["success", "error"],
        "properties": {
            "success": {"const": False},
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "OpenAIError": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["message", "type"],
                "properties": {
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                    "param": {"type": ["string", "null"]},
                    "code": {"type": ["string", "null"]},
                },
            }
        },
    },
}
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(doc: dict[str, Any]) -> dict[str, Any]:
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas.update(_SCHEMAS)
    components["securitySchemes"] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key: `mg_live_...` (live) or `mg_test_...` (sandbox).",
        }
    }
    doc["security"] = [{"bearer": []}]
    # The create's body has one variant per model, plugins' included: made now, not at import.
    create = doc.get("paths", {}).get("/api/v1/tasks", {}).get("post")
    if create is not None:
        create["requestBody"]["content"]["application/json"]["schema"] = create_body_schema(CATALOG)
    for path, item in doc.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                _complete_operation(path, item[method])
    return doc


def _complete_operation(path: str, op: dict[str, Any]) -> None:
    answers: dict[str, Any] = op.setdefault("responses", {})
    answers.pop("422", None)
    authenticated = "401" in answers
    if not authenticated:
        op["security"] = []
    extra: dict[int, str] = {500: _COMMON[500], 503: _COMMON[503]}
    if authenticated and "security" not in op:  # an API key's route: rate-limited
        extra[429] = _COMMON[429]
    if "requestBody" in op:
        extra[413] = _BODY_TOO_LARGE
    for status, meaning in extra.items():
        answers.setdefault(str(status), {"description": meaning})
    openai = openai_errors.applies_to(path)
    for status, answer in answers.items():
        if status.isdigit() and int(status) >= 400:
            _error_body(int(status), answer, openai)


def _error_body(status: int, answer: dict[str, Any], openai: bool) -> None:
    if status in (429, 503):
        answer.setdefault("headers", {}).update(_RETRY_AFTER)
    if "content" in answer:
        return
    if openai:
        schema: dict[str, Any] = {"$ref": "#/components/schemas/OpenAIError"}
    else:
        codes = _CODE.findall(answer.get("description", "")) or _STATUS_CODES.get(status, [])
        schema = {"$ref": "#/components/schemas/Error"}
        if codes:
            schema = {
                "allOf": [
                    schema,
                    {"properties": {"error": {"properties": {"code": {"enum": codes}}}}},
                ]
            }
    answer["content"] = {"application/json": {"schema": schema}}
