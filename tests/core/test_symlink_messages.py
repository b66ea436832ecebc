"""A symlink named like a note says what is wrong with it: a broken link inside the deck said
"symlink points outside the deck"."""

from __future__ import annotations

import json


def test_each_kind_of_bad_symlink_says_what_it_is(tmp_path, cli, write_note):
    deck = tmp_path / "deck"
    write_note(deck / "a.md", "# What is attention?\n\nWeights.\n")
    write_note(tmp_path / "outside.md", "# Outside\n")
    (deck / "sub").mkdir()
    (deck / "dangling.md").symlink_to("gone.md")
    (deck / "folder.md").symlink_to("sub")
    (deck / "out.md").symlink_to(tmp_path / "outside.md")
    (deck / "alias.md").symlink_to("a.md")  # an alias of a note: one card, no problem
    for extra in ((), ("--no-cache",)):
        r = cli(deck, "check", "--json", *extra)
        assert r.returncode == 1
        problems = {p["path"]: (p["key"], p["problem"]) for p in json.loads(r.stdout)["problems"]}
        assert problems == {
            "dangling.md": ("file", "symlink points to a missing file; skipped"),
            "folder.md": ("file", "symlink points to a folder, not a note; skipped"),
            "out.md": ("file", "symlink points outside the deck; skipped"),
        }
    rows = json.loads(cli(deck, "due", "--json").stdout)
    assert [row["path"] for row in rows] == ["a.md"]
