"""S3Storage against moto's S3 server, run as a real process on loopback."""

from __future__ import annotations

import asyncio
import io
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import httpx
import orjson
import pytest
from botocore.config import Config
from PIL import Image
from storage_support import make_png

from mediagate.engine.collect import collect
from mediagate.providers import JobOutput
from mediagate.storage.disposition import content_disposition
from mediagate.storage.keys import InvalidKey
from mediagate.storage.s3 import S3Storage
from mediagate.tasks.results import ResultLinks

MIB = 1024 * 1024


@dataclass
class Bucket:
    name: str
    admin: Any  # a plain boto3 client, to look behind the storage's back
    store: S3Storage

    def keys(self) -> list[str]:
        answer = self.admin.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in answer.get("Contents", []))


@pytest.fixture
def bucket(moto_endpoint: str) -> Iterator[Bucket]:
    name = f"mediagate-{secrets.token_hex(4)}"
    credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    admin = boto3.session.Session().client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}),
        **credentials,
    )
    admin.create_bucket(Bucket=name)
    store = S3Storage(
        name,
        endpoint_url=moto_endpoint,
        region="us-east-1",
        access_key="test",
        secret_key="test",
        prefix="/results/",
        multipart_threshold=5 * MIB,
        delete_batch=2,
    )
    try:
        yield Bucket(name, admin, store)
    finally:
        asyncio.run(store.aclose())
        admin.close()


def test_round_trip(bucket: Bucket, tmp_path: Path) -> None:
    data = make_png(tmp_path / "out.png")
    key = "acct_a/task_1/0.png"
    assert asyncio.run(bucket.store.put_file(key, tmp_path / "out.png", "image/png")) == len(data)
    assert bucket.keys() == ["results/acct_a/task_1/0.png"]
    head = bucket.admin.head_object(Bucket=bucket.name, Key="results/acct_a/task_1/0.png")
    assert head["ContentType"] == "image/png"
    for filename in ("task_1.png", "résumé ✓.png"):
        url = bucket.store.url(key, filename=filename, content_type="image/png", ttl_s=60)
        r = httpx.get(url, timeout=10)
        assert r.status_code == 200
        assert r.content == data
        assert r.headers["content-type"] == "image/png"
        assert r.headers["content-disposition"] == content_disposition(filename)


def test_put_replaces(bucket: Bucket, tmp_path: Path) -> None:
    make_png(tmp_path / "a.png", seed=1)
    new = make_png(tmp_path / "b.png", seed=2)
    key = "acct_a/task_1/0.png"
    asyncio.run(bucket.store.put_file(key, tmp_path / "a.png", "image/png"))
    asyncio.run(bucket.store.put_file(key, tmp_path / "b.png", "image/png"))
    url = bucket.store.url(key, filename="x.png", content_type="image/png", ttl_s=60)
    assert httpx.get(url, timeout=10).content == new


def test_big_files_go_up_in_parts(bucket: Bucket, tmp_path: Path) -> None:
    data = os.urandom(12 * MIB)
    (tmp_path / "big.mp4").write_bytes(data)
    key = "acct_a/task_2/0.mp4"
    assert asyncio.run(bucket.store.put_file(key, tmp_path / "big.mp4", "video/mp4")) == len(data)
    head = bucket.admin.head_object(Bucket=bucket.name, Key=f"results/{key}")
    assert head["ETag"].strip('"').endswith("-3")  # a multipart upload of three parts
    url = bucket.store.url(key, filename="task_2.mp4", content_type="video/mp4", ttl_s=60)
    r = httpx.get(url, timeout=30)
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-type"] == "video/mp4"


