"""The columns matching the deck now: the saved ones while the walk agrees, patched for a few edits, else built again."""

from __future__ import annotations

import datetime as dt
from array import array
from dataclasses import dataclass

from trainer.columns.model import _UNDATED, BROKEN, NEW, STUDIED, Columns, layout_of
from trainer.columns.store import load, peek_digest, save_columns
from trainer.walk import PackedStamps, stamp_digest, stamp_parts


PATCH_LIMIT = 256
"""More changed notes than this (or than 16 and 1 % of the deck), and the columns are built again."""


def patch(prev: Columns, found: list[tuple], deck, parts: tuple | None = None) -> Columns | None:
    """The columns for a walk in which only a few notes were edited (same paths, in the same
    order), from ``prev`` and those notes read again; None when a full build is needed: a note
    added, removed or renamed, one that is or was broken or has problems, one whose tags or
    difficulty name changed (the tag table and its order would change), or too many edits.

    The tags being the same, every value that depends on more than one note is updated only where
    an edited note counts (its queue, its row, its tags' values and template rows, its schedule
    id), as :func:`build` computes it: the result is what a build from scratch gives (the
    schedule ids: the same grouping), and a body edit imports no numpy."""
    import dataclasses

    from trainer.columns.build import _row_template
    from trainer.deck import record_of_item
    from trainer.scheduler import DIFFICULTY_RANK

    n = prev.n
    prev.checked_rows([(0, len(prev.row_off) - 1)])  # (every old row may be kept: none taken unchecked)
    if not (prev.has_rows and prev.has_tags and prev.has_stamps and prev.has_names) or len(found) != n or not n:
        return None
    parts = parts if parts is not None else stamp_parts(found)
    if parts[0] != bytes(prev.rels):
        return None
    nums = parts[1]
    changed = _changed(nums, prev.stamp_nums, n)
    if not changed or len(changed) > min(PATCH_LIMIT, max(16, n // 100)):
        return None
    with_problems = {p[0] for p in prev.problems}
    problems: list = []
    read, items, _ = deck._merge([found[i] for i in changed], [], [], problems)  # noqa: SLF001 - the scan's reader
    if problems or len(read) != len(changed):
        return None
    kind, day, last = bytearray(prev.kind), array("i", prev.day), array("i", prev.last)
    interval, ease, stability, fsrs_d, mastery = (array("d", getattr(prev, a)) for a in
                                                  ("interval", "ease", "stability", "fsrs_d", "mastery"))
    sortkey, difficulty = array("q", prev.sortkey), array("i", prev.difficulty)
    difficulty_ids = {name: i for i, name in enumerate(prev.difficulty_names)}
    old_layout = layout_of(prev)
    pos = {i: old_layout.index(i) for i in changed}  # each edited note's row in the file
    old_off = prev.row_off
    new_rows: dict[int, bytes] = {}
    nan = float("nan")
    from trainer.notes.parse import NEW_CARD_DUE

    for i, item in zip(changed, items):
        r = record_of_item(item)
        (_q, diff, _tags, _demos, _present, probs, fatal, _created, lr, nr, rc, ml, ef, ivl, _reps, st, fd) = r
        rel = found[i][0]
        if fatal or probs or prev.kind[i] == BROKEN or rel in with_problems or diff not in difficulty_ids:
            return None
        k = NEW if rc == 0 and lr is None else STUDIED
        row = _row_template(rel, r, k)
        old = bytes(prev.rows[old_off[pos[i]]:old_off[pos[i] + 1]])
        if row[row.rindex(b'"tags": '):] != old[old.rindex(b'"tags": '):]:  # tags changed: the tag table may
            return None
        kind[i] = k
        day[i] = nr.toordinal() if nr != NEW_CARD_DUE else _UNDATED
        last[i] = 0 if lr is None else lr.toordinal()
        interval[i], ease[i], mastery[i] = ivl, ef, ml
        stability[i] = nan if st is None else st
        fsrs_d[i] = nan if fd is None else fd
        sortkey[i] = DIFFICULTY_RANK.get(diff, 1) * (n + 1) + sortkey[i] % (n + 1)  # the path's place stays
        difficulty[i] = difficulty_ids[diff]
        new_rows[i] = row
    try:
        firsts = [difficulty.index(d) for d in range(len(difficulty_ids))]
    except ValueError:
        return None  # a difficulty gone: the stats' difficulty counts would change
    if firsts != sorted(firsts):
        return None  # another first: their order would change
    queues = _patched_queues(prev, changed, kind, day, sortkey)
    rows, row_off = _patched_rows(prev, old_layout, pos, layout_of(queues), new_rows)
    tag_mastery, tag_studied, mastery_sum = _tag_values(prev, changed, kind, mastery, last)
    was = prev.tag_studied
    if any(bool(tag_studied[t]) != bool(was[t]) for t in _affected_tags(prev, changed)):
        recall_shown = array("I", [t for t in prev.recall_order if tag_studied[t]])
    else:
        recall_shown = prev.recall_shown
    templates = _spliced_templates(prev, changed, tag_mastery, tag_studied, recall_shown)
    return dataclasses.replace(
        prev, kind=bytes(kind), day=day, last=last, interval=interval, ease=ease, stability=stability, fsrs_d=fsrs_d,
        mastery=mastery, sortkey=sortkey, difficulty=difficulty, **queues,
        tag_mastery=tag_mastery, mastery_sum=mastery_sum, tag_studied=tag_studied, recall_shown=recall_shown, **templates,
        rows=rows, row_off=row_off, row_sums=None, difficulty_counts=None,
        **_patched_keys(prev, changed, kind, last, interval, ease, stability, fsrs_d),
        digest=stamp_digest(found, parts), stamp_nums=nums,
    )


def _changed(nums: array, old: array, n: int) -> list[int]:
    """The notes whose stamps differ (four rows of ``n`` int64), compared a block at a time."""
    nums, old = bytes(nums), bytes(old)
    if len(old) != len(nums):
        return list(range(n))
    step, out = 4096, set()
    for start in range(0, len(nums), step):
        if nums[start:start + step] != old[start:start + step]:
            a, b = array("q", nums[start:start + step]), array("q", old[start:start + step])
            out.update((start // 8 + k) % n for k in range(len(a)) if a[k] != b[k])
    return sorted(out)


def _patched_queues(prev: Columns, changed: list[int], kind, day: array, sortkey: array) -> dict[str, array]:
    """``build._queues`` for the patched arrays, from ``prev``'s: each edited note taken out of its
    queue and put back where its day and key sort it (the others keep their order)."""
    from bisect import bisect

    names = ("review_dated", "review_dated_days", "review_undated", "new_dated", "new_dated_days", "new_undated")
    q = {name: array("i", getattr(prev, name)) for name in names}

    def queue(k: int, d: int) -> str:
        return ("review" if k == STUDIED else "new") + ("_undated" if d == _UNDATED else "_dated")

    for i in changed:
        name = queue(prev.kind[i], prev.day[i])
        at = q[name].index(i)
        del q[name][at]
        if name.endswith("_dated"):
            del q[name + "_days"][at]
    for i in changed:
        name = queue(kind[i], day[i])
        if name.endswith("_dated"):
            at = bisect(q[name], (day[i], sortkey[i]), key=lambda j: (day[j], sortkey[j]))
            q[name + "_days"].insert(at, day[i])
        else:
            at = bisect(q[name], sortkey[i], key=sortkey.__getitem__)
        q[name].insert(at, i)
    return q


def _patched_rows(prev: Columns, old_layout: array, pos: dict[int, int], layout: array,
                  new_rows: dict[int, bytes]) -> tuple[bytes, array]:
    """``rows`` and ``row_off`` in the new layout: the previous rows with the edited notes' taken out
    and theirs put in before the next unedited note's (the unedited keep their order)."""
    edits = [(pos[i], 1, pos[i], b"") for i in new_rows]  # (row index, order, the row or b"": taken out)
    for i, row in new_rows.items():
        p = layout.index(i)
        nxt = p + 1
        while nxt < len(layout) and layout[nxt] in new_rows:
            nxt += 1
        edits.append((old_layout.index(layout[nxt]) if nxt < len(layout) else len(old_layout), 0, p, row))
    edits.sort()
    old_off, view = prev.row_off, memoryview(prev.rows)
    pieces: list = []
    off = array("q")
    size, cur = 0, 0

    def keep(a: int, b: int) -> None:
        nonlocal size
        if b > a:
            delta = size - old_off[a]
            off.extend(old_off[a:b] if not delta else array("q", [x + delta for x in old_off[a:b]]))
            pieces.append(view[old_off[a]:old_off[b]])
            size += old_off[b] - old_off[a]

    for r, drop, _, row in edits:
        keep(cur, r)
        if drop:
            cur = r + 1
        else:
            off.append(size)
            pieces.append(row)
            size += len(row)
            cur = r
    keep(cur, len(old_layout))
    off.append(size)
    return b"".join(pieces), off


TAGS_SPLICED = 64
"""More tags than this among the edited notes', and their templates are written again whole."""


def _affected_tags(prev: Columns, changed: list[int]) -> list[int]:
    """The tags (ids, each note's closure) of the edited notes: only their per-tag values can change."""
    ptr, ids = prev.tag_ptr, prev.tag_ids
    return sorted({t for i in changed for t in ids[ptr[i]:ptr[i + 1]]})


def _tag_values(prev: Columns, changed: list[int], kind, mastery: array, last: array) -> tuple[array, array, float]:
    """(each tag's mean mastery, its studied cards, the deck's mastery sum) as ``build._static_mastery``
    and ``build._tag_index`` compute them, for the edited notes' tags only: each tag's notes (in the
    deck's order, ``tag_notes``) added in that order, the others' values kept."""
    from functools import reduce
    from operator import add

    total = reduce(add, mastery if BROKEN not in kind else (m if k != BROKEN else 0.0 for k, m in zip(kind, mastery)),
                   0.0)  # (in order, as bincount adds)
    tag_mastery, tag_studied = array("d", bytes(prev.tag_mastery)), array("i", bytes(prev.tag_studied))
    ptr, notes, cards = prev.tag_note_ptr, prev.tag_notes, prev.tag_cards
    for t in _affected_tags(prev, changed):
        members = notes[ptr[t]:ptr[t + 1]]  # (no broken note has tags)
        s = reduce(add, map(mastery.__getitem__, members), 0.0)
        tag_mastery[t] = round(s / cards[t], 3) if cards[t] else 0.0
        tag_studied[t] = sum(map(bool, map(last.__getitem__, members)))  # (a shared tag's 44k notes: in C)
    return tag_mastery, tag_studied, total


def _spliced_templates(prev: Columns, changed: list[int], tag_mastery: array, tag_studied: array,
                       recall_shown: array) -> dict[str, bytes]:
    """``build._tag_templates`` for the patched values: the previous ``tag_rows`` and ``recall_rows``
    with the edited notes' tags' rows written again (only their names' JSON: all 100k cost 0.2 s),
    a recall row added or dropped where a tag's studied count became or stopped being 0."""
    from trainer.columns.build import _tag_templates, tag_json_of

    tags = [t for t in _affected_tags(prev, changed)  # (a body edited: none, the templates kept)
            if tag_mastery[t] != prev.tag_mastery[t] or tag_studied[t] != prev.tag_studied[t]]
    if not tags:
        return {}
    if len(tags) <= TAGS_SPLICED and len(prev.recall_shown) and len(recall_shown):
        try:
            return _splice(prev, tags, tag_mastery, tag_studied, recall_shown)
        except ValueError:  # (a row not where the templates put it: written again whole)
            pass
    return _tag_templates(tag_json_of(prev.tag_names), prev.tag_cards, tag_mastery, tag_studied, prev.recall_order)


def _splice(prev: Columns, tags: list[int], tag_mastery: array, tag_studied: array, recall_shown: array) -> dict[str, bytes]:
    """See :func:`_spliced_templates`. Each template is read as ``[``/``{``, units ``\\n<row>,`` and
    its closing line (the last unit's comma: that line's newline); a unit is found by its tag's name,
    which the JSON escapes (no newline in it), then replaced, removed or inserted before the next one."""
    import bisect

    import orjson

    from trainer.columns.build import tag_json_of

    names, cards, was = prev.tag_names, prev.tag_cards, prev.tag_studied
    added = [t for t in tags if tag_studied[t] and not was[t]]
    nexts: dict[int, int | None] = {}
    rank: dict[int, int] = {}
    if added:
        order = prev.recall_order.tolist()
        rank = {t: r for r, t in enumerate(order)}
        old_shown = prev.recall_shown.tolist()
        old_ranks = [rank[t] for t in old_shown]
        for t in added:
            j = bisect.bisect(old_ranks, rank[t])
            nexts[t] = old_shown[j] if j < len(old_shown) else None
    need = sorted(set(tags) | {u for u in nexts.values() if u is not None})
    esc = dict(zip(need, (j.replace(b"%", b"%%") for j in tag_json_of([names[t] for t in need]))))

    text = bytes(prev.tag_rows)  # (searched from 1: the units start at the opening character's newline)
    edits = []
    for t in tags:
        s = text.index(b'\n    {\n      "tag": %s,\n      "cards": ' % esc[t]) - 1
        e = text.index(b"\n    }", s) + 6
        edits.append((s, 0, e, b'\n    {\n      "tag": %s,\n      "cards": %d,\n      "due": %%s,\n      "mastery": %s\n    },'
                      % (esc[t], cards[t], orjson.dumps(tag_mastery[t]))))
    tag_rows = _edited(text, 4, edits)

    text = bytes(prev.recall_rows)

    def unit(t: int) -> tuple[int, int]:
        s = text.index(b'\n      %s: {\n        "studied": ' % esc[t]) - 1
        return s, text.index(b"\n      }", s) + 8

    edits = []
    for t in tags:
        row = b'\n      %s: {\n        "studied": %d,\n        "recall": %%s\n      },' % (esc[t], tag_studied[t])
        if was[t]:
            s, e = unit(t)
            edits.append((s, 0, e, row if tag_studied[t] else b""))
        elif tag_studied[t]:
            s = len(text) - 6 if nexts[t] is None else unit(nexts[t])[0]
            edits.append((s, rank[t] - len(rank), s, row))  # (before the next one's own edit, in the recall's order)
    return {"tag_rows": tag_rows, "recall_rows": _edited(text, 6, edits)}


def _edited(text: bytes, closing: int, edits: list[tuple]) -> bytes:
    """A template with each (start, _, end, unit) put in place of ``units[start:end]``, where units
    is its text between the opening character and the closing line, and a comma."""
    units = memoryview(text[1:len(text) - closing] + b",")
    out, at = [], 0
    for s, _, e, rep in sorted(edits, key=lambda ed: (ed[0], ed[1])):
        out += (units[at:s], rep)
        at = e
    out.append(units[at:])
    out = [piece for piece in out if len(piece)]
    if not out:
        return text[:1] + text[-1:]
    out[-1] = out[-1][:-1]
    return b"".join([text[:1], *out, text[-closing:]])


def _bits(x: float) -> bytes:
    """A float's bits (NaN is no FSRS state; two NaNs are the same one)."""
    import struct

    return struct.pack("<d", x)


def _patched_keys(prev: Columns, changed: list[int], kind, last: array, interval: array, ease: array,
                  stability: array, fsrs_d: array) -> dict[str, array]:
    """``build._keys`` for the patched arrays, from ``prev``'s: an edited note whose bits changed takes
    the id of a note with its new bits, or a new one; an id left without notes is dropped (the ids
    above it move down), so that each id still has notes and its own bits, as ``answers`` expects."""
    if not any(prev.kind[i] != kind[i] or prev.last[i] != last[i] or prev.interval[i] != interval[i]
               or prev.ease[i] != ease[i] or _bits(prev.stability[i]) != _bits(stability[i])
               or _bits(prev.fsrs_d[i]) != _bits(fsrs_d[i]) for i in changed):
        return {name: getattr(prev, name) for name in ("sm2_key", "sm2_key_note", "fsrs_key", "fsrs_key_note")}
    import numpy as np  # (only here: a body edited, no schedule changed, needs none)

    from trainer.columns.build import _keys

    def bits(c) -> list:
        return [np.frombuffer(bytes(c.kind) if c is prev else bytes(kind), dtype=np.uint8),
                np.frombuffer(c.last if c is prev else last, dtype=np.int32)] + \
            [np.frombuffer(a, dtype=np.int64) for a in ((c.interval, c.ease, c.stability, c.fsrs_d) if c is prev
                                                        else (interval, ease, stability, fsrs_d))]

    old, new = bits(prev), bits(None)
    out = {}
    for name, used in (("sm2", (1, 2)), ("fsrs", range(6))):
        moved = [i for i in changed if any(old[c][i] != new[c][i] for c in used)]
        if not moved:
            out[name + "_key"], out[name + "_key_note"] = getattr(prev, name + "_key"), getattr(prev, name + "_key_note")
            continue
        if len(moved) > 32:
            return _keys(kind, last, interval, ease, stability, fsrs_d)
        key = np.frombuffer(getattr(prev, name + "_key"), dtype=np.int32).copy()
        key_note = getattr(prev, name + "_key_note").tolist()
        old_ids = {int(key[i]) for i in moved}
        key[moved] = -1
        for i in moved:
            same = key >= 0
            for c in used:
                same &= new[c] == new[c][i]
            hit = np.flatnonzero(same)
            if len(hit):
                key[i] = key[hit[0]]
            else:
                key[i] = len(key_note)
                key_note.append(i)
        for k in sorted(old_ids, reverse=True):
            if key[key_note[k]] == k:
                continue
            members = np.flatnonzero(key == k)
            if len(members):
                key_note[k] = int(members[0])
            else:
                key[key > k] -= 1
                del key_note[k]
        out[name + "_key"], out[name + "_key_note"] = array("i", key.tobytes()), array("i", key_note)
    return out


@dataclass(slots=True)
class Fresh:
    """The deck as the columns see it now: ``columns`` is None only when they cannot be built
    (then ``scan`` holds the notes, and the caller falls back to them)."""

    columns: Columns | None
    problems: list
    """The walk's problems, then the notes' (as ``Scan.problems`` lists them)."""
    scan: object | None = None
    notice: str | None = None
    rebuilt: bool = False
    unsaved: Columns | None = None
    """Columns patched or built and not saved yet (``finish(save_later=True)``): :meth:`save` keeps them."""

    def save(self, root) -> None:
        """Keep the columns :meth:`Pending.finish` left unsaved (the study app: after its first frame)."""
        cols, self.unsaved = self.unsaved, None
        if cols is not None:
            save_columns(root, cols)


class Pending:
    """The columns as last saved, loaded while the deck is walked in a forked child on the other
    core (``deck.Walk``, sent back as "unchanged" when its stamps' digest is theirs): a command
    can compute its answer from them meanwhile, and :meth:`finish` says whether it stands."""

    def __init__(self, deck, *, clean_temp: bool = True, rows: bool = True, tags: bool = True, names: bool = True) -> None:
        from trainer.deck import Walk
        from trainer.walk import take_early

        self.deck = deck
        self.clean_temp = clean_temp
        expect = peek_digest(deck.root)
        early = take_early(str(deck.root), expect)  # the `trainer` command may have started it already
        self._walk = Walk(deck, expect, started=early) if expect is not None and clean_temp else None
        self.columns = load(deck.root, expect, rows=rows, tags=tags, names=names) if expect is not None else None

    def abandon(self) -> None:
        """The command stops before :meth:`finish` (a usage error while answering from the columns):
        the forked walk is reaped and its file closed."""
        if self._walk is not None:
            self._walk.result_or_unchanged()
            self._walk = None

    def finish(self, today: dt.date, *, save: bool = True, save_later: bool = False, progress=None) -> Fresh:
        """The columns if the walk found the notes they were built from, else a scan (parsing what
        changed, as every command does) and columns built again and kept for next time
        (``save_later``: kept by :meth:`Fresh.save`, when the caller has answered: writing a 100k
        deck's columns took 30-100 ms). ``progress``: see :data:`trainer.deck.Progress` (told only
        when notes are parsed)."""
        from trainer.deck import _collector_paused
        from trainer.notes.model import Problem

        deck, cols = self.deck, self.columns
        with _collector_paused():
            parts = None
            if self._walk is not None:
                found, walk_problems, removed = self._walk.result_or_unchanged(lazy=True)
                if found is None and cols is not None:  # the child's digest is the one the columns hold
                    return Fresh(cols, walk_problems + [Problem(*p) for p in cols.problems])
                if found is None:  # the file changed under us after the child compared: walk here
                    found, walk_problems, removed = deck.walk(clean_temp=self.clean_temp)
                else:
                    parts = self._walk.parts  # (the child made them: not again here)
            else:
                found, walk_problems, removed = deck.walk(clean_temp=self.clean_temp)
            if cols is not None and cols.digest == stamp_digest(found, parts):  # (walked here: no fork)
                return Fresh(cols, walk_problems + [Problem(*p) for p in cols.problems])
            whole = load(deck.root, None, stamps=True)
            try:
                patched = patch(whole, found, deck, parts) if whole is not None else None
            except (ValueError, TypeError, OverflowError, KeyError, AttributeError, IndexError):
                patched = None
            if patched is not None:  # a few notes edited: their rows updated, the rest kept
                if save and not save_later:
                    save_columns(deck.root, patched)
                return Fresh(patched, walk_problems + [Problem(*p) for p in patched.problems], None, None, rebuilt=True,
                             unsaved=patched if save and save_later else None)
            if type(found) is PackedStamps:  # (a scan of the whole deck: every stamp)
                found = found.tolist()
            scan = deck.scan(today, save_cache=save, clean_temp=self.clean_temp,
                             prewalked=(found, walk_problems, removed), progress=progress)
            notice = getattr(deck, "cache_notice", None)
            deck.cache_notice = None
            from trainer.columns.build import build  # (only here: a command whose columns are current never loads it)

            try:
                new = build(scan._stamps, scan._items, previous=whole if whole is not None
                            else cols if cols is not None and cols.has_tags and cols.has_names else load(deck.root, None, rows=False))
            except (ValueError, TypeError, OverflowError, KeyError, AttributeError):  # a value the columns cannot hold
                return Fresh(None, scan.problems, scan, notice)
            keep = save and scan._stamps == found  # (an unreadable note is in the walk but not the scan)
            if keep and not save_later:
                save_columns(deck.root, new)
            return Fresh(new, scan.problems, scan, notice, rebuilt=True, unsaved=new if keep and save_later else None)


def fresh(deck, today: dt.date, *, save: bool = True, clean_temp: bool = True, rows: bool = True,
          tags: bool = True) -> Fresh:
    """The deck's columns, matching its notes now (see :class:`Pending`)."""
    return Pending(deck, clean_temp=clean_temp, rows=rows, tags=tags).finish(today, save=save)
