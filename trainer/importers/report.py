"""What an import did (or, in a dry run, would do): the summary printed at the end."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field

ACTIONS = ("imported", "updated", "skipped", "failed")


def printable(text: str) -> str:
    """Control characters from notes and file names never reach the terminal raw (SPEC §5)."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable() or ch == " ":
            out.append(ch)
        elif unicodedata.category(ch)[0] in "CZ":
            cp = ord(ch)
            out.append(f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}")
        else:
            out.append(ch)
    return "".join(out)


@dataclass
class Entry:
    """One row of the report: what happened to one source note (or Anki row)."""

    action: str
    """``imported``, ``updated``, ``skipped``, ``failed`` (``flagged`` and ``warning`` in their own lists)."""
    source: str
    target: str | None = None
    """Deck-relative path of the note written, updated, or that made the note be skipped."""
    reason: str = ""
    other: str | None = None
    """For a flagged note: the note with the same question."""

    def to_dict(self) -> dict[str, object]:
        d: dict[str, object] = {"source": self.source}
        if self.action != "failed" or self.target:
            d["target"] = self.target
        if self.other is not None:
            d["similar_to"] = self.other
        d["reason"] = self.reason
        return d


@dataclass
class SourceInfo:
    path: str
    kind: str
    """``Obsidian vault``, ``folder``, ``markdown file`` or ``Anki export``."""
    notes: int = 0


@dataclass
class ImportReport:
    dry_run: bool = False
    sources: list[SourceInfo] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    """Every imported/updated/skipped/failed note, in the order they were met."""
    flagged: list[Entry] = field(default_factory=list)
    """Imported, but a note with the same question and a different body exists (SPEC §7)."""
    warnings: list[Entry] = field(default_factory=list)
    reviews_imported: int = 0
    """Reviews from an Anki package's history added to the review log."""
    attachments: list[str] = field(default_factory=list)
    """Deck paths of the files the imported notes embed, copied in (or, in a dry run, to be)."""

    def _of(self, action: str) -> list[Entry]:
        return [e for e in self.entries if e.action == action]

    @property
    def imported(self) -> list[Entry]:
        return self._of("imported")

    @property
    def updated(self) -> list[Entry]:
        return self._of("updated")

    @property
    def skipped(self) -> list[Entry]:
        return self._of("skipped")

    @property
    def failed(self) -> list[Entry]:
        return self._of("failed")

    @property
    def ok(self) -> bool:
        """Nothing failed (the CLI exits 1 otherwise)."""
        return not self.failed

    def counts(self) -> dict[str, int]:
        c = {a: 0 for a in ACTIONS}
        for e in self.entries:
            c[e.action] = c.get(e.action, 0) + 1
        c["flagged"] = len(self.flagged)
        return c

    def add(self, action: str, source: str, target: str | None = None, reason: str = "") -> Entry:
        e = Entry(action, source, target, reason)
        self.entries.append(e)
        return e

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(action, source, target, reason) per note, for a table (a dry run's preview)."""
        out = []
        for e in self.entries:
            action = e.action
            if self.dry_run and action in ("imported", "updated"):
                action = "import" if action == "imported" else "update"
            out.append((action, e.source, e.target or "", e.reason))
        return out

    def to_dict(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "sources": [{"path": s.path, "kind": s.kind, "notes": s.notes} for s in self.sources],
            "counts": self.counts(),
            "imported": [e.to_dict() for e in self.imported],
            "updated": [e.to_dict() for e in self.updated],
            "skipped": [e.to_dict() for e in self.skipped],
            "failed": [e.to_dict() for e in self.failed],
            "flagged": [e.to_dict() for e in self.flagged],
            "warnings": [e.to_dict() for e in self.warnings],
            "reviews_imported": self.reviews_imported,
            "attachments": list(self.attachments),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def render_lines(self) -> list[str]:
        """The human summary: counts first, then one line per skip, failure, flag and warning."""
        c = self.counts()
        lines: list[str] = []
        if self.dry_run:
            lines.append("dry run: nothing was written; an import would do this:")
        for s in self.sources:
            noun = "note" if s.notes == 1 else "notes"
            lines.append(f"{s.kind} {printable(s.path)}: {s.notes} {noun}")
        if self.dry_run:
            head = (f"would import {c['imported']}, update {c['updated']}, skip {c['skipped']}, "
                    f"fail {c['failed']}")
        else:
            head = f"imported {c['imported']}, updated {c['updated']}, skipped {c['skipped']}, failed {c['failed']}"
        if c["flagged"]:
            head += f" ({c['flagged']} possible duplicate{'s' if c['flagged'] != 1 else ''} flagged)"
        lines.append(head)
        if self.attachments:
            n = len(self.attachments)
            lines.append(f"attachments: {'would copy' if self.dry_run else 'copied'} {n} embedded file{'s' if n != 1 else ''}"
                         " (placed as in the source)")
        if self.reviews_imported:
            n = self.reviews_imported
            lines.append(f"review history: {n} Anki review{'s' if n != 1 else ''} added to the review log")
        for e in self.entries:
            if e.action == "skipped":
                lines.append(f"  skipped  {printable(e.source)}: {printable(e.reason)}")
            elif e.action == "failed":
                lines.append(f"  failed   {printable(e.source)}: {printable(e.reason)}")
        for e in self.flagged:
            lines.append(f"  flagged  {printable(e.source)} -> {printable(e.target or '')}: {printable(e.reason)}")
        for e in self.warnings:
            lines.append(f"  warning  {printable(e.source)}: {printable(e.reason)}")
        return lines
