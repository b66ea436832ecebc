"""The files a markdown note embeds (``![[diagram.png]]``, ``![plot](assets/loss.png)``), brought into the
deck with it: found in the note's source folder and copied to the same place relative to the note, so the
note's links (whose bytes an import never changes) lead to them in the deck as they did in the vault.

Only what Obsidian embeds as a file (pictures, sound, video, PDF: :data:`KINDS`) is copied, and only from
inside the source folder: a link out of it, an absolute path or a URL is left alone, a symlink is never
followed, and a file is copied only if it is still the regular file the walk saw (a folder or file swapped
for a symlink or a FIFO since is refused). A file already in the deck at that place is never replaced.
Obsidian finds ``![[name.png]]`` by its name anywhere in the vault: the one beside the note first, else the
one with the shortest path (then the first by path).
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from trainer.importers.report import Entry
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
_MD_EMBED = re.compile(r"!\[[^\[\]\n]{0,500}\]\(\s*(<[^<>\n]{1,1000}>|(?:[^\s()<>]|\([^\s()<>]{0,500}\)){1,1000})"
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

    def add(self, path: Path, rel: tuple[str, ...], inode: int) -> None:
        if posixpath.splitext(rel[-1])[1][1:].lower() not in KINDS:
            return
        self.by_rel[rel] = (path, inode)
        self.by_name.setdefault(rel[-1], []).append(rel)


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
            found = files.by_name.get(link, [])
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


def _inside(files: SourceFiles, start: tuple[str, ...], link: str) -> tuple[str, ...] | None:
    joined = posixpath.normpath(posixpath.join(*start, link)) if start else posixpath.normpath(link)
    if joined.startswith("../") or joined in ("..", ".") or posixpath.isabs(joined):
        return None
    rel = tuple(joined.split("/"))
    return rel if rel in files.by_rel else None


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
