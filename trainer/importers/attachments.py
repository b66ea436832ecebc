"""The files a markdown note embeds (``![[diagram.png]]``, ``![plot](assets/loss.png)``), brought into the
deck with it: found in the note's source folder and copied to the same place relative to the note, so the
note's links (whose bytes an import never changes) lead to them in the deck as they did in the vault.

Only what Obsidian embeds as a file (pictures, sound, video, PDF: :data:`KINDS`) is copied, and only from
inside the source folder: a link out of it, an absolute path or a URL is left alone, a symlink is never
followed, and a file is copied only if it is still the regular file the walk saw (a folder or file swapped
for a symlink or a FIFO since is refused). A file already in the deck at that place is never replaced.
Obsidian finds ``![[name.png]]`` by its name anywhere in the vault: the one beside the note first, else the
one with the shortest path (then the first by path).

A single note imported alone brings its files by the same rules, its own folder taking the source folder's
place: nothing is walked ahead (a note in a home folder costs no walk of it); a link's path is looked up
when asked, part by part, never through a symlink, a hidden folder or the deck; a bare ``![[name.png]]``
not beside the note walks the folder once (hidden folders, symlinks and the deck left out: the walk a
folder's import does, :mod:`trainer.importers.source_walk`), reading at most ``SEARCH_LIMIT`` entries.

An embedded file that is not there is named in a warning (:func:`missing`); its note is imported all the same.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from trainer.importers.names import inside
from trainer.importers.report import Entry
from trainer.importers.source_walk import SourceWalk
from trainer.notes.parse import lines_outside_fences

MAX_BYTES = 50 * 1024 * 1024
"""A larger embedded file is named in a warning, not copied (a video in a vault of notes)."""

KINDS = frozenset(
    "png jpg jpeg gif bmp svg webp avif heic tif tiff ico "  # pictures
    "mp3 webm wav m4a ogg 3gp flac aac opus "  # sound
    "mp4 ogv mov mkv avi "  # video
    "pdf".split()
)
"""The files Obsidian embeds as files (its "accepted file formats"): nothing else is copied (a
``![cfg](trainer.toml)`` would have become the deck's settings)."""

_WIKI_EMBED = re.compile(r"!\[\[([^\[\]|#^\n]{1,500})(?:[#^|][^\[\]\n]{0,500})?\]\]")


def _balanced(depth: int) -> str:
    """One unit of an image's alt text: a character, a backslash escape (``\\]`` does not close it) or a
    bracketed run whose brackets balance, ``depth`` deep (CommonMark: ``![a [b]](c.png)`` is an image;
    its alt text ended at the first ``]`` here, so the picture was not found). Each alternative starts
    with its own character (no backtracking between them)."""
    unit = r"(?:[^\[\]\\\n]|\\[^\n])"
    for _ in range(depth):
        unit = rf"(?:[^\[\]\\\n]|\\[^\n]|\[{unit}{{0,500}}\])"
    return unit


ALT_DEPTH = 3
"""Brackets nested in an alt text up to this deep are read (``![a [b [c [d]]]](x.png)``)."""
_MD_EMBED = re.compile(rf"!\[{_balanced(ALT_DEPTH)}{{0,500}}\]"
                       r"\(\s*(<[^<>\n]{1,1000}>|(?:[^\s()<>]|\([^\s()<>]{0,500}\)){1,1000})"
                       r"(?:\s+(?:\"[^\"\n]{0,500}\"|'[^'\n]{0,500}'|\([^()\n]{0,500}\)))?\s*\)")
"""(Each part bounded: a line of 50,000 ``![`` takes linear time, not minutes.)"""
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass
class Planned:
    """One file to copy into the deck, once the notes are in (a note's folder is never taken by a file)."""

    source: Path
    inode: int
    note: Entry
    """The report's entry of the note that embeds it first: no copy for a note that was not written."""
    label: str
    link: str


SEARCH_LIMIT = 100_000
"""Entries a single note's folder is searched through for a ``![[name]]`` not beside it (about a second here)."""


@dataclass
class SourceFiles:
    """The files of one source folder that are not notes: by their path in it (with the inode the
    walk saw) and by name."""

    folder: Path
    planned: dict[str, Planned | None] = field(default_factory=dict)
    """Deck path → the copy planned for it (None: refused, said once), shared by every source of one
    run (one copy however many notes embed it; another source's other file there is a warning)."""
    by_rel: dict[tuple[str, ...], tuple[Path, int]] = field(default_factory=dict)
    by_name: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    deck: Path | None = None
    """Set (the deck's real path) for a single note's folder: its files are looked up when a link asks
    (:meth:`has`, :meth:`named`), not walked ahead; the deck's folder is never looked into."""
    walked: bool = False
    whole: bool = False
    """The walk reached every entry (not stopped at ``SEARCH_LIMIT``): a path not found by it is not there."""
    limit: int | None = None
    """Entries the walk reads at most (None: ``SEARCH_LIMIT``)."""
    read: int = 0
    """Entries the walk read (at most ``limit + 1``)."""

    def add(self, path: Path, rel: tuple[str, ...], inode: int) -> None:
        if posixpath.splitext(rel[-1])[1][1:].lower() not in KINDS or rel in self.by_rel:
            return
        self.by_rel[rel] = (path, inode)
        self.by_name.setdefault(rel[-1], []).append(rel)

    def has(self, rel: tuple[str, ...]) -> bool:
        """Whether ``rel`` is one of the folder's files (looked up now for a single note's folder)."""
        if rel not in self.by_rel and self.deck is not None and not self.whole and not self._in_deck():
            self._look(rel)
        return rel in self.by_rel

    def named(self, name: str, here: tuple[str, ...]) -> list[tuple[str, ...]]:
        """The files called ``name`` (for a single note's folder: the one beside the note at ``here``,
        else the whole folder walked once)."""
        if self.deck is not None and not self.has((*here, name)) and not self.walked and not self._in_deck():
            self._walk()
        return self.by_name.get(name, [])

    def _in_deck(self) -> bool:
        """The folder itself in the deck (a note imported through a symlink kept there): none of its
        files is a source (the deck's files would be copied into it again)."""
        return inside(self.deck, self.folder)

    def _look(self, rel: tuple[str, ...]) -> None:
        """``rel`` added if a walk would have found it: each part a plain folder (not a symlink, not
        hidden, not the deck), the last a regular file."""
        path = self.folder
        try:
            for i, part in enumerate(rel):
                if part.startswith(".") or not part:
                    return
                path = path / part
                st = os.lstat(path)
                if i < len(rel) - 1:
                    if not stat.S_ISDIR(st.st_mode) or os.path.realpath(path) == str(self.deck):
                        return
                elif stat.S_ISREG(st.st_mode):
                    self.add(path, rel, st.st_ino)
        except (OSError, ValueError):  # not there, unreadable, a NUL in a name
            return

    def _walk(self) -> None:
        """Every file of the folder, by the import's own walk (:mod:`trainer.importers.source_walk`):
        hidden names, symlinks and the deck left out; a folder that cannot be read is passed over (its
        files are not found). A single note's folder may be a home folder: the walk reads no more than
        ``limit`` (default ``SEARCH_LIMIT``) entries (what it has not reached is not found, as a file
        that is not there)."""
        self.walked = True
        walk = SourceWalk(self.folder, deck=None if self.deck is None else str(self.deck),
                          limit=SEARCH_LIMIT if self.limit is None else self.limit)
        for met in walk:
            if met.kind == "file":
                assert met.entry is not None
                try:
                    self.add(met.path, met.rel, met.entry.inode())
                except OSError:
                    continue
        self.read = walk.read
        self.whole = not walk.stopped  # (stopped early: a link by path is still looked up where it says)


def embeds(body: str) -> list[tuple[str, bool]]:
    """(link text, is a wiki embed) of each ``![[…]]`` and ``![…](…)`` outside code fences, in order."""
    found: list[tuple[str, bool]] = []
    for _, line in lines_outside_fences(body):
        if "![" not in line:
            continue
        spans = sorted([(m.start(), m.group(1).strip(), True) for m in _WIKI_EMBED.finditer(line)]
                       + [(m.start(), m.group(1), False) for m in _MD_EMBED.finditer(line)])
        found += [(text, wiki) for _, text, wiki in spans]
    return found


def resolve(files: SourceFiles, note: tuple[str, ...], link: str, wiki: bool) -> tuple[str, ...] | None:
    """The source-relative path of the file ``link`` embeds from the note at ``note`` (its path in
    the source folder), or None (a URL, a note, a file outside the folder, not there or not a kind
    Obsidian embeds)."""
    here = note[:-1]
    if wiki:
        link = link.lstrip("/")  # ``![[/assets/x.png]]``: from the vault's top
        if "/" not in link:
            found = files.named(link, here)
            beside = [r for r in found if r[:-1] == here]
            if beside or found:
                return (beside or sorted(found, key=lambda r: (len(r), r)))[0]
            return None
        return _inside(files, (), link) or _inside(files, here, link)
    if link.startswith("<"):
        link = link[1:-1]
    if _SCHEME.match(link) or link.startswith(("/", "#", "\\")):
        return None
    return _inside(files, here, unquote(link.split("#", 1)[0].split("?", 1)[0]))


def missing(files: SourceFiles, note: tuple[str, ...], link: str, wiki: bool) -> str | None:
    """Why the file ``link`` embeds is not in the source (for a link :func:`resolve` found nothing for),
    or None: a note, a URL, an absolute path, not a kind of file Obsidian embeds, or something is there
    (a symlink, a hidden file, a file outside the folder: not copied, but not missing). A user is told of a
    missing picture (the note shows nothing in its place) rather than finding out in the middle of a review."""
    here = note[:-1]
    if wiki:
        link = link.lstrip("/")
        if not _embeddable(link):
            return None
        if "/" not in link:
            if files.by_name.get(link) or _there(files.folder, posixpath.join(*here, link) if here else link):
                return None
            if files.deck is not None and files._in_deck():
                return None  # never searched: the deck's own files are not a source
            if files.walked and not files.whole:
                limit = SEARCH_LIMIT if files.limit is None else files.limit
                return f"not found in the first {limit:,} entries of its folder"
            return "not found"
        paths = [link, posixpath.join(*here, link) if here else link]
    else:
        if link.startswith("<"):
            link = link[1:-1]
        if _SCHEME.match(link) or link.startswith(("/", "#", "\\")):
            return None
        link = unquote(link.split("#", 1)[0].split("?", 1)[0])
        if not _embeddable(link):
            return None
        paths = [posixpath.join(*here, link) if here else link]
    return None if any(_there(files.folder, p) for p in paths) else "not found"


def _embeddable(link: str) -> bool:
    return posixpath.splitext(link)[1][1:].lower() in KINDS


def _there(folder: Path, rel: str) -> bool:
    """Whether anything (a file, a folder, a symlink, even a dangling one) is at ``rel`` under ``folder``."""
    return os.path.lexists(os.path.join(folder, posixpath.normpath(rel)))


def _inside(files: SourceFiles, start: tuple[str, ...], link: str) -> tuple[str, ...] | None:
    joined = posixpath.normpath(posixpath.join(*start, link)) if start else posixpath.normpath(link)
    if joined.startswith("../") or joined in ("..", ".") or posixpath.isabs(joined):
        return None
    rel = tuple(joined.split("/"))
    return rel if files.has(rel) else None


def open_as_walked(path: Path, inode: int) -> int:
    """A descriptor on ``path`` if it is still the regular file the walk saw (its inode), opened
    without following a symlink in its last part nor waiting on a FIFO; else OSError. (A folder above
    it swapped for a symlink since leads to another inode: refused too.)"""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_ino != inode:
            raise OSError(0, "it changed since the source was read (not the file it was)")
    except BaseException:
        os.close(fd)
        raise
    return fd


def same_bytes(a: Path, b: Path) -> bool:
    """Whether two regular files hold the same bytes (a symlink, a folder or a file that cannot be
    read never does)."""
    try:
        sa, sb = os.lstat(a), os.lstat(b)
        if not (stat.S_ISREG(sa.st_mode) and stat.S_ISREG(sb.st_mode)) or sa.st_size != sb.st_size:
            return False
        with open(a, "rb") as fa, open(b, "rb") as fb:
            while True:
                x, y = fa.read(1 << 20), fb.read(1 << 20)
                if x != y:
                    return False
                if not x:
                    return True
    except OSError:
        return False
