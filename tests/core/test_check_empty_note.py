"""`trainer check` warns about an empty note: it is listed as a new card every day, yet a grade refuses it."""

from __future__ import annotations

import json
import os

from trainer.cli import EMPTY_NOTE_WARNING


def test_check_warns_about_empty_and_blank_notes_only(tmp_path, cli, write_note):
    deck = tmp_path / "d"
    empty = write_note(deck / "empty.md", b"")
    write_note(deck / "sub" / "blank.md", b" \r\n\n\t\n")
    write_note(deck / "short.md", b"# Q\n")  # a few bytes, but a question: a card like any other
    write_note(deck / "plain.md", "---\ntags: [A]\n---\n# What is attention?\n\n## Answer\n\nWeights.\n")
    r = cli(deck, "check")
    assert r.returncode == 0, r.stderr  # a warning, not a problem
    assert b"4 notes checked: no problems; 2 warnings" in r.stdout
    assert sorted(r.stderr.decode().splitlines()) == [
        f"empty.md: file: warning: {EMPTY_NOTE_WARNING}", f"sub/blank.md: file: warning: {EMPTY_NOTE_WARNING}"]
    warnings = json.loads(cli(deck, "check", "--json").stdout)["warnings"]
    assert sorted((w["path"], w["key"]) for w in warnings) == [("empty.md", "file"), ("sub/blank.md", "file")]
    # what the warning says holds: the note is a card to study today, and a grade refuses it
    assert "empty.md" in [row["path"] for row in json.loads(cli(deck, "due", "--json").stdout)]
    os.utime(empty, (empty.stat().st_atime, empty.stat().st_mtime - 3600))
    r = cli(deck, "review", "empty.md", "--grade", "4")
    assert r.returncode == 1 and b"the note is empty" in r.stderr and empty.read_bytes() == b""


def test_the_tag_warning_keeps_its_key(tmp_path, cli, write_note):
    deck = tmp_path / "d"
    write_note(deck / "a.md", "---\ntags: [Topic/q.md]\n---\n# Q\n")
    r = cli(deck, "check")
    assert r.stderr.decode().strip() == "a.md: tags: warning: 'Topic/q.md' looks like a file name, not a tag"
