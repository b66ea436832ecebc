"""TUI fixtures: a private copy of tests/fixtures/tui_deck and the real app over it, on a fixed day."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tuihelp import FIXTURE_DECK, TODAY



@pytest.fixture
def deck(tmp_path: Path) -> Path:
    """A copy of the fixture deck (never the repository's own files)."""
    dst = tmp_path / "deck"
    shutil.copytree(FIXTURE_DECK, dst, ignore=shutil.ignore_patterns(".trainer"))
    return dst


IDLE_WINDOW = 0.005
"""Pilot waits, after each key and pause, until the process looks idle: it sleeps in windows of
``textual._wait.SLEEP_GRANULARITY`` (20 ms) until one passes with under a twentieth of it in CPU
time. A 5 ms window keeps that criterion and saves ~15 ms a wait (about 1,400 waits in tests/tui,
~35 s); what the tests need done (workers, scans) they wait for by name."""


@pytest.fixture(autouse=True)
def _short_idle_window(monkeypatch: pytest.MonkeyPatch) -> None:
    import textual._wait as textual_wait

    monkeypatch.setattr(textual_wait, "SLEEP_GRANULARITY", IDLE_WINDOW)
    monkeypatch.setattr(textual_wait, "SLEEP_IDLE", IDLE_WINDOW / 20)


@pytest.fixture(autouse=True)
def _no_editor_or_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's editor, deck and day never leak into a test."""
    for var in ("VISUAL", "EDITOR", "TRAINER_TODAY", "TRAINER_DECK", "TRAINER_EXIT_AFTER_FIRST_FRAME"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def make(deck: Path):
    """make(today=TODAY, new_limit=None) -> TrainerApp over an open deck of the copied fixture deck."""
    from trainer.tui.app import make_app, open_deck

    def _make(today=TODAY, new_limit=None):
        return make_app(open_deck(deck, today, new_limit))

    return _make


