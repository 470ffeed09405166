"""OpenAI's `seconds`, `size` and `n` onto a catalog model's own inputs, read from its input
schema: its duration field, its width/height or aspect ratio and resolution fields, its count
field. What a model cannot do is a 400 naming OpenAI's parameter."""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import ValidationError

from mediagate.catalog import ModelSpec
from mediagate.core.errors import InvalidParameter
from mediagate.tasks.service import validation_param

DURATION_FIELDS = ("duration", "duration_seconds")
RATIO_FIELDS = ("aspect_ratio", "ratio", "size")
COUNT_FIELDS = ("n", "max_images")
IMAGE_FIELDS = ("image", "image_url")
_SIZE = re.compile(r"(\d{1,5})x(\d{1,5})")
_RATIO = re.compile(r"(\d{1,3}):(\d{1,3})")
_RESOLUTION = re.compile(r"(\d{3,4})p", re.IGNORECASE)


def _props(spec: ModelSpec) -> dict[str, Any]:
    return spec.input_schema.get("properties", {})


def _enum(prop: dict[str, Any]) -> list[Any] | None:
    if "enum" in prop:
        return list(prop["enum"])
    for option in prop.get("anyOf", ()):
        if "enum" in option:
            return list(option["enum"])
    return None


def field_of(spec: ModelSpec, names: tuple[str, ...]) -> str | None:
    props = _props(spec)
    return next((name for name in names if name in props), None)


def _accepted_seconds(prop: dict[str, Any]) -> str:
    allowed = _enum(prop)
    if allowed:
        return ", ".join(str(v) for v in allowed)
    low = prop.get("minimum", prop.get("exclusiveMinimum", 0))
    return f"{low} to {prop.get('maximum', 'any')}"


