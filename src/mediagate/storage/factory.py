"""The configured result store of this process.

S3 when `MEDIAGATE_S3_BUCKET` is set; otherwise local files under `MEDIAGATE_FILES_DIR`
(default `<data dir>/files`), served by the gateway under URLs signed with the database's
shared secret.
"""

from __future__ import annotations

import asyncio

from mediagate.config import Settings
from mediagate.db import Database
from mediagate.storage.base import Storage
from mediagate.storage.local import LocalStorage
from mediagate.storage.signing import URLSigner, load_or_create_secret


async def build_storage(settings: Settings, db: Database) -> Storage:
    """The configured store (call `aclose()` on it at shutdown)."""
    if settings.s3_bucket:
        from mediagate.storage.s3 import S3Storage  # boto3 is imported only when used

        return await asyncio.to_thread(  # boto3 loads its service model: blocking, once
            S3Storage,
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key=settings.s3_access_key_id,
            secret_key=(
                settings.s3_secret_access_key.get_secret_value()
                if settings.s3_secret_access_key
                else None
            ),
            prefix=settings.s3_prefix,
            path_style=settings.s3_path_style,
        )
    root = settings.files_dir or settings.data_dir / "files"
    return LocalStorage(root, URLSigner(await load_or_create_secret(db)))
