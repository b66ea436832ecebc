"""Helpers shared by the TUI tests (imported by name: tests/tui is on sys.path under pytest)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

FIXTURE_DECK = Path(__file__).resolve().parents[1] / "fixtures" / "tui_deck"
TODAY = dt.date(2026, 11, 25)

#: The study queue of the whole fixture deck on TODAY: reviews most overdue first, then new cards.
QUEUE = [
    "attention/multi-head.md",
    "misc/hash-maps.md",
    "architecture/层归一化的作用.md",
    "attention/scaled-dot-product.md",
    "attention/为什么要除以根号dk.md",
    "training/warmup.md",
]


async def loaded(pilot) -> None:
    """Wait for the scan worker and the overview to draw it."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def start_session(pilot) -> None:
    await loaded(pilot)
    await pilot.press("enter")
    await pilot.pause()
    await pilot.pause()


def current_rel(app) -> str | None:
    screen = app.screen
    session = getattr(screen, "session", None)
    return session.current.rel if session is not None and session.current is not None else None
