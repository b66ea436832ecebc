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


