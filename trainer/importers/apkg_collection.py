"""An Anki collection database read into plain dataclasses (both schemas Anki exports).

Schema 11 (legacy packages, rslib/src/storage/schema11.sql) keeps notetypes, decks and the
rollover hour as JSON in the ``col`` row; schema 18 (modern packages) has ``notetypes``,
``fields``, ``templates`` and ``decks`` tables (deck names joined by ``\\x1f``), a ``config``
table, and protobuf blobs for the notetype kind and the card templates. ``notes``, ``cards``,
``revlog`` and ``col.crt`` are the same in both.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field

from trainer.importers.apkg_package import PackageError, read_protobuf


@dataclass
class NoteType:
    name: str
    fields: list[str]
    cloze: bool
    question_field: int = 0
    """Index of the field the first card's front shows first (0 when it cannot be told)."""


@dataclass(slots=True)
class AnkiNote:
    id: int
    mid: int
    fields: list[str]
    tags: list[str]


@dataclass(slots=True)
class AnkiCard:
    id: int
    nid: int
    did: int
    ord: int
    type: int
    queue: int
    due: int
    ivl: int
    factor: int
    reps: int
    lapses: int
    odue: int
    odid: int
    data: str


@dataclass(slots=True)
class Revlog:
    id: int
    """Review time, milliseconds since the epoch (unique in the collection)."""
    cid: int
    ease: int
    ivl: int
    last_ivl: int
    factor: int
    time: int
    type: int


@dataclass
class Collection:
    crt: int
    """Collection creation time (seconds): day numbers of ``cards.due`` count from its date."""
    rollover: int
    notetypes: dict[int, NoteType]
    decks: dict[int, str]
    """Deck id → name with ``::`` between levels."""
    notes: dict[int, AnkiNote]
    cards: list[AnkiCard]
    revlog: dict[int, list[Revlog]] = field(default_factory=dict)
    """Card id → its reviews, oldest first."""


_FIELD_REF = re.compile(r"\{\{([^{}]+)\}\}")


def _question_field(qfmt: str, names: list[str]) -> int:
    """The first field the front template shows (``{{Front}}``, ``{{text:Front}}``), else 0."""
    wanted = {n.casefold(): i for i, n in enumerate(names)}
    for m in _FIELD_REF.finditer(qfmt or ""):
        ref = m.group(1).strip()
        if ref[:1] in "#/^!":
            continue
        i = wanted.get(ref.rsplit(":", 1)[-1].strip().casefold())
        if i is not None:
            return i
    return 0


def read_collection(conn: sqlite3.Connection) -> Collection:
    """Everything the import needs, read once; raises :class:`PackageError` on a damaged database."""
    try:
        return _read(conn)
    except sqlite3.DatabaseError as exc:
        raise PackageError(f"its collection database is damaged: {exc}") from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise PackageError(f"its collection database holds something unexpected: {exc}") from None


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _read(conn: sqlite3.Connection) -> Collection:
    tables = _tables(conn)
    missing = {"col", "notes", "cards"} - tables
    if missing:
        raise PackageError(f"its collection has no {', '.join(sorted(missing))} table: not an Anki collection")
    row = conn.execute("SELECT crt, conf, models, decks FROM col LIMIT 1").fetchone()
    if row is None:
        raise PackageError("its collection is empty (no col row)")
    crt = int(row[0])
    if "notetypes" in tables:
        notetypes, decks, rollover = _schema18(conn)
    else:
        notetypes, decks, rollover = _schema11(row[1], row[2], row[3])
    notes = {
        nid: AnkiNote(nid, mid, flds.split("\x1f"), tags.split())
        for nid, mid, flds, tags in conn.execute("SELECT id, mid, flds, tags FROM notes")
    }
    cards = [
        AnkiCard(*r)
        for r in conn.execute(
            "SELECT id, nid, did, ord, type, queue, due, ivl, factor, reps, lapses, odue, odid, data"
            " FROM cards ORDER BY nid, ord"
        )
    ]
    revlog: dict[int, list[Revlog]] = {}
    if "revlog" in tables:
        for r in conn.execute("SELECT id, cid, ease, ivl, lastIvl, factor, time, type FROM revlog ORDER BY id"):
            revlog.setdefault(r[1], []).append(Revlog(*r))
    return Collection(crt, rollover, notetypes, decks, notes, cards, revlog)


def _rollover(value: object) -> int:
    return value if isinstance(value, int) and 0 <= value <= 23 else 4


def _schema11(conf: str, models: str, decks: str) -> tuple[dict[int, NoteType], dict[int, str], int]:
    conf_d = json.loads(conf or "{}")
    notetypes: dict[int, NoteType] = {}
    for mid, m in (json.loads(models or "{}") or {}).items():
        flds = sorted(m.get("flds", []), key=lambda f: f.get("ord", 0))
        names = [str(f.get("name", "")) for f in flds]
        tmpls = sorted(m.get("tmpls", []), key=lambda t: t.get("ord", 0))
        q = _question_field(tmpls[0].get("qfmt", ""), names) if tmpls else 0
        notetypes[int(mid)] = NoteType(str(m.get("name", "")), names, m.get("type") == 1, q)
    deck_names = {int(did): str(d.get("name", "")) for did, d in (json.loads(decks or "{}") or {}).items()}
    return notetypes, deck_names, _rollover(conf_d.get("rollover") if isinstance(conf_d, dict) else None)


def _blob(value: object) -> bytes:
    """A blob column's bytes (SQLite's loose typing lets a tool store it as text or NULL)."""
    if value is None:
        return b""
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)  # type: ignore[arg-type]


def _schema18(conn: sqlite3.Connection) -> tuple[dict[int, NoteType], dict[int, str], int]:
    names: dict[int, list[str]] = {}
    for ntid, _ord, name in conn.execute("SELECT ntid, ord, name FROM fields ORDER BY ntid, ord"):
        names.setdefault(ntid, []).append(name)
    first_front: dict[int, str] = {}
    for ntid, _ord, config in conn.execute("SELECT ntid, ord, config FROM templates ORDER BY ntid, ord"):
        if ntid not in first_front:
            fmt = next((v for n, v in read_protobuf(_blob(config)) if n == 1 and isinstance(v, bytes)), b"")
            first_front[ntid] = fmt.decode("utf-8", "replace")
    notetypes: dict[int, NoteType] = {}
    for ntid, name, config in conn.execute("SELECT id, name, config FROM notetypes"):
        kind = next((v for n, v in read_protobuf(_blob(config)) if n == 1 and isinstance(v, int)), 0)
        flds = names.get(ntid, [])
        notetypes[ntid] = NoteType(name, flds, kind == 1, _question_field(first_front.get(ntid, ""), flds))
    decks = {did: name.replace("\x1f", "::") for did, name in conn.execute("SELECT id, name FROM decks")}
    rollover = 4
    if "config" in _tables(conn):
        row = conn.execute("SELECT val FROM config WHERE KEY = 'rollover'").fetchone()
        if row is not None:
            try:
                rollover = _rollover(json.loads(_blob(row[0]).decode("utf-8")))
            except (ValueError, UnicodeDecodeError):
                pass
    return notetypes, decks, rollover
