"""One deck on two machines: a git merge driver for notes, and ``trainer git-setup`` to install it.

Both machines grade the same card, and a plain text merge puts conflict markers into the
frontmatter. The driver merges one note three ways instead: the scheduling keys come from the
side with the later review (``last_reviewed``, then ``review_count``), and every other line goes
through git's own three-way text merge (``git merge-file``), so a real body conflict stays a
normal conflict and nothing is dropped.

How: the three versions (base, ours, theirs) are first made to agree on the scheduling lines —
each gets the chosen values' exact source text through the same surgical writer a review uses,
so every other byte (comments, quoting, CRLF, BOM, body) stays — and then ``git merge-file``
merges them. Where the scheduling lines are identical it has nothing to merge. A version that is
not a readable note (broken YAML, not UTF-8) is merged as plain text, as git would have.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from trainer.notes.model import SCHEDULING_KEYS
from trainer.notes.parse import NoteError, decode, load_yaml, parse_note, split_frontmatter
from trainer.notes.write import REMOVE, Raw, edit_frontmatter, encode

#: The keys taken whole from the side with the later review: SM-2's, and FSRS's where present.
MERGE_KEYS = tuple(dict.fromkeys((*SCHEDULING_KEYS, "stability", "fsrs_difficulty")))

DRIVER_NAME = "trainer"
ATTRIBUTE_LINE = f"*.md merge={DRIVER_NAME}"
DEFAULT_MARKER_SIZE = 7


class MergeError(Exception):
    """git merge-file could not run (git missing, binary input, I/O): no result to write."""


class SetupError(Exception):
    """git-setup cannot be done here (not a git repository, git missing): bad usage."""


# ---------------------------------------------------------------- the pure part


@dataclass(frozen=True, slots=True)
class Version:
    """One of the three versions of a note, read enough to merge it."""

    text: str
    bom: bool
    sources: dict[str, str]
    """Each scheduling key present: its value's source text after the colon."""
    keys: tuple[str, ...]
    """The frontmatter's keys in written order."""
    reviewed: tuple[dt.date, int]
    """(last_reviewed, review_count): the later review is the larger."""
    due: dt.date


def read_version(raw: bytes) -> Version:
    """Raises NoteError when the bytes are not a note whose frontmatter can be edited."""
    text, bom = decode(raw)
    note = parse_note(raw, "note.md")
    if note.fatal:
        raise NoteError(note.problems[0].message)
    split = split_frontmatter(text)
    keys: tuple[str, ...] = ()
    if split is not None:
        data, _ = load_yaml(split.yaml)
        keys = tuple(k for k in data if isinstance(k, str)) if isinstance(data, dict) else ()
    s = note.schedule
    return Version(text, bom, _sources(text), keys, (s.last_reviewed or dt.date.min, s.review_count), s.next_review)


def _sources(text: str) -> dict[str, str]:
    """The source text of each scheduling key's value, exactly as the surgical writer cuts it.

    The writer reports the text it replaces (``old_raw``, kept for an exact undo); asking it to
    replace every scheduling key gives their spans without a second span finder. The edited text
    itself is thrown away.
    """
    return dict(edit_frontmatter(text, {k: Raw(" null") for k in MERGE_KEYS}).old_raw)


def choose(base: Version, ours: Version, theirs: Version) -> dict[str, str | None]:
    """The scheduling keys' source text in the merge (``None``: the key is left out).

    One side gives all of them, as one state (never a mix no review produced): a key it does not
    have (an SM-2 review takes FSRS's keys out) is left out. That side is the one with the later
    review. With equally recent reviews, a side whose keys are still the base's yields to the
    other (``trainer schedule`` moved a card there); two reviews on the same day from the same
    state: the one that brings the card back sooner (the weaker recall), whichever machine merges.
    """
    if ours.reviewed != theirs.reviewed:
        later = ours if ours.reviewed > theirs.reviewed else theirs
    elif _same(ours, base) or _same(theirs, base):
        later = theirs if _same(ours, base) else ours
    else:
        later = theirs if theirs.due < ours.due else ours
    chosen: dict[str, str | None] = {}
    for key in MERGE_KEYS:
        if key in base.sources or key in ours.sources or key in theirs.sources:
            chosen[key] = later.sources.get(key)
    # The order a key is appended in (where a version lacks it) follows the later side's note.
    rank = {k: i for i, k in enumerate(later.keys)}
    return dict(sorted(chosen.items(), key=lambda kv: rank.get(kv[0], len(rank) + MERGE_KEYS.index(kv[0]))))


