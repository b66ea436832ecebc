"""`trainer review` of a card before it is due says so: the grade counts as a full review."""

from __future__ import annotations

import json

NOTE = ("---\nlast_reviewed: '2026-11-20'\nnext_review: '2026-12-10'\nreview_count: 3\nease_factor: 2.5\n"
        "interval: 20\nrepetitions: 3\nmastery_level: 0.5\n---\n# What is attention?\n\n## Answer\n\nWeights.\n")


def test_a_grade_before_the_due_day_says_how_early_it_is(tmp_path, cli, write_note):
    deck = tmp_path / "d"
    write_note(deck / "a.md", NOTE)
    write_note(deck / "b.md", NOTE.replace("2026-12-10", "2026-11-25"))  # due today (the cli's day)
    write_note(deck / "c.md", "---\nnext_review: '2026-12-01'\n---\n# A new card put off by schedule\n")
    r = cli(deck, "review", "a.md", "--grade", "4")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().strip() == ("a.md: graded 4 → next review 2027-01-14 (in 1.6mo), mastery 0.50 → 0.59; "
                                         "reviewed 15 days early (it was due 2026-12-10)")
    for rel in ("b.md", "c.md"):  # due today, or new: nothing said
        out = cli(deck, "review", rel, "--grade", "4").stdout.decode()
        assert "early" not in out and out.startswith(f"{rel}: graded 4 → next review ")
    write_note(deck / "d.md", NOTE.replace("2026-12-10", "2026-11-26"))
    assert cli(deck, "review", "d.md", "--grade", "5").stdout.decode().rstrip().endswith(
        "; reviewed 1 day early (it was due 2026-11-26)")
    write_note(deck / "e.md", NOTE)
    rows = json.loads(cli(deck, "review", "e.md", "--grade", "4", "--json").stdout)  # --json: as it was
    assert rows[0]["next_review"] == "2027-01-14" and set(rows[0]) >= {"path", "grade", "kind", "interval"}
