"""The benchmark tools of #17: seed-shaped decks, the split stat walks, the Anki comparison's skip.

Speed itself is measured in benchmarks/, never here: these check that the tools measure the
right thing (same notes on every path, the deck shape they claim, a clean skip without anki).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

import bench_stat_walk  # noqa: E402
import bench_vs_anki  # noqa: E402
import gen_deck  # noqa: E402

from trainer.deck import Deck  # noqa: E402
from trainer.reviewlog import ReviewLog  # noqa: E402

TODAY = dt.date(2026, 11, 25)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.md"))}


def test_seed_shape_gives_each_note_its_own_nested_tag_named_after_its_question(tmp_path):
    gen_deck.generate(tmp_path, 120, seed=3, shape="seed")
    scan = Deck(tmp_path).scan(TODAY, use_cache=False, save_cache=False)
    assert len(scan.notes) == 120 and not scan.problems
    second = []
    for note in scan.notes:
        assert len(note.tags) == 2
        top, nested = note.tags
        assert nested == f"{top}/{note.question}.md"
        second.append(nested)
    assert len(set(second)) == 120
    names = [Path(n.rel).name for n in scan.notes]
    assert all(len(n) == len("000000_0123456789abcdef.md") and n[6] == "_" for n in names)


def test_mixed_shape_shares_few_tags_and_both_shapes_are_deterministic(tmp_path):
    for shape in gen_deck.SHAPES:
        a, b = tmp_path / f"{shape}-a", tmp_path / f"{shape}-b"
        gen_deck.generate(a, 60, seed=5, shape=shape)
        gen_deck.generate(b, 60, seed=5, shape=shape)
        assert _files(a) == _files(b)
    scan = Deck(tmp_path / "mixed-a").scan(TODAY, use_cache=False, save_cache=False)
    tags = {t for n in scan.notes for t in n.tags}
    assert len(tags) <= 20 and not any(t.endswith(".md") for t in tags)
    with pytest.raises(ValueError):
        gen_deck.generate(tmp_path / "bad", 1, shape="square")


def test_split_walks_stamp_exactly_the_notes_one_thread_stamps(tmp_path):
    gen_deck.generate(tmp_path, 700, seed=1)  # 7 leaf folders over nested areas
    (tmp_path / ".trainer").mkdir()
    (tmp_path / ".trainer" / "hidden.md").write_text("not a note")
    (tmp_path / "readme.txt").write_text("not a note")
    one = sorted(bench_stat_walk.stamps_one(str(tmp_path)))
    assert len(one) == 700
    assert sorted(bench_stat_walk.stamps_one_fd(str(tmp_path))) == one
    assert sorted(bench_stat_walk.stamps_threads(str(tmp_path), 2)) == one
    assert sorted(bench_stat_walk.stamps_processes(str(tmp_path), 2)) == one
    assert bench_stat_walk.sum_one(str(tmp_path)) == sum(s[1] for s in one)
    assert bench_stat_walk.list_one(str(tmp_path)) == 700
    digest = bench_stat_walk.stamps_processes(str(tmp_path), 2, digest_only=True)
    assert digest == bench_stat_walk.stamps_processes(str(tmp_path), 2, digest_only=True)
    (tmp_path / sorted(_files(tmp_path))[-1]).write_text("changed")  # a change moves the digest
    assert bench_stat_walk.stamps_processes(str(tmp_path), 2, digest_only=True) != digest


def test_anki_tags_keep_the_nesting_without_spaces():
    assert bench_vs_anki.anki_tag("Transformer/Why three matrices? (#1).md") == "Transformer::Why_three_matrices?_(#1).md"
    assert bench_vs_anki.anki_tag("/A//B/") == "A::B"


def test_vs_anki_skips_cleanly_without_the_anki_package():
    probe = subprocess.run([sys.executable, "-c", "import anki.collection"], capture_output=True)
    if probe.returncode == 0:
        pytest.skip("anki is importable here: the skip path cannot be seen")
    for cmd in (["benchmarks/bench_vs_anki.py", "--anki-python", sys.executable],
                ["benchmarks/bench_core.py", "--vs-anki", "--anki-python", str(REPO / "no-such-python")]):
        p = subprocess.run([sys.executable, *cmd], cwd=REPO, capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        assert p.stdout.startswith("skipped: no `anki` package") and "not a dependency of trainer" in p.stdout
        assert "Traceback" not in p.stderr


def test_the_anki_comparison_grades_as_the_study_app_each_due_card_once(tmp_path):
    """trainer's side of the grade comparison is the study session's grade on the cards of its
    due queue (what Anki's answer_card side does), each card graded once as a scheduling review:
    the notes change on disk and the log holds one done review row per grade."""
    gen_deck.generate(tmp_path, 80, seed=2)
    before = _files(tmp_path)
    today = dt.date.fromisoformat(bench_vs_anki.TODAY)
    queue = Deck(tmp_path).scan(today, use_cache=False, save_cache=False).due_queue(new_limit=bench_vs_anki.NEW_PER_DAY)
    grades = [3 + i % 3 for i in range(12)]
    out = bench_vs_anki.trainer_grades(str(tmp_path), grades)
    assert out["graded"] == 12 and out["grade_ms"] > 0
    assert out["floor_ms"] > 0 and out["grade_over_floor"] > 0  # the write floor, in the same loop
    after = _files(tmp_path)
    changed = sorted(rel for rel in before if after[rel] != before[rel])
    assert changed == sorted(n.rel for n in queue[:12])
    log = ReviewLog.open(tmp_path)
    rows = list(log.rows())
    log.close()
    assert sorted(r.note for r in rows) == changed
    assert all(r.kind == "review" and r.state == "done" and r.day == today for r in rows)
    assert [r.grade for r in rows] == grades


@pytest.mark.parametrize("extra", [[], ["--spread"], ["--no-show"], ["--load-each", "--settings-once"]])
def test_one_grade_benchmark_grades_each_picked_note_once(tmp_path, extra):
    """bench_grade_calls.py: by default the study app's grade (a held note, StudySession), with
    --load-each the Deck.load + grade of bench_core.py; either way every timed grade is a
    scheduling review that writes its note (a re-drill would write nothing and time nothing)."""
    deck = tmp_path / "deck"
    gen_deck.generate(deck, 40, seed=4)
    before = _files(deck)
    p = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_grade_calls.py"), str(deck), "--in-place",
                        "--grades", "9", "--floor", *extra], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["grades"] == 9 and out["mode"].startswith("load-each" if "--load-each" in extra else "app")
    ending = {"--spread": "spread", "--load-each": "settings once", "--no-show": "due queue, not shown"}
    assert out["mode"].endswith(ending.get(extra[0], "due queue") if extra else "due queue")
    # the note read again under its lock and parsed once (with --load-each the caller's load parsed
    # the same text); the edit, which swaps and appends a grade's values only, read back token by token.
    # The study app reads the card when it shows it (read_card), parsing the frontmatter then: the
    # grade's read under the lock finds the same text parsed.
    shown = "--load-each" not in extra and "--no-show" not in extra
    assert out["per_grade"]["yaml"] == (0.0 if shown else 1.0)
    assert out["write_floor_ms"] > 0  # the graded note written back alone, in the same loop
    changed = [rel for rel, data in _files(deck).items() if data != before[rel]]
    assert len(changed) == 9  # the floor writes its notes back unchanged
    log = ReviewLog.open(deck)
    rows = list(log.rows())
    log.close()
    assert len(rows) == 9 and all(r.kind == "review" for r in rows)