def _norm(source: str | None) -> str | None:
    return None if source is None else source.strip()


def _same(a: Version, b: Version) -> bool:
    """The same scheduling keys with the same source text (spacing aside)."""
    return {k: _norm(v) for k, v in a.sources.items()} == {k: _norm(v) for k, v in b.sources.items()}


def aligned(version: Version, chosen: dict[str, str | None]) -> bytes:
    """The version's bytes with the chosen scheduling lines, every other byte as it was."""
    updates: dict[str, object] = {k: REMOVE if v is None else Raw(v) for k, v in chosen.items()}
    return encode(edit_frontmatter(version.text, updates).text, version.bom)


@dataclass(frozen=True, slots=True)
class Merged:
    data: bytes
    conflicts: int
    """0 for a clean merge; else how many conflict hunks (with markers) ``data`` holds."""
    as_note: bool
    """False when a version was not a readable note and the merge was plain text."""
    reason: str = ""


def merge(base: bytes, ours: bytes, theirs: bytes, *, marker_size: int = DEFAULT_MARKER_SIZE, style: str = "") -> Merged:
    """Three-way merge of one note (see the module docstring). Raises MergeError only when even
    ``git merge-file`` cannot merge the bytes (binary files). ``style``: git's
    ``merge.conflictStyle`` (``diff3``, ``zdiff3``), for the markers of a real conflict."""
    opts = {"marker_size": marker_size, "style": style}
    try:
        versions = [read_version(raw) for raw in (base, ours, theirs)]
        chosen = choose(*versions)
        b, o, t = (aligned(v, chosen) for v in versions)
    except Exception as exc:  # not a readable note, or a bug here: never worse than git without us
        data, n = merge_file(base, ours, theirs, **opts)
        return Merged(data, n, False, f"not merged as a note ({exc}); merged as plain text")
    data, n = merge_file(b, o, t, **opts)
    if n == 0 and not _holds(data, chosen):
        # Cannot happen with identical scheduling lines; if it ever does, git's merge stands.
        data, n = merge_file(base, ours, theirs, **opts)
        return Merged(data, n, False, "the scheduling keys did not survive the merge; merged as plain text")
    return Merged(data, n, True)


def _holds(data: bytes, chosen: dict[str, str | None]) -> bool:
    try:
        got = read_version(data).sources
    except (NoteError, TypeError, ValueError):
        return False
    return all(_norm(got.get(k)) == _norm(v) for k, v in chosen.items())


# ---------------------------------------------------------------- git


def _git() -> str:
    git = shutil.which("git")
    if git is None:
        raise MergeError("git is not installed (or not on PATH)")
    return git


def merge_file(
    base: bytes, ours: bytes, theirs: bytes, *, marker_size: int = DEFAULT_MARKER_SIZE, style: str = ""
) -> tuple[bytes, int]:
    """git's own three-way text merge: (result, number of conflicts)."""
    with tempfile.TemporaryDirectory(prefix="trainer-merge-") as tmp:
        names = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            p = os.path.join(tmp, name)
            with open(p, "wb") as fh:
                fh.write(data)
            names.append(p)
        r = subprocess.run(
            [_git(), "merge-file", "-p", f"--marker-size={marker_size}",
             *([f"--{style}"] if style in ("diff3", "zdiff3") else []),
             "-L", "ours", "-L", "base", "-L", "theirs", *names],
            capture_output=True,
        )
    if r.returncode < 0 or r.returncode >= 128:
        msg = r.stderr.decode("utf-8", "replace").strip() or f"exit {r.returncode}"
        raise MergeError(f"git merge-file failed: {msg}")
    return r.stdout, r.returncode


def conflict_style() -> str:
    """The repository's ``merge.conflictStyle`` (git runs the driver in the work tree), so a
    conflict looks as it would without the driver."""
    try:
        r = subprocess.run([_git(), "config", "--get", "merge.conflictStyle"], capture_output=True)
    except OSError:
        return ""
    return r.stdout.decode("utf-8", "replace").strip().lower()


