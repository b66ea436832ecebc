"""The day, in one place: ``--today`` (or ``TRAINER_TODAY``) overrides it for scripts, tests, benchmarks."""

from __future__ import annotations

import datetime as dt
import os

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


def parse_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a date YYYY-MM-DD: {text!r}") from None


def now() -> dt.datetime:
    """Wall-clock time for log rows, kept in UTC with its offset."""
    return dt.datetime.now(dt.timezone.utc)
