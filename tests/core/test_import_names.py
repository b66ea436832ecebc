"""File names made from any question text are safe on every OS and stay inside the deck."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.deck import Deck
from trainer.importers import ImportRefused, names, run_import

RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(10)} | {f"LPT{i}" for i in range(10)}

tricky = st.sampled_from(
    ["..", ".", "/", "\\", "..\\..\\x", "C:\\x", "/etc/passwd", "CON", "nul", "com1", "LPT9.txt", " ", "...",
     "\x00", "\x1b[31m", "\u202e", "\ufeff", "é", "e\u0301", "字", "🙂", "a" * 120, "字" * 60, ":", "*?\"<>|"]
)
questions = st.lists(st.one_of(st.text(), tricky), min_size=1, max_size=6).map("".join)


def check_name(name: str) -> None:
    assert names.is_safe_name(name), repr(name)
    assert len(name.encode("utf-8")) <= names.MAX_NAME_BYTES
    assert unicodedata.normalize("NFC", name) == name
    assert not any(c in name for c in '/\\:*?"<>|')
    assert not any(unicodedata.category(c)[0] == "C" for c in name)
    assert not name.startswith(".") and not name.endswith((" ", "."))
    assert name.split(".")[0].strip().upper() not in RESERVED


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=questions, n=st.integers(min_value=2, max_value=10**6))
def test_safe_stem_any_text(tmp_path: Path, q: str, n: int):
    stem = names.safe_stem(q, "anki-1")
    for name in (stem + ".md", names.numbered(stem, n) + ".md"):
        check_name(name)
        p = tmp_path / name
        assert p.resolve().parent == tmp_path.resolve()
        p.write_bytes(b"x")  # really a valid name here
        p.unlink()


def test_examples():
    assert names.safe_stem("What is A/B testing?", "f") == "What is A-B testing"
    assert names.safe_stem("CON", "f") == "CON_"
    assert names.safe_stem("con.txt", "f") == "con_.txt"
    assert names.safe_stem("LPT0.0", "f") == "LPT0_.0"
    assert names.safe_stem("...", "anki-3") == "anki-3"
    assert names.safe_stem("  .hidden. ", "f") == "hidden"
    assert names.safe_stem("什么是注意力？", "f") == "什么是注意力？"
    assert names.safe_stem("e\u0301", "f") == "é"
    long = names.safe_stem("字" * 100, "f")
    assert len((long + ".md").encode()) <= 100 and set(long) == {"字"}
    assert names.numbered("字" * 40, 12).endswith(" (12)")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(qs=st.lists(questions, min_size=1, max_size=8))
def test_anki_rows_any_question_stay_inside(tmp_path_factory, qs: list[str]):
    """Any fronts and tags, through the real import: every file lands inside the deck, flat."""
    base = tmp_path_factory.mktemp("h")
    deck_dir = base / "deck"
    deck_dir.mkdir()
    rows = []
    for i, q in enumerate(qs):
        front = q.replace('"', '""')
        rows.append(f'"{front}"\t"answer {i}"\t"{front}"')
    (base / "e.txt").write_text("#separator:tab\n#html:false\n#tags column:3\n" + "\n".join(rows) + "\n", "utf-8")
    deck = Deck(deck_dir)
    report = run_import(deck, [base / "e.txt"], into="in", today=dt.date(2024, 1, 1))
    written = [p for p in deck_dir.rglob("*") if p.is_file() and ".trainer" not in p.parts]
    assert {p.relative_to(deck_dir).as_posix() for p in written} == {e.target for e in report.imported}
    for p in written:
        assert p.parent == deck_dir / "in"
        check_name(p.name)
    assert not report.failed
    assert sorted(base.iterdir()) == [deck_dir, base / "e.txt"]


@pytest.mark.parametrize("into", ["a/b", "a\\b", "./a", "a/./b"])
def test_into_accepts_plain_relative_folders(into: str):
    assert names.into_parts(into)[0] == "a"


@pytest.mark.parametrize("into", ["..", "a/..", "/abs", "\\\\server\\share", "C:x", "D:\\x", ".hidden", "a/CON", "a:b"])
def test_into_rejects(into: str):
    with pytest.raises(ImportRefused):
        names.into_parts(into)
