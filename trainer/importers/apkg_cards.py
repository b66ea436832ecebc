"""What an Anki card becomes: a markdown note, its schedule, and its history.

- A Basic-like note becomes one markdown note: its question field (the first one the front
  template shows) as ``# question``, the others as ``## Answer`` and ``## <field>`` sections
  (HTML → markdown through the text importer's converter). A note with several cards
  (Basic and reversed) is one markdown note carrying its first card's schedule.
- A cloze note becomes one markdown note per cloze number: ``{{cN::…}}`` blanked (``[...]`` or
  ``[hint]``) in the question and shown in bold in the answer.
- Schedule (pure functions of the card, its revlog, the collection's creation date and the
  rollover hour): see :func:`schedule_values`. History: :func:`history`.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import re
import urllib.parse
from dataclasses import dataclass

from trainer import scheduler
from trainer.importers import names
from trainer.importers.anki import as_written, clean_tag, is_html, to_line, to_markdown
from trainer.importers.apkg_collection import AnkiCard, AnkiNote, Collection, NoteType, Revlog

SUSPENDED_TAG = "anki/suspended"
ATTACHMENTS = "attachments"
#: Anki's answer buttons → this deck's grades 0–5 (SPEC §3b maps them back: ≤2 Again, 3 Hard, 4 Good, 5 Easy).
GRADE_OF_EASE = {1: 1, 2: 3, 3: 4, 4: 5}

_CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.S)
_IMG = re.compile(r"""(<img\b[^>]*?\bsrc\s*=\s*)("[^"]*"|'[^']*'|[^\s>]+)""", re.I)
_SOUND = re.compile(r"\[sound:([^\]]+)\]")
_EXT = re.compile(r"\.[A-Za-z0-9]{1,10}$")


# ---------------------------------------------------------------- which cards


@dataclass(slots=True)
class CardPlan:
    """One markdown note to make: a card of a note (a cloze number of a cloze note)."""

    card: AnkiCard
    note: AnkiNote
    notetype: NoteType
    cloze: int
    """The cloze number (``{{c2::…}}`` → 2), 0 for a Basic-like note."""
    folder: tuple[str, ...]
    """Deck name as folders (``A::B`` → ``A/B``), each part a safe name."""


def plan_cards(col: Collection) -> tuple[list[CardPlan], int, list[str]]:
    """The notes to make, how many extra cards (reversed) were folded in, and problems met."""
    plans: list[CardPlan] = []
    folded = 0
    problems: list[str] = []
    seen: set[tuple[int, int]] = set()
    folders: dict[int, tuple[str, ...]] = {}
    for card in col.cards:  # ordered by note, then card ord: the forward card comes first
        note = col.notes.get(card.nid)
        if note is None:
            problems.append(f"card {card.id} belongs to no note; not imported")
            continue
        nt = col.notetypes.get(note.mid)
        if nt is None:
            problems.append(f"note {note.id} has an unknown notetype {note.mid}; not imported")
            continue
        cloze = card.ord + 1 if nt.cloze else 0
        key = (note.id, cloze)
        if key in seen:
            folded += 1
            continue
        seen.add(key)
        did = card.odid or card.did
        folder = folders.get(did)
        if folder is None:
            folder = folders[did] = names.deck_folder(col.decks.get(did, "")) or ("Anki",)
        plans.append(CardPlan(card, note, nt, cloze, folder))
    return plans, folded, problems


# ---------------------------------------------------------------- media


def safe_media_name(name: str) -> str:
    """A flat file name for a media file whose name comes from the package (untrusted).

    Path parts are dropped (``../../x.png`` → ``x.png``), then the name is made valid
    everywhere like a note's name; the extension is kept when it is a plain one.
    """
    base = re.split(r"[\\/]", name)[-1]
    m = _EXT.search(base)
    ext = m.group(0).lower() if m else ""
    stem = base[: len(base) - len(ext)] if ext else base
    return names.safe_stem(stem, "media", max_bytes=names.MAX_NAME_BYTES - 10 - len(ext)) + ext


def media_refs(fields: list[str]) -> list[str]:
    """Media file names a note's fields refer to (``<img src>``, ``[sound:…]``), in order."""
    out: list[str] = []
    for f in fields:
        for m in _IMG.finditer(f):
            out.append(_src_value(m.group(2)))
        out.extend(m.group(1) for m in _SOUND.finditer(f))
    return [n for i, n in enumerate(out) if n and n not in out[:i]]


