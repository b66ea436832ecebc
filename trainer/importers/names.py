"""File names made from text, and the checks that keep every write inside the deck.

A name built here is valid on Linux, macOS and Windows alike: no ``/ \\ : * ? " < > |``, no
control or format characters, no reserved device name (``CON``, ``NUL``, ``COM1`` …), no
leading dot (hidden, and never ``.``/``..``), no trailing dot or space, NFC, and at most
:data:`MAX_NAME_BYTES` bytes of UTF-8 including the ``.md`` and any `` (2)`` suffix.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

MAX_NAME_BYTES = 100
SUFFIX = ".md"

_INVALID = frozenset('/\\:*?"<>|')
_DASHED = frozenset("/\\|")
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"}
    | {f"COM{c}" for c in "0123456789¹²³"}
    | {f"LPT{c}" for c in "0123456789¹²³"}
)
_SPACES = re.compile(r"\s+")
_DRIVE = re.compile(r"^[A-Za-z]:")


class ImportRefused(ValueError):
    """The import as a whole cannot go ahead (bad ``--into``, a source inside the deck …)."""


def _clean_char(ch: str) -> str:
    if ch in _DASHED:
        return "-"
    if ch in _INVALID:
        return " "
    cat = unicodedata.category(ch)
    if cat[0] == "C" or cat in ("Zl", "Zp"):  # control, format (bidi overrides), surrogate, unassigned
        return " "
    return ch


def is_reserved(stem: str) -> bool:
    """Windows refuses these as names whatever the extension (``CON.md``, ``nul .txt``)."""
    base = stem.split(".", 1)[0].rstrip(" ").upper()
    return base in _RESERVED


def _cut(text: str, max_bytes: int) -> str:
    """The longest prefix (whole characters) whose NFC form fits in ``max_bytes`` of UTF-8."""
    raw = text.encode("utf-8")
    if len(raw) > max_bytes:
        text = raw[:max_bytes].decode("utf-8", "ignore")
    while text and len(unicodedata.normalize("NFC", text).encode("utf-8")) > max_bytes:
        text = text[:-1]
    return unicodedata.normalize("NFC", text)


def safe_stem(text: str, fallback: str, *, max_bytes: int = MAX_NAME_BYTES - len(SUFFIX)) -> str:
    """A file name stem (no extension) made from ``text``; ``fallback`` when nothing usable is left.

    ``fallback`` itself must already be safe (e.g. ``anki-12``).
    """
    s = unicodedata.normalize("NFC", text)
    s = "".join(_clean_char(ch) for ch in s)
    s = _SPACES.sub(" ", s).strip()
    s = s.lstrip(". ")
    s = _cut(s, max_bytes)
    s = s.rstrip(". ")
    if not s:
        return fallback
    if is_reserved(s):
        base = s.split(".", 1)[0].rstrip(" ")
        s = _cut(base + "_" + s[len(base) :], max_bytes).rstrip(". ")
    return s


_INLINE_ELEMENTS = "a|abbr|b|big|cite|code|del|em|font|i|ins|kbd|mark|q|s|small|span|strike|strong|sub|sup|tt|u|var"
_BLOCK_ELEMENTS = ("article|blockquote|br|center|dd|div|dl|dt|h[1-6]|hr|img|li|ol|p|pre|section|table|tbody|td|"
                   "tfoot|th|thead|tr|ul")
_INLINE_TAG = re.compile(rf"</?(?:{_INLINE_ELEMENTS})\b[^<>]*>", re.I)
_BLOCK_TAG = re.compile(rf"</?(?:{_BLOCK_ELEMENTS})\b[^<>]*>", re.I)


def html_text_stem(text: str, fallback: str) -> str:
    """:func:`safe_stem` of an Anki field's text: its HTML entities decoded and its HTML tags left
    out first, so an escaped ``&lt;b&gt;Attention&lt;/b&gt; &amp; Q?`` is named ``Attention & Q``,
    not ``b Attention -b & Q``. Only HTML's own element names count as tags (``<T>`` in
    ``Why is <T> slow?`` is text); a block tag (``<br>``, ``<div>``) leaves a space."""
    import html

    text = html.unescape(text)
    return safe_stem(_INLINE_TAG.sub("", _BLOCK_TAG.sub(" ", text)), fallback)


def deck_folder(name: str) -> tuple[str, ...]:
    """An Anki deck's name as folders (``A::B`` → ``A/B``, the package's ``\x1f`` too), each part a safe name."""
    parts = [p.strip() for p in name.replace("\x1f", "::").split("::")]
    return tuple(safe_stem(p, "deck") for p in parts if p.strip())


def numbered(stem: str, n: int, *, max_bytes: int = MAX_NAME_BYTES - len(SUFFIX)) -> str:
    """``stem (n)``, cutting the stem so the whole name still fits."""
    tail = f" ({n})"
    head = _cut(stem, max_bytes - len(tail.encode())).rstrip(". ")
    return head + tail


def is_safe_name(name: str) -> bool:
    """Whether ``name`` (one path component) passes every rule of this module."""
    if not name or name in (".", "..") or name.startswith("."):
        return False
    if len(name.encode("utf-8")) > MAX_NAME_BYTES or unicodedata.normalize("NFC", name) != name:
        return False
    if name.endswith((" ", ".")) or is_reserved(name):
        return False
    return all(_clean_char(ch) == ch for ch in name)


def into_parts(into: str | os.PathLike[str] | None) -> tuple[str, ...]:
    """The folders of ``--into``, checked: relative, no ``..``, no hidden or Windows-style parts."""
    if into is None:
        return ()
    s = os.fspath(into)
    if s.strip() == "":
        return ()
    if s.startswith(("/", "\\")) or _DRIVE.match(s) or os.path.isabs(s):
        raise ImportRefused(f"--into must be a folder inside the deck, not an absolute path: {s!r}")
    parts = [p for p in re.split(r"[\\/]", s) if p not in ("", ".")]
    for p in parts:
        if p == "..":
            raise ImportRefused(f"--into must stay inside the deck ('..' is not allowed): {s!r}")
        if p.startswith("."):
            raise ImportRefused(f"--into cannot be a hidden folder (the deck skips those): {s!r}")
        if any(_clean_char(ch) != ch for ch in p) or p.endswith((" ", ".")) or is_reserved(p):
            raise ImportRefused(f"--into has a folder name that is not valid on every system: {p!r}")
    return tuple(parts)


def inside(root: Path, path: Path | str) -> bool:
    """Whether ``path``, with every symlink resolved, is ``root`` or below it (``root`` resolved)."""
    real = os.path.realpath(path)
    r = str(root)
    return real == r or real.startswith(r.rstrip(os.sep) + os.sep)


def rel_is_plain(rel: str) -> bool:
    """A deck-relative POSIX path with no empty, ``.``, ``..``, absolute or drive parts."""
    if not rel or rel.startswith("/") or "\\" in rel or _DRIVE.match(rel):
        return False
    return all(p not in ("", ".", "..") for p in rel.split("/"))
