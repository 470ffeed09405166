"""Objects in an S3-compatible bucket (AWS S3, MinIO, R2, ...), downloaded straight from the
store through its own presigned GET URLs.

Why boto3 run in threads, not aiobotocore: `Storage.url` is synchronous (it runs while a task
is serialised, on every read), and boto3's presigner is a local computation that can be called
synchronously, while aiobotocore's is a coroutine. boto3's transfer manager also does the
multipart upload of big files (parts in parallel, each retried) out of the box. Uploads and
deletes are rare and long, so one hop to a thread (`asyncio.to_thread`) per call costs nothing
measurable, and no second HTTP stack (aiohttp) or narrowly pinned botocore comes along.

With refreshable credentials (no access key given: the default chain, e.g. an instance role),
`url()` may block briefly while botocore renews them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

from mediagate.storage.base import Storage
from mediagate.storage.disposition import content_disposition
from mediagate.storage.keys import check_key, check_prefix

_MIB = 1024 * 1024


class S3StorageError(RuntimeError):
    """The store refused part of a request (e.g. some objects of a batch delete)."""


class S3Storage(Storage):
    """`prefix` (optional, e.g. `mediagate/`) is put in front of every key in the bucket.
    `path_style` addresses `endpoint/bucket/key` instead of `bucket.endpoint/key`; by default
    it is used whenever `endpoint_url` is given (MinIO and most S3-compatible stores need it).
    Files over `multipart_threshold` bytes go up in parts; `delete_prefix` lists and deletes
    `delete_batch` keys (at most 1000) at a time.
    Without `access_key` and `secret_key`, boto3's default credential chain applies."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key: str | None = None,
        secret_key: str | None = None,
        prefix: str = "",
        path_style: bool | None = None,
        multipart_threshold: int = 16 * _MIB,
        delete_batch: int = 1000,
    ) -> None:
        self.bucket = bucket
        self.delete_batch = min(max(delete_batch, 1), 1000)
        prefix = prefix.strip("/")
        self.prefix = check_key(prefix) + "/" if prefix else ""
        if path_style is None:
            path_style = endpoint_url is not None
        config = Config(
            region_name=region,
            signature_version="s3v4",
            s3={"addressing_style": "path" if path_style else "virtual"},
            retries={"max_attempts": 5, "mode": "standard"},
            connect_timeout=10,
            read_timeout=60,
            # Checksums only where the API requires them: S3-compatible stores vary.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self._client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=config,
        )
        self._transfer = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=max(multipart_threshold, 5 * _MIB),
            max_concurrency=4,
        )

    def object_key(self, key: str) -> str:
        """The key in the bucket: the store's prefix plus the checked `key`."""
        return self.prefix + check_key(key)

    async def put_file(self, key: str, source: Path, content_type: str) -> int:
        return await asyncio.to_thread(self._upload, self.object_key(key), source, content_type)

    def _upload(self, object_key: str, source: Path, content_type: str) -> int:
        size = source.stat().st_size
        self._client.upload_file(
            str(source),
            self.bucket,
            object_key,
            ExtraArgs={"ContentType": content_type},
            Config=self._transfer,
        )
        return size

    async def delete_prefix(self, prefix: str) -> None:
        await asyncio.to_thread(self._delete_prefix, self.prefix + check_prefix(prefix))

    def _delete_prefix(self, full_prefix: str) -> None:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket,
            Prefix=full_prefix,
            PaginationConfig={"PageSize": self.delete_batch},
        )
        for page in pages:  # one DeleteObjects a page (at most 1000 keys, its limit)
            objects = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if not objects:
                continue
            answer = self._client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True}
            )
            if errors := answer.get("Errors"):
                first = errors[0]
                raise S3StorageError(
                    f"deleting {len(errors)} object(s) under {full_prefix!r} failed: "
                    f"{first.get('Key')}: {first.get('Code')} {first.get('Message')}"
                )

    def url(self, key: str, *, filename: str, content_type: str, ttl_s: int) -> str:
        return self._client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self.object_key(key),
                "ResponseContentDisposition": content_disposition(filename),
                "ResponseContentType": content_type,
            },
            ExpiresIn=ttl_s,
        )

    async def aclose(self) -> None:
        await asyncio.to_thread(self._client.close)