def _src_value(raw: str) -> str:
    if raw[:1] in "\"'":
        raw = raw[1:-1]
    return html.unescape(raw).strip()


def _link_media(value: str, link) -> str:
    """``value`` with its media pointing at ``link(name)`` (a relative path, or None if missing)."""

    def img(m: re.Match) -> str:
        target = link(_src_value(m.group(2)))
        if target is None:
            return m.group(0)
        return f'{m.group(1)}"{html.escape(urllib.parse.quote(target))}"'

    def sound(m: re.Match) -> str:
        target = link(m.group(1))
        label = html.escape(m.group(1))
        if target is None:
            return f"[sound: {label}]"
        return f'<a href="{html.escape(urllib.parse.quote(target))}">{label}</a>'

    return _SOUND.sub(sound, _IMG.sub(img, value))


# ---------------------------------------------------------------- the note's text


def _cloze_text(text: str, n: int, *, answer: bool, html_field: bool) -> str:
    def sub(m: re.Match) -> str:
        if int(m.group(1)) != n:
            return m.group(2)
        if answer:
            return f"<b>{m.group(2)}</b>" if html_field else f"**{m.group(2)}**"
        return f"[{m.group(3)}]" if m.group(3) else "[...]"

    return _CLOZE.sub(sub, text)


def render(plan: CardPlan, link) -> tuple[str, str]:
    """(body, question) of the markdown note; ``link(name)`` places a media file."""
    fields = [_link_media(f, link) for f in plan.note.fields]
    names_ = plan.notetype.fields
    qi = plan.notetype.question_field if plan.notetype.question_field < len(fields) else 0
    parts: list[str] = []
    front = fields[qi] if fields else ""
    answer = ""
    rest = [i for i in range(len(fields)) if i != qi]
    if plan.cloze:
        h = is_html(front, None)
        answer = to_markdown(_cloze_text(front, plan.cloze, answer=True, html_field=h), None)
        front = _cloze_text(front, plan.cloze, answer=False, html_field=h)
    question = to_line(front, None)
    if question:
        parts.append(f"# {as_written(question)}")
    if not question or "<img" in front.lower() or "<a " in front.lower():
        front_md = to_markdown(front, None)
        if front_md and ("![" in front_md or "](" in front_md or not question):
            parts.append(front_md)  # pictures and sounds of the front are kept below the question
    if not plan.cloze and rest:
        answer = to_markdown(fields[rest[0]], None)
        rest = rest[1:]
    if answer:
        parts.append(f"## Answer\n\n{answer}")
    for i in rest:
        extra = to_markdown(fields[i], None)
        if extra:
            title = to_line(names_[i], False) if i < len(names_) and names_[i] else f"Field {i + 1}"
            parts.append(f"## {as_written(title)}\n\n{extra}")
    return "\n\n".join(parts) + "\n", question


def tags_of(plan: CardPlan) -> list[str]:
    tags = [clean_tag(t) for t in plan.note.tags]
    if plan.card.queue < 0:
        tags.append(SUSPENDED_TAG)
    return [t for i, t in enumerate(tags) if t and t not in tags[:i]]


# ---------------------------------------------------------------- days and schedule


def local_date(seconds: float, rollover: int = 0) -> dt.date | None:
    """The Anki day a moment belongs to: its local date, counted from ``rollover`` o'clock."""
    try:
        return (dt.datetime.fromtimestamp(seconds) - dt.timedelta(hours=rollover)).date()
    except (OverflowError, OSError, ValueError):
        return None


def _add(day: dt.date, days: int) -> dt.date | None:
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return None


@dataclass(slots=True)
class Graded:
    """A revlog row that carries a grade, with its Anki day."""

    row: Revlog
    day: dt.date
    first_of_day: bool


def graded(reviews: list[Revlog], rollover: int) -> list[Graded]:
    """The rows with an answer (manual reschedules have ease 0), oldest first, day-tagged."""
    out: list[Graded] = []
    last_day = None
    for r in reviews:
        if r.ease not in GRADE_OF_EASE:
            continue
        day = local_date(r.id / 1000, rollover)
        if day is None:
            continue
        out.append(Graded(r, day, day != last_day))
        last_day = day
    return out


