"""``trainer import``: plan every source note, then write the new ones safely (SPEC §7).

Order of decisions for one note:

1. It cannot be read or its frontmatter does not parse: **failed**, with the reason.
2. Its target path holds a note with the same body: **skipped** as already imported
   (``--on-conflict update`` brings its keys up to date instead).
3. Another note of the deck, or one met earlier in this run, has the same body
   (whitespace-normalised): **skipped** as a duplicate of it.
4. Its target path is taken by a different note: ``--on-conflict`` decides: skip (default),
   update (only the keys the import brings, through :func:`update_note`; never the body) or
   rename (``name (2).md``). Two sources of one run aiming at one path are always renamed.
5. Otherwise **imported**; a note with the same question (and a different body) makes it
   **flagged** as a possible duplicate as well.

Writing: every target is checked to resolve inside the deck (symlinks included). New notes
are written to hidden temp files, made durable in batches, then linked into place with
``os.link``, which never replaces an existing file; an interrupted import leaves whole notes
or none, and temp leftovers are removed by the next scan. ``dry_run`` writes nothing.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import errno
import os
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

from trainer.deck import Deck
from trainer.importers import anki, apkg, attachments, markdown, names, obsidian, source_walk
from trainer.importers.apkg_package import SUFFIXES as APKG_SUFFIXES
from trainer.importers.dedupe import Index, question_key
from trainer.importers.markdown import Prepared, SourceError
from trainer.importers.names import ImportRefused
from trainer.importers.report import Entry, ImportReport, SourceInfo
from trainer.notes.model import SCHEDULING_KEYS
from trainer.notes.parse import NoteError, decode, load_yaml, parse_note, split_frontmatter
from trainer.notes.store import Conflict, NoteGone, update_note
from trainer.notes.write import REMOVE, WriteError, edit_frontmatter, new_file_mode, open_temp, write_all
from trainer.reviewlog import ImportedReview, ReviewLog

OnConflict = Literal["skip", "update", "rename"]
ON_CONFLICT = ("skip", "update", "rename")
ANKI_SUFFIXES = (".txt", ".tsv", ".csv")
_BATCH = 512


@dataclass
class Candidate:
    """One note to bring in, before it is read."""

    kind: Literal["markdown", "anki", "apkg"]
    path: Path
    label: str
    target: tuple[str, ...] = ()
    """Wanted deck-relative path (markdown); an Anki row's name comes from its question."""
    vault: bool = False
    row: anki.Row | None = None
    export: anki.Export | None = None
    plan: apkg.cards.CardPlan | None = None
    package: apkg.ApkgSource | None = None
    files: attachments.SourceFiles | None = None
    """A folder source's other files (a single note's: its folder's): what its notes embed is copied from there."""
    source_rel: tuple[str, ...] = ()
    """The note's path in its source folder (as named there)."""


# ---------------------------------------------------------------- sources


def _check_sources(sources: list[Path], root: Path) -> None:
    for src in sources:
        try:
            real = Path(os.path.realpath(src))
        except OSError:
            continue
        if names.inside(root, real):
            what = "is the deck" if str(real) == str(root) else "is inside the deck"
            raise ImportRefused(f"{src} {what} ({root}); import from a folder outside it")


def _part(name: str) -> str:
    """A path component from a source folder, kept unless it would not be valid everywhere."""
    if names.is_safe_name(name):
        return name
    stem = name[:-3] if name.lower().endswith(".md") else name
    fixed = names.safe_stem(stem, "note")
    return fixed + ".md" if name.lower().endswith(".md") else fixed


