"""The new-task form, generated from a model's input JSON schema: one field per input (with its
default and limits as HTML attributes), and the submitted text turned back into the input."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from mediagate.catalog.spec import ModelSpec

#: Form field names of the page's own controls (never an input's name on the form).
RESERVED = ("csrf_token", "model", "idempotency_key")


@dataclass
class Field:
    name: str
    label: str
    kind: str  # text | textarea | number | checkbox | select | lines
    required: bool
    help: str = ""
    value: str = ""
    checked: bool = False
    attrs: dict[str, str] = field(default_factory=dict)
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    error: str | None = None
    schema: dict[str, Any] = field(default_factory=dict)
    nullable: bool = False


def _unwrap(prop: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """`anyOf: [X, null]` -> (X, nullable)."""
    variants = prop.get("anyOf")
    if not variants:
        return prop, False
    inner = [v for v in variants if v.get("type") != "null"]
    merged = {**prop, **(inner[0] if inner else {})}
    merged.pop("anyOf", None)
    return merged, len(inner) < len(variants)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def _field(name: str, prop: dict[str, Any], required: bool) -> Field:
    schema, nullable = _unwrap(prop)
    default = prop.get("default")
    label = schema.get("title") or name.replace("_", " ").capitalize()
    if name == "prompt":
        label = "Prompt"
    out = Field(name, label, "text", required, schema.get("description", ""), nullable=nullable)
    out.schema = schema
    kind = schema.get("type")
    if "enum" in schema:
        out.kind = "select"
        out.options = [(_text(v), _text(v)) for v in schema["enum"]]
        if nullable or (not required and default is None):
            out.options.insert(0, ("", "(provider default)"))
    elif kind == "boolean" and nullable:
        out.kind = "select"
        out.options = [("", "(provider default)"), ("true", "yes"), ("false", "no")]
    elif kind == "boolean":
        out.kind = "checkbox"
        out.checked = bool(default)
    elif kind in ("integer", "number"):
        out.kind = "number"
        step = schema.get("multipleOf", 1 if kind == "integer" else "any")
        out.attrs["step"] = str(step)
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        if low is not None:
            out.attrs["min"] = str(low)
        if "maximum" in schema:
            out.attrs["max"] = str(schema["maximum"])
    elif kind == "array":
        out.kind = "lines"
        if "maxItems" in schema:
            out.help = (out.help + f" One per line, at most {schema['maxItems']}.").strip()
    else:
        out.kind = "textarea" if name in ("prompt", "negative_prompt") else "text"
        if "maxLength" in schema:
            out.attrs["maxlength"] = str(schema["maxLength"])
        if "minLength" in schema and required:
            out.attrs["minlength"] = str(schema["minLength"])
    out.value = _text(default)
    return out


def fields_for(spec: ModelSpec, form: FormData | None = None) -> list[Field]:
    """The model's inputs as form fields (prompt first), with `form`'s values when given."""
    schema = spec.input_schema
    required = set(schema.get("required", ()))
    props = schema.get("properties", {})
    names = sorted(props, key=lambda n: (n != "prompt", list(props).index(n)))
    fields = [_field(n, props[n], n in required) for n in names if n not in RESERVED]
    if form is not None:
        for f in fields:
            raw = form.get(f.name)
            if f.kind == "checkbox":
                f.checked = raw is not None
            else:
                f.value = raw if isinstance(raw, str) else ""
    return fields


def _number(f: Field, raw: str) -> int | float:
    try:
        return int(raw) if f.schema.get("type") == "integer" else float(raw)
    except ValueError:
        what = "a whole number" if f.schema.get("type") == "integer" else "a number"
        raise ValueError(f"must be {what}") from None


def _enum_value(f: Field, raw: str) -> Any:
    for option in f.schema["enum"]:
        if _text(option) == raw:
            return option
    raise ValueError("is not one of the choices")


def to_input(fields: list[Field]) -> dict[str, Any]:
    """The task's `input` from the fields' submitted text; each field that cannot be read gets
    its `error`. Empty optional fields are left out (the model's default applies)."""
    values: dict[str, Any] = {}
    for f in fields:
        if f.kind == "checkbox":
            values[f.name] = f.checked
            continue
        raw = f.value.strip() if f.kind != "textarea" else f.value
        if raw.strip() == "":
            if f.required:
                f.error = "is required"
            continue
        try:
            if f.kind == "lines":
                values[f.name] = [line.strip() for line in raw.splitlines() if line.strip()]
            elif "enum" in f.schema:
                values[f.name] = _enum_value(f, raw)
            elif f.schema.get("type") == "boolean":
                values[f.name] = raw == "true"
            elif f.kind == "number":
                values[f.name] = _number(f, raw)
            else:
                values[f.name] = raw
        except ValueError as exc:
            f.error = str(exc)
    return values


def attach_error(fields: list[Field], param: str, message: str) -> bool:
    """Put an API error naming `input.<name>` next to its field; False if no field matches."""
    if not param.startswith("input."):
        return False
    name = param.removeprefix("input.").split(".", 1)[0]
    for f in fields:
        if f.name == name:
            f.error = message
            return True
    return False
