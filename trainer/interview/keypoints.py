"""What an interviewer listens for: the key points of a note's ``## `` short answer, and the
follow-up questions (the ``### `` headings of its details).

Key points are the items of the first list in the short answer (numbered or bulleted); a short
answer without a list is cut into its sentences. Each point keeps its ``**bold**`` terms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trainer.textsafe import MATH

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+(.*)$")
_BOLD = re.compile(r"\*\*(?=[^\s*])(.+?)(?<=[^\s*])\*\*|__(?=[^\s_])(.+?)(?<=[^\s_])__")
"""Bold text: not starting or ending with its own marker (``****1**`` is ``**`` and bold ``1``, not bold ``**1``)."""
_H3 = re.compile(r"^ {0,3}###[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_SENTENCE_END = re.compile(r"(?<=[。！？；])|(?<=[.!?;])(?=\s)")
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]")


@dataclass(frozen=True, slots=True)
class KeyPoint:
    """One thing the answer should say."""

    text: str
    """The point as plain text (markdown emphasis and code marks taken out)."""
    bold: tuple[str, ...] = ()
    """Its ``**bold**`` terms: saying one of them covers the point."""


def _lines_outside_fences(text: str) -> list[str]:
    out, fence = [], None
    for line in text.splitlines():
        m = _FENCE.match(line)
        if fence is None:
            if m:
                fence = m.group(1)[0]
                continue
            out.append(line)
        elif m and m.group(1)[0] == fence:
            fence = None
    return out


_SLOT = re.compile("\ue000(\\d+)\ue001")


def plain(text: str) -> str:
    """Markdown emphasis, inline code marks and link targets out; whitespace collapsed. TeX
    (``$\\pi^*\\propto\\pi_{\\text{ref}}$``) is kept whole: its ``*`` and ``_`` are not emphasis."""
    maths: list[str] = []
    text = MATH.sub(lambda m: maths.append(m.group(0)) or f"\ue000{len(maths) - 1}\ue001", text)
    text = _BOLD.sub(lambda m: m.group(1) or m.group(2), text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(?<![\w*])[*_](?=\S)(.+?)(?<=\S)[*_](?![\w*])", r"\1", text)
    text = text.replace("`", "")
    if maths:
        text = _SLOT.sub(lambda m: maths[int(m.group(1))] if int(m.group(1)) < len(maths) else m.group(0), text)
    return " ".join(text.split())


def _point(text: str) -> KeyPoint | None:
    bold = tuple(dict.fromkeys(" ".join((m.group(1) or m.group(2)).split()) for m in _BOLD.finditer(text)))
    flat = plain(text)
    return KeyPoint(flat, bold) if flat else None


def key_points(short_answer: str) -> list[KeyPoint]:
    """The items of the first list (a wrapped item's continuation lines joined to it), else the sentences."""
    items: list[str] = []
    in_list = False
    for line in _lines_outside_fences(short_answer):
        m = _ITEM.match(line)
        if m and (not in_list or not line.startswith((" " * 4, "\t"))):
            items.append(m.group(1))
            in_list = True
        elif in_list:
            if not line.strip():
                continue  # a loose list: blank lines between items
            if line.startswith((" ", "\t")) and not _HEADING.match(line):
                items[-1] += " " + line.strip()  # continuation or a nested item: part of this point
                continue
            break  # the first paragraph after the list ends it
    if items:
        return [p for p in map(_point, items) if p is not None]
    return sentences(short_answer)


def sentences(text: str) -> list[KeyPoint]:
    """A short answer without a list, as sentences (。！？；and . ! ? ; followed by a space end one)."""
    paragraph = " ".join(line.strip() for line in _lines_outside_fences(text) if line.strip() and not _HEADING.match(line))
    out = []
    for part in _SENTENCE_END.split(paragraph):
        point = _point(part.strip())
        if point is not None and any(ch.isalnum() for ch in point.text):
            out.append(point)
    return out


def follow_ups(details: str) -> list[str]:
    """The ``### `` headings of the details: what the interviewer asks next."""
    out = []
    for line in _lines_outside_fences(details):
        m = _H3.match(line)
        if m:
            title = plain(m.group(1))
            title = re.sub(r"^\d{1,3}[.)、]\s*", "", title)  # "1. 反证法…" → "反证法…"
            if title:
                out.append(title)
    return out
