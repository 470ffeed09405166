"""`mediagate webhooks create|list|deliveries|redeliver|test`."""

from __future__ import annotations

import itertools
from typing import Annotated, Any

import typer

from mediagate.cli.common import err, print_table
from mediagate.cli.remote import JsonOption, KeyOption, UrlOption, connected, iso, print_json
from mediagate.client import Webhook, WebhookDelivery

app = typer.Typer(
    help="Webhook endpoints and their deliveries.",
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
)
WebhookId = Annotated[str, typer.Argument(metavar="WEBHOOK_ID", help="The endpoint's id (wh_...).")]
DELIVERY_HEADER = ("id", "event", "type", "status", "attempts", "answer", "created", "next try")


def _show_webhook(webhook: Webhook) -> None:
    rows = [
        ("id", webhook.id),
        ("url", webhook.url),
        ("events", ",".join(webhook.events)),
        ("description", webhook.description or ""),
        ("disabled", "yes" if webhook.disabled else "no"),
        ("created_at", iso(webhook.created_at)),
    ]
    if webhook.secret:
        rows.append(("secret", webhook.secret))
    print_table(("field", "value"), rows)


def _webhook_row(w: Webhook) -> tuple[str, ...]:
    disabled = "yes" if w.disabled else "no"
    return (w.id, w.url, ",".join(w.events), disabled, w.description or "", iso(w.created_at))


def _delivery_row(d: WebhookDelivery) -> tuple[str, ...]:
    answer = str(d.response_status) if d.response_status is not None else (d.error or "")
    return (
        d.id,
        d.event_id,
        d.event_type,
        d.status,
        str(d.attempts),
        answer,
        iso(d.created_at),
        iso(d.next_attempt_at),
    )


def _dump(value: Any) -> Any:
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else value


@app.command("create")
def create(
    endpoint_url: Annotated[str, typer.Argument(metavar="URL", help="Where to send events.")],
    event: Annotated[
        list[str] | None,
        typer.Option(
            "--event",
            "-e",
            metavar="TYPE",
            help="An event type to send (repeatable); default every status change.",
        ),
    ] = None,
    description: Annotated[str | None, typer.Option(help="A note for you.")] = None,
    json_output: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Register an endpoint; prints it with its signing secret (keep the secret)."""
    events = [name.strip() for value in event or [] for name in value.split(",") if name.strip()]
    with connected(url, api_key) as client:
        webhook = client.webhooks.create(
            endpoint_url, events=events or None, description=description
        )
    if json_output:
        print_json(_dump(webhook))
    else:
        _show_webhook(webhook)


@app.command("list")
def list_(
    json_output: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Your endpoints: a table on a terminal, tab-separated when piped, JSON with --json."""
    with connected(url, api_key) as client:
        webhooks = client.webhooks.list()
    if json_output:
        print_json([_dump(w) for w in webhooks])
        return
    print_table(
        ("id", "url", "events", "disabled", "description", "created"),
        [_webhook_row(w) for w in webhooks],
    )


@app.command("deliveries")
def deliveries(
    webhook_id: Annotated[
        str,
        typer.Argument(
            metavar="WEBHOOK_ID",
            help="The endpoint's id, or `default` for deliveries to tasks' callback_url.",
        ),
    ],
    limit: Annotated[
        int, typer.Option(min=0, help="Show at most this many (0: all, across every page).")
    ] = 20,
    json_output: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """The endpoint's delivery log, newest first."""
    with connected(url, api_key) as client:
        log = client.webhooks.deliveries(webhook_id, limit=min(limit, 100) or 100)
        found = list(itertools.islice(log, limit or None))
    if json_output:
        print_json([_dump(d) for d in found])
        return
    print_table(DELIVERY_HEADER, [_delivery_row(d) for d in found])
    err.print(f"{len(found)} of {log.total or 0} deliveries", highlight=False)


@app.command("redeliver")
def redeliver(
    webhook_id: WebhookId,
    delivery_id: Annotated[str, typer.Argument(metavar="DELIVERY_ID", help="From `deliveries`.")],
    json_output: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Send a delivery again (same event id, so receivers can tell it is a repeat)."""
    with connected(url, api_key) as client:
        delivery = client.webhooks.redeliver(webhook_id, delivery_id)
    if json_output:
        print_json(_dump(delivery))
    else:
        print_table(DELIVERY_HEADER, [_delivery_row(delivery)])


@app.command("test")
def test(
    webhook_id: WebhookId,
    json_output: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Send the endpoint a `webhook.test` event; prints its delivery (follow it with
    `deliveries`)."""
    with connected(url, api_key) as client:
        delivery = client.webhooks.test(webhook_id)
    if json_output:
        print_json(_dump(delivery))
    else:
        print_table(DELIVERY_HEADER, [_delivery_row(delivery)])
