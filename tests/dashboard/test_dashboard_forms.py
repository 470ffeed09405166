"""The new-task form made from each model's input schema: every model of the catalog gets a
form whose defaults, submitted as they are with a prompt, are a valid input; typed values come
back with the schema's types; what cannot be read is an error on its field."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData

from mediagate.catalog import CATALOG
from mediagate.dashboard import forms


def _submitted(spec, **values: str) -> FormData:
    """What a browser sends for the form as rendered, with `values` typed in."""
    items = []
    for f in forms.fields_for(spec):
        if f.kind == "checkbox":
            if f.checked:
                items.append((f.name, "true"))
        else:
            items.append((f.name, values.get(f.name, f.value)))
    return FormData(items)


@pytest.mark.parametrize("spec", list(CATALOG), ids=lambda s: s.id)
def test_every_models_form_submits_its_defaults_as_a_valid_input(spec):
    fields = forms.fields_for(spec, _submitted(spec, prompt="a fox"))
    assert fields[0].name == "prompt" and fields[0].required
    assert all(f.name not in forms.RESERVED for f in fields)
    values = forms.to_input(fields)
    assert [f.error for f in fields if f.error] == []
    normalised = spec.input_model.model_validate(values).model_dump(mode="json")
    defaults = spec.input_model.model_validate({"prompt": "a fox"}).model_dump(mode="json")
    assert normalised == defaults


def test_typed_values_take_the_schemas_types_and_limits_show_as_attributes():
    spec = CATALOG.get("local-video")
    assert spec is not None
    fields = {f.name: f for f in forms.fields_for(spec)}
    assert fields["width"].attrs == {"step": "2", "min": "16", "max": "1920"}
    assert fields["duration"].attrs["step"] == "any" and fields["prompt"].kind == "textarea"
    typed = forms.fields_for(spec, _submitted(spec, prompt="p", width="800", duration="2.5"))
    values = forms.to_input(typed)
    assert values["width"] == 800 and values["duration"] == 2.5 and values["prompt"] == "p"


def test_unreadable_values_are_errors_on_their_fields():
    spec = CATALOG.get("local-image")
    assert spec is not None
    fields = forms.fields_for(spec, _submitted(spec, prompt="", width="wide", format="gif"))
    forms.to_input(fields)
    errors = {f.name: f.error for f in fields if f.error}
    assert errors == {
        "prompt": "is required",
        "width": "must be a whole number",
        "format": "is not one of the choices",
    }
    assert forms.attach_error(fields, "input.height", "must be at most 4096")
    assert not forms.attach_error(fields, "metadata", "too big")


def test_lists_and_optional_choices():
    spec = CATALOG.get("seedream-4-0")
    assert spec is not None
    names = {f.name: f for f in forms.fields_for(spec)}
    assert names["image"].kind == "lines"
    form = _submitted(spec, prompt="p", image="https://a.example/1.png\n\nhttps://a.example/2.png")
    values = forms.to_input(forms.fields_for(spec, form))
    assert values["image"] == ["https://a.example/1.png", "https://a.example/2.png"]
    assert "seed" not in values  # an empty optional field leaves the model's default
