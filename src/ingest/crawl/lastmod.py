"""Sitemap and feed dates compared with each other and with our own fetch time.

Why a module of its own: discovery merges the dates one URL gets from a feed and a sitemap in
the same night, and the loader decides from them whether an article changed after we fetched
it; both must read the dates the same way.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..clock import VN_TZ


def _when(value: str | None) -> datetime | None:
    """An ISO date or date-time from a sitemap, feed or our own rows; naive means Hanoi time."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=VN_TZ)


def later_date(stored: str | None, seen: str | None) -> str | None:
    """The later of two lastmod values, so a feed's publication day never undoes a sitemap's
    modification time (the two would otherwise flip the frontier back and forth every night)."""
    a, b = _when(stored), _when(seen)
    if a is None or b is None:
        return stored if b is None else seen if a is None else stored
    return seen if b > a else stored


def changed_since(lastmod: str | None, fetched_at: str | None, now: datetime) -> bool:
    """True when a sitemap or feed says the page changed after we fetched it.

    Only a real time counts: no date, or a date more than an hour in the future (a site
    writing local time as UTC), never triggers a fetch. A date-only value is midnight, so a
    feed's publication day never does either.
    """
    when, fetched = _when(lastmod), _when(fetched_at)
    if when is None or fetched is None:
        return False
    return fetched < when <= now + timedelta(hours=1)
