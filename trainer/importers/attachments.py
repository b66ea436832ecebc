"""The files a markdown note embeds (``![[diagram.png]]``, ``![plot](assets/loss.png)``), brought into the
deck with it: found in the note's source folder and copied to the same place relative to the note, so the
note's links (whose bytes an import never changes) lead to them in the deck as they did in the vault.

Only files inside the source folder are ever read (a link out of it, ``../../x``, an absolute path or a
URL is left alone), never through a symlink, and only embeds (``![…]``) of files that are not notes.
A file already in the deck at that place is never replaced: the same bytes are fine, other bytes are a
warning. Obsidian finds ``![[name.png]]`` by its name anywhere in the vault: the one beside the note
first, else the one with the shortest path (then the first by path).
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from trainer.notes.parse import lines_outside_fences

MAX_BYTES = 50 * 1024 * 1024
"""A larger embedded file is named in a warning, not copied (a video in a vault of notes)."""

_WIKI_EMBED = re.compile(r"!\[\[([^\[\]|#^\n]+)(?:[#^|][^\[\]\n]*)?\]\]")
_MD_EMBED = re.compile(r"!\[[^\]\n]*\]\(\s*(<[^<>\n]+>|[^\s()<>]+)(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?\s*\)")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass
class SourceFiles:
    """The files of one source folder that are not notes: by their path in it and by name."""

    folder: Path
    by_rel: dict[tuple[str, ...], Path] = field(default_factory=dict)
    by_name: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    placed: set[str] = field(default_factory=set)
    """Deck paths this run already copied to or found in place (one copy however many notes embed it)."""

    def add(self, path: Path, rel: tuple[str, ...]) -> None:
        self.by_rel[rel] = path
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
    the source folder), or None (a URL, a note, a file outside the folder or not there)."""
    here = note[:-1]
    if wiki:
        if not posixpath.splitext(link)[1] or link.lower().endswith(".md"):
            return None  # ``![[Other note]]``: a note's text, not a file to copy
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


def same_bytes(a: Path, b: Path) -> bool:
    """Whether two regular files hold the same bytes (a symlink or a folder never does)."""
    try:
        sa, sb = os.lstat(a), os.lstat(b)
    except OSError:
        return False
    if not (stat.S_ISREG(sa.st_mode) and stat.S_ISREG(sb.st_mode)) or sa.st_size != sb.st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True