def _walk(
    folder: Path, root: Path, vault: bool, report: ImportReport, label_base: str, stage: bool = True,
    files: attachments.SourceFiles | None = None,
) -> list[Candidate]:
    """Notes under ``folder``: hidden folders skipped, symlinks not followed, sorted (the walk a single
    note's search shares: :mod:`trainer.importers.source_walk`); its other files into ``files``."""
    out: list[Candidate] = []
    for met in source_walk.SourceWalk(folder, deck=str(root)):
        label = os.path.join(label_base, *met.rel)
        if met.kind == "unreadable":
            assert met.error is not None
            report.add("failed", label or label_base, None, f"folder cannot be read: {met.error.strerror}")
            continue
        assert met.entry is not None
        name = met.rel[-1]
        if met.kind == "symlink":
            try:
                if name.lower().endswith(".md") or met.entry.is_dir():
                    report.add("skipped", label, None, "symlink not followed")
            except OSError:
                pass
            continue
        if met.kind == "deck":
            report.warnings.append(Entry("warning", label, None, "the deck itself; not imported into itself"))
            continue
        path, rel = met.path, met.rel
        lower = name.lower()
        if lower.endswith(".md"):
            out.append(Candidate("markdown", path, label, tuple(_part(p) for p in rel), vault,
                                 files=files, source_rel=rel))
            continue
        if files is not None:
            files.add(path, rel, met.entry.inode())
        if lower.endswith(ANKI_SUFFIXES):
            try:
                with open(path, "rb") as fh:
                    head = fh.read(256)
            except OSError:
                continue
            if anki.looks_like_export(head):
                out.extend(_anki_candidates(path, label, report))
        elif lower.endswith(APKG_SUFFIXES):
            out.extend(_apkg_candidates(path, label, root, report, stage))
    return out


def _anki_candidates(path: Path, label: str, report: ImportReport) -> list[Candidate]:
    try:
        export = anki.read_export(path.read_bytes())
    except SourceError as exc:
        report.add("failed", label, None, str(exc))
        return []
    except OSError as exc:
        report.add("failed", label, None, f"cannot be read: {exc.strerror}")
        return []
    report.sources.append(SourceInfo(label, "Anki export", len(export.rows)))
    return [Candidate("anki", path, f"{label} row {r.number}", row=r, export=export) for r in export.rows]


def _apkg_candidates(path: Path, label: str, root: Path, report: ImportReport, stage: bool) -> list[Candidate]:
    """A package's cards, read whole first: a broken package is one failure and nothing written."""
    try:
        source = apkg.load(path, label, root, stage=stage)
    except SourceError as exc:
        report.add("failed", label, None, f"cannot import this Anki package: {exc}")
        return []
    except OSError as exc:
        report.add("failed", label, None, f"cannot import this Anki package: {exc.strerror or exc}")
        return []
    report.sources.append(SourceInfo(label, "Anki package", len(source.plans)))
    if source.folded:
        n = source.folded
        report.warnings.append(Entry("warning", label, None, f"{n} more card{'s' if n != 1 else ''} of the same notes"
                                     " (reversed cards) folded into one note each, with the first card's schedule"))
    for problem in source.problems:
        report.warnings.append(Entry("warning", label, None, problem))
    return [
        Candidate("apkg", path, f"{label} note {p.note.id}" + (f" cloze {p.cloze}" if p.cloze else ""),
                  plan=p, package=source)
        for p in source.plans
    ]


def collect(
    sources: list[Path], root: Path, into: tuple[str, ...], report: ImportReport, *, stage: bool = True,
    planned: dict[str, attachments.Planned | None] | None = None,
) -> list[Candidate]:
    """The notes of ``sources``; ``planned``: where the files their notes embed are to go (one for the run)."""
    out: list[Candidate] = []
    planned = {} if planned is None else planned
    for src in sources:
        src = Path(src)
        label = str(src)
        if not os.path.lexists(src):
            report.add("failed", label, None, "not found")
            continue
        if src.is_dir():
            vault = obsidian.is_vault(src)
            found = _walk(src, root, vault, report, label, stage, attachments.SourceFiles(src, planned))
            for c in found:
                if c.kind == "markdown":
                    c.target = (*into, *c.target)
            n_md = sum(1 for c in found if c.kind == "markdown")
            report.sources.insert(
                len([s for s in report.sources if s.kind != "Anki export"]),
                SourceInfo(label, "Obsidian vault" if vault else "folder", n_md),
            )
            out.extend(found)
        elif src.is_file():
            lower = src.name.lower()
            if lower.endswith(".md"):
                vault = obsidian.is_vault(src.parent)
                files = attachments.SourceFiles(src.parent, planned, deck=root)  # what it embeds, from its folder
                out.append(Candidate("markdown", src, label, (*into, _part(src.name)), vault, files=files,
                                     source_rel=(src.name,)))
                report.sources.append(SourceInfo(label, "markdown file", 1))
            elif lower.endswith(ANKI_SUFFIXES):
                out.extend(_anki_candidates(src, label, report))
            elif lower.endswith(APKG_SUFFIXES):
                out.extend(_apkg_candidates(src, label, root, report, stage))
            else:
                report.add("failed", label, None,
                           "not a markdown note (.md), an Anki text export (.txt) or an Anki package (.apkg, .colpkg)")
        else:
            report.add("failed", label, None, "not a file or folder")
    return out


