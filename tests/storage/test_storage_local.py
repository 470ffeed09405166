"""LocalStorage on a real directory: atomic puts, key rules, prefix deletes, signed URLs."""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from storage_support import make_png

from mediagate.storage.keys import InvalidKey
from mediagate.storage.local import LocalStorage
from mediagate.storage.signing import URLSigner


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "root", URLSigner(secrets.token_bytes(32)))


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_put_file_stores_a_copy(store: LocalStorage, tmp_path: Path) -> None:
    data = make_png(tmp_path / "in.png")
    size = asyncio.run(store.put_file("acct_a/task_1/0.png", tmp_path / "in.png", "image/png"))
    assert size == len(data)
    assert (store.root / "acct_a/task_1/0.png").read_bytes() == data
    assert (tmp_path / "in.png").exists()  # the source is left to its owner
    assert _files(store.root) == ["acct_a/task_1/0.png"]  # no temporary file left behind


def test_put_file_replaces_atomically(store: LocalStorage, tmp_path: Path) -> None:
    old = make_png(tmp_path / "old.png", seed=1)
    new = make_png(tmp_path / "new.png", seed=2)
    key = "acct_a/task_1/0.png"
    asyncio.run(store.put_file(key, tmp_path / "old.png", "image/png"))
    with (store.root / key).open("rb") as reader:  # a download in progress
        head = reader.read(100)
        asyncio.run(store.put_file(key, tmp_path / "new.png", "image/png"))
        assert head + reader.read() == old  # it finishes on the old file, never a mix
    assert (store.root / key).read_bytes() == new
    assert _files(store.root) == [key]


def test_failed_put_leaves_nothing(store: LocalStorage, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        asyncio.run(store.put_file("acct_a/task_1/0.png", tmp_path / "missing", "image/png"))
    assert _files(store.root) == []


def test_a_new_key_on_the_same_file_system_is_linked_not_copied(
    store: LocalStorage, tmp_path: Path
) -> None:
    data = make_png(tmp_path / "in.png")
    asyncio.run(store.put_file("acct_a/task_1/0.png", tmp_path / "in.png", "image/png"))
    stored = store.root / "acct_a/task_1/0.png"
    assert stored.stat().st_ino == (tmp_path / "in.png").stat().st_ino  # no bytes copied
    (tmp_path / "in.png").unlink()  # the owner may delete its file afterwards
    assert stored.read_bytes() == data


def test_a_source_on_another_file_system_is_copied(tmp_path: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.fail("this test needs /dev/shm on a file system other than the test's tmp dir")
    store = LocalStorage(tmp_path / "root", URLSigner(secrets.token_bytes(32)))
    source = shm / f"mediagate-test-{secrets.token_hex(4)}.png"
    try:
        data = make_png(source)
        key = "acct_a/task_1/0.png"
        assert asyncio.run(store.put_file(key, source, "image/png")) == len(data)
        asyncio.run(store.put_file(key, source, "image/png"))  # again, over the stored file
    finally:
        source.unlink(missing_ok=True)
    assert (store.root / key).read_bytes() == data
    assert _files(store.root) == [key]


def test_puts_made_together_fail_alone(store: LocalStorage, tmp_path: Path) -> None:
    sources = [tmp_path / f"in{n}.png" for n in range(40)]
    data = [make_png(path, 16, 16, seed=n) for n, path in enumerate(sources)]
    sources[7].unlink()
    sources[23] = tmp_path / "a-folder"
    sources[23].mkdir()

    async def put_all() -> list[object]:
        return await asyncio.gather(
            *(
                store.put_file(f"acct_a/task_{n}/0.png", path, "image/png")
                for n, path in enumerate(sources)
            ),
            return_exceptions=True,
        )

    results = asyncio.run(put_all())
    assert isinstance(results[7], FileNotFoundError)
    assert isinstance(results[23], OSError)
    for n, result in enumerate(results):
        if n not in (7, 23):
            assert result == len(data[n])
            assert (store.root / f"acct_a/task_{n}/0.png").read_bytes() == data[n]
    stored = _files(store.root)
    assert len(stored) == 38 and all(not name.split("/")[-1].startswith(".") for name in stored)


@pytest.mark.parametrize(
    "key", ["../escape.png", "acct/../../escape.png", "/tmp/escape.png", "a\\b.png", "a\x00.png"]
)
def test_bad_keys_are_refused_everywhere(store: LocalStorage, tmp_path: Path, key: str) -> None:
    make_png(tmp_path / "in.png")
    with pytest.raises(InvalidKey):
        asyncio.run(store.put_file(key, tmp_path / "in.png", "image/png"))
    with pytest.raises(InvalidKey):
        store.url(key, filename="f.png", content_type="image/png", ttl_s=60)
    with pytest.raises(InvalidKey):
        asyncio.run(store.delete_prefix(key))
    assert asyncio.run(store.stored_file(key)) is None
    assert not (tmp_path / "escape.png").exists()


def _put_many(store: LocalStorage, source: Path, keys: list[str]) -> None:
    async def run() -> None:
        for key in keys:
            await store.put_file(key, source, "image/png")

    asyncio.run(run())


def test_delete_prefix(store: LocalStorage, tmp_path: Path) -> None:
    make_png(tmp_path / "in.png", width=8, height=8)
    keys = ["a/t1/0.png", "a/t1/1.png", "a/t1/sub/2.png", "a/t10/0.png", "a/t2/0.png"]
    _put_many(store, tmp_path / "in.png", keys)
    asyncio.run(store.delete_prefix("a/t1/"))  # a folder: t10 is another task
    assert _files(store.root) == ["a/t10/0.png", "a/t2/0.png"]
    assert not (store.root / "a/t1").exists()
    asyncio.run(store.delete_prefix("a/t1/"))  # already gone: fine
    asyncio.run(store.delete_prefix("nobody/"))
    asyncio.run(store.delete_prefix("a/t"))  # without a slash: a string prefix, as on S3
    assert _files(store.root) == []
    with pytest.raises(InvalidKey):
        asyncio.run(store.delete_prefix(""))


def test_url_is_relative_and_signed(store: LocalStorage) -> None:
    key = "acct_a/task_1/0.png"
    url = store.url(key, filename="task_1.png", content_type="image/png", ttl_s=60)
    parts = urlsplit(url)
    assert not parts.scheme and not parts.netloc
    assert parts.path == "/files/acct_a/task_1/0.png"
    signed = store.signer.verify("acct_a/task_1/0.png", parts.query)
    assert (signed.filename, signed.content_type) == ("task_1.png", "image/png")
    other = LocalStorage(store.root, store.signer, url_prefix="/media/")
    assert other.url("k.png", filename="k.png", content_type="image/png", ttl_s=5).startswith(
        "/media/k.png?"
    )


def test_stored_file(store: LocalStorage, tmp_path: Path) -> None:
    make_png(tmp_path / "in.png", width=8, height=8)
    _put_many(store, tmp_path / "in.png", ["a/t1/0.png"])
    found = asyncio.run(store.stored_file("a/t1/0.png"))
    assert found is not None
    assert found.path == store.root / "a/t1/0.png"
    assert found.stat.st_size == (tmp_path / "in.png").stat().st_size
    assert asyncio.run(store.stored_file("a/t1/9.png")) is None
    assert asyncio.run(store.stored_file("a/t1")) is None  # a folder
    (tmp_path / "outside.txt").write_text("not yours")
    os.symlink(tmp_path / "outside.txt", store.root / "a/t1/link.txt")
    assert asyncio.run(store.stored_file("a/t1/link.txt")) is None  # resolves outside the root
