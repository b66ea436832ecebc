"""Columns built from a scan's notes or cache records (the notes' rows, the queues, the tag table)."""

from __future__ import annotations

from array import array

from trainer.columns.model import _UNDATED, BROKEN, NEW, STUDIED, Columns, layout_of
from trainer.walk import stamp_digest, stamp_parts


def build(found: list[tuple], items: list, previous: "Columns | None" = None) -> Columns:
    """Columns for a scan's stamps and items (notes or cache records, as ``Deck.scan`` keeps them)."""
    from trainer.deck import record_of_item
    from trainer.figures import sum_by_tag, tag_closure_memo
    from trainer.notes.parse import NEW_CARD_DUE
    from trainer.scheduler import DIFFICULTY_RANK
    from trainer.tags import sort_tags

    n = len(found)
    parts = stamp_parts(found)  # (OverflowError: a stamp past 64 bits, no columns)
    records = [record_of_item(it) for it in items]
    kind = bytearray(n)
    day = array("i", bytes(4 * n))
    last = array("i", bytes(4 * n))
    interval, ease, stability, fsrs_d, mastery = (array("d", bytes(8 * n)) for _ in range(5))
    difficulty = array("i", bytes(4 * n))
    nan = float("nan")
    difficulty_ids: dict[str, int] = {}
    problems: list[tuple[str, str, str]] = []
    groups: dict[tuple[str, ...], list] = {}  # tag set -> [cards], as figures.compute groups
    rank_of = DIFFICULTY_RANK.get
    for i, r in enumerate(records):
        (question, diff, tags, _demos, _present, probs, fatal, _created, lr, nr, rc, ml, ef, ivl, _reps, st, fd) = r
        if probs:
            problems.extend(probs)
        day[i] = nr.toordinal() if nr != NEW_CARD_DUE else _UNDATED
        if fatal:
            kind[i] = BROKEN
            difficulty[i] = -1
            continue
        kind[i] = NEW if rc == 0 and lr is None else STUDIED
        last[i] = 0 if lr is None else lr.toordinal()
        interval[i] = ivl
        ease[i] = ef
        stability[i] = nan if st is None else st
        fsrs_d[i] = nan if fd is None else fd
        mastery[i] = ml
        d = difficulty_ids.get(diff)
        if d is None:
            d = difficulty_ids[diff] = len(difficulty_ids)
        difficulty[i] = d
        g = groups.get(tags)
        if g is None:
            groups[tags] = [1]
        else:
            g[0] += 1

    # the static per-tag figures: cards (mastery: below, note by note as figures.compute sums it)
    closure = tag_closure_memo()
    closures = {tags: closure(tags) for tags in groups}
    agg = sum_by_tag(groups, closures)
    untagged = agg.pop("", None)
    appearance = _appearance(agg)
    if previous is not None and len(previous.tag_names) == len(agg) + (untagged is not None) \
            and set(previous.tag_names) == set(agg) | ({""} if untagged is not None else set()) \
            and previous.appearance == appearance:
        names = previous.tag_names  # the same tags as last time: their order too (sorting 100k tags is the cost)
    else:
        names = sort_tags(agg)
        if untagged is not None:
            names.append("")
    if untagged is not None:
        agg[""] = untagged
    tag_id = {t: i for i, t in enumerate(names)}
    tag_cards = array("i", (agg[t][0] for t in names))
    recall_order = array("i", sorted((tag_id[t] for t in names if t), key=names.__getitem__))

    # each note's closure, as tag ids (broken notes: none)
    tag_ptr = array("i", [0])
    tag_ids = array("i")
    closure_ids: dict[tuple[str, ...], tuple[int, ...]] = {}
    for i, r in enumerate(records):
        if kind[i] != BROKEN:
            tags = r[2]
            ids = closure_ids.get(tags)
            if ids is None:
                ids = closure_ids[tags] = tuple(tag_id[t] for t in _ordered_closure(closures[tags]))
            tag_ids.extend(ids)
        tag_ptr.append(len(tag_ids))

    tag_mastery, mastery_sum = _static_mastery(kind, mastery, tag_ptr, tag_ids, tag_cards)

    # the queues' static order: scheduler.study_key is (day, difficulty rank, path)
    rels = [s[0] for s in found]
    by_path = sorted(range(n), key=rels.__getitem__)
    sortkey = array("q", bytes(8 * n))
    for pos, i in enumerate(by_path):
        sortkey[i] = rank_of(records[i][1], 1) * (n + 1) + pos
    queues = _queues(kind, day, sortkey)

    # `due --json` rows as templates of their day-dependent parts (trainer.cli.cmd_due writes the same keys)
    templates = [_row_template(rels[i], r, kind[i]) if kind[i] != BROKEN else b"" for i, r in enumerate(records)]
    rows, row_off = _laid_out(templates, layout_of(queues))
    tag_json = tag_json_of(names)
    index = _tag_index(kind, last, tag_ptr, tag_ids, len(names), recall_order)
    return Columns(
        **index, **_tag_templates(tag_json, tag_cards, tag_mastery, index["tag_studied"], recall_order),
        n=n, kind=bytes(kind), digest=stamp_digest(found, parts), day=day, last=last, interval=interval, ease=ease,
        stability=stability, fsrs_d=fsrs_d, mastery=mastery, sortkey=sortkey, difficulty=difficulty,
        **queues,
        tag_ptr=tag_ptr, tag_ids=tag_ids, tag_names=names, tag_cards=tag_cards, tag_mastery=tag_mastery,
        recall_order=recall_order, difficulty_names=list(difficulty_ids), problems=problems,
        mastery_sum=mastery_sum, appearance=appearance,
        rows=rows, row_off=row_off, **_keys(kind, last, interval, ease, stability, fsrs_d),
        rels=parts[0], stamp_nums=parts[1],
    )


