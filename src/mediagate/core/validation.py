"""Pydantic's validation errors in the API's own words (`must be at most 4096`), not pydantic's
(`Input should be less than or equal to 4096`, `Value error, ...`)."""

from __future__ import annotations

from typing import Any

_PHRASES = {
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be more than {gt}",
    "multiple_of": "must be a multiple of {multiple_of}",
    "string_too_long": "must be at most {max_length} characters",
    "too_long": "must have at most {max_length} items",
    "too_short": "must have at least {min_length} items",
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "int_parsing": "must be an integer",
    "int_type": "must be an integer",
    "int_from_float": "must be an integer",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "finite_number": "must be a finite number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "string_unicode": "must be valid text",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "list_type": "must be an array",
    "literal_error": "must be one of {expected}",
    "enum": "must be one of {expected}",
    "string_pattern_mismatch": "must match the pattern {pattern}",
    "json_invalid": "is not valid JSON",
}


def describe(error: dict[str, Any]) -> str:
    """What is wrong, for one entry of `ValidationError.errors()`."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind == "string_too_short":
        least = ctx.get("min_length", 1)
        return "must not be empty" if least == 1 else f"must be at least {least} characters"
    phrase = _PHRASES.get(kind)
    if phrase is not None:
        try:
            return phrase.format(**ctx)
        except (KeyError, IndexError):
            pass
    message = str(error.get("msg", "is invalid"))
    return message[:1].lower() + message[1:]
