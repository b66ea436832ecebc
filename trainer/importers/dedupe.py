"""Duplicate detection in O(n): one hash per body, one dict lookup per note (SPEC §7).

Two notes are the same card when their bodies (the text after the frontmatter) are equal
once whitespace is normalised: runs of whitespace collapsed to one space, ends stripped (and
the backslash an Anki import writes before a ``<`` or ``&`` of its text left out).
The same question with a different body is only a *possible* duplicate: real decks reuse
generic headings such as ``# Front``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

from trainer.deck import Deck
from trainer.notes.parse import NoteError, decode, find_question, load_yaml, split_frontmatter
from trainer.textsafe import markup_unescaped


def normalise(body: str) -> str:
    """(The backslash an Anki import puts before a ``<`` or ``&`` it keeps as text, outside code and
    formulas, is left out: a note imported before it did so is still the same note.)"""
    return " ".join(markup_unescaped(body).split())


def body_key(body: str) -> str | None:
    """A digest of the normalised body; ``None`` for an empty body (nothing to compare)."""
    norm = normalise(body)
    if not norm:
        return None
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=16).hexdigest()


def question_key(question: str) -> str:
    return normalise(question).casefold()


def body_of(text: str) -> str:
    """The body of a decoded note; a note whose frontmatter is broken counts as all body."""
    try:
        split = split_frontmatter(text)
    except NoteError:
        return text
    return text[split.body_start :] if split else text


def question_of(body: str, rel: str) -> str:
    q = find_question(body)
    if q:
        return q
    stem = rel.rsplit("/", 1)[-1]
    return stem[:-3] if stem.lower().endswith(".md") else stem


@dataclass
class Index:
    """What the deck holds (read once, before the run) plus what the run has added so far."""

    by_body: dict[str, str] = field(default_factory=dict)
    """Body digest → first note with that body."""
    by_question: dict[str, str] = field(default_factory=dict)
    body_of_rel: dict[str, str | None] = field(default_factory=dict)
    """Every note of the deck (and of the run) → its body digest."""
    in_deck: set[str] = field(default_factory=set)
    """Notes that were in the deck before the run (the rest were planned by it)."""
    folded: set[str] = field(default_factory=set)
    """Case-folded names of every note, so generated names never differ by case alone."""
    by_anki: dict[tuple[int, int], str] = field(default_factory=dict)
    """(``anki_note_id``, ``anki_cloze`` or 0) → the note imported from that Anki card."""

    @classmethod
    def of_deck(cls, deck: Deck, *, clean_temp: bool) -> "Index":
        index = cls()
        found, _, _ = deck.walk(clean_temp=clean_temp)
        root = deck.root
        for stamp in sorted(found):
            rel = stamp[0]  # (rel, size, mtime_ns, …): only the name matters here
            try:
                text, _ = decode((root / rel).read_bytes())
            except (OSError, NoteError):
                index.body_of_rel[rel] = None
                index.in_deck.add(rel)
                index.folded.add(rel.casefold())
                continue
            body = body_of(text)
            index.add(rel, body_key(body), question_of(body, rel), in_deck=True)
            if "anki_note_id" in text[: len(text) - len(body)]:
                index._anki(rel, text)
        return index

    def _anki(self, rel: str, text: str) -> None:
        try:
            split = split_frontmatter(text)
            data = load_yaml(split.yaml)[0] if split else None
        except NoteError:
            return
        if not isinstance(data, dict):
            return
        nid, cloze = data.get("anki_note_id"), data.get("anki_cloze", 0)
        if isinstance(nid, int) and not isinstance(nid, bool) and isinstance(cloze, int):
            self.by_anki.setdefault((nid, cloze), rel)

    def add(self, rel: str, key: str | None, question: str, *, in_deck: bool = False) -> None:
        self.body_of_rel[rel] = key
        if key is not None:
            self.by_body.setdefault(key, rel)
        self.by_question.setdefault(question_key(question), rel)
        self.folded.add(rel.casefold())
        if in_deck:
            self.in_deck.add(rel)

    def taken(self, rel: str, root: os.PathLike[str] | str) -> bool:
        """The name is used by a note (any case) or by anything at all on disk."""
        return rel.casefold() in self.folded or os.path.lexists(os.path.join(root, rel))
