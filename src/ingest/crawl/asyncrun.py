"""Run a coroutine to completion from synchronous code, whatever thread we are on.

Stage functions are synchronous (so Prefect, Dask and tests call them alike) but fetch with
asyncio; `asyncio.run` refuses to start inside a thread whose loop is already running (an async
caller, some executors), so such callers get a private loop in a helper thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    t = threading.Thread(target=target, name="asyncrun")
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]
