"""`GET|HEAD /files/{key}` over real HTTP: signatures, headers, ranges, traversal."""

from __future__ import annotations

import asyncio
import http.client
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from storage_support import Clock, make_png, serving

from helpers import error_of
from mediagate.api import errors
from mediagate.api.routes import files
from mediagate.storage.disposition import content_disposition
from mediagate.storage.local import LocalStorage
from mediagate.storage.signing import URLSigner

KEY = "acct_a/task_1/0.png"
OTHER_KEY = "acct_a/task_1/1.png"
SECRET = b"TOP-SECRET-OUTSIDE-THE-ROOT"


@dataclass
class FileServer:
    base_url: str
    store: LocalStorage
    clock: Clock
    png: bytes
    outside: Path

    def url(self, key: str = KEY, filename: str = "task_1.png", ttl_s: int = 60) -> str:
        relative = self.store.url(key, filename=filename, content_type="image/png", ttl_s=ttl_s)
        return self.base_url + relative

    def raw(self, method: str, target: str) -> tuple[int, bytes]:
        """A request with `target` sent byte for byte (no client-side normalisation)."""
        parts = urlsplit(self.base_url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            conn.request(method, target)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FileServer]:
    base = tmp_path_factory.mktemp("files")
    clock = Clock()
    store = LocalStorage(base / "root", URLSigner(secrets.token_bytes(32), clock=clock))
    png = make_png(base / "src.png")
    make_png(base / "other.png", seed=7)
    asyncio.run(store.put_file(KEY, base / "src.png", "image/png"))
    asyncio.run(store.put_file(OTHER_KEY, base / "other.png", "image/png"))
    outside = base / "outside" / "secret.txt"
    outside.parent.mkdir()
    outside.write_bytes(SECRET)
    os.symlink(outside, store.root / "acct_a/task_1/link.txt")
    app = FastAPI()
    errors.install(app)
    app.include_router(files.router)
    app.state.storage = store
    with serving(app) as base_url:
        yield FileServer(base_url, store, clock, png, outside)


@pytest.fixture(scope="module")
def http_client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def test_download(server: FileServer, http_client: httpx.Client) -> None:
    r = http_client.get(server.url())
    assert r.status_code == 200
    assert r.content == server.png
    assert r.headers["content-type"] == "image/png"
    assert r.headers["content-disposition"] == 'attachment; filename="task_1.png"'
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["content-length"] == str(len(server.png))
    assert r.headers["etag"] and r.headers["last-modified"]
    assert r.headers["x-content-type-options"] == "nosniff"
    max_age = int(r.headers["cache-control"].removeprefix("private, max-age="))
    assert 55 <= max_age <= 61


def test_non_ascii_filename(server: FileServer, http_client: httpx.Client) -> None:
    r = http_client.get(server.url(filename="résumé ✓.png"))
    assert r.status_code == 200
    assert r.headers["content-disposition"] == content_disposition("résumé ✓.png")
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9%20%E2%9C%93.png" in r.headers["content-disposition"]


def _with(url: str, **changes: str | None) -> str:
    parts = urlsplit(url)
    params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    return parts._replace(query=urlencode(params)).geturl()


def _forbidden(server: FileServer, http_client: httpx.Client) -> dict[str, str]:
    good = server.url()
    sig = parse_qs(urlsplit(good).query)["sig"][0]
    exp = int(parse_qs(urlsplit(good).query)["exp"][0])
    past = server.store.signer.sign(KEY, int(server.clock()) - 5, "task_1.png", "image/png")
    return {
        "tampered sig": _with(good, sig=("A" if sig[0] != "A" else "B") + sig[1:]),
        "tampered key": good.replace("/0.png?", "/1.png?"),
        "tampered exp": _with(good, exp=str(exp + 86400)),
        "tampered name": _with(good, name="evil.html"),
        "tampered type": _with(good, type="text/html"),
        "missing sig": _with(good, sig=None),
        "no query": good.split("?")[0],
        "expired": f"{server.base_url}/files/{KEY}?{past}",
        "repeated sig": good + "&sig=" + sig,
    }


@pytest.mark.parametrize(
    "case",
    [
        "tampered sig",
        "tampered key",
        "tampered exp",
        "tampered name",
        "tampered type",
        "missing sig",
        "no query",
        "expired",
        "repeated sig",
    ],
)
def test_refused(server: FileServer, http_client: httpx.Client, case: str) -> None:
    url = _forbidden(server, http_client)[case]
    r = http_client.get(url)
    assert r.status_code == 403, (case, r.text)
    assert r.headers["content-type"] == "application/json"
    error = error_of(r)
    assert error["code"] == "FORBIDDEN"
    if case == "expired":
        assert "expired" in error["message"]
    head = http_client.head(url)
    assert head.status_code == 403 and head.content == b""


def test_expiry_follows_the_signers_clock(server: FileServer, http_client: httpx.Client) -> None:
    url = server.url(ttl_s=30)
    assert http_client.get(url).status_code == 200
    server.clock.offset = 32
    try:
        r = http_client.get(url)
    finally:
        server.clock.offset = 0
    assert r.status_code == 403
    assert "expired" in error_of(r)["message"]