def _row_frags(rel: str, r: tuple, kind: int) -> tuple[bytes, bytes]:
    """A card's row of ``due --json`` (as ``emit_json`` indents it in the list) around its day-dependent
    parts: up to ``"next_review": `` (its day, when the note has one, and ``"overdue_days": ``), and
    from ``, "new": `` to ``"recall": ``."""
    import orjson

    row = orjson.dumps([{
        "path": rel, "question": r[0], "next_review": None, "overdue_days": 0, "new": kind == NEW,
        "difficulty": r[1], "mastery_level": r[11], "review_count": r[10], "interval": r[13], "tags": list(r[2]),
        "recall": None,
    }], option=orjson.OPT_INDENT_2)[2:-2]
    a_end = row.index(b'\n    "next_review": ') + 20
    b_start = row.index(b',\n    "new": ')
    b_end = row.rindex(b'\n    "recall": ') + 15
    from trainer.notes.parse import NEW_CARD_DUE

    dated = r[9] != NEW_CARD_DUE
    from trainer.textsafe import json_safe_bytes  # here, not over the 17 MB of a 100k deck's answer

    return (json_safe_bytes(row[:a_end] + (b'"%s",\n    "overdue_days": ' % r[9].isoformat().encode() if dated else b"")),
            json_safe_bytes(row[b_start:b_end]))


def _row_template(rel: str, r: tuple, kind: int) -> bytes:
    """:func:`_row_frags` as one ``bytes % (overdue, recall)`` template, ending ``",\n"`` (see ``Columns.rows``)."""
    from trainer.notes.parse import NEW_CARD_DUE

    a, b = _row_frags(rel, r, kind)
    return b"%s%s%s%%s\n  },\n" % (a.replace(b"%", b"%%"), b"%d" if r[9] != NEW_CARD_DUE else b"%s", b.replace(b"%", b"%%"))


def _laid_out(templates, order: array) -> tuple[bytes, array]:
    """The notes' templates in this order, and where each starts (and the last ends)."""
    from itertools import accumulate

    placed = list(map(templates.__getitem__, order))
    return b"".join(placed), array("q", accumulate(map(len, placed), initial=0))


def _keys(kind, last: array, interval: array, ease: array, stability: array, fsrs_d: array) -> dict[str, array]:
    """``sm2_key``, ``fsrs_key`` and a note of each: notes with the same bits of what ``answers.recalls``
    reads for that algorithm share an id."""
    import numpy as np

    n = len(kind)
    out = {}
    columns = [np.frombuffer(bytes(kind), dtype=np.uint8).astype(np.int64), np.frombuffer(last, dtype=np.int32).astype(np.int64)]
    columns += [np.frombuffer(a, dtype=np.int64) for a in (interval, ease, stability, fsrs_d)]  # the float's bits
    for name, used in (("sm2", (1, 2)), ("fsrs", range(6))):
        if not n:
            out[name + "_key"], out[name + "_key_note"] = array("i"), array("i")
            continue
        fields = np.stack([columns[c] for c in used], axis=1)
        _, first, inverse = np.unique(fields, axis=0, return_index=True, return_inverse=True)
        out[name + "_key"] = array("i", inverse.reshape(-1).astype(np.int32).tobytes())
        out[name + "_key_note"] = array("i", first.astype(np.int32).tobytes())
    return out


def tag_json_of(names: list[str]) -> list[bytes]:
    """Each tag's name as JSON, terminal-safe (a raw C1/bidi character in a tag: escaped)."""
    import orjson

    from trainer.textsafe import json_safe_bytes

    tag_json = [orjson.dumps(t) for t in names]
    if json_safe_bytes(b"".join(tag_json)) != b"".join(tag_json):
        tag_json = [json_safe_bytes(t) for t in tag_json]
    return tag_json


