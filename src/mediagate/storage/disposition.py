"""`Content-Disposition: attachment` with a file name, per RFC 6266 / RFC 8187."""

from __future__ import annotations

import re
from urllib.parse import quote

# RFC 8187 attr-char, minus the ones `quote` always leaves alone (letters, digits, "_.-~").
_ATTR_SAFE = "!#$&+^`|"
_NOT_TOKEN_SAFE = re.compile(r'[^\x20-\x7e]|["\\%;]')


def content_disposition(filename: str, kind: str = "attachment") -> str:
    """`attachment; filename="..."` for a plain ASCII name; otherwise an ASCII fallback
    (unsafe characters as `_`) plus `filename*=UTF-8''<percent-encoded>` for the real name."""
    fallback = _NOT_TOKEN_SAFE.sub("_", filename).strip() or "download"
    if fallback == filename:
        return f'{kind}; filename="{filename}"'
    encoded = quote(filename, safe=_ATTR_SAFE, encoding="utf-8")
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