def test_missing_file_is_not_found(server: FileServer, http_client: httpx.Client) -> None:
    r = http_client.get(server.url("acct_a/task_1/9.png"))
    assert r.status_code == 404
    assert error_of(r)["code"] == "NOT_FOUND"


def test_head(server: FileServer, http_client: httpx.Client) -> None:
    r = http_client.head(server.url())
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-length"] == str(len(server.png))
    assert r.headers["content-type"] == "image/png"
    assert r.headers["content-disposition"] == 'attachment; filename="task_1.png"'
    ranged = http_client.head(server.url(), headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206
    assert ranged.headers["content-range"] == f"bytes 0-99/{len(server.png)}"


def test_single_ranges(server: FileServer, http_client: httpx.Client) -> None:
    data, size = server.png, len(server.png)
    cases = {
        "bytes=0-99": (0, 100),
        "bytes=-100": (size - 100, size),
        "bytes=100-": (100, size),
        "bytes=1000-149999": (1000, 150000),  # several chunks of the stream
        f"bytes=10-{size + 500}": (10, size),  # an end past the file is clamped
    }
    for header, (start, end) in cases.items():
        r = http_client.get(server.url(), headers={"Range": header})
        assert r.status_code == 206, header
        assert r.content == data[start:end], header
        assert r.headers["content-range"] == f"bytes {start}-{end - 1}/{size}", header
        assert r.headers["content-length"] == str(end - start), header
        assert r.headers["content-type"] == "image/png"


def test_unsatisfiable_range(server: FileServer, http_client: httpx.Client) -> None:
    size = len(server.png)
    for header in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}"):
        r = http_client.get(server.url(), headers={"Range": header})
        assert r.status_code == 416, header
        assert r.headers["content-range"] == f"bytes */{size}"
        assert error_of(r)["code"] == "RANGE_NOT_SATISFIABLE"


def test_malformed_range_is_ignored(server: FileServer, http_client: httpx.Client) -> None:
    for header in ("bytes=abc", "items=0-5", "bytes=", "bytes=20-10"):
        r = http_client.get(server.url(), headers={"Range": header})
        assert r.status_code == 200, header
        assert r.content == server.png


def test_multiple_ranges(server: FileServer, http_client: httpx.Client) -> None:
    r = http_client.get(server.url(), headers={"Range": "bytes=0-9,20-29"})
    assert r.status_code == 206
    assert r.headers["content-type"].startswith("multipart/byteranges; boundary=")
    size = len(server.png)
    assert f"Content-Range: bytes 0-9/{size}".encode() in r.content
    assert f"Content-Range: bytes 20-29/{size}".encode() in r.content
    assert server.png[0:10] in r.content and server.png[20:30] in r.content


def test_if_range(server: FileServer, http_client: httpx.Client) -> None:
    etag = http_client.head(server.url()).headers["etag"]
    same = http_client.get(server.url(), headers={"Range": "bytes=0-9", "If-Range": etag})
    assert same.status_code == 206 and same.content == server.png[:10]
    changed = http_client.get(server.url(), headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert changed.status_code == 200 and changed.content == server.png


TRAVERSALS = [
    "/files/../outside/secret.txt",
    "/files/%2e%2e/outside/secret.txt",
    "/files/..%2foutside%2fsecret.txt",
    "/files/acct_a/../../outside/secret.txt",
    "/files/acct_a/task_1/%2e%2e/%2e%2e/%2e%2e/outside/secret.txt",
    "/files/..%5coutside%5csecret.txt",
    "/files/acct_a/task_1/0.png%00.txt",
    "/files/acct_a/task_1/link.txt",
    "/files/.%2e/outside/secret.txt",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_traversal_never_leaves_the_root(server: FileServer, target: str) -> None:
    status, body = server.raw("GET", target)
    assert status == 403, (target, status, body)
    assert SECRET not in body
    # Even with a valid signature for that exact key (a leaked secret), nothing leaks.
    key = unquote(target.removeprefix("/files/"))
    signed = server.store.signer.sign(key, int(server.clock()) + 60, "x.txt", "text/plain")
    status, body = server.raw("GET", f"{target}?{signed}")
    assert status == 404, (target, status, body)
    assert SECRET not in body


def test_absolute_path_key(server: FileServer) -> None:
    key = str(server.outside)  # "/tmp/.../secret.txt": the URL path has a double slash
    signed = server.store.signer.sign(key, int(server.clock()) + 60, "x.txt")
    for target in (f"/files/{key}", f"/files/{key}?{signed}"):
        status, body = server.raw("GET", target)
        assert status in (403, 404), (target, status)
        assert SECRET not in body


def test_without_local_storage_nothing_is_served() -> None:
    app = FastAPI()
    errors.install(app)
    app.include_router(files.router)
    app.state.storage = None
    with serving(app) as base_url:
        r = httpx.get(f"{base_url}/files/{KEY}?exp=1&name=a&sig=b", timeout=10)
    assert r.status_code == 404
    assert error_of(r)["code"] == "NOT_FOUND"
