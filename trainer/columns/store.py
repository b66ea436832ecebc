"""The columns' file, ``.trainer/scan-columns.bin``: written atomically, read only when whole."""

from __future__ import annotations

import mmap
import os
from array import array
from pathlib import Path

from xxhash import xxh3_64_intdigest as _sum

from trainer import paths
from trainer.columns.model import _GROUPS, _SECTIONS, BROKEN, NEW, ROW_CHUNK, STUDIED, Columns
from trainer.walk import COLUMNS_FILE as FILE_NAME
from trainer.walk import COLUMNS_HEADER as _HEADER
from trainer.walk import columns_digest as _digest_of
from trainer.walk import open_state_file


def _path(root: Path) -> Path:
    return paths.state_dir(root) / FILE_NAME


def save_columns(root: Path, cols: Columns) -> None:
    """Written atomically beside the scan cache; a read-only deck simply has none.

    The first line names the stamp digest and the checksum of the index that follows (each
    section's length and checksum); the sections come after it in groups (``model._GROUPS``), so a
    command reads only the groups it needs. The checksums are XXH3-64: a command checks the 40 MB
    of a 100k deck's columns at memory speed, where crc32 took 37 ms (#17)."""
    import orjson

    from trainer.notes.write import atomic_write

    texts = {
        "kind": cols.kind, "rows": cols.rows, "rels": cols.rels,
        "tag_rows": cols.tag_rows, "recall_rows": cols.recall_rows,
        "tag_names": orjson.dumps(cols.tag_names), "difficulty_names": orjson.dumps(cols.difficulty_names),
        "problems": orjson.dumps(cols.problems), "meta": orjson.dumps({"n": cols.n, "mastery_sum": cols.mastery_sum,
                                                                      "difficulty_counts": _difficulty_counts(cols),
                                                                      "appearance": cols.appearance}),
    }
    rows = memoryview(cols.rows).cast("B")
    texts["row_sums"] = array("Q", (_sum(rows[i:i + ROW_CHUNK]) for i in range(0, len(rows), ROW_CHUNK))).tobytes()
    # each section as the bytes it already is (no copy of an array, of a chunk of the rows, nor of the
    # whole file joined: 50-100 ms of a patch at 100k notes, #17)
    sections = [memoryview(texts[name] if name in texts else getattr(cols, name)).cast("B") for name, code in _SECTIONS]
    index = array("q", map(len, sections)).tobytes() + array("Q", map(_sum, sections)).tobytes()
    head = b"%s digest %s index %016x\n" % (_HEADER, cols.digest.hex().encode(), _sum(index)) + index
    try:
        paths.ensure_state_dir(root)
        atomic_write(paths.state_file(root, FILE_NAME), [head, *sections], mode=0o644, durable=False,
                     follow_symlinks=False)
    except OSError:
        pass


def _difficulty_counts(cols: Columns) -> list[int]:
    """The notes of each difficulty (broken ones left out): kept, so that ``stats`` need not count them."""
    from collections import Counter

    counts = Counter(cols.difficulty)
    return [counts[i] for i in range(len(cols.difficulty_names))]


def discard(root: Path) -> None:
    """The file removed (a part of it found damaged when used): the next command builds it again."""
    try:
        os.unlink(_path(root))
    except OSError:
        pass


def peek_digest(root: Path) -> bytes | None:
    """The stamp digest the columns were built from, from their first line (not checked yet)."""
    from trainer.walk import peek_digest as peek

    return peek(str(root))


