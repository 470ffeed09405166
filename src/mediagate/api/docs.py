"""OpenAPI `responses` for routes: the success in the envelope, with an example, then errors."""

from __future__ import annotations

from typing import Any

PAGINATION_EXAMPLE = {"cursor": "ZC40Mg", "hasMore": True, "total": 57}
UNAUTHORIZED = "Missing, unknown or revoked API key (`UNAUTHORIZED`)."


def responses(
    status: int,
    description: str,
    data: Any,
    errors: dict[int, str],
    *,
    listing: bool = False,
    media_type: str = "application/json",
) -> dict[int | str, Any]:
    """`errors` maps each error status the route answers to what it means (401 is added)."""
    if media_type == "application/json":
        example: dict[str, Any] = {"success": True, "data": data}
        if listing:
            example["pagination"] = PAGINATION_EXAMPLE
        content: dict[str, Any] = {media_type: {"example": example}}
    else:
        content = {media_type: {"example": data}}
    docs: dict[int | str, Any] = {status: {"description": description, "content": content}}
    for code, meaning in {**errors, 401: UNAUTHORIZED}.items():
        docs[code] = {"description": meaning}
    return docs