def schedule_values(
    plan: CardPlan, rows: list[Graded], crt_date: dt.date, today: dt.date
) -> tuple[dict[str, object], list[str]]:
    """The scheduling keys of the card as it stands in Anki today, and any warnings.

    Review cards keep their due day (collection creation date + ``due``, the original deck's
    ``odue`` for a card in a filtered deck); learning and relearning cards are due today; new
    cards are new. ``ease_factor`` = factor / 1000, ``review_count`` = reps, ``last_reviewed``
    the day of the last answer; ``repetitions`` (SM-2's n) and ``mastery_level`` replay the
    first answer of each day. FSRS memory state (``s``, ``d`` in ``cards.data``) is kept as
    ``stability`` / ``fsrs_difficulty``.
    """
    card = plan.card
    warnings: list[str] = []
    out: dict[str, object] = {}
    if card.type not in (1, 2, 3):  # new (also when suspended or buried): a new card here
        out.update(last_reviewed=None, next_review=today, review_count=0)
        return out, warnings
    last = rows[-1].day if rows else None
    ivl = max(card.ivl, 0)
    if card.type == 2:
        due = card.odue if card.odid else card.due
        nxt = _add(crt_date, due)
        if nxt is None or nxt.year > 9999:
            warnings.append(f"card {card.id}: due day {due} is out of range; due today instead")
            nxt = today
    else:  # learning, relearning: Anki shows them again today
        nxt = today
    if last is None and card.type == 2 and ivl:
        last = _add(nxt, -ivl)
    if last is not None and last > today:
        last = today
    out["last_reviewed"] = last
    out["next_review"] = nxt
    out["review_count"] = max(card.reps, 0)
    firsts = [GRADE_OF_EASE[g.row.ease] for g in rows if g.first_of_day]
    mastery = 0.0
    for q in firsts:
        mastery = scheduler.next_mastery(mastery, q)
    out["mastery_level"] = mastery
    if card.factor > 0:
        out["ease_factor"] = round(max(scheduler.MIN_EASE, card.factor / 1000), 2)
    out["interval"] = min(ivl, scheduler.MAX_INTERVAL)
    n = 0
    for q in reversed(firsts):
        if q < scheduler.PASS:
            break
        n += 1
    out["repetitions"] = 0 if card.type == 3 else max(n, 1 if card.type == 2 else 0)
    out.update(fsrs_state(card.data))
    return out, warnings


def fsrs_state(data: str) -> dict[str, float]:
    """``stability`` / ``fsrs_difficulty`` from a card's ``data`` JSON, when Anki's FSRS set them."""
    try:
        d = json.loads(data) if data else {}
    except ValueError:
        return {}
    if not isinstance(d, dict):
        return {}
    out: dict[str, float] = {}
    s, diff = d.get("s"), d.get("d")
    if isinstance(s, (int, float)) and not isinstance(s, bool) and math.isfinite(s) and s > 0:
        out["stability"] = round(float(s), 4)
    if isinstance(diff, (int, float)) and not isinstance(diff, bool) and math.isfinite(diff) and 1 <= diff <= 10:
        out["fsrs_difficulty"] = round(float(diff), 4)
    return out


def created_date(plan: CardPlan, rows: list[Graded], today: dt.date) -> dt.date:
    """The note's creation day (Anki note ids are creation times in ms), never after its first answer."""
    day = local_date(plan.note.id / 1000) or today
    if rows and rows[0].day < day:
        day = rows[0].day
    return min(day, today)


def history(rows: list[Graded]) -> list[tuple[int, str, dt.date, str, int, int | None, bool, dict]]:
    """Review-log rows for the card's answers: (revlog id, ts, day, kind, grade, ms, was_new, after).

    The first answer of a day is a ``review``, later ones that day a ``redrill`` (learning steps),
    as the deck's own log counts them. ``after`` keeps Anki's rating (1–4), the interval it gave
    (days; learning steps in seconds count as 0) and its review type.
    """
    out = []
    new = bool(rows) and rows[0].row.type == 0  # its first answer is in the package: it was new then
    for g in rows:
        r = g.row
        ts = dt.datetime.fromtimestamp(r.id / 1000, dt.timezone.utc).isoformat(timespec="milliseconds")
        after = {"rating": r.ease, "interval": max(r.ivl, 0), "anki_type": r.type}
        ms = r.time if 0 <= r.time <= 86_400_000 else None
        out.append((r.id, ts, g.day, "review" if g.first_of_day else "redrill", GRADE_OF_EASE[r.ease], ms, new, after))
        new = False
    return out
