"""Tags with characters that are digits to str.isdigit() but not numbers to int() (superscripts,
circled digits) sort as text, never raise (a `stats` traceback on a tag like `1²`)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

from trainer.tags import sort_tags, tag_order_key, tag_sort_key


def test_superscript_and_circled_digits_sort_as_text():
    tags = ["1²", "x①", "a2", "a10", "1", "²"]
    keys = [tag_sort_key(t) for t in tags]  # no ValueError
    assert sorted(tags, key=tag_sort_key) == sort_tags(tags)
    assert sorted(tags, key=tag_sort_key) == sorted(tags, key=tag_order_key)
    assert sorted(tags, key=tag_sort_key).index("a2") < sorted(tags, key=tag_sort_key).index("a10")
    assert len(keys) == len(tags)


def test_stats_on_a_note_tagged_with_a_superscript(tmp_path):
    deck = tmp_path / "deck"
    deck.mkdir()
    (deck / "n.md").write_text("---\ntags: ['x/1²', 'x/2']\n---\n# Q\n\n## A\n\nanswer\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "trainer", "--deck", str(deck), "--today", str(dt.date(2026, 11, 25)),
                        "stats", "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "1²" in r.stdout
