"""The dashboard in a real browser, continued: webhooks (create, send a test, rotate the secret,
disable, redeliver, delete; a task's deliveries on its page), usage (credits, the spend chart,
usage by model and key, the ledger), and a sandbox key running a remote model on the simulator
from the form. No JavaScript error on any page; screenshots in tests/artifacts/dashboard/."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from dashboard_support import Dash, Receiver, Watched, open_page, screenshot, sign_in
from playwright.sync_api import Browser, Page, expect

from helpers import wait_for
from mediagate.billing import service as billing


def _signed_in(browser: Browser, dash: Dash, secret: str) -> Watched:
    w = open_page(browser, viewport={"width": 1200, "height": 900})
    sign_in(w.page, dash, secret)
    return w


@pytest.fixture
def account(dash: Dash):
    return dash.new_key()


@pytest.fixture
def watched(browser: Browser, dash: Dash, account) -> Iterator[Watched]:
    w = _signed_in(browser, dash, account.secret)
    yield w
    w.close()
    assert w.errors == []


def _reload_until(page: Page, locator: str, text: str, timeout: float = 30) -> None:
    """The delivery log is not live: reload until `locator` shows `text`."""
    import time

    deadline = time.monotonic() + timeout
    while text not in (page.locator(locator).text_content() or ""):
        assert time.monotonic() < deadline, f"{locator} never showed {text!r}"
        page.wait_for_timeout(300)
        page.reload()


def test_manage_a_webhook_endpoint(watched: Watched, dash, account, receiver: Receiver):
    page = watched.page
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("URL").fill("ftp://example.com/hook")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator("#wh-url-error")).to_contain_text("http:// or https://")
    watched.errors.clear()  # the 400 answer is logged as a failed resource
    page.get_by_label("URL").fill(receiver.base + "/hooks/a")
    page.get_by_label("Description").fill("<b>receiver</b> one")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("status")).to_contain_text("was created")
    endpoint_id = page.url.rsplit("/", 1)[1].split("?")[0]
    secret = page.locator("#secret").text_content()
    assert secret and secret.startswith("whsec_")
    expect(page.get_by_text("<b>receiver</b> one")).to_be_visible()  # escaped, not bold

    page.get_by_role("button", name="Send test event").click()
    expect(page.get_by_role("status")).to_contain_text("test event")
    _reload_until(page, "#deliveries tbody", "succeeded")
    assert "/hooks/a" in receiver.paths

    # A task's events reach the endpoint, and the task's page lists its deliveries.
    with dash.api(account.secret) as api:
        body = {"type": "image", "model": "local-image", "input": {"prompt": "hooked"}}
        task_id = api.post("/api/v1/tasks", json=body).json()["data"]["id"]
        assert wait_for(api, task_id)["status"] == "succeeded"
    page.goto(dash.url(f"/dashboard/tasks/{task_id}"))
    _reload_until(page, "section:has(#deliveries-h) table", "task.succeeded")
    expect(page.get_by_role("link", name=endpoint_id).first).to_be_visible()

    page.goto(dash.url(f"/dashboard/webhooks/{endpoint_id}"))
    page.get_by_role("button", name="Rotate secret").click()
    expect(page.get_by_role("status")).to_contain_text("new secret")
    assert page.locator("#secret").text_content() not in (None, secret)

    first = page.locator("#deliveries tbody tr").last.get_attribute("data-delivery-id")
    page.get_by_role("button", name=f"Redeliver {first}").click()
    expect(page.get_by_role("status")).to_contain_text("delivered again")
    _reload_until(page, "#deliveries tbody tr:first-child", "succeeded")

    page.get_by_role("button", name="Disable").click()
    expect(page.locator("#endpoint-state")).to_have_text("disabled")
    expect(page.get_by_role("button", name="Enable")).to_be_visible()
    screenshot(page, "webhook")

    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("was deleted")
    expect(page.locator("#endpoints")).not_to_contain_text(endpoint_id)
    screenshot(page, "webhooks")


def test_usage_shows_credits_the_chart_and_the_ledger(watched: Watched, dash, account):
    dash.run(billing.grant(dash.db, account.account_name, 5_000_000, "welcome"))
    with dash.api(account.secret) as api:
        body = {"type": "video", "model": "local-video", "input": {"prompt": "paid",
                "duration": 2}}  # fmt: skip
        task_id = api.post("/api/v1/tasks", json=body).json()["data"]["id"]
        task = wait_for(api, task_id, timeout=60)
    assert task["status"] == "succeeded" and task["cost"] > 0
    page = watched.page
    page.get_by_role("link", name="Usage").click()
    expect(page.locator("#billing, #credits")).to_contain_text("prepaid")
    expect(page.locator("#balance")).to_have_text(f"{5 - task['cost']:g}")
    expect(page.locator("#held")).to_have_text("0")
    bars = page.locator("#spend-chart rect.bar")
    expect(bars).to_have_count(30)
    heights = [float(b.get_attribute("height") or 0) for b in bars.all()]
    assert heights[-1] > 0 and sum(1 for h in heights if h > 0) == 1  # today's spend only
    expect(page.get_by_role("table", name="By model")).to_contain_text("local-video")
    expect(page.get_by_role("table", name="By key")).to_contain_text(account.key_id)
    ledger = page.locator("#ledger")
    for kind in ("grant", "hold", "charge"):  # charged all it held: nothing to release
        expect(ledger).to_contain_text(kind)
    expect(ledger.get_by_role("link", name=task_id).first).to_be_visible()
    screenshot(page, "usage")


def test_a_sandbox_key_runs_a_remote_model_on_the_simulator(browser: Browser, dash: Dash):
    sandbox = dash.new_key(test=True)
    w = _signed_in(browser, dash, sandbox.secret)
    page = w.page
    page.goto(dash.url("/dashboard/tasks/new?model=sora-2"))
    expect(page.get_by_label("Model")).to_have_value("sora-2")
    page.get_by_label("Prompt").fill("a paper boat on a rainy street")
    page.get_by_role("button", name="Create").click()
    expect(page).to_have_url(re.compile(r"/dashboard/tasks/task_"))
    page.evaluate("window.__sameDocument = true")
    status = page.locator("#task [data-field=status]").first
    expect(status).to_have_text("succeeded", timeout=60_000)
    assert page.evaluate("window.__sameDocument") is True
    page.wait_for_function(
        "() => { const v = document.querySelector('video'); return v && v.readyState >= 1; }",
        timeout=20_000,
    )
    assert page.eval_on_selector("video", "v => v.duration") > 0
    expect(page.locator("#timeline")).to_contain_text("task.running")
    screenshot(page, "task-sandbox-video")
    w.close()
    assert w.errors == []
