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


async def open_stats(pilot) -> None:
    """The stats screen from the loaded overview, its expected recall (a worker) filled in."""
    await loaded(pilot)
    await pilot.press("t")
    await pilot.app.workers.wait_for_complete()
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


async def type_burst(pilot, text: str) -> None:
    """Type ``text`` as a terminal delivers fast typing: one key event per character (a newline is
    Enter), made as ``Pilot.press`` makes them and sent the same way (the app's driver), but
    without Pilot's wait for idle after each key (40 ms or more a key; the tests check what was
    typed, not how fast); then waits until the app and every widget have handled them all."""
    import unicodedata

    from textual import events
    from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

    app = pilot.app
    for ch in text:
        key = "enter" if ch == "\n" else "space" if ch == " " else ch
        if len(key) == 1 and not key.isalnum():
            key = _character_to_key(key)
        original = REPLACED_KEYS.get(key, key)
        try:
            char = unicodedata.lookup(_get_unicode_name_from_key(original))
        except KeyError:  # (``√`` is key ``square_root``, a name Unicode does not know: the terminal sends ``√``)
            char = key if len(key) == 1 else ch if ch.isprintable() else None
        event = events.Key(key, char)
        event.set_sender(app)
        app._driver.send_message(event)  # noqa: SLF001 - the path Pilot.press takes
    for _ in range(50):  # keys are forwarded from the app to the focused widget: a few rounds
        await pilot.pause()
        if all(node._message_queue.empty() for node in (app, *app.screen.walk_children(with_self=True))):  # noqa: SLF001
            break
    else:
        raise AssertionError("the typed keys were not all handled")
    await pilot.pause()


async def palette_hits(pilot, query: str) -> list:
    """Open the command palette, type ``query`` as a user does, wait for its hits: Textual's ``Hit``s,
    in the order shown."""
    from textual.command import CommandList, CommandPalette

    app = pilot.app
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert isinstance(app.screen, CommandPalette)
    await type_burst(pilot, query)
    await app.workers.wait_for_complete()
    await pilot.pause()
    return [o.hit for o in app.screen.query_one(CommandList).options if hasattr(o, "hit")]


def import_host(deck, today: dt.date):
    """A bare app that opens the import screen on ``deck`` (``.results``: what the screen returned)."""
    from textual.app import App

    from trainer.tui.screens.import_screen import ImportScreen

    class ImportHost(App):
        def __init__(self) -> None:
            super().__init__()
            self.deck = deck
            self.results: list = []

        def on_mount(self) -> None:
            self.push_screen(ImportScreen(self.deck, today), self.results.append)

    return ImportHost()
