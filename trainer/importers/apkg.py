"""An Anki package as an import source: read whole and checked before anything is written.

:func:`load` unpacks the collection into a private temp folder, reads it, and reads every media
file a card refers to (checking sizes and checksums); with ``stage`` the media are written to a
hidden folder of the deck (``.trainer/import-…``, same file system). Any fault of the package is
one :class:`PackageError` at that point, when the deck has not been touched. The run then makes
each note (:meth:`ApkgSource.prepare`) and links the staged media of the notes it writes into an
``attachments/`` folder beside them (:meth:`ApkgSource.place_media`); :meth:`ApkgSource.cleanup`
removes the staging folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import shutil
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from trainer import paths
from trainer.importers import apkg_cards as cards
from trainer.importers import names
from trainer.importers.apkg_collection import Collection, read_collection
from trainer.importers.apkg_package import Limits, PackageError, TempFolder, connect_readonly, open_package
from trainer.importers.dedupe import body_key
from trainer.importers.markdown import Prepared, log_state, new_card_values
from trainer.notes.parse import NoteError
from trainer.notes.write import edit_frontmatter, encode, temp_path

#: Frontmatter keys an Anki package brings beyond SPEC §1's: FSRS state and the card's identity.
FSRS_KEYS = ("stability", "fsrs_difficulty")
KEY_ORDER = (
    "created", "last_reviewed", "next_review", "review_count", "difficulty", "mastery_level", "tags",
    "related_outlines", "ease_factor", "interval", "repetitions", *FSRS_KEYS, "anki_note_id", "anki_cloze",
)


@dataclass
class Media:
    name: str
    """Its name in the package (a note may spell it URL-encoded: ``a%20b.png``)."""
    size: int
    digest: bytes
    staged: Path | None


@dataclass
class Made:
    """One card made into a note, with what its writing needs."""

    prepared: Prepared
    question: str
    media: list[tuple[str, str]]
    """(original name, deck-relative target path) of the media files the note links to."""
    history: list[tuple]
    anki_last: dt.date | None


@dataclass
class ApkgSource:
    label: str
    root: Path
    col: Collection
    plans: list[cards.CardPlan]
    folded: int
    problems: list[str]
    media: dict[str, Media]
    staging: Path | None
    crt_date: dt.date
    claimed: dict[str, str] = field(default_factory=dict)
    """Deck-relative media path → original name it holds (or will hold) in this run."""
    assigned: dict[tuple[str, str], str] = field(default_factory=dict)

    # ------------------------------------------------------------ notes

    def prepare(self, plan: cards.CardPlan, folder: tuple[str, ...], today: dt.date) -> Made:
        missing: list[str] = []
        used: list[tuple[str, str]] = []

        def link(name: str) -> str | None:
            if "://" in name or name.lower().startswith("data:"):
                return None  # a web address or inline data: left as the note has it
            target = self._media_target(folder, name)
            if target is None:
                if name not in missing:
                    missing.append(name)
                return None
            if (name, target) not in used:
                used.append((name, target))
            return target.rsplit("/", 2)[-2] + "/" + target.rsplit("/", 1)[-1]

        body, question = cards.render(plan, link)
        rows = cards.graded(self.col.revlog.get(plan.card.id, []), self.col.rollover)
        created = cards.created_date(plan, rows, today)
        sched, warnings = cards.schedule_values(plan, rows, self.crt_date, today)
        values = new_card_values({}, created, today, cards.tags_of(plan))
        values.update(sched)
        values["anki_note_id"] = plan.note.id
        if plan.cloze:
            values["anki_cloze"] = plan.cloze
        values = {k: values[k] for k in KEY_ORDER if k in values}
        try:
            text = edit_frontmatter(body, values).text
        except NoteError as exc:  # pragma: no cover - the values are ours
            raise PackageError(str(exc)) from None
        if self.media:  # a package exported without media is one line of the summary, not one per note
            warnings += [f"media {n!r} is not in the package; the note shows its name only" for n in missing]
        brought = {k: v for k, v in values.items() if k not in ("created", "difficulty", "related_outlines")}
        prepared = Prepared(
            data=encode(text, False),
            body=body,
            question=question,
            key=body_key(body),
            brought=brought,
            after=log_state(values, created, today, self.label),
            warnings=warnings,
        )
        return Made(prepared, question, used, cards.history(rows), rows[-1].day if rows else None)

    # ------------------------------------------------------------ media

    def _media_target(self, folder: tuple[str, ...], name: str) -> str | None:
        key = ("/".join(folder), name)
        got = self.assigned.get(key)
        if got is not None:
            return got
        info = self.media.get(name)
        if info is None:
            return None
        safe = cards.safe_media_name(info.name)
        stem, dot, ext = safe.rpartition(".") if "." in safe else (safe, "", "")
        n = 1
        while True:
            fname = safe if n == 1 else names.numbered(stem, n, max_bytes=names.MAX_NAME_BYTES - 10) + dot + ext
            rel = "/".join((*folder, cards.ATTACHMENTS, fname))
            owner = self.claimed.get(rel)
            if owner == name or (owner is None and self._free_or_same(rel, info)):
                self.claimed[rel] = name
                self.assigned[key] = rel
                return rel
            n += 1

    def _free_or_same(self, rel: str, info: Media) -> bool:
        path = self.root / rel
        if not os.path.lexists(path):
            return True
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_size != info.size:
                return False
            return hashlib.blake2b(path.read_bytes(), digest_size=16).digest() == info.digest
        except OSError:
            return False

    def place_media(self, used: list[tuple[str, str]]) -> None:
        """Link the staged media of one note into place (an identical file there is kept)."""
        for name, rel in used:
            info = self.media[name]
            path = self.root / rel
            if os.path.lexists(path):
                if self._free_or_same(rel, info):
                    continue
                raise FileExistsError(f"{rel} appeared while importing; not overwritten")
            folder = path.parent
            for _ in range(2):  # checked before it is made (no folder made through a symlink) and after
                if not names.inside(self.root, folder):
                    raise names.ImportRefused(f"{rel}: its folder leads outside the deck (a symlink?); not written")
                folder.mkdir(parents=True, exist_ok=True)
            assert info.staged is not None
            try:
                os.link(info.staged, path, follow_symlinks=False)
            except FileExistsError:
                raise
            except OSError:  # no hard links here: copy beside it, then move into place
                tmp = temp_path(folder, path.name)
                shutil.copyfile(info.staged, tmp)
                try:
                    if os.path.lexists(path):
                        raise FileExistsError(f"{rel} appeared while importing; not overwritten")
                    os.replace(tmp, path)
                finally:
                    if tmp.exists():
                        tmp.unlink()

    def cleanup(self) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None


STAGING_PREFIX = "import-"


def _remove_stale_staging(state: Path) -> None:
    """Staging folders of imports that were killed (their process is gone) are removed."""
    try:
        entries = list(os.scandir(state))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(STAGING_PREFIX) or not entry.is_dir(follow_symlinks=False):
            continue
        pid = entry.name[len(STAGING_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(entry.path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def load(path: Path, label: str, root: Path, *, stage: bool, limits: Limits | None = None) -> ApkgSource:
    """Read the package at ``path`` whole; raises :class:`PackageError` (the deck untouched)."""
    pkg = open_package(path, limits)
    staging: Path | None = None
    try:
        with TempFolder() as tmp:
            db = pkg.extract_collection(tmp)
            conn = connect_readonly(db)
            try:
                col = read_collection(conn)
            finally:
                conn.close()
        plans, folded, problems = cards.plan_cards(col)
        wanted: list[str] = []
        seen: set[str] = set()
        for plan in plans:
            for name in cards.media_refs(plan.note.fields):
                if name not in seen:
                    seen.add(name)
                    wanted.append(name)
        wanted = [n for n in wanted if "://" not in n and not n.lower().startswith("data:")]
        if stage and wanted:
            state = paths.ensure_state_dir(root)
            _remove_stale_staging(state)
            staging = state / f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
            staging.mkdir()
        media: dict[str, Media] = {}
        for i, name in enumerate(wanted):
            actual = name if name in pkg.media else urllib.parse.unquote(name)
            data = pkg.media_bytes(actual)
            if data is None:
                continue
            staged = None
            if staging is not None:
                staged = staging / str(i)
                staged.write_bytes(data)
            media[name] = Media(actual, len(data), hashlib.blake2b(data, digest_size=16).digest(), staged)
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        pkg.close()
    crt_date = cards.local_date(col.crt) or dt.date(1970, 1, 1)
    if wanted and not media:
        problems.append(f"the notes refer to {len(wanted)} media files and the package holds none"
                        " (exported without media?); the notes show their names only")
    return ApkgSource(label, root, col, plans, folded, problems, media, staging, crt_date)
