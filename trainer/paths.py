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


class StateDirError(OSError):
    """``.trainer`` (or a file in it) is a symlink: a deck from elsewhere must not make us write there."""


def ensure_state_dir(deck_root: Path) -> Path:
    """Create ``<deck>/.trainer`` with a ``.gitignore`` so a deck kept in git stays clean.

    A ``.trainer`` that is a symlink is refused: a deck cloned or unzipped from elsewhere could
    point it (or its files) anywhere, and the cache and the log are written there.
    """
    d = state_dir(deck_root)
    if d.is_symlink():
        raise StateDirError(13, f"{d} is a symlink; refusing to keep trainer's state through it")
    d.mkdir(exist_ok=True)
    ignore = d / ".gitignore"
    try:
        fd = os.open(ignore, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(_GITIGNORE)
    return d


def state_file(deck_root: Path, name: str) -> Path:
    """A file in ``.trainer/`` that is not a symlink (see :func:`ensure_state_dir`)."""
    p = ensure_state_dir(deck_root) / name
    if p.is_symlink():
        raise StateDirError(13, f"{p} is a symlink; refusing to write through it")
    return p