def test_delete_prefix(bucket: Bucket, tmp_path: Path) -> None:
    make_png(tmp_path / "in.png", width=8, height=8)
    keys = [f"acct_a/t1/{i}.png" for i in range(5)] + ["acct_a/t10/0.png", "acct_b/t1/0.png"]

    async def put_all() -> None:
        for key in keys:
            await bucket.store.put_file(key, tmp_path / "in.png", "image/png")

    asyncio.run(put_all())
    gone = bucket.store.url("acct_a/t1/0.png", filename="a.png", content_type="image/png", ttl_s=60)
    asyncio.run(bucket.store.delete_prefix("acct_a/t1/"))  # five keys, two a page: three pages
    assert bucket.keys() == ["results/acct_a/t10/0.png", "results/acct_b/t1/0.png"]
    assert httpx.get(gone, timeout=10).status_code in (403, 404)  # as S3, moto may say 403
    asyncio.run(bucket.store.delete_prefix("acct_a/t1/"))  # nothing left: fine
    asyncio.run(bucket.store.delete_prefix("acct_a/"))
    assert bucket.keys() == ["results/acct_b/t1/0.png"]


def test_presigned_url_lives_for_the_ttl(bucket: Bucket, tmp_path: Path) -> None:
    """The URL is signed (SigV4, query form) to expire after `ttl_s` seconds. moto does not
    check a presigned URL's expiry or signature (verified with moto 5.2.5), so what this can
    prove is the expiry that the store is told to enforce."""
    make_png(tmp_path / "in.png", width=8, height=8)
    key = "acct_a/task_1/0.png"
    asyncio.run(bucket.store.put_file(key, tmp_path / "in.png", "image/png"))
    before = int(time.time())
    url = bucket.store.url(key, filename="a.png", content_type="image/png", ttl_s=1)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Expires"] == "1"
    signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert before - 1 <= signed_at.timestamp() <= time.time()
    assert query["response-content-disposition"] == 'attachment; filename="a.png"'
    assert query["response-content-type"] == "image/png"
    assert urlsplit(url).path == f"/{bucket.name}/results/{key}"  # path-style on an endpoint


def test_bad_keys_are_refused(bucket: Bucket, tmp_path: Path) -> None:
    make_png(tmp_path / "in.png", width=8, height=8)
    for key in ("../x.png", "/abs.png", "a\\b.png", "a/./b.png"):
        with pytest.raises(InvalidKey):
            asyncio.run(bucket.store.put_file(key, tmp_path / "in.png", "image/png"))
        with pytest.raises(InvalidKey):
            bucket.store.url(key, filename="x.png", content_type="image/png", ttl_s=60)
    with pytest.raises(InvalidKey):
        asyncio.run(bucket.store.delete_prefix(""))
    assert bucket.keys() == []


def test_collected_results_and_their_previews_in_s3(bucket: Bucket, tmp_path: Path) -> None:
    """collect() stores a result and its preview in the bucket; the task's result links both
    with presigned URLs; deleting the task's folder takes both."""
    make_png(tmp_path / "out.png", width=640, height=480)

    async def run() -> list[dict[str, Any]]:
        async with httpx.AsyncClient() as http:
            return await collect(
                [JobOutput(path=tmp_path / "out.png")],
                task_type="image",
                key_prefix="acct_a/task_t",
                storage=bucket.store,
                http=http,
                work_dir=tmp_path / "work",
                max_bytes=10 * MIB,
            )

    items = asyncio.run(run())
    assert bucket.keys() == ["results/acct_a/task_t/0.png", "results/acct_a/task_t/0.thumb.webp"]
    links = ResultLinks(bucket.store, 60)
    [item] = links.public(orjson.dumps(items).decode(), "task_t", "http://gateway.invalid")
    r = httpx.get(item["thumbnail_url"], timeout=10)
    assert r.status_code == 200 and r.headers["content-type"] == "image/webp"
    with Image.open(io.BytesIO(r.content)) as preview:
        assert preview.format == "WEBP" and preview.size == (320, 240)
    asyncio.run(bucket.store.delete_prefix("acct_a/task_t/"))
    assert bucket.keys() == []
