"""Custom messages, as dataclass Message subclasses (workers talk to the UI only through these)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from trainer.deck import Scan
from trainer.tui.figures import DeckSummary


@dataclass
class DeckLoaded(Message):
    """The scan worker finished reading the deck."""

    scan: Scan
    seconds: float
    summary: DeckSummary
    """Counts, forecast and tag figures, computed in the worker too."""


@dataclass
class DeckFailed(Message):
    """The scan worker could not read the deck at all."""

    error: str


@dataclass
class GradeChosen(Message):
    """A grade button was clicked (the keyboard goes through the screen's bindings)."""

    grade: int
