"""One walk of a source folder (``trainer.importers.source_walk``) serves both the import run (a folder's
notes and files) and a single note's search for what it embeds: the two find the same files (hidden names,
symlinks, the deck, FIFOs left out alike). A walk with a limit stops reading at it: a folder over the
limit is not read whole (before, a single note's search listed a whole folder, then saw it was too big)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.importers import attachments
from trainer.importers.report import ImportReport
from trainer.importers.run import collect
from trainer.importers.source_walk import SourceWalk


def _tree(top: Path) -> None:
    """Files a walk takes and things it leaves: hidden ones, symlinks to a file and a folder, the deck."""
    for rel in ("a/b/c.png", "a/x.pdf", "z.png", "n.md", "深度/图.png", ".hidden/h.png", "a/.h.png", "deck/in.png"):
        (top / rel).parent.mkdir(parents=True, exist_ok=True)
        (top / rel).write_bytes(rel.encode())
    (top / "ln.png").symlink_to(top / "z.png")
    (top / "lndir").symlink_to(top / "a", target_is_directory=True)
    if hasattr(os, "mkfifo"):
        os.mkfifo(top / "pipe.png")


def test_the_folder_import_and_a_single_notes_search_find_the_same_files(tmp_path: Path):
    src = tmp_path / "src"
    _tree(src)
    deck = os.path.realpath(src / "deck")
    report = ImportReport()
    [note] = [c for c in collect([src], Path(deck), (), report) if c.kind == "markdown"]
    assert note.files is not None
    by_folder = sorted(note.files.by_rel)
    single = attachments.SourceFiles(src, deck=Path(deck))
    assert attachments.resolve(single, ("n.md",), "nowhere.png", True) is None  # a bare name: the whole walk
    assert single.walked and single.whole
    assert sorted(single.by_rel) == by_folder
    assert by_folder == [("a", "b", "c.png"), ("a", "x.pdf"), ("z.png",), ("深度", "图.png")]
    assert [w.source for w in report.warnings] == [str(src / "deck")]  # the deck: met, said, not entered
    assert [e.source for e in report.skipped] == [str(src / "lndir")]  # a symlinked folder: said


def test_a_walk_meets_in_name_order_files_before_subfolders(tmp_path: Path):
    _tree(tmp_path)
    met = [(m.kind, "/".join(m.rel)) for m in SourceWalk(tmp_path, deck=os.path.realpath(tmp_path / "deck"))]
    assert met == [("deck", "deck"), ("symlink", "ln.png"), ("symlink", "lndir"), ("file", "n.md"),
                   ("file", "z.png"), ("file", "a/x.pdf"), ("file", "a/b/c.png"), ("file", "深度/图.png")]


def test_an_unreadable_folder_is_met_as_such(tmp_path: Path):
    if os.geteuid() == 0:
        pytest.skip("root reads every folder")
    (tmp_path / "shut").mkdir()
    (tmp_path / "shut" / "x.png").write_bytes(b"x")
    os.chmod(tmp_path / "shut", 0)
    try:
        met = [(m.kind, m.rel) for m in SourceWalk(tmp_path)]
    finally:
        os.chmod(tmp_path / "shut", 0o755)
    assert met == [("unreadable", ("shut",))]


def test_a_folder_over_the_limit_is_not_read_whole(tmp_path: Path):
    """2,000 entries, a limit of 50: the walk reads 51 and stops (it read all 2,000 first)."""
    for i in range(2000):
        (tmp_path / f"f{i:04}.png").write_bytes(b"")
    walk = SourceWalk(tmp_path, limit=50)
    assert list(walk) == [] and walk.stopped and walk.read == 51
    files = attachments.SourceFiles(tmp_path, deck=tmp_path / "deck", limit=50)
    assert attachments.resolve(files, ("n.md",), "far.png", True) is None
    assert files.walked and not files.whole and files.read == 51
    assert attachments.resolve(files, ("n.md",), "f1999.png", False) == ("f1999.png",)  # by path: still looked up
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "deep.png").write_bytes(b"")
    files = attachments.SourceFiles(tmp_path, deck=tmp_path / "deck", limit=50)
    assert attachments.resolve(files, ("n.md",), "deep.png", True) is None and files.read == 51
    whole = attachments.SourceFiles(tmp_path, deck=tmp_path / "deck", limit=2002)
    assert attachments.resolve(whole, ("n.md",), "deep.png", True) == ("sub", "deep.png")
    assert whole.whole and whole.read == 2002


_NAMES = st.sampled_from(["a", "b", ".h", "深", "z.png", "y.pdf", ".x.png", "n.md"])
_TREES = st.recursive(st.just(b"file"), lambda kids: st.dictionaries(_NAMES, kids, max_size=4), max_leaves=14)


def _make(top: Path, tree) -> None:
    top.mkdir(exist_ok=True)
    for name, sub in tree.items():
        if isinstance(sub, dict):
            _make(top / name, sub)
        else:
            (top / name).write_bytes(name.encode())


def _reference(top: Path) -> tuple[set[tuple[str, ...]], int]:
    """The files a walk should meet (os.walk, hidden names pruned, symlinks not followed) and the
    entries it reads to meet them all."""
    found, entries = set(), 0
    for here, dirs, files in os.walk(top, followlinks=False):
        rel = Path(here).relative_to(top).parts
        entries += len(dirs) + len(files)
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found |= {(*rel, f) for f in files if not f.startswith(".")}
    return found, entries


@settings(max_examples=60, deadline=None)
@given(tree=st.dictionaries(_NAMES, _TREES, max_size=5), limit=st.integers(0, 30))
def test_a_walk_finds_what_os_walk_finds_and_stops_at_its_limit(tree, limit):
    tmp = Path(tempfile.mkdtemp())
    try:
        _make(tmp / "t", tree)
        want, entries = _reference(tmp / "t")
        full = SourceWalk(tmp / "t")
        assert {m.rel for m in full if m.kind == "file"} == want and full.read == entries and not full.stopped
        part = SourceWalk(tmp / "t", limit=limit)
        got = {m.rel for m in part if m.kind == "file"}
        assert part.stopped == (entries > limit)
        assert part.read <= limit + 1 and got <= want
        if not part.stopped:
            assert got == want and part.read == entries
    finally:
        shutil.rmtree(tmp)
