"""Custom messages, as dataclass Message subclasses (workers talk to the UI only through these)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from trainer.opendeck import Loaded


@dataclass
class DeckLoaded(Message):
    """A scan of the deck finished (the first one or a reload), its figures computed with it."""

    loaded: Loaded


@dataclass
class DeckFailed(Message):
    """The deck could not be read at all."""

    error: str


@dataclass
class GradeChosen(Message):
    """A grade button was clicked (the keyboard goes through the screen's bindings)."""

    grade: int
