"""Request bodies: JSON objects validated by a schema; every problem a 400 naming the field."""

from __future__ import annotations

from typing import TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from mediagate.core.errors import InvalidParameter
from mediagate.tasks.service import validation_param

M = TypeVar("M", bound=BaseModel)


def parse_json(raw: bytes, model: type[M]) -> M:
    if not raw:
        raise InvalidParameter("body", "is empty; send a JSON object")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidParameter("body", "is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidParameter("body", "must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_param(exc) from None