def run_driver(base: Path, ours: Path, theirs: Path, *, marker_size: int = DEFAULT_MARKER_SIZE) -> Merged:
    """What git asks of a merge driver: the merge of the three files, written over ``ours``."""
    try:
        data = [Path(p).read_bytes() for p in (base, ours, theirs)]
    except OSError as exc:
        raise MergeError(f"cannot read {exc.filename}: {exc.strerror}") from None
    merged = merge(*data, marker_size=marker_size, style=conflict_style())
    try:
        Path(ours).write_bytes(merged.data)
    except OSError as exc:
        raise MergeError(f"cannot write {exc.filename}: {exc.strerror}") from None
    return merged


# ---------------------------------------------------------------- setup


@dataclass(frozen=True, slots=True)
class Setup:
    repo: Path
    attributes: Path
    added_line: bool
    """False when ``.gitattributes`` already named the driver."""
    driver: str


def trainer_command(python: str | None = None) -> list[str]:
    """This Python by absolute path, running trainer: git runs drivers with its own PATH, where
    a virtualenv's ``trainer`` is not. ``-P``: a ``trainer/`` folder in the work tree is never
    imported instead."""
    exe = python or sys.executable
    if not exe:
        raise SetupError("cannot tell which Python runs trainer (sys.executable is empty)")
    return [os.path.abspath(exe), "-P", "-m", "trainer"]


def driver_command(python: str | None = None) -> str:
    """The line git runs through the shell (it quotes %P itself; %O %A %B are its temp files).

    A driver that fails without writing a conflict (that Python gone with a moved virtualenv,
    trainer no longer importable) would leave git with our side only and theirs out of sight:
    then git's plain text merge runs instead, with its usual markers.
    """
    return (
        shlex.join(trainer_command(python)) + " merge-driver --marker-size %L -- %O %A %B %P"
        " || { s=$?; grep -q '^<<<<<<<' %A && exit $s;"
        " git merge-file --marker-size=%L -L ours -L base -L theirs %A %O %B; }"
    )


def setup(deck: Path) -> Setup:
    """Name the driver in ``<deck>/.gitattributes`` and define it in the repository's config."""
    if not deck.is_dir():
        raise SetupError(f"{deck} is not a folder (in the deck's own folder: trainer --deck . git-setup)")
    git = shutil.which("git")
    if git is None:
        raise SetupError("git is not installed (or not on PATH)")
    r = subprocess.run([git, "-C", str(deck), "rev-parse", "--show-toplevel"], capture_output=True)
    top = r.stdout.decode("utf-8", "surrogateescape").strip()
    if r.returncode != 0 or not top:
        raise SetupError(f"{deck} is not in a git repository with a work tree (run `git init` there first)")
    command = driver_command()
    check = subprocess.run([*trainer_command(), "--version"], capture_output=True)
    if check.returncode != 0:
        raise SetupError(f"{sys.executable} cannot run trainer: {check.stderr.decode('utf-8', 'replace').strip()}")
    attributes = deck / ".gitattributes"
    added = add_attribute_line(attributes)
    for key, value in (
        (f"merge.{DRIVER_NAME}.name", "trainer: scheduling keys from the later review, the rest by git merge-file"),
        (f"merge.{DRIVER_NAME}.driver", command),
    ):
        r = subprocess.run([git, "-C", str(deck), "config", "--local", key, value], capture_output=True)
        if r.returncode != 0:
            raise SetupError(f"git config {key} failed: {r.stderr.decode('utf-8', 'replace').strip()}")
    return Setup(Path(top), attributes, added, command)


def add_attribute_line(attributes: Path) -> bool:
    """Append ``*.md merge=trainer`` unless it is already the file's last word on ``*.md``;
    every existing byte is kept (and its line ending style)."""
    from trainer.notes.write import atomic_write

    try:
        old = attributes.read_bytes()
    except FileNotFoundError:
        old = b""
    except OSError as exc:
        raise SetupError(f"cannot read {attributes}: {exc.strerror}") from None
    lines = [ln.strip() for ln in old.decode("utf-8", "replace").splitlines()]
    md_rules = [ln for ln in lines if ln.split()[:1] == ["*.md"] and "merge" in ln]
    if md_rules and md_rules[-1] == ATTRIBUTE_LINE:
        return False
    nl = b"\r\n" if b"\r\n" in old else b"\n"
    sep = b"" if not old or old.endswith(b"\n") else nl
    try:
        atomic_write(attributes, old + sep + ATTRIBUTE_LINE.encode() + nl, durable=False)
    except OSError as exc:
        raise SetupError(f"cannot write {attributes}: {exc}") from None
    return True
