"""A markdown note brought into the deck: its bytes kept, the missing SPEC §1 keys added.

The body is never touched. Existing frontmatter stays where it is, byte for byte, except
for the keys the import has to fill in (appended at the end of the block) and, when it can
be done safely, an Obsidian ``tags: a, b`` string turned into a list. Everything goes
through :func:`trainer.notes.write.edit_frontmatter`, which re-reads its own result before
it is used.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from trainer.importers import foreign, obsidian
from trainer.importers.dedupe import body_key, question_of
from trainer.notes.model import SCHEDULING_KEYS, STANDARD_KEYS, Schedule, standard_values
from trainer.notes.parse import NoteError, decode, load_yaml, read_fields, split_frontmatter, undecodable_part
from trainer.notes.write import REMOVE, edit_frontmatter, encode, format_value

#: Order in which missing keys are appended: SPEC §1's own, then the SM-2 state.
KEY_ORDER = (*STANDARD_KEYS, "ease_factor", "interval", "repetitions")


class SourceError(ValueError):
    """The source cannot be imported as it is (broken YAML, not UTF-8 …); the reason is the message."""


@dataclass
class Prepared:
    """One note ready to be written: its final bytes and what the duplicate checks need."""

    data: bytes
    body: str
    question: str
    key: str | None
    """Digest of the whitespace-normalised body (None for an empty body)."""
    brought: dict[str, object]
    """The keys this import carries, for ``--on-conflict update`` (never the body)."""
    after: dict[str, object]
    """The new card's scheduling state, for the review log."""
    warnings: list[str] = field(default_factory=list)


def writable(value: object) -> bool:
    try:
        format_value(value)
    except TypeError:
        return False
    return True


def new_card_values(data: dict, created: dt.date, today: dt.date, tags: list[str]) -> dict[str, object]:
    """The SPEC §1 keys missing from ``data``, as a new card due on import day."""
    defaults = standard_values(Schedule(created=created, last_reviewed=None, next_review=today), tags=tags)
    return {k: v for k, v in defaults.items() if k not in data}


def log_state(values: dict, created: dt.date, today: dt.date, source: str) -> dict[str, object]:
    checked, _ = read_fields(values, "", created, today)
    out: dict[str, object] = {}
    for key in SCHEDULING_KEYS:
        v = checked[key]
        out[key] = v.isoformat() if isinstance(v, dt.date) else v
    out["source"] = source
    return out


def prepare(
    raw: bytes,
    *,
    rel: str,
    source: str,
    created: dt.date,
    today: dt.date,
    vault: bool,
    drop_foreign_keys: bool,
) -> Prepared:
    """The imported form of the markdown note ``raw``; raises :class:`SourceError`."""
    foreign_warnings: list[str] = []
    key = ""  # (decoded: the frontmatter's problem from here on)
    try:
        text, bom = decode(raw)
        key = "frontmatter"
        split = split_frontmatter(text)
        if split is None and text[:1] in ("+", "{"):
            converted = foreign.to_yaml(text)
            if converted is not None:
                text, foreign_warnings = converted
                split = split_frontmatter(text)
        if split is None:
            data: object = {}
        else:
            data, duplicates = load_yaml(split.yaml)
            if duplicates:
                raise SourceError(f"frontmatter key {duplicates[0]!r} is given more than once; fix the note first")
    except NoteError as exc:  # `path: key: problem`, as `trainer check` says it
        raise SourceError(f"{key or undecodable_part(raw)}: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SourceError(f"frontmatter: must be a mapping of keys to values, not a {type(data).__name__}")
    body = text[split.body_start :] if split else text
    warnings: list[str] = list(foreign_warnings)

    mapped, sr_warnings = obsidian.map_schedule(data, today)
    warnings.extend(sr_warnings)
    tags = obsidian.inline_tags(body) if vault and "tags" not in data else []
    missing = new_card_values(data, created, today, tags)
    missing.update(mapped)
    last = mapped.get("last_reviewed")
    if "created" in missing and isinstance(last, dt.date) and last < missing["created"]:
        missing["created"] = last  # the file's mtime is a copy's; a card is not made after its review
    updates: dict[str, object] = {k: missing[k] for k in KEY_ORDER if k in missing}
    tag_fix: dict[str, object] = {}
    if isinstance(data.get("tags"), str):
        tag_fix["tags"] = obsidian.split_tag_string(data["tags"])
    drops: dict[str, object] = {k: REMOVE for k in obsidian.SR_KEYS if k in data} if drop_foreign_keys else {}

    try:
        edit = edit_frontmatter(text, {**tag_fix, **updates, **drops})
    except NoteError as exc:
        if not tag_fix:
            raise SourceError(f"cannot add the missing keys: {exc}") from None
        warnings.append("tags is a string and could not be turned into a list safely; left as it is")
        tag_fix = {}
        try:
            edit = edit_frontmatter(text, {**updates, **drops})
        except NoteError as exc2:
            raise SourceError(f"cannot add the missing keys: {exc2}") from None

    final = {**data, **tag_fix, **updates}
    for k in drops:
        final.pop(k, None)
    brought = {k: final[k] for k in data if isinstance(k, str) and k in final and writable(final[k])}
    brought.update(mapped)
    brought.update(drops)
    return Prepared(
        data=encode(edit.text, bom),
        body=body,
        question=question_of(body, rel),
        key=body_key(body),
        brought=brought,
        after=log_state(final, created, today, source),
        warnings=warnings,
    )
