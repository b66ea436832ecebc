"""The one walk of a source folder an import does: by the import run (its notes and other files) and by a
single note's search for a file it embeds (:class:`trainer.importers.attachments.SourceFiles`). One
walker, so the two cannot differ in what they find: hidden names left out, symlinks never followed (met,
not entered), the deck's own folder met but never entered, each folder's entries in name order, its
files before its subfolders (depth first, in name order).

A walk given a ``limit`` (a single note's folder may be a home folder) reads no more than ``limit + 1``
entries in all: a folder's entries are read lazily and the reading stops as soon as the limit is passed
(a folder of a million files is not read whole to learn that it is too big).
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Literal

Kind = Literal["file", "symlink", "deck", "unreadable"]


@dataclass
class Met:
    """One thing the walk met: a regular ``file``, a ``symlink`` (not followed), the ``deck``'s folder
    (not entered), or an ``unreadable`` folder (``error`` says why)."""

    kind: Kind
    path: Path
    rel: tuple[str, ...]
    """Its path in the source folder, part by part (``()``: the folder itself)."""
    entry: os.DirEntry | None = None
    error: OSError | None = None


class SourceWalk:
    """Iterate it once: the :class:`Met` of ``folder``, in walk order. ``deck``: the deck's real path
    (its folder is met, never entered)."""

    def __init__(self, folder: Path, deck: str | None = None, limit: int | None = None) -> None:
        self.folder = folder
        self.deck = deck
        self.limit = limit
        self.read = 0
        """Entries read from the folders so far (never more than ``limit + 1``)."""
        self.stopped = False
        """The walk passed ``limit`` and stopped: what it had not reached is not met."""

    def __iter__(self) -> Iterator[Met]:
        stack: list[tuple[Path, tuple[str, ...]]] = [(self.folder, ())]
        while stack:
            here, rel = stack.pop()
            try:
                entries = self._entries(here)
            except OSError as exc:
                yield Met("unreadable", here, rel, error=exc)
                continue
            if entries is None:
                self.stopped = True
                return
            subdirs: list[tuple[Path, tuple[str, ...]]] = []
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue
                try:
                    if entry.is_symlink():
                        kind: Kind = "symlink"
                    elif entry.is_dir(follow_symlinks=False):
                        if self.deck is None or os.path.realpath(entry.path) != self.deck:
                            subdirs.append((Path(entry.path), (*rel, name)))
                            continue
                        kind = "deck"
                    elif entry.is_file(follow_symlinks=False):
                        kind = "file"
                    else:
                        continue  # a FIFO, a socket, a device
                except OSError:
                    continue
                yield Met(kind, Path(entry.path), (*rel, name), entry)
            stack.extend(reversed(subdirs))

    def _entries(self, here: Path) -> list[os.DirEntry] | None:
        """``here``'s entries in name order, or None once the limit is passed (read no further)."""
        with os.scandir(here) as it:
            if self.limit is None:
                entries = list(it)
            else:
                entries = list(itertools.islice(it, max(0, self.limit - self.read) + 1))
        self.read += len(entries)
        if self.limit is not None and self.read > self.limit:
            return None
        entries.sort(key=lambda e: e.name)
        return entries
