"""The whole gateway serves local files whose URL another instance signed on its database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from storage_support import make_png

from mediagate.storage.local import LocalStorage
from mediagate.storage.signing import URLSigner, load_or_create_secret


def test_a_url_signed_elsewhere_is_served(live: Any, tmp_path: Path) -> None:
    """A worker process and an API process share only the database (the secret) and the files
    folder; a URL one signs, the other serves."""
    secret = live.run(load_or_create_secret(live.db))
    worker_store = LocalStorage(live.data_dir / "files", URLSigner(secret))
    data = make_png(tmp_path / "out.png", seed=3)
    key = "acct_gateway/task_gateway/0.png"
    live.run(worker_store.put_file(key, tmp_path / "out.png", "image/png"))
    url = worker_store.url(key, filename="task_gateway.png", content_type="image/png", ttl_s=60)
    r = httpx.get(live.base_url + url, timeout=10)
    assert r.status_code == 200, r.text
    assert r.content == data
    assert r.headers["content-type"] == "image/png"
    forged = LocalStorage(live.data_dir / "files", URLSigner(b"x" * 32))
    bad = forged.url(key, filename="task_gateway.png", content_type="image/png", ttl_s=60)
    assert httpx.get(live.base_url + bad, timeout=10).status_code == 403
