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
    json_output: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Models you can use with `generate --model`: a table, tab-separated when piped, or JSON
    (with each model's input schema)."""
    with connected(url, api_key) as client:
        found = client.models.list(type=type_, provider=provider)
    if json_output:
        print_json([m.model_dump(mode="json") for m in found])
        return
    rows = []
    for m in found:
        price = f"{m.price.amount:g} {m.price.currency}/{m.price.unit}" if m.price else ""
        rows.append((m.id, m.type, m.provider, price, m.description))
    print_table(("id", "type", "provider", "price", "description"), rows)
