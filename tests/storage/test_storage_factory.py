"""`build_storage`: the local store by default, S3 when a bucket is configured."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import boto3
import httpx
from botocore.config import Config
from storage_support import make_png

from mediagate.config import Settings
from mediagate.db import Database
from mediagate.db.migrate import upgrade
from mediagate.storage.factory import build_storage
from mediagate.storage.local import LocalStorage
from mediagate.storage.s3 import S3Storage

StorageSettings = Settings


def test_local_by_default(tmp_path: Path) -> None:
    settings = StorageSettings(database_url=f"sqlite:///{tmp_path}/m.db", data_dir=tmp_path)
    upgrade(settings.database)

    async def run() -> None:
        db, other_db = Database(settings.database), Database(settings.database)
        try:
            store = await build_storage(settings, db)
            assert isinstance(store, LocalStorage)
            assert store.root == (tmp_path / "files").resolve()
            url = store.url("a/t/0.png", filename="t.png", content_type="image/png", ttl_s=60)
            moved = settings.model_copy(update={"files_dir": tmp_path / "elsewhere"})
            other = await build_storage(moved, other_db)  # another process, same database
            assert isinstance(other, LocalStorage)
            assert other.root == (tmp_path / "elsewhere").resolve()
            assert other.signer.verify("a/t/0.png", url.split("?", 1)[1]).filename == "t.png"
        finally:
            await db.close()
            await other_db.close()

    asyncio.run(run())


def test_s3_when_a_bucket_is_set(tmp_path: Path, moto_endpoint: str) -> None:
    bucket = f"mediagate-{secrets.token_hex(4)}"
    admin = boto3.session.Session().client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(s3={"addressing_style": "path"}),
    )
    admin.create_bucket(Bucket=bucket)
    settings = StorageSettings(
        database_url=f"sqlite:///{tmp_path}/m.db",
        data_dir=tmp_path,
        s3_bucket=bucket,
        s3_endpoint_url=moto_endpoint,
        s3_access_key_id="test",
        s3_secret_access_key="test",
        s3_prefix="mg",
    )
    data = make_png(tmp_path / "in.png", width=16, height=16)

    async def run() -> str:
        db = Database(settings.database)
        store = await build_storage(settings, db)
        try:
            assert isinstance(store, S3Storage)
            await store.put_file("a/t/0.png", tmp_path / "in.png", "image/png")
            return store.url("a/t/0.png", filename="t.png", content_type="image/png", ttl_s=60)
        finally:
            await store.aclose()
            await db.close()

    url = asyncio.run(run())
    assert httpx.get(url, timeout=10).content == data
    assert [o["Key"] for o in admin.list_objects_v2(Bucket=bucket)["Contents"]] == ["mg/a/t/0.png"]
    admin.close()