# ---------------------------------------------------------------- writing


def _syncfs(root: Path) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        fn = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return False
    try:
        fd = os.open(root, os.O_RDONLY)
    except OSError:
        return False
    try:
        return fn(fd) == 0
    finally:
        os.close(fd)


def _durable(root: Path, files: list[Path]) -> None:
    """Everything written so far is on disk: one ``syncfs`` per batch instead of one fsync per note."""
    if _syncfs(root):
        return
    if hasattr(os, "sync"):
        os.sync()
        return
    for f in files:  # pragma: no cover - Windows
        try:
            fd = os.open(f, os.O_RDWR | getattr(os, "O_BINARY", 0))
        except OSError:
            continue
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class _Dirs:
    """Folders of the deck already checked to resolve inside it (and made, when writing): once per folder."""

    def __init__(self, root: Path):
        self.root = root
        self.checked: dict[str, bool] = {}
        self.made: set[str] = set()

    def inside(self, folder: Path) -> bool:
        key = str(folder)
        ok = self.checked.get(key)
        if ok is None:
            ok = self.checked[key] = names.inside(self.root, folder)
        return ok

    def make(self, folder: Path) -> None:
        key = str(folder)
        if key not in self.made:
            folder.mkdir(parents=True, exist_ok=True)
            self.checked.pop(key, None)
            if not self.inside(folder):  # pragma: no cover - raced with a symlink swap
                raise ImportRefused(f"{folder}: leads outside the deck; not written")
            self.made.add(key)


class _Writer:
    """New notes: temp file → (batch) durable → ``os.link`` into place (never over a file)."""

    def __init__(self, root: Path, log: ReviewLog | None, today: dt.date, report: ImportReport, dirs: _Dirs):
        self.root = root
        self.dirs = dirs
        self.log = log
        self.today = today
        self.report = report
        self.mode = new_file_mode()
        self.pending: list[tuple[Entry, Path, Path, dict, list]] = []

    def add(self, entry: Entry, rel: str, data: bytes, after: dict, history: list | None = None) -> None:
        path = self.root / rel
        parent = path.parent
        if not self.dirs.inside(parent):
            raise ImportRefused(f"{rel}: its folder leads outside the deck (a symlink?); not written")
        self.dirs.make(parent)
        tmp, fd = open_temp(parent, path.name)
        try:
            write_all(fd, data)
            if hasattr(os, "fchmod"):
                os.fchmod(fd, self.mode)
        except BaseException:
            os.close(fd)
            os.unlink(tmp)
            raise
        os.close(fd)
        self.pending.append((entry, tmp, path, after, history or []))
        if len(self.pending) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        try:
            _durable(self.root, [t for _, t, _, _, _ in batch])
            done: list[tuple[Entry, dict, list]] = []
            for entry, tmp, path, after, history in batch:
                try:
                    _place(tmp, path)
                    done.append((entry, after, history))
                except FileExistsError:
                    entry.action, entry.reason = "failed", f"{entry.target} appeared while importing; not overwritten"
                except OSError as exc:
                    entry.action, entry.reason = "failed", f"cannot write {entry.target}: {exc.strerror}"
            _durable(self.root, [])
        finally:
            for _, tmp, _, _, _ in batch:
                try:
                    os.unlink(tmp)
                except FileNotFoundError:
                    pass
                except OSError:
                    pass
        self._log(done)

    def _log(self, done: list[tuple[Entry, dict, list]]) -> None:
        if self.log is None or not done:
            return
        added = 0
        try:
            with self.log.transaction():
                for entry, after, history in done:
                    self.log.begin(entry.target or "", "import", self.today, pending=False, after=after)
                    if history:
                        added += self.log.add_imported(_reviews(entry.target or "", history))
            self.report.reviews_imported += added
        except sqlite3.Error as exc:
            self.report.warnings.append(Entry("warning", "review log", None, f"imports not logged: {exc}"))

    def log_history(self, rel: str, history: list) -> None:
        """An updated note's Anki reviews: only those not in the log yet are added."""
        if self.log is None or not history:
            return
        try:
            with self.log.transaction():
                added = self.log.add_imported(_reviews(rel, history))
            self.report.reviews_imported += added
        except sqlite3.Error as exc:
            self.report.warnings.append(Entry("warning", "review log", None, f"Anki reviews not logged: {exc}"))

    def abort(self) -> None:
        for _, tmp, _, _, _ in self.pending:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        self.pending = []


