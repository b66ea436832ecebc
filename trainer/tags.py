"""Nested tags (``A/B/C`` counts for ``A``, ``A/B`` and ``A/B/C``, as in Obsidian): one rule for every caller."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"(\d+)")


def tag_prefixes(tag: str) -> list[str]:
    """``A/B/C`` -> ``[A, A/B, A/B/C]``; empty parts and outer slashes are ignored."""
    t = tag.strip("/")
    if "//" not in t:  # no empty part: each "/" ends a prefix (the same list, found faster)
        if not t:
            return []
        out = []
        i = t.find("/")
        while i != -1:
            out.append(t[:i])
            i = t.find("/", i + 1)
        out.append(t)
        return out
    parts = [p for p in tag.strip("/").split("/") if p]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def has_tag(tags: tuple[str, ...] | list[str], wanted: str, *, casefold: bool = False) -> bool:
    """A note with ``tags`` is under ``wanted`` (nested tags count for their parents)."""
    wanted = wanted.strip("/")
    if casefold:
        wanted = wanted.casefold()
        return any(wanted == p.casefold() for t in tags for p in tag_prefixes(t))
    return any(wanted in tag_prefixes(t) for t in tags)


def tag_sort_key(text: str) -> tuple:
    """Case-insensitive, numbers in numeric order; CJK stays in Unicode (radical-stroke) order."""
    return tuple((0, int(p), "") if p.isdecimal() else (1, 0, p.casefold()) for p in _DIGITS.split(text) if p)


_LOW = re.compile(r"[\x00-\x02]")


def tag_order_key(text: str) -> str:
    """:func:`tag_sort_key` as one string that sorts the same way (equal exactly when those keys are
    equal), for sorting a deck's worth of tags: comparing strings is several times faster than
    comparing tuples of tuples. A number is ``\\x01``, its length, its digits; a text run (the
    first, and one after each number, maybe empty) ``\\x02`` and its casefold. Needs text without
    characters below ``\\x03`` (see :func:`sort_tags`)."""
    return "\x02" + _DIGITS.sub(_number_key, text.casefold()) if text else ""  # casefold leaves digits alone


def _number_key(m: re.Match) -> str:
    d = str(int(m.group()))  # 007 is 7, as int() says in tag_sort_key
    return f"\x01{chr(32 + len(d))}{d}\x02"


def sort_tags(tags) -> list[str]:
    """``sorted(tags, key=tag_sort_key)``, the same order (ties included), faster on many tags."""
    tags = list(tags)
    if _LOW.search("".join(tags)):  # a control character would sort below the markers: the slow key
        return sorted(tags, key=tag_sort_key)
    return sorted(tags, key=tag_order_key)


_FILE_NAME = re.compile(r"\.(md|markdown|txt|pdf|png|jpe?g|gif|svg|html?|csv|json|ya?ml|py)$", re.IGNORECASE)


def tag_warnings(tags: tuple[str, ...] | list[str]) -> list[str]:
    """What looks wrong with a note's tags though it is valid YAML: a tag that is a file name
    (``Topic/question.md``, pasted from a path) groups one note under a tag of its own."""
    return [f"{tag!r} looks like a file name, not a tag" for tag in tags if _FILE_NAME.search(tag.strip().rstrip("/"))]
