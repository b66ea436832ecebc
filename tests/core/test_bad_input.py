"""Hostile and broken notes (SPEC §1, §5): reported as ``path: key: problem``, never a traceback,
never another note touched, never a byte lost. Through parse_note/Deck.scan and through the CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import time

import pytest

from trainer import grading
from trainer.deck import Deck
from trainer.notes.parse import parse_note
from trainer.reviewlog import ReviewLog

TODAY = dt.date(2026, 11, 25)

_LAUGHS = "lol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"lol{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 10)
)

#: name -> (bytes, problem key, fatal)
BAD: dict[str, tuple[bytes, str, bool]] = {
    "invalid_yaml": (b"---\ntitle: [unclosed\nreview_count: 1\n---\n# Q\n", "frontmatter", True),
    "list_frontmatter": (b"---\n- a\n- b\n---\n# Q\n", "frontmatter", True),
    "scalar_frontmatter": (b"---\njust words\n---\n# Q\n", "frontmatter", True),
    "unclosed": (b"---\nreview_count: 1\n# Q\nbody\n", "frontmatter", True),
    "python_tag": (b'---\nx: !!python/object/apply:os.system ["touch PWNED"]\n---\n# Q\n', "frontmatter", True),
    "python_tag_top": (b'---\n!!python/object/apply:os.system ["touch PWNED"]\n---\n# Q\n', "frontmatter", True),
    "billion_laughs": (("---\n" + _LAUGHS + "---\n# Q\n").encode(), "frontmatter", True),
    "deep_flow": (b"---\nk: " + b"[" * 10000 + b"]" * 10000 + b"\n---\n# Q\n", "frontmatter", True),
    "review_count_negative": (b"---\nreview_count: -3\n---\n# Q\n", "review_count", False),
    "mastery_7": (b"---\nmastery_level: 7\n---\n# Q\n", "mastery_level", False),
    "next_review_someday": (b"---\nnext_review: someday\n---\n# Q\n", "next_review", False),
    "difficulty_insane": (b"---\ndifficulty: insane\n---\n# Q\n", "difficulty", False),
    "tags_5": (b"---\ntags: 5\n---\n# Q\n", "tags", False),
    "ease_1": (b"---\nease_factor: 1.0\n---\n# Q\n", "ease_factor", False),
    "duplicate_key": (b"---\nreview_count: 1\nreview_count: 2\n---\n# Q\n", "review_count", False),
    "latin1": ("---\ntitle: café\n---\n# Q\n".encode("latin-1"), "frontmatter", True),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "file", True),
}


@pytest.fixture
def deck_dir(tmp_path, seed, write_note):
    root = tmp_path / "deck"
    write_note(root / "good.md", seed("好问题"))
    write_note(root / "other" / "good2.md", seed("另一个好问题"))
    return root


@pytest.mark.parametrize("name", BAD)
def test_bad_note_through_parse_and_scan(name, deck_dir, tmp_path, write_note):
    raw, key, fatal = BAD[name]
    t0 = time.monotonic()
    n = parse_note(raw, f"{name}.md")
    assert time.monotonic() - t0 < 30  # a hang guard (alias bombs, deep nesting), not a speed target
    assert n.fatal == fatal
    assert key in [p.key for p in n.problems]
    write_note(deck_dir / f"{name}.md", raw)
    scan = Deck(deck_dir).scan(TODAY)
    assert sorted(n.rel for n in scan.notes) == sorted(["good.md", "other/good2.md", f"{name}.md"])
    assert {p.path for p in scan.problems} == {f"{name}.md"}
    good = scan.by_rel()["good.md"]
    assert not good.problems and good.question == "好问题"
    assert not (tmp_path / "PWNED").exists() and not (deck_dir / "PWNED").exists()


@pytest.mark.parametrize("name", BAD)
def test_bad_note_through_cli(name, deck_dir, tmp_path, cli, hashes, write_note):
    raw, key, fatal = BAD[name]
    path = write_note(deck_dir / f"{name}.md", raw)
    before = hashes(deck_dir)

    r = cli(deck_dir, "check")
    assert r.returncode == 1
    assert f"{name}.md: {key}: ".encode() in r.stderr

    r = cli(deck_dir, "due", "--json")
    assert r.returncode == 1
    listed = [x["path"] for x in json.loads(r.stdout)]
    assert "good.md" in listed and "other/good2.md" in listed
    assert (f"{name}.md" in listed) == (not fatal)  # a broken note is never due; a bad value uses the default

    r = cli(deck_dir, "review", f"{name}.md", "--grade", "4")
    if fatal:
        assert r.returncode == 1
        assert f"{name}.md".encode() in r.stderr
        assert hashes(deck_dir) == before
    else:
        # a bad value is replaced by the review's own; every other byte is kept
        assert r.returncode == 0, r.stderr
        after = path.read_bytes()
        assert after.endswith(b"---\n# Q\n")
        n = parse_note(after, "x.md")
        assert n.schedule.review_count >= 1
        rest = {k: v for k, v in hashes(deck_dir).items() if k != f"{name}.md"}
        assert rest == {k: v for k, v in before.items() if k != f"{name}.md"}
    still_bad = bool(parse_note(path.read_bytes(), "x.md").problems)  # e.g. `tags: 5` is not a review's to fix
    assert still_bad == (fatal or key in ("difficulty", "tags", "review_count") and name != "review_count_negative")
    r = cli(deck_dir, "stats", "--json")
    assert r.returncode == (1 if still_bad else 0) and json.loads(r.stdout)["counts"]["total"] == 3
    assert not (tmp_path / "PWNED").exists() and not (deck_dir / "PWNED").exists()


def test_empty_file_is_a_fine_new_card(deck_dir, cli, write_note):
    p = write_note(deck_dir / "empty.md", b"")
    r = cli(deck_dir, "check")
    assert r.returncode == 0
    rows = json.loads(cli(deck_dir, "due", "--json").stdout)
    assert {"path": "empty.md", "question": "empty"}.items() <= next(x for x in rows if x["path"] == "empty.md").items()
    # an empty note is what an editor saving in place leaves for a moment: never graded (issue #11)
    r = cli(deck_dir, "review", "empty.md", "--grade", "5")
    assert r.returncode == 1 and b"being saved by another program" in r.stderr
    assert p.read_bytes() == b""
    # empty for an hour: not being saved, just empty (it said "being saved by another program?")
    os.utime(p, (p.stat().st_atime, p.stat().st_mtime - 3600))
    r = cli(deck_dir, "review", "empty.md", "--grade", "5")
    assert r.returncode == 1 and r.stderr == b"empty.md: file: the note is empty: nothing to grade; nothing written\n"
    assert p.read_bytes() == b""


def test_interval_past_the_calendar(deck_dir, cli, write_note):
    p = write_note(deck_dir / "old.md", b"---\ninterval: 99999999\nease_factor: 2.5\nrepetitions: 5\n---\n# Q\n")
    r = cli(deck_dir, "review", "old.md", "--grade", "5", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["interval"] == 36500
    assert b"interval: 36500\n" in p.read_bytes()
    p2 = write_note(deck_dir / "end.md", b"---\ninterval: 600\nrepetitions: 5\n---\n# Q\n")
    r = cli(deck_dir, "review", "end.md", "--grade", "5", "--json", today="9999-12-01")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["next_review"] == "9999-12-31"
    assert b"next_review: '9999-12-31'\n" in p2.read_bytes()
    assert cli(deck_dir, "due", today="9999-12-01").returncode == 0
    assert cli(deck_dir, "stats", "--json", today="9999-12-01").returncode == 0


def test_deleted_note_reported(deck_dir, cli, tmp_path, hashes):
    grades = tmp_path / "g.csv"
    grades.write_text("good.md,4\ngone.md,4\nother/good2.md,3\n")
    r = cli(deck_dir, "review", "--from", str(grades), "--json")
    assert r.returncode == 1
    assert b"gone.md" in r.stderr and b"not found" in r.stderr
    assert [x["path"] for x in json.loads(r.stdout)] == ["good.md", "other/good2.md"]


def test_deleted_mid_session_note_gone(deck_dir):
    deck = Deck(deck_dir)
    log = ReviewLog.open(deck.root)
    try:
        note = deck.scan(TODAY).by_rel()["good.md"]
        (deck_dir / "good.md").unlink()
        with pytest.raises(grading.NoteGone):
            grading.grade(deck, log, note, 4, TODAY)
    finally:
        log.close()


def test_read_only_note(deck_dir, cli, hashes):
    p = deck_dir / "good.md"
    p.chmod(0o444)
    try:
        before = hashes(deck_dir)
        r = cli(deck_dir, "review", "good.md", "--grade", "4")
        assert r.returncode == 1
        assert r.stderr == b"good.md: read-only (no one may write it); not changed\n"  # (the path once, not twice)
        assert hashes(deck_dir) == before
        assert p.stat().st_mode & 0o777 == 0o444
    finally:
        p.chmod(0o644)


def test_unknown_grade_7(deck_dir, cli, hashes):
    before = hashes(deck_dir)
    r = cli(deck_dir, "review", "good.md", "--grade", "7")
    assert r.returncode == 2
    assert b"grade must be 0-5" in r.stderr
    assert hashes(deck_dir) == before


def test_control_characters_never_reach_the_terminal(deck_dir, cli, write_note, tmp_path):
    write_note(deck_dir / "evil.md", "---\ntags: [\"x\\e[2J\"]\n---\n# \x1b[31mRED\x1b[0m title\x07\u202e\n")
    write_note(deck_dir / "evil\x1b[2Jname.md", b"---\n- broken\n---\n# \x1b]0;pwned\x07\n")
    grades = tmp_path / "g.csv"
    grades.write_text("evil.md,4\nevil\x1b[2Jname.md,4\n")
    runs = [
        cli(deck_dir, "check"), cli(deck_dir, "check", "--json"),
        cli(deck_dir, "due"), cli(deck_dir, "due", "--json"), cli(deck_dir, "due", "--csv"),
        cli(deck_dir, "stats"), cli(deck_dir, "stats", "--json"),
        cli(deck_dir, "schedule", "--dry-run"),
        cli(deck_dir, "review", "--from", str(grades)),
    ]
    for r in runs:
        assert b"\x1b" not in r.stdout and b"\x1b" not in r.stderr, (r.args, r.stdout, r.stderr)
        assert b"\x07" not in r.stdout and b"\x07" not in r.stderr
        assert "\u202e".encode() not in r.stdout
    assert b"RED" in runs[2].stdout  # still shown, escaped
    assert "\\x1b[31mRED".encode() in runs[2].stdout


def test_many_bad_notes_at_once_leave_good_ones_alone(deck_dir, cli, hashes, write_note):
    for name, (raw, _, _) in BAD.items():
        write_note(deck_dir / "bad" / f"{name}.md", raw)
    r = cli(deck_dir, "check", "--json")
    assert r.returncode == 1
    problems = json.loads(r.stdout)["problems"]
    assert {p["path"] for p in problems} == {f"bad/{n}.md" for n in BAD}
    before = hashes(deck_dir)
    r = cli(deck_dir, "schedule", "--json")
    assert r.returncode == 1
    after = hashes(deck_dir)
    for name, (_, _, fatal) in BAD.items():
        if fatal:  # never rewritten
            assert after[f"bad/{name}.md"] == before[f"bad/{name}.md"]
    assert not os.path.exists(deck_dir / "PWNED")


def test_non_utf8_terminal_gets_escapes_not_a_traceback(deck_dir, cli):
    """LANG=C or a latin-1 terminal: JSON stays UTF-8 (RFC 8259), text output is escaped."""
    env = {"PYTHONIOENCODING": "latin-1", "LC_ALL": "C", "LANG": "C"}
    r = cli(deck_dir, "due", "--json", env=env)
    assert r.returncode == 0
    assert {row["question"] for row in json.loads(r.stdout.decode("utf-8"))} == {"好问题", "另一个好问题"}
    r = cli(deck_dir, "due", env=env)
    assert r.returncode == 0 and b"\\u597d" in r.stdout  # 好, escaped
    r = cli(deck_dir, "check", env=env)
    assert r.returncode == 0


def test_json_output_past_orjson_limits(deck_dir, cli, write_note):
    """Integers past 64 bits (a hand-edited note): valid JSON from the standard-library fallback."""
    huge = 10**23
    write_note(deck_dir / "big.md", f"---\nnext_review: 2026-01-01\nlast_reviewed: 2025-12-01\n"
                                    f"review_count: {huge}\ninterval: {huge}\n---\n# big\n")
    r = cli(deck_dir, "due", "--json")
    rows = {row["path"]: row for row in json.loads(r.stdout.decode("utf-8"))}
    # a count past 10**9 is a problem now (issue #11: it overflows floats); the note loads with defaults
    assert rows["big.md"]["review_count"] == 0 and "good.md" in rows
    assert b"big.md: review_count: must be <= 1000000000" in r.stderr and r.returncode == 1
    r = cli(deck_dir, "stats", "--json")
    assert json.loads(r.stdout.decode("utf-8"))["counts"]["total"] >= 3


def test_json_escapes_c1_and_bidi_in_utf8(deck_dir, cli, write_note):
    write_note(deck_dir / "c1.md", "---\nnext_review: 2026-01-01\n---\n# a\u009bb\u202ec\u2066d\x7fe “引号”\n")
    r = cli(deck_dir, "due", "--json")
    for raw in ("\u009b", "\u202e", "\u2066", "\x7f"):
        assert raw.encode() not in r.stdout
    (row,) = [x for x in json.loads(r.stdout) if x["path"] == "c1.md"]
    assert row["question"] == "a\u009bb\u202ec\u2066d\x7fe “引号”"  # escaped on the wire, intact when parsed