def _reviews(rel: str, history: list) -> list[ImportedReview]:
    return [ImportedReview(rid, rel, ts, day, kind, grade, ms, new, after)
            for rid, ts, day, kind, grade, ms, new, after in history]


def _place(tmp: Path, path: Path) -> None:
    """Link ``tmp`` to ``path``, failing if ``path`` exists (even as a dangling symlink)."""
    try:
        os.link(tmp, path, follow_symlinks=False)
        return
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOSYS):
            raise
    if os.path.lexists(path):  # no hard links here: check, then rename (a narrow race, no clobber in practice)
        raise FileExistsError(errno.EEXIST, "exists", str(path))
    os.replace(tmp, path)


# ---------------------------------------------------------------- the run


def _mtime_date(path: Path, today: dt.date) -> dt.date:
    try:
        return dt.date.fromtimestamp(os.stat(path).st_mtime)
    except (OSError, OverflowError, ValueError):
        return today


def _planned_from(raw: bytes, keys: list[str]) -> dict[str, object]:
    """Each key's value in the note as read (``MISSING`` when absent), for ``update_note(planned=...)``."""
    from trainer.notes.store import MISSING

    text, _ = decode(raw)
    split = split_frontmatter(text)
    data = (load_yaml(split.yaml)[0] if split else None) or {}
    data = data if isinstance(data, dict) else {}
    return {k: data.get(k, MISSING) for k in keys}


def _changes(path: Path, brought: dict[str, object]) -> list[str]:
    """Keys an update with ``brought`` would change in the note at ``path`` (read only)."""
    text, _ = decode(path.read_bytes())
    split = split_frontmatter(text)
    data = load_yaml(split.yaml)[0] if split else {}
    if data is not None and not isinstance(data, dict):
        raise NoteError("its frontmatter is not a mapping; it cannot be updated")
    data = data or {}
    edit = edit_frontmatter(text, brought)
    if edit.text == text:
        return []
    return [k for k in brought if k in edit.old_raw or (k not in data and brought[k] is not REMOVE)]


