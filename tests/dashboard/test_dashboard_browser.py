"""The dashboard in a real browser (Debian's Chromium through Playwright): sign in and out, a
wrong key, the listing and its filters, a task created from the form and watched to success
without a reload, every media type's preview playing, cancel, isolation, a cross-site POST
refused, and no JavaScript error on any page. Screenshots of each page are written to
tests/artifacts/dashboard/; with MEDIAGATE_UPDATE_SCREENSHOTS=1, the task page with a video
replaces the README's docs/dashboard-task.png."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_support import (
    Dash,
    Watched,
    open_page,
    screenshot,
    sign_in,
    wait_until,
)
from playwright.sync_api import Browser, Page, expect

from helpers import free_port, serve_app, wait_for

DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "dashboard-task.png"


@pytest.fixture(scope="module")
def key(dash: Dash):
    return dash.new_key()


@pytest.fixture
def watched(browser: Browser, dash: Dash, key) -> Iterator[Watched]:
    """A signed-in page; at the end, no console error and no uncaught exception on any page."""
    w = open_page(browser, viewport={"width": 1200, "height": 900})
    sign_in(w.page, dash, key.secret)
    yield w
    w.close()
    assert w.errors == []


def _media_ready(page: Page, selector: str) -> dict:
    """Waits until the media element has loaded its metadata; its duration and size."""
    # A function, not an expression: Playwright evaluates an expression with the page's
    # eval, which the dashboard's Content-Security-Policy forbids.
    page.wait_for_function(
        "sel => { const m = document.querySelector(sel); return m && m.readyState >= 1; }",
        arg=selector,
        timeout=20_000,
    )
    return page.eval_on_selector(
        selector,
        "el => ({duration: el.duration, width: el.videoWidth || 0, height: el.videoHeight || 0,"
        " error: el.error && el.error.code})",
    )


def _image_size(page: Page, selector: str) -> tuple[int, int]:
    page.wait_for_function(
        "sel => { const i = document.querySelector(sel);"
        " return i && i.complete && i.naturalWidth > 0; }",
        arg=selector,
        timeout=20_000,
    )
    return tuple(page.eval_on_selector(selector, "i => [i.naturalWidth, i.naturalHeight]"))


def test_sign_in_a_wrong_key_and_sign_out(browser: Browser, dash: Dash, key):
    w = open_page(browser)
    page = w.page
    page.goto(dash.url("/dashboard/tasks/new"))
    expect(page).to_have_url(re.compile(r"/dashboard/sign-in\?next="))
    screenshot(page, "sign-in")
    page.get_by_label("API key").fill("mg_live_wrongwrongwrongwrongwrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("unknown or revoked")
    # From the keyboard alone: the field, the key, Enter.
    page.get_by_label("API key").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(key.secret)
    page.keyboard.press("Enter")
    expect(page).to_have_url(dash.url("/dashboard/tasks/new"))  # where it was going
    cookies = {c["name"]: c for c in w.context.cookies()}
    assert cookies["mediagate_session"]["httpOnly"] is True
    assert key.secret not in str(w.context.cookies()) and key.secret not in page.content()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(dash.url("/dashboard/sign-in"))
    page.goto(dash.url("/dashboard/tasks"))
    expect(page).to_have_url(re.compile(r"/dashboard/sign-in"))
    w.close()
    # The wrong key's 401 page logs one failed request; nothing else went wrong.
    assert [e for e in w.errors if "401" not in e] == []


def test_create_from_the_form_and_watch_it_succeed_without_a_reload(watched: Watched, dash):
    page = watched.page
    page.get_by_role("link", name="New task").first.click()
    page.get_by_label("Model").select_option("local-video")
    page.get_by_role("button", name="Use this model").click()
    expect(page.get_by_label("Duration")).to_have_value("4.0")  # the schema's default
    assert page.get_by_label("Width").get_attribute("max") == "1920"
    page.get_by_label("Prompt").fill("a red fox running through fresh snow")
    page.get_by_label("Duration").fill("3")
    page.get_by_label("Render seconds").fill("2")
    page.get_by_role("button", name="Create").click()
    expect(page).to_have_url(re.compile(r"/dashboard/tasks/task_"))
    page.evaluate("window.__sameDocument = true")
    expect(page.locator("#task [data-field=status]").first).not_to_have_text("succeeded")
    expect(page.locator("#task [data-field=status]").first).to_have_text(
        "succeeded", timeout=30_000
    )
    media = _media_ready(page, "video")
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    assert media["error"] is None and abs(media["duration"] - 3.0) < 0.2, media
    assert (media["width"], media["height"]) == (640, 360)
    page.eval_on_selector("video", "v => { v.muted = true; return v.play(); }")
    wait_until(lambda: page.eval_on_selector("video", "v => v.currentTime") > 0, what="playing")
    expect(page.get_by_role("link", name="Download")).to_have_attribute("download", "")
    expect(page.locator("#timeline")).to_contain_text("task.succeeded")
    page.eval_on_selector("video", "v => { v.pause(); v.currentTime = 1.5; }")
    path = screenshot(page, "task-video", full_page=False)
    if os.environ.get("MEDIAGATE_UPDATE_SCREENSHOTS"):
        shutil.copyfile(path, DOCS_SCREENSHOT)


@pytest.mark.parametrize(
    ("kind", "model", "extra"),
    [
        ("image", "local-image", {"width": 320, "height": 200}),
        ("audio", "local-audio", {"duration": 2}),
        ("music", "local-music", {"duration": 2}),
        ("model3d", "local-3d", {}),
    ],
)
def test_each_media_type_is_previewed(watched: Watched, dash, key, kind, model, extra):
    with dash.api(key.secret) as api:
        body = {"type": kind, "model": model, "input": {"prompt": f"a {kind}", **extra}}
        task_id = api.post("/api/v1/tasks", json=body).json()["data"]["id"]
        assert wait_for(api, task_id, timeout=60)["status"] == "succeeded"
    page = watched.page
    page.goto(dash.url(f"/dashboard/tasks/{task_id}"))
    if kind == "image":
        assert _image_size(page, ".result img") == (320, 200)
    elif kind in ("audio", "music"):
        media = _media_ready(page, "audio")
        assert media["error"] is None and abs(media["duration"] - 2.0) < 0.2, media
        assert _image_size(page, "img.waveform")[0] > 0
    else:
        width, height = _image_size(page, "img.model-view")
        assert width > 0 and height > 0
        link = page.get_by_role("link", name="Download")
        assert ".glb" in (link.get_attribute("href") or "")
        with page.expect_download() as download:
            link.click()
        assert download.value.suggested_filename == f"{task_id}.glb"
    screenshot(page, f"task-{kind}")


def test_the_listing_its_filters_and_live_statuses(watched: Watched, dash, key):
    with dash.api(key.secret) as api:
        slow = {"type": "image", "model": "local-image"}
        running = api.post(
            "/api/v1/tasks", json={**slow, "input": {"prompt": "slow", "render_seconds": 3}}
        ).json()["data"]["id"]
        doomed = api.post(
            "/api/v1/tasks", json={**slow, "input": {"prompt": "doomed", "render_seconds": 60}}
        ).json()["data"]["id"]
        api.post(f"/api/v1/tasks/{doomed}/cancel")
    page = watched.page
    page.goto(dash.url("/dashboard/tasks"))
    row = page.locator(f'tr[data-task-id="{running}"]')
    page.evaluate("window.__sameDocument = true")
    expect(row.locator("[data-field=status]")).to_have_text("succeeded", timeout=30_000)
    expect(row.locator("progress")).to_have_attribute("value", "100")
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, "tasks")
    page.get_by_label("Status").select_option("cancelled")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"/dashboard/tasks\?status=cancelled"))
    expect(page.locator(f'tr[data-task-id="{doomed}"]')).to_be_visible()
    expect(page.locator(f'tr[data-task-id="{running}"]')).to_have_count(0)
    page.goto(dash.url(f"/dashboard/tasks?search={running[:12]}&modelId=local-image"))
    expect(page.locator("tbody tr[data-task-id]")).to_have_count(1)
    expect(page.get_by_label("Task id starts with")).to_have_value(running[:12])


def test_cancel_a_running_task(watched: Watched, dash, key):
    with dash.api(key.secret) as api:
        body = {"type": "video", "model": "local-video", "input": {"prompt": "long",
                "render_seconds": 120}}  # fmt: skip
        task_id = api.post("/api/v1/tasks", json=body).json()["data"]["id"]
    page = watched.page
    page.goto(dash.url(f"/dashboard/tasks/{task_id}"))
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("status")).to_contain_text("was cancelled")
    expect(page.locator("[data-field=status]").first).to_have_text("cancelled")
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    screenshot(page, "task-cancelled")


def test_another_accounts_task_is_a_404_page(watched: Watched, dash):
    other = dash.new_key()
    with dash.api(other.secret) as api:
        body = {"type": "image", "model": "local-image", "input": {"prompt": "theirs"}}
        theirs = api.post("/api/v1/tasks", json=body).json()["data"]["id"]
    response = watched.page.goto(dash.url(f"/dashboard/tasks/{theirs}"))
    assert response is not None and response.status == 404
    expect(watched.page.get_by_role("heading", name="Not found")).to_be_visible()
    screenshot(watched.page, "not-found")
    watched.errors.clear()  # the 404 itself is logged as a failed resource


def test_a_cross_site_post_is_refused(watched: Watched, dash, key):
    """A page on another origin posting the cancel form with the session's cookie (SameSite
    does not stop it: another port of the same host is the same site) is refused."""
    with dash.api(key.secret) as api:
        body = {"type": "video", "model": "local-video", "input": {"prompt": "target",
                "render_seconds": 120}}  # fmt: skip
        task_id = api.post("/api/v1/tasks", json=body).json()["data"]["id"]
        attack = (
            f'<form method="post" action="{dash.url(f"/dashboard/tasks/{task_id}/cancel")}">'
            '<input name="csrf_token" value="guessed"><button>Win</button></form>'
        )
        from starlette.applications import Starlette
        from starlette.responses import HTMLResponse
        from starlette.routing import Route

        evil = Starlette(routes=[Route("/", lambda _r: HTMLResponse(attack))])
        server, thread, evil_url = serve_app(evil)
        try:
            assert evil_url != dash.base_url and free_port()
            page = watched.page
            page.goto(evil_url + "/")
            page.get_by_role("button", name="Win").click()
            expect(page.get_by_role("heading", name="Forbidden")).to_be_visible()
            screenshot(page, "cross-site-refused")
        finally:
            server.should_exit = True
            thread.join(10)
        assert api.get(f"/api/v1/tasks/{task_id}").json()["data"]["status"] != "cancelled"
        api.post(f"/api/v1/tasks/{task_id}/cancel")
    watched.errors.clear()  # the 403 is logged as a failed resource


def test_pages_fit_a_phone(browser: Browser, dash: Dash, key):
    w = open_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True)
    sign_in(w.page, dash, key.secret)
    pages = ("tasks", "tasks/new", "usage", "webhooks")
    for path, name in ((f"/dashboard/{p}", p.replace("/", "-")) for p in pages):
        w.page.goto(dash.url(path))
        overflow = w.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (path, overflow)
        screenshot(w.page, f"phone-{name}")
    w.close()
    assert w.errors == []
