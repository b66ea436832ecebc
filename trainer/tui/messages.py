"""Custom messages, as dataclass Message subclasses (workers talk to the UI only through these)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from trainer.opendeck import Counted, Loaded, ScanJob


@dataclass
class DeckLoaded(Message):
    """A scan of the deck finished (the first one or a reload), its figures computed with it."""

    loaded: Loaded


@dataclass
class DeckCounted(Message):
    """A scan's figures are known before its notes (from the deck's columns, #17); the notes
    are built once ``job.proceed()`` is called, and arrive as ``DeckLoaded``."""

    counted: Counted
    job: ScanJob


@dataclass
class ScanProgress(Message):
    """A scan parsing many notes (a first open, or after many edits) has parsed ``done`` of ``total``."""

    done: int
    total: int


@dataclass
class DeckFailed(Message):
    """The deck could not be read at all."""

    error: str


@dataclass
class GradeChosen(Message):
    """A grade button was clicked (the keyboard goes through the screen's bindings)."""

    grade: int
