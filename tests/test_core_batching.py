"""The batchers: concurrent calls share one run (a statement, a thread hop), each call gets its
own answer or error, and calls with one key run in the order they were made."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from typing import Any

from mediagate.core.batching import Batcher, ThreadBatcher


def test_concurrent_calls_share_thread_hops_and_fail_alone() -> None:
    hops: list[tuple[str, int]] = []

    def square(n: int) -> int:
        if n == 13:
            raise ValueError("unlucky")
        time.sleep(0.002)
        return n * n

    def run_batch(batch: list[Sequence[Any]]) -> list[Any]:
        hops.append((threading.current_thread().name, len(batch)))
        out: list[Any] = []
        for (n,) in batch:
            try:
                out.append(square(n))
            except ValueError as exc:
                out.append(exc)
        return out

    batcher = ThreadBatcher(run_batch, max_batch=16, max_inflight=2)

    async def main() -> list[Any]:
        return await asyncio.gather(*(batcher(n) for n in range(100)), return_exceptions=True)

    results = asyncio.run(main())
    assert isinstance(results[13], ValueError)
    assert [r for n, r in enumerate(results) if n != 13] == [n * n for n in range(100) if n != 13]
    assert sum(size for _name, size in hops) == 100
    assert len(hops) <= 100 // 16 + 3  # batches, not a hop per call
    assert max(size for _name, size in hops) <= 16
    assert all(name != threading.main_thread().name for name, _size in hops)


def test_each_runs_a_function_per_call() -> None:
    batcher = ThreadBatcher.each(lambda a, b: a / b)

    async def main() -> list[Any]:
        return await asyncio.gather(batcher(1, 2), batcher(1, 0), return_exceptions=True)

    half, error = asyncio.run(main())
    assert half == 0.5
    assert isinstance(error, ZeroDivisionError)


def test_calls_with_one_key_never_share_or_overlap_a_batch() -> None:
    log: list[tuple[str, int]] = []
    running: set[str] = set()

    async def run(_kind: object, batch: list[Sequence[Any]]) -> list[Any]:
        keys = [key for key, _n in batch]
        assert len(keys) == len(set(keys)), "one key twice in a batch"
        assert not running & set(keys), "a key in two batches at once"
        running.update(keys)
        await asyncio.sleep(0.001)
        running.difference_update(keys)
        log.extend((key, n) for key, n in batch)
        return [n for _key, n in batch]

    batcher = Batcher(run, max_batch=8, max_inflight=4)

    async def main() -> list[int]:
        calls = [batcher.call("w", (f"row{n % 3}", n), key=f"row{n % 3}") for n in range(60)]
        return await asyncio.gather(*calls)

    assert asyncio.run(main()) == list(range(60))
    for row in ("row0", "row1", "row2"):
        order = [n for key, n in log if key == row]
        assert order == sorted(order)  # in the order the calls were made


def test_a_failing_run_fails_its_batch_only() -> None:
    async def run(_kind: object, batch: list[Sequence[Any]]) -> list[Any]:
        if any(n == 0 for (n,) in batch):
            raise RuntimeError("the statement failed")
        return [n for (n,) in batch]

    batcher = Batcher(run, max_batch=1)

    async def main() -> list[Any]:
        return await asyncio.gather(*(batcher.call("q", (n,)) for n in range(3)),
                                    return_exceptions=True)  # fmt: skip

    first, *rest = asyncio.run(main())
    assert isinstance(first, RuntimeError)
    assert rest == [1, 2]
