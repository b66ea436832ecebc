"""Obsidian and its spaced-repetition plugin (st3v3nmw/obsidian-spaced-repetition).

The plugin keeps a reviewed note's schedule in three frontmatter keys::

    sr-due: 2024-01-31      # next review; the plugin reads YYYY-MM-DD, DD-MM-YYYY and
                            # "ddd MMM DD YYYY" (Wed Jan 31 2024); datetimes occur too
    sr-interval: 12         # days
    sr-ease: 250            # percent: 250 means an E-Factor of 2.5

They map onto SPEC §1 as ``next_review``, ``interval`` and ``ease_factor`` (``sr-ease / 100``,
at least 1.3). What the plugin does not store is inferred, as conservatively as possible:

* The plugin writes these keys only when a note is reviewed, so a note carrying them has
  been reviewed at least once: ``review_count`` = ``repetitions`` (below), never 0.
* ``repetitions`` (SM-2's n) is 1 when the interval is under 6 days, else 2. With n = 1 the
  next good grade gives 6 days; with n >= 2 it gives ``ceil(interval * EF)``, so a card the
  plugin had already spaced out keeps growing from its own interval instead of falling back.
* ``last_reviewed`` = ``sr-due - sr-interval`` when that day is not after the import day;
  otherwise it is left null (the keys were edited by hand or the card was postponed).

Keys the note already has in trainer's own schema win over the mapped ones.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

from trainer.notes.parse import MAX_COUNT, MAX_EASE, lines_outside_fences

SR_KEYS = ("sr-due", "sr-interval", "sr-ease")

_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_DMY = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:$|[T ])")
_TEXTUAL = re.compile(r"^(?:[A-Za-z]{3},?\s+)?([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})\b")


def is_vault(folder: Path) -> bool:
    """A folder is an Obsidian vault (or inside one) when it or a parent has ``.obsidian/``."""
    try:
        folder = folder.resolve()
    except OSError:
        return False
    for f in (folder, *folder.parents):
        if (f / ".obsidian").is_dir():
            return True
    return False


def parse_due(value: object) -> dt.date | None:
    """``sr-due`` in any of the forms the plugin reads or writes; ``None`` if not understood."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    s = value.strip().strip("'\"").strip()
    try:
        m = _YMD.match(s)
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = _DMY.match(s)
        if m:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        m = _TEXTUAL.match(s)
        if m and m.group(1).lower() in _MONTHS:
            return dt.date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
    except ValueError:  # 31-02-2024
        return None
    return None


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        v = float(value)
    elif isinstance(value, str):
        try:
            v = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return v if math.isfinite(v) else None


def parse_ease(value: object) -> float | None:
    """``sr-ease`` as an E-Factor: 250 → 2.5 (a value already under 10 is taken as an E-Factor)."""
    v = _number(value)
    if v is None or v <= 0:
        return None
    ef = v / 100 if v >= 10 else v
    if ef > MAX_EASE:  # 1.0e+308: not an ease any card reached; the note would not load
        return None
    return round(max(1.3, ef), 2)


def parse_interval(value: object) -> int | None:
    v = _number(value)
    if v is None or v < 0 or v > MAX_COUNT:  # 1.0e+308 days is no interval (and overflows dates)
        return None
    return int(math.ceil(v - 1e-9))


def map_schedule(data: dict, today: dt.date) -> tuple[dict[str, object], list[str]]:
    """SPEC §1 values from the plugin's keys (see the module docstring), and warnings.

    Only keys the note does not already carry are returned.
    """
    if not any(k in data for k in SR_KEYS):
        return {}, []
    warnings: list[str] = []
    due = parse_due(data.get("sr-due")) if "sr-due" in data else None
    if due is None:
        if "sr-due" in data:
            warnings.append(f"sr-due {data.get('sr-due')!r} is not a date the plugin writes; imported as a new card")
        else:
            warnings.append("sr-interval/sr-ease without sr-due; imported as a new card")
        return {}, warnings
    interval = parse_interval(data.get("sr-interval")) if "sr-interval" in data else None
    if "sr-interval" in data and interval is None:
        warnings.append(f"sr-interval {data.get('sr-interval')!r} is not a number of days; ignored")
    ease = parse_ease(data.get("sr-ease")) if "sr-ease" in data else None
    if "sr-ease" in data and ease is None:
        warnings.append(f"sr-ease {data.get('sr-ease')!r} is not a number; ignored")
    reps = 1 if (interval or 0) < 6 else 2
    mapped: dict[str, object] = {}
    last = None
    if interval:
        try:
            last = due - dt.timedelta(days=interval)
        except OverflowError:
            last = None
        if last is not None and last > today:
            last = None
    mapped["last_reviewed"] = last
    mapped["next_review"] = due
    mapped["review_count"] = reps
    if ease is not None:
        mapped["ease_factor"] = ease
    if interval is not None:
        mapped["interval"] = interval
    mapped["repetitions"] = reps
    return {k: v for k, v in mapped.items() if k not in data}, warnings


_INLINE_CODE = re.compile(r"`+[^`]*`+")
_TAG = re.compile(r"(?:^|(?<=\s))#([^\s#!\"$%&'()*+,.:;<=>?@\[\\\]^`{|}~]+)")


def inline_tags(body: str) -> list[str]:
    """Obsidian's ``#tag`` and ``#nested/tag`` in the text (not in code, not headings, not numbers)."""
    out: list[str] = []
    for _, line in lines_outside_fences(body):
        for tm in _TAG.finditer(_INLINE_CODE.sub(" ", line)):
            tag = tm.group(1).strip("/")
            if tag and not tag.replace("/", "").isdigit() and tag not in out:
                out.append(tag)
    return out


def split_tag_string(value: str) -> list[str]:
    """Obsidian's ``tags: a, b`` or ``tags: a b`` (with or without ``#``) as a list."""
    return [t.lstrip("#") for t in re.split(r"[,\s]+", value) if t.lstrip("#")]
