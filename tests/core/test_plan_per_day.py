"""`trainer plan --per-day 0` is bad usage, as `schedule --per-day 0` is (it printed a plan of no reviews)."""

from __future__ import annotations


def test_plan_per_day_zero_is_bad_usage_and_one_day_is_singular(tmp_path, cli, write_note):
    deck = tmp_path / "d"
    write_note(deck / "a.md", "---\ntags: [ml]\n---\n# What is attention?\n\n## Answer\n\nWeights.\n")
    r = cli(deck, "plan", "--interview", "2026-11-26", "--per-day", "0")
    assert r.returncode == 2 and r.stdout == b""
    assert r.stderr.decode().splitlines()[-1] == "trainer plan: error: argument --per-day: must be >= 1, got 0"
    r = cli(deck, "plan", "--interview", "2026-11-26", "--per-day", "1")  # today is 2026-11-25
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().splitlines()[0] == "Interview on 2026-11-26 (1 day from 2026-11-25); at most 1 review a day."
    r = cli(deck, "plan", "--interview", "2026-11-28")
    assert r.stdout.decode().startswith("Interview on 2026-11-28 (3 days from 2026-11-25)")


def test_plan_with_no_new_cards_a_day_asks_for_its_own_limit(tmp_path, cli, write_note):
    """new_per_day = 0 in trainer.toml (no new cards) is no daily limit for a plan: it asks for --per-day."""
    deck = tmp_path / "d"
    write_note(deck / "a.md", "---\ntags: [ml]\n---\n# What is attention?\n\n## Answer\n\nWeights.\n")
    (deck / "trainer.toml").write_text("[scheduler]\nnew_per_day = 0\n", encoding="utf-8")
    r = cli(deck, "plan", "--interview", "2026-11-28")
    assert r.returncode == 2 and r.stdout == b""
    assert "give --per-day N" in r.stderr.decode()
    r = cli(deck, "plan", "--interview", "2026-11-28", "--per-day", "3")
    assert r.returncode == 0, r.stderr
    assert "at most 3 reviews a day" in r.stdout.decode()