def _tag_templates(tag_json: list[bytes], tag_cards: array, tag_mastery: array, tag_studied: array,
                   recall_order: array) -> dict[str, bytes]:
    """``tag_rows`` and ``recall_rows`` (see ``Columns``): the per-tag parts of ``stats --json`` as
    ``emit_json`` indents them, each day-dependent value a ``%s``."""
    import orjson

    m_text = {m: orjson.dumps(m) for m in set(tag_mastery.tolist())}
    esc = [name.replace(b"%", b"%%") for name in tag_json]
    rows = b",\n".join([b'    {\n      "tag": %s,\n      "cards": %d,\n      "due": %%s,\n      "mastery": %s\n    }'
                        % (name, cards, m_text[m]) for name, cards, m in zip(esc, tag_cards.tolist(), tag_mastery.tolist())])
    studied = tag_studied.tolist()
    shown = [i for i in recall_order.tolist() if studied[i]]
    recall = b",\n".join([b'      %s: {\n        "studied": %d,\n        "recall": %%s\n      }' % (esc[i], studied[i])
                          for i in shown])
    return {"tag_rows": b"[\n%s\n  ]" % rows if esc else b"[]", "recall_rows": b"{\n%s\n    }" % recall if shown else b"{}"}


def _tag_index(kind, last: array, tag_ptr: array, tag_ids: array, size: int, recall_order: array) -> dict[str, array]:
    """Per tag: its studied cards, its notes (in the deck's order), which tags have more than one, its
    first note; and the tags the recall shows."""
    import numpy as np

    ptr = np.frombuffer(tag_ptr, dtype=np.int32)
    ids = np.frombuffer(tag_ids, dtype=np.int32)
    entry_note = np.repeat(np.arange(len(ptr) - 1, dtype=np.int32), np.diff(ptr))
    studied = (np.frombuffer(bytes(kind), dtype=np.uint8) != BROKEN) & (np.frombuffer(last, dtype=np.int32) != 0)
    counts = np.bincount(ids, minlength=size)
    note_ptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int32)
    notes = entry_note[np.argsort(ids, kind="stable")].astype(np.int32)
    tag_studied = np.bincount(ids, weights=studied[entry_note], minlength=size).astype(np.int32)
    order = np.frombuffer(recall_order, dtype=np.int32)
    return {
        "tag_studied": array("i", tag_studied.tobytes()),
        "tag_note_ptr": array("I", note_ptr.tobytes()),
        "tag_notes": array("I", notes.tobytes()),
        "tag_multi": array("I", np.flatnonzero(counts > 1).astype(np.int32).tobytes()),
        "tag_first": array("I", notes[np.minimum(note_ptr[:-1], len(notes) - 1)].tobytes()) if len(notes) else array("I"),
        "recall_shown": array("I", order[tag_studied[order] > 0].astype(np.int32).tobytes()),
    }


def _appearance(agg: dict) -> str:
    """A digest of the tags in order of first appearance: ``sort_tags`` keeps that order among tags
    that sort as equals (``A/b`` and ``a/B``), so the last build's order holds only while it is the same."""
    import hashlib

    import orjson

    return hashlib.blake2b(orjson.dumps(list(agg)), digest_size=16).hexdigest()


def _static_mastery(kind, mastery: array, tag_ptr: array, tag_ids: array, tag_cards: array) -> tuple[array, float]:
    """(each tag's mean mastery, the deck's mastery sum), added note by note in the deck's order as
    ``figures.compute`` adds them (``bincount`` adds its weights in order; 0.0 + x for the first)."""
    import numpy as np

    kinds = np.frombuffer(bytes(kind), dtype=np.uint8)
    m = np.where(kinds != BROKEN, np.frombuffer(mastery, dtype=np.float64), 0.0)
    total = float(np.bincount(np.zeros(len(m), dtype=np.int32), weights=m, minlength=1)[0]) if len(m) else 0.0
    ptr = np.frombuffer(tag_ptr, dtype=np.int32)
    entry_note = np.repeat(np.arange(len(m), dtype=np.int32), np.diff(ptr))
    sums = np.bincount(np.frombuffer(tag_ids, dtype=np.int32), weights=m[entry_note], minlength=len(tag_cards)).tolist()
    return array("d", (round(s / c, 3) if c else 0.0 for s, c in zip(sums, tag_cards.tolist()))), total


def _queues(kind, day: array, sortkey: array) -> dict[str, array]:
    """The review and new queues in ``scheduler.study_key`` order: dated ones by day, then
    difficulty and path; undated ones (due the day asked) by difficulty and path."""
    import numpy as np

    queues = {}
    kinds, days, keys = np.frombuffer(bytes(kind), dtype=np.uint8), np.frombuffer(day, dtype=np.int32), np.frombuffer(sortkey, dtype=np.int64)
    for name, want in (("review", STUDIED), ("new", NEW)):
        dated = np.flatnonzero((kinds == want) & (days != _UNDATED))
        dated = dated[np.lexsort((keys[dated], days[dated]))]  # (keys are unique)
        undated = np.flatnonzero((kinds == want) & (days == _UNDATED))
        undated = undated[np.argsort(keys[undated], kind="stable")]
        queues[name + "_dated"] = array("i", dated.astype(np.int32).tobytes())
        queues[name + "_dated_days"] = array("i", days[dated].astype(np.int32).tobytes())
        queues[name + "_undated"] = array("i", undated.astype(np.int32).tobytes())
    return queues


def _ordered_closure(tags) -> list[str]:
    return tags if isinstance(tags, tuple) else sorted(tags)  # a set (several tags): a fixed order
