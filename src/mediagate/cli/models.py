"""`mediagate models`: the gateway's model catalog."""

from __future__ import annotations

from typing import Annotated

import typer

from mediagate.cli.common import print_table
from mediagate.cli.remote import JsonOption, KeyOption, UrlOption, connected, print_json


def models(
    type_: Annotated[
        str | None, typer.Option("--type", help="image, video, audio, music or model3d.")
    ] = None,
    provider: Annotated[str | None, typer.Option(help="Only this provider's models.")] = None,
    all_models: Annotated[
        bool, typer.Option("--all", help="Also the models this key cannot run here, and why.")
    ] = False,
    json_output: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Models your key can use with `generate --model` (`--all`: every model, and why one is
    unavailable): a table, tab-separated when piped, or JSON (with each input schema)."""
    with connected(url, api_key) as client:
        found = client.models.list(type=type_, provider=provider)
    if not all_models:
        found = [m for m in found if m.available]
    if json_output:
        print_json([m.model_dump(mode="json") for m in found])
        return
    rows = []
    for m in found:
        price = f"{m.price.amount:g} {m.price.currency}/{m.price.unit}" if m.price else ""
        row = (m.id, m.type, m.provider, price, m.description)
        rows.append((*row, m.unavailable_reason or "yes") if all_models else row)
    header = ("id", "type", "provider", "price", "description")
    print_table((*header, "available") if all_models else header, rows)
