"""Write-back (SPEC §2) with literal byte expectations, on the fixture notes in tests/fixtures/notes."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
from pathlib import Path

import pytest

from trainer.notes.parse import NoteError, parse_note
from trainer.notes.store import update_note
from trainer.notes.write import REMOVE, Raw, atomic_write, edit_frontmatter, format_value, is_temp_name, new_file_mode

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "notes"
D = dt.date(2026, 11, 25)
UPDATES = {"last_reviewed": D, "next_review": dt.date(2026, 11, 26), "review_count": 1, "mastery_level": 0.24,
           "ease_factor": 2.5, "interval": 1, "repetitions": 1}


@pytest.fixture
def notes(tmp_path):
    dst = tmp_path / "notes"
    shutil.copytree(FIXTURES, dst)
    return dst


def test_crlf_comments_fixture_exact(notes):
    p = notes / "crlf_comments.md"
    original = p.read_bytes()
    update_note(p, UPDATES)
    expected = original.replace(
        b"last_reviewed:   # never yet\r\n", b"last_reviewed: '2026-11-25'   # never yet\r\n"
    ).replace(
        b'next_review: "2025-10-20"\r\n', b"next_review: '2026-11-26'\r\n"
    ).replace(
        b"review_count: 0\r\n", b"review_count: 1\r\n"
    ).replace(
        b"mastery_level: 0.0\r\n", b"mastery_level: 0.24\r\n"
    ).replace(
        b"  interval: 9  # not ours\r\n---\r\n",
        b"  interval: 9  # not ours\r\nease_factor: 2.5\r\ninterval: 1\r\nrepetitions: 1\r\n---\r\n",
    )
    assert p.read_bytes() == expected
    n = parse_note(p.read_bytes(), "x.md")
    assert not n.problems and n.schedule.interval == 1 and n.tags == ("Transformer/Attention", "注意力")


def test_flow_mapping_with_bom_gets_keys_inside_braces(notes):
    p = notes / "flow_bom.md"
    update_note(p, {"review_count": 1, "next_review": dt.date(2026, 11, 26)})
    assert p.read_bytes() == (
        b'\xef\xbb\xbf---\n{"title": "Exported note", tags: [a, b/c], review_count: 1, next_review: \'2026-11-26\'}\n'
        b"---\n# Flow mapping frontmatter\n\nanswer\n"
    )
    update_note(p, {"review_count": REMOVE})
    assert b"review_count" not in p.read_bytes()
    assert p.read_bytes().startswith(b'\xef\xbb\xbf---\n{"title": "Exported note", tags: [a, b/c], next_review:')


def test_bare_note_gets_frontmatter(notes):
    p = notes / "bare.md"
    update_note(p, {"review_count": 1, "last_reviewed": D})
    assert p.read_bytes() == (
        b"---\nreview_count: 1\nlast_reviewed: '2026-11-25'\n---\n# No frontmatter at all\n\n## Short\n\nanswer\n"
    )


def test_unchanged_values_are_not_rewritten(notes):
    p = notes / "crlf_comments.md"
    before = p.read_bytes()
    w = update_note(p, {"review_count": 0, "next_review": dt.date(2025, 10, 20), "mastery_level": 0})
    assert not w.changed and p.read_bytes() == before


def test_raw_restore_and_remove():
    text = "---\nnext_review: \"2025-10-20\"  # c\n---\nbody\n"
    e = edit_frontmatter(text, {"next_review": dt.date(2026, 1, 1), "interval": 3})
    assert e.text == "---\nnext_review: '2026-01-01'  # c\ninterval: 3\n---\nbody\n"
    assert e.old_raw == {"next_review": ' "2025-10-20"'}
    back = edit_frontmatter(e.text, {"next_review": Raw(' "2025-10-20"'), "interval": REMOVE})
    assert back.text == text


def test_multiline_value_replaced_from_the_colon():
    text = "---\nlast_reviewed:\n  '2025-01-01'\nx: 1\n---\n"
    e = edit_frontmatter(text, {"last_reviewed": D})
    assert e.text == "---\nlast_reviewed: '2026-11-25'\nx: 1\n---\n"


def test_indented_block_mapping_appends_with_same_indent():
    text = "---\n  a: 1\n  b: 2\n---\n"
    e = edit_frontmatter(text, {"review_count": 1})
    assert e.text == "---\n  a: 1\n  b: 2\n  review_count: 1\n---\n"


def test_unparseable_frontmatter_refused():
    with pytest.raises(NoteError):
        edit_frontmatter("---\n- a\n---\n", {"review_count": 1})
    with pytest.raises(NoteError):
        edit_frontmatter("---\na: [\n---\n", {"review_count": 1})


@pytest.mark.parametrize("value, text", [
    (None, "null"), (True, "true"), (D, "'2026-11-25'"), (dt.datetime(2026, 11, 25, 8, 30), "'2026-11-25'"),
    (3, "3"), (0.24, "0.24"), (2.3600000000000003, "2.36"), (1.0, "1.0"), ("it's", "'it''s'"),
    ("medium", "medium"), ("Transformer/Attention", "Transformer/Attention"), ("yes", "'yes'"), ("12", "'12'"),
    ("a: b", "'a: b'"), (["a", 1, "x, y"], "[a, 1, 'x, y']"),
])
def test_format_value(value, text):
    assert format_value(value) == text


def test_atomic_write_keeps_mode_and_leaves_no_temp(tmp_path):
    p = tmp_path / "n.md"
    p.write_bytes(b"old")
    p.chmod(0o640)
    atomic_write(p, b"new")
    assert p.read_bytes() == b"new"
    assert stat.S_IMODE(p.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == ["n.md"]


def test_atomic_write_of_buffers_writes_them_in_turn(tmp_path):
    """A list of buffers (the columns' sections, #17) is the file they make joined, whatever their
    kind: bytes, a memoryview of part of one, an array of 8-byte numbers, an empty one."""
    from array import array

    numbers = array("q", [1, -2, 3])
    parts = [b"head\n", memoryview(b"0123456789")[2:5], numbers, b"", bytearray(b"tail")]
    p = tmp_path / "cols.bin"
    atomic_write(p, parts, durable=False)
    assert p.read_bytes() == b"head\n234" + numbers.tobytes() + b"tail"
    assert [f.name for f in tmp_path.iterdir()] == ["cols.bin"]


def test_atomic_write_a_note_with_a_name_near_the_length_limit(tmp_path):
    """The temp file beside a 250-byte name is named from its first 40 characters (the whole name
    with the temp mark would pass NAME_MAX and the save fail); a new file gets the umask's mode."""
    p = tmp_path / ("長" * 82 + ".md")  # 249 bytes in UTF-8
    atomic_write(p, b"new")
    assert p.read_bytes() == b"new"
    assert stat.S_IMODE(p.stat().st_mode) == new_file_mode()
    assert os.listdir(tmp_path) == [p.name]


def test_atomic_write_through_symlink_keeps_the_link(tmp_path):
    real = tmp_path / "real.md"
    real.write_bytes(b"old")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    atomic_write(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_temp_names_are_hidden_and_not_md():
    name = f".n.md.trainer-tmp-{os.getpid()}-deadbeef"
    assert is_temp_name(name) and not name.endswith(".md")
    assert not is_temp_name("n.md")


def test_write_error_leaves_file_and_no_temp(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can write in a read-only folder")
    d = tmp_path / "ro"
    d.mkdir()
    p = d / "n.md"
    p.write_bytes(b"---\na: 1\n---\n")
    d.chmod(0o555)
    try:
        with pytest.raises(OSError):
            update_note(p, {"review_count": 1})
        assert p.read_bytes() == b"---\na: 1\n---\n"
        assert os.listdir(d) == ["n.md"]
    finally:
        d.chmod(0o755)
