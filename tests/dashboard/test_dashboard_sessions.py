"""Dashboard sessions and form security over real HTTP, on SQLite and PostgreSQL: the key
becomes a server-side session (the browser holds a random id, the database its hash), revoking
the key or signing out ends it, and every state-changing request needs the CSRF token and the
dashboard's own Origin. Another account's task is a 404 page, as in the API."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import httpx
from dashboard_support import CSRF
from sqlalchemy import select, update

from helpers import insert_tasks, serve_app
from mediagate.accounts import service as accounts
from mediagate.api import create_app
from mediagate.catalog import CATALOG
from mediagate.config import Settings
from mediagate.db.tables import dashboard_sessions


def _sign_in(live: Any, key: str, **headers: str) -> tuple[httpx.Client, httpx.Response]:
    http = httpx.Client(base_url=live.base_url, timeout=30)
    form = http.get("/dashboard/sign-in")
    token = CSRF.search(form.text)[1]
    answer = http.post(
        "/dashboard/sign-in",
        data={"csrf_token": token, "api_key": key, "next": "/dashboard/tasks"},
        headers={"Origin": live.base_url} | headers,
    )
    return http, answer


def _rows(live: Any) -> list:
    async def read() -> list:
        async with live.db.read() as conn:
            return list((await conn.execute(select(dashboard_sessions))).all())

    return live.run(read())


def _token(http: httpx.Client, path: str = "/dashboard/tasks/new") -> str:
    return CSRF.search(http.get(path).text)[1]


def test_sign_in_leaves_a_random_id_in_the_browser_and_its_hash_on_the_server(live):
    key = live.new_key()
    http, answer = _sign_in(live, key.secret)
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/tasks"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if "mediagate_session=" in c)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/dashboard" in cookie
    assert "Max-Age=" in cookie and "Secure" not in cookie  # plain http on loopback
    value = http.cookies["mediagate_session"]
    assert key.secret not in str(answer.headers) and key.secret not in value
    row = next(r for r in _rows(live) if r.key_id == key.key_id)
    assert row.id_hash == hashlib.sha256(value.encode()).hexdigest()
    assert key.secret not in str(tuple(row)) and value not in str(tuple(row))
    page = http.get("/dashboard/tasks")
    assert page.status_code == 200 and "Sign out" in page.text
    assert key.secret not in page.text


def test_a_wrong_key_is_refused_and_opens_no_session(live):
    before = len(_rows(live))
    for wrong in ("mg_live_" + "x" * 43, "not a key", ""):
        http, answer = _sign_in(live, wrong)
        assert answer.status_code in (400, 401), answer.text
        assert "mediagate_session" not in http.cookies
        if wrong:
            assert "unknown or revoked" in answer.text
    assert len(_rows(live)) == before
    assert http.get("/dashboard/tasks").status_code == 303


def test_revoking_the_key_ends_its_sessions(live):
    key = live.new_key()
    http, _ = _sign_in(live, key.secret)
    assert http.get("/dashboard/usage").status_code == 200
    live.run(accounts.revoke_key(live.db, key.secret))
    for path in ("/dashboard/usage", "/dashboard/tasks", "/dashboard/events/stream"):
        answer = http.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/dashboard/sign-in")


def test_sign_out_ends_the_session_for_good(live):
    key = live.new_key()
    http, _ = _sign_in(live, key.secret)
    stolen = http.cookies["mediagate_session"]
    out = http.post(
        "/dashboard/sign-out",
        data={"csrf_token": _token(http)},
        headers={"Origin": live.base_url},
    )
    assert out.status_code == 303 and out.headers["location"] == "/dashboard/sign-in"
    assert not [r for r in _rows(live) if r.key_id == key.key_id]
    replay = httpx.get(live.base_url + "/dashboard/tasks", cookies={"mediagate_session": stolen})
    assert replay.status_code == 303


def test_an_expired_session_sends_the_browser_to_sign_in(live):
    key = live.new_key()
    http, _ = _sign_in(live, key.secret)

    async def expire() -> None:
        async with live.db.write() as conn:
            await conn.execute(
                update(dashboard_sessions)
                .where(dashboard_sessions.c.key_id == key.key_id)
                .values(expires_at=1)
            )

    live.run(expire())
    answer = http.get("/dashboard/tasks?status=failed")
    assert answer.status_code == 303
    assert answer.headers["location"] == (
        "/dashboard/sign-in?next=%2Fdashboard%2Ftasks%3Fstatus%3Dfailed"
    )


def test_the_cookie_is_secure_behind_https(live):
    """Behind a TLS-terminating proxy on loopback (uvicorn trusts its X-Forwarded-Proto), the
    page's origin is https, and so is the cookie."""
    https_origin = live.base_url.replace("http://", "https://")
    headers = {"X-Forwarded-Proto": "https", "Origin": https_origin}
    _, answer = _sign_in(live, live.new_key().secret, **headers)
    cookie = next(c for c in answer.headers.get_list("set-cookie") if "mediagate_session=" in c)
    assert "Secure" in cookie


