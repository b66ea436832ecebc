"""The day, in one place: ``--today`` (or ``TRAINER_TODAY``) overrides it for scripts, tests, benchmarks."""

from __future__ import annotations

import datetime as dt
import os
import re

_override: dt.date | None = None


def set_today(day: dt.date | None) -> None:
    global _override
    _override = day


def today() -> dt.date:
    """The local calendar date, unless overridden."""
    if _override is not None:
        return _override
    env = os.environ.get("TRAINER_TODAY")
    if env:
        return parse_day(env)
    return dt.date.today()


FIRST_DAY = dt.date.min
LAST_DAY = dt.date.max
"""The calendar's ends: every command clamps its forecasts and histories to them (issue #11)."""
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(text: str) -> dt.date:
    """``YYYY-MM-DD`` in ASCII digits (no week dates, no full-width digits), within the usable years."""
    s = text.strip()
    try:
        if not _ISO_DAY.fullmatch(s):
            raise ValueError
        day = dt.date.fromisoformat(s)
    except ValueError:
        raise ValueError(f"not a date YYYY-MM-DD: {text!r}") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{s} is outside the days trainer can schedule ({FIRST_DAY} to {LAST_DAY})")
    return day


def now() -> dt.datetime:
    """Wall-clock time for log rows, kept in UTC with its offset."""
    return dt.datetime.now(dt.timezone.utc)
