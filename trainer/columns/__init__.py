"""A compact columnar copy of the scan cache: what `due`, `stats` and the overview need, with no
Note built per card (#17).

The scan cache (``deck.py``) keeps a pickled record per note, and building 100k notes from it
costs more than walking the deck. The columns keep, beside it, only what the counts, the queue
and the JSON need: the due day, kind, last review, interval, ease, FSRS state and mastery per
note as flat arrays; the review and new queues pre-sorted by their static order (so the cards due
on a day are a prefix found by bisection); each note's tag closure as ids into one tag table with
the static per-tag figures; and each card's ``due --json`` row as JSON fragments around the parts
that depend on the day. It is used only when the digest of the walk's stamps (path, size,
mtime, ctime, inode of every note) equals the one it was built from, so an edit in any editor is
seen exactly as by the scan cache; anything else about it — a flipped byte, another version, a
shape that does not add up — and it is not used (the notes are scanned as before and it is
rebuilt). It is read with ``array.frombytes`` and UTF-8 decoding only: nothing in it is unpickled.

``model``: what the file holds; ``build``: the columns from a scan; ``store``: the file;
``answers``: the counts, recalls and JSON the commands print; ``fresh``: the columns matching the
deck now (the walk forked meanwhile, a few edited notes patched in place).
"""

from trainer.columns.answers import (
    NUMPY_FROM, RecallState, difficulty_counts, due_json, figures, recall_state, recall_summary, recalls, stats_json,
    tag_counts,
)
from trainer.columns.fresh import PATCH_LIMIT, Fresh, Pending, fresh, patch
from trainer.columns.model import _SECTIONS, BROKEN, NEW, STUDIED, Columns, DamagedColumns
from trainer.columns.store import FILE_NAME, discard, load, peek_digest, save_columns
from trainer.walk import stamp_digest


def __getattr__(name: str):
    if name == "build":  # imported when first asked for: due/stats on current columns never build them
        from trainer.columns.build import build

        return build
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "BROKEN", "DamagedColumns", "FILE_NAME", "NEW", "NUMPY_FROM", "PATCH_LIMIT", "STUDIED", "Columns", "Fresh", "Pending", "_SECTIONS",
    "build", "difficulty_counts", "discard", "due_json", "figures", "fresh", "load", "patch", "peek_digest", "recall_summary",
    "RecallState", "recall_state", "recalls", "save_columns", "stamp_digest", "stats_json", "tag_counts",
]