def test_state_changing_requests_need_the_token_and_the_dashboards_origin(live):
    key = live.new_key()
    http, _ = _sign_in(live, key.secret)
    token = _token(http)
    body = {"model": "local-image", "prompt": "a fox", "idempotency_key": "k1"}
    refused = [
        ({**body}, {"Origin": live.base_url}),  # no token
        ({**body, "csrf_token": "forged"}, {"Origin": live.base_url}),
        ({**body, "csrf_token": token}, {"Origin": "https://evil.example"}),
        ({**body, "csrf_token": token}, {"Referer": "https://evil.example/page"}),
        ({**body, "csrf_token": token}, {}),  # neither Origin nor Referer
    ]
    for data, headers in refused:
        answer = http.post("/dashboard/tasks/new", data=data, headers=headers)
        assert answer.status_code == 403, (data, headers)
        assert "FORBIDDEN" in answer.text
    assert live.client(key.secret).get("/api/v1/tasks").json()["pagination"]["total"] == 0
    ok = http.post(
        "/dashboard/tasks/new",
        data={**body, "csrf_token": token},
        headers={"Origin": live.base_url},
    )
    assert ok.status_code == 303 and ok.headers["location"].startswith("/dashboard/tasks/task_")
    # The sign-in form has its own token, bound to a cookie of the sign-in page.
    bare = httpx.post(
        live.base_url + "/dashboard/sign-in",
        data={"csrf_token": "x", "api_key": key.secret},
        headers={"Origin": live.base_url},
    )
    assert bare.status_code == 403 and "mediagate_session" not in bare.cookies


def test_pages_carry_a_csp_without_inline_scripts_and_escape_hostile_input(live):
    key = live.new_key()
    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    created = live.client(key.secret).post(
        "/api/v1/tasks",
        json={
            "type": "image",
            "model": "local-image",
            "input": {"prompt": hostile},
            "metadata": {"note": hostile, "<b>key</b>": 1},
        },
    )
    task_id = created.json()["data"]["id"]
    http, _ = _sign_in(live, key.secret)
    page = http.get(f"/dashboard/tasks/{task_id}")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert hostile not in page.text and "<b>key</b>" not in page.text
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page.text
    assert not re.search(r"<script(?![^>]*\bsrc=\"/dashboard/static/)", page.text)


def test_another_accounts_task_is_a_404_page_as_in_the_api(live):
    mine, theirs = live.new_key(), live.new_key()
    (their_task,) = live.run(insert_tasks(live.db, theirs.account_id, 1))
    http, _ = _sign_in(live, mine.secret)
    for task_id in (their_task, "task_doesNotExist000000000", "bad%00id"):
        answer = http.get(f"/dashboard/tasks/{task_id}")
        assert answer.status_code == 404 and "Not found" in answer.text
        assert "TASK_NOT_FOUND" in answer.text
    cancel = http.post(
        f"/dashboard/tasks/{their_task}/cancel",
        data={"csrf_token": _token(http)},
        headers={"Origin": live.base_url},
    )
    assert cancel.status_code == 404
    status = live.client(theirs.secret).get(f"/api/v1/tasks/{their_task}").json()["data"]
    assert status["status"] == "pending"


