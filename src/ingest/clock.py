"""Hanoi time, the one clock every stage reads.

Why a module of its own: the crawler stamps fetches, the loader and the ledger stamp rows, the
date parser fills in a missing offset and the report stamps its generation time, and all of
them must agree on +07:00. Vietnam has kept one offset since 1975 (no daylight saving), so a
fixed offset is exact and needs no time-zone database.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

VN_TZ = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")


def now_vn() -> datetime:
    """Now in Hanoi, to the second (what the ledger and the frontier store)."""
    return datetime.now(VN_TZ).replace(microsecond=0)
