"""OpenAPI documentation of routes: the success in the envelope (its schema and an example),
the errors a route answers, and query parameters a route parses itself.

Error responses are declared here by status and meaning; `api.openapi` gives each its body
schema, with the codes it may carry (the upper-case words in backticks of the meaning), and adds
the errors every route can answer (401, 429, 500, 503).
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

T = TypeVar("T")

PAGINATION_EXAMPLE = {"cursor": "ZC40Mg", "hasMore": True, "total": 57}
UNAUTHORIZED = "Missing, unknown or revoked API key (`UNAUTHORIZED`)."


class Pagination(BaseModel):
    cursor: str | None
    hasMore: bool
    total: int


class Ok(BaseModel, Generic[T]):
    """The envelope of a success."""

    success: Literal[True]
    data: T


class Page(BaseModel, Generic[T]):
    """The envelope of a listing."""

    success: Literal[True]
    data: list[T]
    pagination: Pagination


def responses(
    status: int,
    description: str,
    data: Any,
    errors: dict[int, str],
    *,
    model: Any = None,
    listing: bool = False,
    media_type: str = "application/json",
    auth: bool = True,
    envelope: bool = True,
    links: dict[str, Any] | None = None,
    schema: dict[str, Any] | None = None,
) -> dict[int | str, Any]:
    """`data` is an example of the success's `data`; `model` its type (a listing's item type),
    for the schema. `errors` maps each error status the route answers to what it means (401 is
    added unless `auth` is False). `envelope` False: the success is `data` itself (the
    OpenAI-compatible face). `links`: OpenAPI links from the success to other operations.
    `schema`: the success's schema where no model says it (one message of an event stream)."""
    if media_type != "application/json":  # a stream or a file: text or bytes
        body = schema or {"type": "string"}
        content: dict[str, Any] = {media_type: {"schema": body, "example": data}}
    elif envelope:
        example: dict[str, Any] = {"success": True, "data": data}
        if listing:
            example["pagination"] = PAGINATION_EXAMPLE
        content = {media_type: {"example": example}}
    else:
        content = {media_type: {"example": data}}
    success: dict[str, Any] = {"description": description, "content": content}
    if model is not None:
        success["model"] = (Page[model] if listing else Ok[model]) if envelope else model
    docs: dict[int | str, Any] = {status: success}
    if links:
        success["links"] = links
    for code, meaning in ({**errors, 401: UNAUTHORIZED} if auth else errors).items():
        docs[code] = {"description": meaning}
    return docs


def query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    """A query parameter a route reads from the query string itself (so that every bad value
    is a 400 naming it, rather than FastAPI's validation)."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def parameters(*params: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` declaring `params`."""
    return {"parameters": list(params)}