def test_the_listing_takes_the_apis_filters_from_the_query(live):
    key = live.new_key()
    cancelled = live.run(insert_tasks(live.db, key.account_id, 2, status="cancelled"))
    pending = live.run(insert_tasks(live.db, key.account_id, 3))
    http, _ = _sign_in(live, key.secret)
    page = http.get("/dashboard/tasks?status=cancelled").text
    assert all(t in page for t in cancelled) and not any(t in page for t in pending)
    paged = http.get("/dashboard/tasks?limit=2").text
    assert "Next page" in paged and paged.count('data-task-id="') == 2
    bad = http.get("/dashboard/tasks?status=done")
    assert bad.status_code == 400 and "status: must be one of" in bad.text


def test_bad_form_input_is_a_400_naming_the_field(live):
    key = live.new_key()
    http, _ = _sign_in(live, key.secret)
    token = _token(http)
    answer = http.post(
        "/dashboard/tasks/new",
        data={"csrf_token": token, "model": "local-video", "prompt": "x", "width": "5000",
              "fps": "fast"},
        headers={"Origin": live.base_url},
    )  # fmt: skip
    assert answer.status_code == 400
    errors = re.findall(r'class="field-error" id="in-(\w+)-error">([^<]*)<', answer.text)
    assert dict(errors) == {"fps": "Fps must be a whole number"}
    answer = http.post(
        "/dashboard/tasks/new",
        data={"csrf_token": token, "model": "local-video", "prompt": "x", "width": "5000"},
        headers={"Origin": live.base_url},
    )
    errors = dict(re.findall(r'class="field-error" id="in-(\w+)-error">([^<]*)<', answer.text))
    assert answer.status_code == 400 and "1920" in errors["width"], errors
    assert 'value="5000"' in answer.text  # what was typed is kept


def test_result_origins_of_the_settings_are_allowed_by_the_csp(database_urls, tmp_path):
    """Results served from MEDIAGATE_PUBLIC_URL (or an S3 endpoint) on plain http load in the
    pages too; https: ones always do."""
    settings = Settings(
        database_url=database_urls("sqlite"),
        data_dir=tmp_path,
        workers=0,
        public_url="http://media.lan:8000/",
        s3_endpoint_url="http://minio.lan:9000",
    )
    server, thread, base_url = serve_app(create_app(settings))
    try:
        csp = httpx.get(base_url + "/dashboard/sign-in").headers["content-security-policy"]
    finally:
        server.should_exit = True
        thread.join(10)
    media = "'self' data: https: http://media.lan:8000 http://minio.lan:9000"
    assert f"img-src {media};" in csp and f"media-src {media};" in csp


def test_the_new_task_form_renders_for_every_model(live):
    http, _ = _sign_in(live, live.new_key(test=True).secret)
    for spec in CATALOG:
        page = http.get("/dashboard/tasks/new", params={"model": spec.id})
        assert page.status_code == 200, spec.id
        assert f'<option value="{spec.id}" selected>' in page.text
        assert 'id="in-prompt"' in page.text and ">Create</button>" in page.text
    unknown = http.get("/dashboard/tasks/new", params={"model": "no-such-model"})
    assert unknown.status_code == 400 and "There is no model" in unknown.text


def test_a_wrong_method_is_a_405_page_with_an_allow_header(live):
    answer = httpx.get(live.base_url + "/dashboard/sign-out")
    assert answer.status_code == 405 and "Not allowed" in answer.text
    assert "allow" in answer.headers  # its value is api.errors' (empty in main for now)
