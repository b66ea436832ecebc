"""Where things live: the deck (``--deck``, ``$TRAINER_DECK``, ``./cards``) and its ``.trainer/`` folder."""

from __future__ import annotations

import os
from pathlib import Path

STATE_DIR = ".trainer"
_GITIGNORE = "# trainer's own state: the review log and the scan cache. The notes carry the schedule.\n*\n"


def default_deck() -> Path:
    env = os.environ.get("TRAINER_DECK")
    return Path(env) if env else Path("cards")


def state_dir(deck_root: Path) -> Path:
    return deck_root / STATE_DIR


def ensure_state_dir(deck_root: Path) -> Path:
    """Create ``<deck>/.trainer`` with a ``.gitignore`` so a deck kept in git stays clean."""
    d = state_dir(deck_root)
    d.mkdir(exist_ok=True)
    ignore = d / ".gitignore"
    if not ignore.exists():
        ignore.write_text(_GITIGNORE, encoding="utf-8")
    return d
