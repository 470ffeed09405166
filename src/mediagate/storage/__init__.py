"""Result storage: where finished tasks' files live and how clients download them.

`base.Storage` is the interface; `local.LocalStorage` (gateway-served, `signing` signs its
URLs) and `s3.S3Storage` implement it; `factory.build_storage` picks one from the settings.
"""

from mediagate.storage.base import Storage

__all__ = ["Storage"]
