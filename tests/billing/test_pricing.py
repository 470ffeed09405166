"""One pricing function for holds and charges: the most a task can cost from its input, the
charge from its measured outputs at the same rate, never above the most."""

from __future__ import annotations

import pytest

from mediagate.billing.pricing import cost_micros, max_cost_micros, quantity_field
from mediagate.catalog import CATALOG


def _defaults(spec):
    """The model's input with its defaults filled (prompts and required fields made up)."""
    required = spec.input_schema.get("required", [])
    raw = {name: "a red fox" for name in required if name == "prompt"}
    for name in required:
        raw.setdefault(name, "https://example.com/in.png")
    return spec.input_model.model_validate(raw).model_dump(mode="json")


@pytest.mark.parametrize("spec", list(CATALOG), ids=lambda s: s.id)
def test_every_model_has_a_positive_most_and_a_quantity_where_it_needs_one(spec):
    inputs = _defaults(spec)
    assert max_cost_micros(spec, inputs, sandbox=True) == 0
    most = max_cost_micros(spec, inputs, sandbox=False)
    assert most > 0, spec.id
    if spec.price.unit == "second":
        assert quantity_field(spec.price, inputs) is not None, f"{spec.id}: no duration field"


def test_per_second_holds_the_requested_duration_and_charges_the_measured_one():
    spec = CATALOG.get("local-video")
    inputs = _defaults(spec) | {"duration": 6}
    most = max_cost_micros(spec, inputs, sandbox=False)
    assert most == round(spec.price.amount * 6 * 1_000_000)
    short = cost_micros(spec, inputs, [{"duration": 3.0}], sandbox=False, cap=most)
    assert short == most // 2
    # A measured duration a little over the request never costs more than the hold.
    assert cost_micros(spec, inputs, [{"duration": 6.04}], sandbox=False, cap=most) == most


def test_per_image_holds_the_count_asked_for():
    spec = CATALOG.get("kling-v2-1-image")
    inputs = _defaults(spec) | {"n": 4}
    most = max_cost_micros(spec, inputs, sandbox=False)
    assert most == round(spec.price.amount * 4 * 1_000_000)
    two = cost_micros(spec, inputs, [{}, {}], sandbox=False, cap=most)
    assert two == most // 2


def test_a_tier_of_the_input_prices_both_the_hold_and_the_charge():
    spec = CATALOG.get("kling-v2-6")
    std = _defaults(spec) | {"mode": "std", "duration": 5}
    pro = std | {"mode": "pro"}
    assert spec.price.tiers["std"] < spec.price.tiers["pro"]
    assert max_cost_micros(spec, std, sandbox=False) == round(spec.price.tiers["std"] * 5e6)
    assert max_cost_micros(spec, pro, sandbox=False) == round(spec.price.tiers["pro"] * 5e6)
    measured = [{"duration": 5.0}]
    assert cost_micros(spec, std, measured, sandbox=False) == max_cost_micros(
        spec, std, sandbox=False
    )
    assert spec.as_dict()["price"]["tiers"] == {"field": "mode", "amounts": dict(spec.price.tiers)}