def run_import(
    deck: Deck,
    sources: list[Path],
    *,
    into: str | None = None,
    dry_run: bool = False,
    on_conflict: OnConflict = "skip",
    drop_foreign_keys: bool = False,
    today: dt.date,
    log: ReviewLog | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Bring ``sources`` (markdown files/folders, Obsidian vaults, Anki text exports) into ``deck``.

    Raises :class:`ImportRefused` before doing anything when the run as a whole is wrong
    (``into`` leaving the deck, a source inside the deck, an unknown ``on_conflict``).
    Per-note trouble never raises: it is in the report's ``failed`` list.
    """
    if on_conflict not in ON_CONFLICT:
        raise ImportRefused(f"--on-conflict must be one of {', '.join(ON_CONFLICT)}, not {on_conflict!r}")
    root = Path(os.path.realpath(deck.root))
    into_parts = names.into_parts(into)
    if into_parts and not names.inside(root, root.joinpath(*into_parts)):
        raise ImportRefused(f"--into {into} leads outside the deck (through a symlink); refused")
    sources = [Path(s) for s in sources]
    _check_sources(sources, root)

    report = ImportReport(dry_run=dry_run)
    planned: dict[str, attachments.Planned | None] = {}
    candidates = collect(sources, root, into_parts, report, stage=not dry_run, planned=planned)
    packages = {id(c.package): c.package for c in candidates if c.package is not None}
    try:
        index = Index.of_deck(deck, clean_temp=not dry_run)
    except BaseException:
        for package in packages.values():
            package.cleanup()
        raise
    dirs = _Dirs(root)
    writer = None if dry_run else _Writer(root, log, today, report, dirs)
    total = len(candidates)
    if progress:
        progress(0, total)
    mtimes: dict[Path, dt.date] = {}
    try:
        for i, cand in enumerate(candidates, 1):
            _one(cand, dirs, root, index, report, writer, into_parts, on_conflict, drop_foreign_keys, today, mtimes)
            if progress:
                progress(i, total)
        if writer:
            writer.flush()
            _copy_planned(planned, root, dirs, report, writer.mode)
        else:
            report.attachments.extend(t for t, plan in planned.items() if plan is not None)
    finally:
        if writer:
            writer.abort()
        for package in packages.values():
            package.cleanup()
    return report


def _one(
    cand: Candidate,
    dirs: _Dirs,
    root: Path,
    index: Index,
    report: ImportReport,
    writer: _Writer | None,
    into: tuple[str, ...],
    on_conflict: str,
    drop: bool,
    today: dt.date,
    mtimes: dict[Path, dt.date],
) -> None:
    label = cand.label
    created = mtimes.get(cand.path)
    if created is None:
        created = mtimes[cand.path] = _mtime_date(cand.path, today)
    try:
        if cand.kind == "markdown":
            raw = cand.path.read_bytes()
            rel = "/".join(cand.target)
            prep = markdown.prepare(
                raw, rel=rel, source=label, created=created, today=today, vault=cand.vault, drop_foreign_keys=drop
            )
            stem, fallback = rel.rsplit("/", 1)[-1][:-3], None
            folder = cand.target[:-1]
        elif cand.kind == "apkg":
            assert cand.plan is not None and cand.package is not None
            plan, package = cand.plan, cand.package
            known = index.by_anki.get((plan.note.id, plan.cloze))
            if known is not None:
                if on_conflict == "update":
                    made = package.prepare(plan, tuple(known.split("/")[:-1]), today)
                    _update(label, known, made.prepared, root, report, dry_run=writer is None,
                            schedule_keys=(*SCHEDULING_KEYS, *apkg.FSRS_KEYS), newer=made.anki_last)
                    if writer is not None:
                        writer.log_history(known, made.history)
                else:
                    report.add("skipped", label, known, f"already imported as {known} (Anki note {plan.note.id})")
                return
            folder = (*into, *plan.folder)
            made = package.prepare(plan, folder, today)
            prep = made.prepared
            fallback = f"anki-{plan.note.id}" + (f"-c{plan.cloze}" if plan.cloze else "")
            stem = names.html_text_stem(made.question, fallback)
            rel = "/".join((*folder, stem + names.SUFFIX))
            if not prep.question:
                prep.question = stem
        else:
            assert cand.row is not None and cand.export is not None
            prep, qtext = anki.prepare_row(cand.row, cand.export, source=label, created=created, today=today)
            fallback = f"anki-{cand.row.number}"
            stem = names.html_text_stem(qtext, fallback)
            folder = (*into, *names.deck_folder(cand.row.deck))  # its Anki deck, as a package's cards go
            rel = "/".join((*folder, stem + names.SUFFIX))
            if not prep.question:
                prep.question = stem
    except SourceError as exc:
        report.add("failed", label, None, str(exc))
        return
    except OSError as exc:
        report.add("failed", label, None, f"cannot be read: {exc.strerror}")
        return
    for w in prep.warnings:
        report.warnings.append(Entry("warning", label, None, w))

    if not names.rel_is_plain(rel):  # pragma: no cover - names are built to be plain
        report.add("failed", label, None, f"refused target {rel!r}: not a plain path inside the deck")
        return

    if rel in index.in_deck and index.body_of_rel.get(rel) == prep.key:  # None == None: both bodies empty
        if on_conflict == "update" and rel in index.in_deck:
            _update(label, rel, prep, root, report, dry_run=writer is None)
        else:
            report.add("skipped", label, rel, f"already in the deck as {rel} (unchanged)")
        return
    if prep.key is not None and prep.key in index.by_body:
        other = index.by_body[prep.key]
        report.add("skipped", label, other, f"duplicate of {other}")
        return

    planned_here = rel in index.body_of_rel and rel not in index.in_deck
    case_clash = cand.kind in ("anki", "apkg") and rel not in index.body_of_rel and rel.casefold() in index.folded
    if planned_here or case_clash:
        rel = _free(folder, stem, index, root)  # two notes of this run, one name: number the later one
    elif rel in index.in_deck or os.path.lexists(root / rel):
        is_note = rel in index.in_deck
        if on_conflict == "rename":
            rel = _free(folder, stem, index, root)
        elif on_conflict == "update" and is_note:
            _update(label, rel, prep, root, report, dry_run=writer is None)
            return
        elif is_note:
            report.add("skipped", label, rel, f"{rel} already exists with different content (--on-conflict update or rename)")
            return
        else:
            report.add("skipped", label, rel, f"{rel} exists and is not a note of the deck; not touched")
            return

    if not dirs.inside((root / rel).parent):  # the file itself does not exist: its folder decides
        report.add("failed", label, rel, f"{rel} leads outside the deck (a symlink?); refused")
        return
    entry = report.add("imported", label, rel)
    qk = question_key(prep.question)
    same_q = index.by_question.get(qk)
    if same_q is not None and same_q != rel:
        report.flagged.append(
            Entry("flagged", label, rel, f"same question as {same_q}, different body: possible duplicate", other=same_q)
        )
    index.add(rel, prep.key, prep.question)
    if cand.plan is not None:
        index.by_anki[(cand.plan.note.id, cand.plan.cloze)] = rel
    if cand.files is not None:
        _bring_embedded(cand, entry, prep.body, into, root, dirs, report)
    if writer is not None:
        try:
            history = None
            if cand.kind == "apkg":
                assert cand.package is not None
                cand.package.place_media(made.media)  # the files a note links to are there before it
                history = made.history
            writer.add(entry, rel, prep.data, prep.after, history)
        except ImportRefused as exc:
            entry.action, entry.reason = "failed", str(exc)
        except OSError as exc:
            entry.action, entry.reason = "failed", f"cannot write {rel}: {exc.strerror or exc}"


def _bring_embedded(cand: Candidate, entry: Entry, body: str, into: tuple[str, ...], root: Path, dirs: _Dirs,
                    report: ImportReport) -> None:
    """Plan the copies of the files a new note embeds (``trainer.importers.attachments``): each from its
    source folder to the same place relative to the note, once a run, never over a file in the deck.
    They are made by :func:`_copy_planned` once the notes are in."""
    files = cand.files
    assert files is not None
    told: set[str] = set()
    for link, wiki in attachments.embeds(body):
        rel = attachments.resolve(files, cand.source_rel, link, wiki)
        if rel is None:
            _tell_missing(files, cand, entry, link, wiki, told, report)
            continue
        # its folders named as the notes' are (a note's link then leads to it), its own name as it is
        target = "/".join((*into, *(_part(p) for p in rel[:-1]), rel[-1]))
        src, inode = files.by_rel[rel]

        def warn(why: str) -> None:
            report.warnings.append(Entry("warning", cand.label, target, f"embeds {link}: {why}"))

        if target in files.planned:  # planned already, or refused once (said once)
            earlier = files.planned[target]
            if earlier is not None and earlier.source != src and not attachments.same_bytes(earlier.source, src):
                warn(f"{target} is planned from {earlier.label} already, with other bytes; not copied")
            continue
        files.planned[target] = None
        if os.path.lexists(root / target):
            if not attachments.same_bytes(src, root / target):
                warn(f"{target} is in the deck already (not the same file); not replaced")
            continue
        if not dirs.inside((root / target).parent):
            warn(f"{target} leads outside the deck (a symlink?); not copied")
            continue
        try:
            size = os.lstat(src).st_size
        except OSError as exc:
            warn(f"cannot be read ({exc.strerror}); not copied")
            continue
        if size > attachments.MAX_BYTES:
            warn(f"{size / 1e6:.0f} MB, over {attachments.MAX_BYTES // (1024 * 1024)} MB; not copied")
            continue
        files.planned[target] = attachments.Planned(src, inode, entry, cand.label, link)


def _tell_missing(files: attachments.SourceFiles, cand: Candidate, entry: Entry, link: str, wiki: bool,
                  told: set[str], report: ImportReport) -> None:
    """A warning (once a note for each link) when the file a new note embeds is not in its source:
    ``embed: pics/missing.png: not found; the note is imported without it``. The note is imported all
    the same (a missing picture is no reason to refuse it), but its reader sees nothing in its place."""
    if link in told:
        return
    why = attachments.missing(files, cand.source_rel, link, wiki)
    if why is None:
        return
    told.add(link)
    shown = link[1:-1] if link.startswith("<") and link.endswith(">") else link
    outcome = "the note would be imported without it" if report.dry_run else "the note is imported without it"
    report.warnings.append(Entry("warning", cand.label, entry.target, f"embed: {shown}: {why}; {outcome}"))


def _copy_planned(planned: dict[str, attachments.Planned | None], root: Path, dirs: _Dirs, report: ImportReport,
                  mode: int) -> None:
    """The planned copies, after the notes (a file never takes the place a note needs); none for a note
    that was not written, none over anything in the deck by then."""
    for target, plan in planned.items():
        if plan is None or plan.note.action != "imported":
            continue
        dest = root / target
        try:
            _copy_in(plan.source, plan.inode, dest, dirs, mode)
        except FileExistsError:
            if not attachments.same_bytes(plan.source, dest):
                report.warnings.append(Entry("warning", plan.label, target, f"embeds {plan.link}: {target} "
                                             "appeared in the deck while importing; not replaced"))
            continue
        except (OSError, ImportRefused) as exc:
            why = getattr(exc, "strerror", None) or str(exc)
            report.warnings.append(Entry("warning", plan.label, target, f"embeds {plan.link}: not copied ({why})"))
            continue
        report.attachments.append(target)
    if report.attachments:
        _durable(root, [])


def _copy_in(src: Path, inode: int, dest: Path, dirs: _Dirs, mode: int) -> None:
    """``src``'s bytes at ``dest`` if it is still the file the walk saw: a temp file beside ``dest``,
    fsync, then linked into place (never over anything); the temp file goes whatever happens."""
    if os.path.lexists(dest):
        raise FileExistsError(errno.EEXIST, "exists", str(dest))
    if not dirs.inside(dest.parent):
        raise ImportRefused(f"{dest.parent}: leads outside the deck (a symlink?)")
    source = attachments.open_as_walked(src, inode)
    try:
        dirs.make(dest.parent)
        tmp, fd = open_temp(dest.parent, dest.name)
        try:
            try:
                while chunk := os.read(source, 1 << 20):
                    write_all(fd, chunk)
                if hasattr(os, "fchmod"):
                    os.fchmod(fd, mode)
                os.fsync(fd)
            finally:
                os.close(fd)
            _place(Path(tmp), dest)
        finally:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    finally:
        os.close(source)


def _free(folder: tuple[str, ...], stem: str, index: Index, root: Path) -> str:
    n = 2
    while True:
        rel = "/".join((*folder, names.numbered(stem, n) + names.SUFFIX))
        if not index.taken(rel, root):
            return rel
        n += 1


def _update(
    label: str,
    rel: str,
    prep: Prepared,
    root: Path,
    report: ImportReport,
    *,
    dry_run: bool,
    schedule_keys: tuple[str, ...] = SCHEDULING_KEYS,
    newer: dt.date | None = None,
) -> None:
    """Bring ``prep.brought`` into the note at ``rel``; never its body.

    A card studied here keeps its schedule (its reviews are the deck's), unless the source
    was reviewed on a later day than the note (``newer``: an Anki card studied since).
    """
    path = root / rel
    if not names.inside(root, path):
        report.add("failed", label, rel, f"{rel} leads outside the deck (a symlink?); refused")
        return
    brought = prep.brought
    try:
        raw = path.read_bytes()
        existing = parse_note(raw, rel)
        if not existing.fatal and not existing.schedule.is_new:
            local = existing.schedule.last_reviewed
            if newer is None or (local is not None and local >= newer):
                # the card has been studied here: its schedule is the deck's, never the source's
                brought = {k: v for k, v in brought.items() if k not in schedule_keys}
        changed = _changes(path, brought)
    except (NoteError, OSError) as exc:
        report.add("failed", label, rel, f"cannot update {rel}: {exc}")
        return
    if not changed:
        report.add("skipped", label, rel, f"{rel} is up to date (unchanged)")
        return
    reason = "keys " + ", ".join(changed)
    if dry_run:
        report.add("updated", label, rel, reason)
        return
    try:
        # re-read under the lock: a key is written only if the note still holds what was read here,
        # and a schedule only onto the schedule it was planned from (a grade meanwhile: never a mix)
        carries_schedule = not existing.fatal and any(k in SCHEDULING_KEYS for k in changed)
        written = update_note(path, {k: brought[k] for k in changed}, root=root, planned=_planned_from(raw, changed),
                              expect=existing.schedule if carries_schedule else None)
    except (NoteError, WriteError, Conflict, NoteGone, OSError) as exc:
        report.add("failed", label, rel, f"cannot update {rel}: {exc}")
        return
    if written.changed:
        report.add("updated", label, rel, reason)
    else:
        report.add("skipped", label, rel, f"{rel} is up to date (unchanged)")