def _seconds(spec: ModelSpec, seconds: str | int) -> tuple[str, Any]:
    field = field_of(spec, DURATION_FIELDS)
    if field is None:
        raise InvalidParameter("seconds", f"model {spec.id!r} has no duration to choose")
    try:
        value = float(seconds)
    except ValueError:
        raise InvalidParameter("seconds", f"{seconds!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise InvalidParameter("seconds", "must be a positive number of seconds")
    prop = _props(spec)[field]
    kinds = {prop.get("type"), *(o.get("type") for o in prop.get("anyOf", ()))}
    allowed = _enum(prop)
    whole = value.is_integer()
    if (allowed or "number" not in kinds) and not whole:
        raise InvalidParameter(
            "seconds",
            f"model {spec.id!r} cannot make a {seconds}-second video "
            f"(seconds it accepts: {_accepted_seconds(prop)})",
        )
    if allowed is not None and int(value) not in allowed:
        raise InvalidParameter(
            "seconds",
            f"model {spec.id!r} cannot make a {seconds}-second video "
            f"(seconds it accepts: {_accepted_seconds(prop)})",
        )
    return field, int(value) if whole and "number" not in kinds else value


def _parse_size(size: str) -> tuple[int, int]:
    match = _SIZE.fullmatch(size.strip())
    if not match or not int(match[1]) or not int(match[2]):
        raise InvalidParameter("size", f"{size!r} is not WIDTHxHEIGHT, e.g. 1280x720")
    return int(match[1]), int(match[2])


def _nearest_ratio(allowed: list[Any], width: int, height: int) -> str | None:
    wanted = width / height
    best: tuple[float, str] | None = None
    for value in allowed:
        match = _RATIO.fullmatch(str(value))
        if match and int(match[2]):
            off = abs(int(match[1]) / int(match[2]) - wanted) / wanted
            if off <= 0.03 and (best is None or off < best[0]):
                best = (off, str(value))
    return best[1] if best else None


def _size(spec: ModelSpec, size: str) -> dict[str, Any]:
    width, height = _parse_size(size)
    props = _props(spec)
    if "width" in props and "height" in props:
        return {"width": width, "height": height}
    out: dict[str, Any] = {}
    ratio_field = field_of(spec, RATIO_FIELDS)
    if ratio_field is None:
        raise InvalidParameter("size", f"model {spec.id!r} has a fixed size; leave size out")
    allowed = _enum(props[ratio_field])
    if allowed is None:
        gcd = math.gcd(width, height)
        out[ratio_field] = (
            f"{width}x{height}" if ratio_field == "size" else f"{width // gcd}:{height // gcd}"
        )
    else:
        ratio = _nearest_ratio(allowed, width, height)
        if ratio is None:
            raise InvalidParameter(
                "size",
                f"model {spec.id!r} cannot make {size} (aspect ratios it accepts: "
                f"{', '.join(str(v) for v in allowed)})",
            )
        out[ratio_field] = ratio
    resolutions = _enum(props["resolution"]) if "resolution" in props else None
    if resolutions:
        lines = {
            int(m[1]): value
            for value in resolutions
            if (m := _RESOLUTION.fullmatch(str(value))) is not None
        }
        short = min(width, height)
        near = min(lines, key=lambda n: abs(n - short)) if lines else None
        if near is None or abs(near - short) / short > 0.12:
            raise InvalidParameter(
                "size",
                f"model {spec.id!r} cannot make {size} (resolutions it accepts: "
                f"{', '.join(str(v) for v in resolutions)})",
            )
        out["resolution"] = lines[near]
    return out


def _validate(spec: ModelSpec, data: dict[str, Any]) -> dict[str, Any]:
    try:
        spec.input_model.model_validate(data)
    except ValidationError as exc:
        first = str(exc.errors(include_url=False)[0]["loc"][0])
        if first in DURATION_FIELDS:
            raise InvalidParameter(
                "seconds", f"model {spec.id!r} cannot make that duration: {exc.errors()[0]['msg']}"
            ) from None
        if first in ("width", "height", "resolution", *RATIO_FIELDS):
            raise InvalidParameter(
                "size", f"model {spec.id!r} cannot make that size: {exc.errors()[0]['msg']}"
            ) from None
        if first == "prompt":
            raise validation_param(exc) from None
        raise validation_param(exc, "input") from None
    return data


def video_input(
    spec: ModelSpec,
    prompt: str,
    seconds: str | int | None,
    size: str | None,
    image_uri: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"prompt": prompt}
    if seconds is not None:
        field, value = _seconds(spec, seconds)
        data[field] = value
    if size is not None:
        data.update(_size(spec, size))
    if image_uri is not None:
        field = field_of(spec, IMAGE_FIELDS)
        if field is None:
            raise InvalidParameter(
                "input_reference", f"model {spec.id!r} does not take an input image"
            )
        data[field] = image_uri
    return _validate(spec, data)


def image_inputs(spec: ModelSpec, prompt: str, n: int, size: str | None) -> list[dict[str, Any]]:
    """The inputs of the tasks that make `n` images: one task with the model's count field when
    it has one, else `n` tasks."""
    data: dict[str, Any] = {"prompt": prompt}
    if size is not None:
        data.update(_size(spec, size))
    count = field_of(spec, COUNT_FIELDS)
    if count is not None and n > 1:
        maximum = _props(spec)[count].get("maximum")
        if maximum is not None and n > maximum:
            raise InvalidParameter("n", f"model {spec.id!r} makes at most {maximum} images")
        return [_validate(spec, {**data, count: n})]
    return [_validate(spec, data)] * n


def seconds_of(spec: ModelSpec | None, task_input: dict[str, Any]) -> str:
    for field in DURATION_FIELDS:
        value = task_input.get(field)
        if isinstance(value, int | float):
            return str(int(value)) if float(value).is_integer() else str(value)
    return ""


def size_of(task_input: dict[str, Any]) -> str:
    width, height = task_input.get("width"), task_input.get("height")
    if isinstance(width, int) and isinstance(height, int):
        return f"{width}x{height}"
    ratio = next((task_input[f] for f in RATIO_FIELDS if task_input.get(f)), None)
    resolution = task_input.get("resolution")
    lines = _RESOLUTION.fullmatch(str(resolution)) if resolution else None
    short = int(lines[1]) if lines else 720
    match = _RATIO.fullmatch(str(ratio)) if ratio else None
    if match is None:
        return ""
    a, b = int(match[1]), int(match[2])
    if a >= b:
        return f"{round(short * a / b / 2) * 2}x{short}"
    return f"{short}x{round(short * b / a / 2) * 2}"
