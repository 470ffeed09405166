"""Storage keys, Content-Disposition and the HMAC URL signer."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlencode

import pytest
from storage_support import Clock

from mediagate.storage.disposition import content_disposition
from mediagate.storage.keys import InvalidKey, check_key, check_prefix
from mediagate.storage.signing import DEFAULT_TTL_S, SignatureError, URLSigner

KEY = "acct_x/task_y/0.png"


@pytest.mark.parametrize(
    "key", ["acct_x/task_y/0.png", "a", "acct-1/task_Hc1-_~x/10.glb", "a/b.c.d", "x" * 512]
)
def test_valid_keys(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../etc/passwd",
        "acct/../../x",
        "acct/..",
        "./x",
        "/etc/passwd",
        "acct//x",
        "acct/x/",
        "acct\\..\\x",
        "acct/x\x00.png",
        "acct/x\n.png",
        "acct/.hidden",
        "acct/ space",
        "acct/é.png",
        "C:/x",
        "x" * 513,
    ],
)
def test_invalid_keys(key: str) -> None:
    with pytest.raises(InvalidKey):
        check_key(key)


def test_prefixes() -> None:
    assert check_prefix("acct/task/") == "acct/task/"
    assert check_prefix("acct/ta") == "acct/ta"
    for bad in ("", "/", "../", "acct/../", "//"):
        with pytest.raises(InvalidKey):
            check_prefix(bad)


def test_content_disposition() -> None:
    assert content_disposition("task_1.png") == 'attachment; filename="task_1.png"'
    assert content_disposition("résumé ✓.png") == (
        "attachment; filename=\"r_sum_ _.png\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%E2%9C%93.png"
    )
    assert content_disposition('a"b\\c;d%.png') == (
        "attachment; filename=\"a_b_c_d_.png\"; filename*=UTF-8''a%22b%5Cc%3Bd%25.png"
    )
    assert content_disposition("x\r\nSet-Cookie: a=b") == (
        "attachment; filename=\"x__Set-Cookie: a=b\"; filename*=UTF-8''x%0D%0ASet-Cookie%3A%20a%3Db"
    )


def _signer(clock: Clock | None = None) -> URLSigner:
    return URLSigner(secrets.token_bytes(32), clock=clock or Clock())


def test_round_trip() -> None:
    signer = _signer()
    exp = signer.expires_at()
    query = signer.sign(KEY, exp, "task_y.png", "image/png")
    assert set(parse_qs(query)) == {"exp", "name", "type", "sig"}
    signed = signer.verify(KEY, query)
    assert (signed.filename, signed.content_type, signed.expires_at) == (
        "task_y.png",
        "image/png",
        exp,
    )
    untyped = signer.verify(KEY, signer.sign(KEY, exp, "résumé ✓.png"))
    assert (untyped.filename, untyped.content_type) == ("résumé ✓.png", None)
    assert signer.verify(KEY, query + "&utm_source=x") == signed  # other parameters are ignored


def test_default_ttl_is_fifteen_minutes() -> None:
    clock = Clock()
    signer = _signer(clock)
    assert DEFAULT_TTL_S == 900
    assert 900 <= signer.expires_at() - clock() <= 901
    assert 60 <= signer.expires_at(60) - clock() <= 61
    with pytest.raises(ValueError):
        signer.expires_at(0)


def _tampered(query: str, **changes: str | None) -> str:
    params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    return urlencode(params)


def test_tampering_is_refused() -> None:
    signer = _signer()
    exp = signer.expires_at()
    query = signer.sign(KEY, exp, "task_y.png", "image/png")
    sig = parse_qs(query)["sig"][0]
    flipped = ("B" if sig[0] == "A" else "A") + sig[1:]
    invalid = [
        (KEY, _tampered(query, sig=flipped)),
        (KEY, _tampered(query, sig=sig[:-2])),
        (KEY, _tampered(query, sig="!!not base64!!")),
        (KEY, _tampered(query, exp=str(exp + 3600))),
        (KEY, _tampered(query, exp="-1")),
        (KEY, _tampered(query, exp=" 1")),
        (KEY, _tampered(query, name="other.png")),
        (KEY, _tampered(query, type="text/html")),
        (KEY, _tampered(query, type=None)),
        ("acct_x/task_y/1.png", query),
        (KEY, query + "&sig=" + sig),
    ]
    for key, bad in invalid:
        with pytest.raises(SignatureError) as info:
            signer.verify(key, bad)
        assert info.value.reason == "invalid", bad
    for bad in ("", _tampered(query, sig=None), _tampered(query, exp=None)):
        with pytest.raises(SignatureError) as info:
            signer.verify(KEY, bad)
        assert info.value.reason == "missing", bad
    with pytest.raises(SignatureError):  # another secret
        _signer().verify(KEY, query)


def test_expiry_follows_the_clock() -> None:
    clock = Clock()
    signer = _signer(clock)
    query = signer.sign(KEY, signer.expires_at(60), "f.png")
    signer.verify(KEY, query)
    clock.offset = 62
    with pytest.raises(SignatureError) as info:
        signer.verify(KEY, query)
    assert info.value.reason == "expired"


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        URLSigner(b"too short")