def load(root: Path, digest: bytes | None, *, rows: bool = True, tags: bool = True, stamps: bool = False,
         names: bool = True) -> Columns | None:
    """The columns if they were built from a walk with this digest (None: any) and are whole; else None.
    ``rows=False`` leaves out the rows of ``due --json`` (most of the file), ``tags=False`` the
    tags and difficulties (a seed-shaped deck's 100k tags), ``names=False`` only the tags' names and closures
    (``stats --json`` writes them from its templates)."""
    import orjson

    count = len(_SECTIONS)
    groups = ["core"] + (["tags"] if tags else []) + (["names"] if tags and names else []) + (["rows"] if rows else []) \
        + (["stamps"] if stamps else [])
    try:
        with open_state_file(str(_path(root))) as fh:  # (a FIFO in its place: refused, not waited on)
            line = fh.readline(300)
            found = _digest_of(line)
            if found is None or (digest is not None and found != digest):
                return None
            index = fh.read(16 * count)
            if len(index) != 16 * count or line.split()[7] != b"%016x" % _sum(index):
                return None
            lengths, sums = array("q"), array("Q")
            lengths.frombytes(index[:8 * count])
            sums.frombytes(index[8 * count:])
            start = len(line) + 16 * count
            if os.fstat(fh.fileno()).st_size != start + sum(lengths):
                return None
            # mapped, not read: the page cache's pages themselves, no copy of the 40 MB of a 100k deck's
            # rows (the file is only ever replaced by a rename, never written in place)
            whole = memoryview(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))
            values: dict[str, object] = {}
            for group in groups:
                first, end = _GROUPS[group]
                pos = start + sum(lengths[:first])
                for (name, code), size, checksum in zip(_SECTIONS[first:end], lengths[first:end], sums[first:end]):
                    part = whole[pos:pos + size]
                    pos += size
                    if len(part) != size or (name != "rows" and _sum(part) != checksum):
                        return None  # (the rows: by the chunk, when used, Columns.checked_rows)
                    if code:
                        a = array(code)
                        a.frombytes(part)
                        values[name] = a
                    else:
                        values[name] = part
        for name, code in _SECTIONS:  # the groups not asked for: empty
            values.setdefault(name, array(code) if code else b"[]" if name in ("tag_names", "difficulty_names") else b"")
        meta = orjson.loads(values.pop("meta"))
        names_json = values.pop("tag_names")
        cols = Columns(
            difficulty_counts=meta["difficulty_counts"] if tags else None,
            n=meta["n"], mastery_sum=float(meta["mastery_sum"]), appearance=str(meta.get("appearance", "")), digest=found, kind=bytes(values.pop("kind")),
            tag_names=orjson.loads(names_json) if names or not tags else [], has_names=names or not tags, difficulty_names=orjson.loads(values.pop("difficulty_names")),
            problems=[tuple(p) for p in orjson.loads(values.pop("problems"))], has_rows=rows, has_tags=tags, has_stamps=stamps,
            **values,  # type: ignore[arg-type]
        )
    except (OSError, ValueError, TypeError, KeyError, IndexError):
        return None
    return cols if _consistent(cols) else None


_KINDS = bytes((BROKEN, NEW, STUDIED))


def _consistent(c: Columns) -> bool:
    """The shapes add up (a file with the right checksums but not written by this code is refused;
    a template with the wrong number of fields fails where it is filled, and the answer comes from the notes)."""
    n, t = c.n, len(c.tag_cards)
    try:
        return (
            type(n) is int and len(c.kind) == n
            and all(len(getattr(c, a)) == n for a in ("day", "last", "interval", "ease", "stability", "fsrs_d",
                                                       "mastery", "sortkey"))
            and not c.kind.translate(None, _KINDS)  # (every byte one of the three: 0.05 ms, a set of them 1.4)
            and all(len(p) == 3 and all(type(v) is str for v in p) for p in c.problems)
            and len(c.review_dated) == len(c.review_dated_days) and len(c.new_dated) == len(c.new_dated_days)
            and all(_below(q, n) for q in (c.review_dated, c.review_undated, c.new_dated, c.new_undated))
            and (not c.has_tags or (
                len(c.difficulty) == n and t == len(c.tag_mastery) == len(c.tag_studied)
                and len(c.tag_note_ptr) == t + 1 and c.tag_note_ptr[0] == 0 and c.tag_note_ptr[-1] == len(c.tag_notes)
                and _rising(c.tag_note_ptr) and len(c.tag_first) == t
                # (tag_notes, tag_multi, tag_first, recall_order, recall_shown: unsigned, a bad one an IndexError where used)
                and set(map(type, c.difficulty_names)) <= {str}
                and type(c.difficulty_counts) is list and len(c.difficulty_counts) == len(c.difficulty_names)
                and set(map(type, c.difficulty_counts)) <= {int}
                and (not c.difficulty or max(c.difficulty) < len(c.difficulty_names))
                and (not c.has_names or (
                    len(c.tag_names) == t and set(map(type, c.tag_names)) <= {str}
                    and len(c.tag_ptr) == n + 1 and c.tag_ptr[-1] == len(c.tag_ids) and c.tag_ptr[0] == 0
                    and _rising(c.tag_ptr) and _below(c.tag_ids, t)))))
            and (not c.has_stamps or (len(c.stamp_nums) == 4 * n and bytes(c.rels).count(b"\0") == max(0, n - 1)))
            and len(c.sm2_key) == n == len(c.fsrs_key)  # (their values: checked where used, answers._key_texts)
            and (not c.has_rows or (len(c.row_off) == 1 + sum(map(len, (
                c.review_dated, c.review_undated, c.new_dated, c.new_undated))) and c.row_off[0] == 0
                and c.row_off[-1] == len(c.rows) and _rising(c.row_off)
                and len(c.row_sums) == -(-len(c.rows) // ROW_CHUNK)))
        )
    except (TypeError, ValueError):
        return False


def _below(a: array, limit: int) -> bool:
    """Every value in ``[0, limit)``: one pass over the 32-bit values read unsigned (a negative one is
    then past any limit)."""
    return not len(a) or max(memoryview(a).cast("B").cast("I")) < limit


def _rising(a: array) -> bool:
    """Never falling (each note's tags start where the last note's end); ~2 ms for 100k notes."""
    values = a.tolist()
    return values == sorted(values)
