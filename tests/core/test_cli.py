"""The command line end to end (SPEC §5), in subprocesses, on a private copy of the bundled deck."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys

import pytest

from trainer.notes.parse import parse_note

SCHED = ("last_reviewed", "next_review", "review_count", "mastery_level", "ease_factor", "interval", "repetitions")


def test_check_clean(bundled_deck, cli):
    r = cli(bundled_deck, "check")
    assert r.returncode == 0, r.stderr
    n = len(list(bundled_deck.rglob("*.md")))
    assert f"{n} notes checked: no problems".encode() in r.stdout
    r = cli(bundled_deck, "check", "--json")
    assert json.loads(r.stdout) == {"notes": n, "problems": [], "warnings": []}


def test_check_warns_about_a_tag_that_looks_like_a_file_name(tmp_path, cli, write_note):
    deck = tmp_path / "d"
    write_note(deck / "a.md", "---\ntags:\n- Topic/question.md\n- Topic\n---\n# Q\n")
    write_note(deck / "b.md", "---\ntags: [Topic]\n---\n# R\n")
    r = cli(deck, "check")
    assert r.returncode == 0, r.stderr  # a warning, not a problem
    assert b"2 notes checked: no problems; 1 warning" in r.stdout
    assert r.stderr.decode().strip() == "a.md: tags: warning: 'Topic/question.md' looks like a file name, not a tag"
    r = cli(deck, "check", "--json")
    assert json.loads(r.stdout)["warnings"] == [
        {"path": "a.md", "key": "tags", "warning": "'Topic/question.md' looks like a file name, not a tag"}]


def test_schedule_dry_run_says_what_it_does(tmp_path, cli, write_note):
    """--per-day N never claims every day stays under N when cards already scheduled there exceed it,
    and a key the note lacks is shown as added, never as `(missing) → (missing)`."""
    deck = tmp_path / "d"
    for i in range(5):
        write_note(deck / f"late{i}.md", f"---\nlast_reviewed: '2026-10-01'\nnext_review: '2026-11-0{i + 1}'\n"
                                         f"review_count: 2\ncreated: '2026-09-01'\ndifficulty: medium\nmastery_level: 0.5\n"
                                         f"tags: []\nrelated_outlines: []\n---\n# Late {i}\n")
    for i in range(6):
        write_note(deck / f"busy{i}.md", f"---\nlast_reviewed: '2026-10-01'\nnext_review: '2026-11-27'\n"
                                         f"review_count: 2\ncreated: '2026-09-01'\ndifficulty: medium\nmastery_level: 0.5\n"
                                         f"tags: []\nrelated_outlines: []\n---\n# Busy {i}\n")
    write_note(deck / "bare.md", "---\ntags: [x]\n---\n# Bare\n")
    r = cli(deck, "--today", "2026-11-25", "schedule", "--dry-run", "--per-day", "3")
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr
    assert "(missing)" not in out and "+last_reviewed: null" in out
    assert "under 3" not in out and "no day gets more than 3 cards from the backlog" in out
    assert "Already over 3 before this plan (cards scheduled there are not moved): 2026-11-27 (6)." in out


def test_due_json_ordered(bundled_deck, cli):
    r = cli(bundled_deck, "due", "--json", "--new-limit", "100")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert rows and {"path", "question", "next_review", "overdue_days", "new", "difficulty"} <= set(rows[0])
    reviews = [x for x in rows if not x["new"]]
    new = [x for x in rows if x["new"]]
    assert rows == reviews + new
    rank = {"hard": 0, "medium": 1, "easy": 2}
    for group in (reviews, new):
        keys = [(x["next_review"], rank[x["difficulty"]]) for x in group]
        assert keys == sorted(keys)
    for x in rows:
        assert x["next_review"] <= "2026-11-25"
        assert (dt.date(2026, 11, 25) - dt.date.fromisoformat(x["next_review"])).days == x["overdue_days"]


def test_due_csv_limit_tag_difficulty(bundled_deck, cli):
    all_rows = json.loads(cli(bundled_deck, "due", "--json", "--new-limit", "100").stdout)
    r = cli(bundled_deck, "due", "--csv", "--new-limit", "100")
    assert r.returncode == 0
    parsed = list(csv.DictReader(io.StringIO(r.stdout.decode())))
    assert [x["path"] for x in parsed] == [x["path"] for x in all_rows]
    r = cli(bundled_deck, "due", "--json", "--limit", "2", "--new-limit", "100")
    assert json.loads(r.stdout) == all_rows[:2]
    r = cli(bundled_deck, "due", "--json", "--tag", "Transformer/Attention", "--new-limit", "100")
    tagged = json.loads(r.stdout)
    assert tagged and all(any(t == "Transformer/Attention" or t.startswith("Transformer/Attention/") for t in x["tags"])
                          for x in tagged)
    expected = [x["path"] for x in all_rows if any(t.startswith("Transformer/Attention") for t in x["tags"])]
    assert [x["path"] for x in tagged] == expected
    r = cli(bundled_deck, "due", "--json", "--difficulty", "hard", "--new-limit", "100")
    hard = json.loads(r.stdout)
    assert [x["path"] for x in hard] == [x["path"] for x in all_rows if x["difficulty"] == "hard"]
    r = cli(bundled_deck, "due")  # the human table
    assert r.returncode == 0 and b"18 to study on 2026-11-25: 2 due + 16 new (20 new a day, 0 started today)" in r.stdout


def test_review_writes_sm2_and_only_scheduling_lines(bundled_deck, cli):
    note = sorted(bundled_deck.rglob("*.md"))[0]
    rel = note.relative_to(bundled_deck).as_posix()
    old_lines = note.read_bytes().splitlines(keepends=True)
    before = parse_note(note.read_bytes(), rel).schedule
    r = cli(bundled_deck, "review", rel, "--grade", "4")
    assert r.returncode == 0, r.stderr
    assert b"graded 4" in r.stdout
    new_lines = note.read_bytes().splitlines(keepends=True)
    # line-level diff: every old line that is not a scheduling line is kept, in order
    def keyed(line):
        return line.split(b":", 1)[0].decode() in SCHED

    assert [x for x in old_lines if not keyed(x)] == [x for x in new_lines if not keyed(x)]
    assert len(new_lines) == len(old_lines) + 3  # ease_factor, interval, repetitions appended
    s = parse_note(note.read_bytes(), rel).schedule
    assert s.last_reviewed == dt.date(2026, 11, 25)
    assert s.review_count == before.review_count + 1
    assert (s.interval, s.repetitions, s.ease_factor) == (1, 1, 2.5)
    assert s.next_review == dt.date(2026, 11, 26)
    assert s.mastery_level == round(before.mastery_level + 0.3 * (0.8 - before.mastery_level), 2)
    # again the same day: a re-drill, file unchanged
    snapshot = note.read_bytes()
    r = cli(bundled_deck, "review", str(note), "--grade", "1", "--json")
    assert r.returncode == 0
    assert json.loads(r.stdout)[0]["kind"] == "redrill"
    assert note.read_bytes() == snapshot


def test_review_from_csv(bundled_deck, cli, tmp_path):
    notes = sorted(p.relative_to(bundled_deck).as_posix() for p in bundled_deck.rglob("*.md"))[:4]
    grades = tmp_path / "grades.csv"
    grades.write_text("path,grade\n" + "".join(f"{n},{q}\n" for n, q in zip(notes, [5, 4, 3, 0])), encoding="utf-8")
    r = cli(bundled_deck, "review", "--from", str(grades), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [(x["path"], x["grade"], x["kind"]) for x in out] == list(zip(notes, [5, 4, 3, 0], ["review"] * 4))
    assert [x["interval"] for x in out] == [1, 1, 1, 1]
    # stdin and no header
    r = cli(bundled_deck, "review", "--from", "-", "--json", stdin=f"{notes[0]},5\n".encode())
    assert json.loads(r.stdout)[0]["kind"] == "redrill"


def test_review_from_csv_bad_row(bundled_deck, cli, tmp_path, hashes):
    before = hashes(bundled_deck)
    bad = tmp_path / "bad.csv"
    note = sorted(p.relative_to(bundled_deck).as_posix() for p in bundled_deck.rglob("*.md"))[0]
    bad.write_text(f"path,grade\n{note},4\n{note},9\n", encoding="utf-8")
    r = cli(bundled_deck, "review", "--from", str(bad))
    assert r.returncode == 2
    assert b"bad.csv:3" in r.stderr and b"0-5" in r.stderr
    assert hashes(bundled_deck) == before  # the file is checked before any note is graded
    bad.write_text("onlyonecolumn\n", encoding="utf-8")
    r = cli(bundled_deck, "review", "--from", str(bad))
    assert r.returncode == 2 and b"bad.csv:1" in r.stderr


@pytest.mark.parametrize("args, needle", [
    (["review", "x.md", "--grade", "7"], b"grade must be 0-5"),
    (["review", "x.md"], b"review needs"),
    (["review", "--from", "nope.csv"], b"cannot read"),
    (["due", "--limit", "-1"], b"must be >= 1, got -1"),  # said ">= 0", and 0 is refused too
    (["stats", "--days", "0"], b"must be >= 1"),  # printed "last 0 days" over today's grades
    (["schedule", "--dry-run", "--days", "0"], b"must be >= 1"),  # printed an empty forecast table
    (["schedule", "--dry-run", "--per-day", "-5"], b"must be >= 1, got -5"),
    (["nosuchcommand"], b"invalid choice"),
    (["demo", "qkv-symmetry", "--json", "--seed", "-1"], b"must be >= 0"),  # numpy refused it with a traceback
    (["schedule", "--dry-run", "--per-day", "0"], b"must be >= 1"),
    (["schedule", "--dry-run", "--new-per-day", "0"], b"must be >= 1"),  # "at most 0 of them new", then 1 a day
    (["due", "--limit", "0"], b"must be >= 1"),  # printed "Nothing to study" over a deck with cards to study  # said "no day gets more than 0", placed 1 a day
])
def test_bad_usage_exit_2(bundled_deck, cli, args, needle):
    r = cli(bundled_deck, *args)
    assert r.returncode == 2
    assert needle in r.stderr


def test_bad_today(bundled_deck, cli):
    r = cli(bundled_deck, "due", today="2026-02-30")
    assert r.returncode == 2 and b"not a date" in r.stderr


def test_schedule_dry_run_writes_nothing(bundled_deck, cli, hashes):
    before = hashes(bundled_deck)
    r = cli(bundled_deck, "schedule", "--dry-run", "--json")
    assert r.returncode == 0, r.stderr
    plan = json.loads(r.stdout)
    assert plan["dry_run"] is True
    assert hashes(bundled_deck) == before


def _make_backlog(root, seed, write_note, n=120):
    for i in range(n):
        late = dt.date(2026, 11, 25) - dt.timedelta(days=1 + i % 30)
        text = seed(f"卡片 {i}", next_review=late.isoformat())
        if i % 3:
            text = text.replace("last_reviewed: null", "last_reviewed: '2026-09-01'").replace("review_count: 0", "review_count: 3")
        if i % 4 == 0:  # some with missing keys
            text = text.replace("review_count: 0\n", "").replace("mastery_level: 0.0\n", "")
        write_note(root / f"c{i:03d}.md", text)


def test_schedule_spreads_backlog_under_cap_and_fills_keys(tmp_path, cli, seed, write_note):
    root = tmp_path / "big"
    _make_backlog(root, seed, write_note)
    r = cli(root, "schedule", "--per-day", "50", "--json", "--days", "10")
    assert r.returncode == 0, r.stderr
    plan = json.loads(r.stdout)
    assert plan["dry_run"] is False and plan["failures"] == []
    days = plan["forecast"]
    assert all(d["due"] + d["new"] <= 50 for d in days)
    assert sum(d["due"] + d["new"] for d in days) == 120
    # the notes on disk agree with the forecast, and every standard key is now there
    per_day: dict[str, int] = {}
    for p in root.glob("*.md"):
        n = parse_note(p.read_bytes(), p.name)
        assert not n.problems
        assert {"created", "last_reviewed", "next_review", "review_count", "difficulty", "mastery_level", "tags",
                "related_outlines"} <= n.present
        d = max(n.schedule.next_review, dt.date(2026, 11, 25)).isoformat()
        per_day[d] = per_day.get(d, 0) + 1
    assert max(per_day.values()) <= 50
    assert per_day == {d["day"]: d["due"] + d["new"] for d in days if d["due"] + d["new"]}
    # running it again changes nothing
    again = json.loads(cli(root, "schedule", "--per-day", "50", "--json").stdout)
    assert again["changed"] == 0


def test_stats_json(bundled_deck, cli):
    cli(bundled_deck, "review", sorted(p.relative_to(bundled_deck).as_posix() for p in bundled_deck.rglob("*.md"))[0],
        "--grade", "2")
    r = cli(bundled_deck, "stats", "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert {"today", "counts", "difficulty", "mean_mastery", "retention", "reviews_total", "reviews_per_day",
            "forecast", "tags"} <= set(s)
    assert s["reviews_total"] == 1 and s["retention"] == 0.0
    assert s["counts"]["total"] == len(list(bundled_deck.rglob("*.md")))
    assert cli(bundled_deck, "stats").returncode == 0


def test_stats_counts_only_new_cards_due_by_today(tmp_path, cli, seed, write_note):
    """A new card `schedule` moved to a later day is not in today's new count, and the text says so."""
    write_note(tmp_path / "d" / "now.md", seed("Now?", next_review="2026-01-01"))
    write_note(tmp_path / "d" / "later.md", seed("Later?", next_review="2099-01-01"))
    r = cli(tmp_path / "d", "stats")
    assert r.returncode == 0, r.stderr
    assert "new today (1 unseen and due by today, 20 a day)" in r.stdout.decode()


def test_import_failures_on_stderr_as_path_problem(tmp_path, cli, seed, write_note):
    """A note that cannot be imported is a problem: exit 1, `path: key: problem` on stderr; the summary stays on stdout."""
    src = tmp_path / "src"
    write_note(src / "good.md", seed("Good?"))
    write_note(src / "bin.md", b"\x00\x01 not text")
    deck = tmp_path / "deck"
    deck.mkdir()
    r = cli(deck, "import", str(src))
    assert r.returncode == 1
    out, err = r.stdout.decode(), r.stderr.decode()
    assert "imported 1, updated 0, skipped 0, failed 1" in out and "bin.md" not in out
    assert f"{src / 'bin.md'}: file: binary file" in err  # as `trainer check` says it


COMMAND_OPTIONS = {
    "due": [b"--json", b"--csv", b"--limit", b"--tag", b"--difficulty"],
    "review": [b"--grade", b"--from"],
    "schedule": [b"--dry-run", b"--per-day"],
    "stats": [b"--json"],
    "check": [b"--json"],
    "import": [b"--into", b"--dry-run", b"--on-conflict"],
    "demo": [b"--json"],
    "study": [b"--new-limit"],
}


@pytest.mark.parametrize("command", [None, *COMMAND_OPTIONS])
def test_help_for_every_command(cli, command):
    args = ["-h"] if command is None else [command, "-h"]
    r = cli(None, *args, today=None)
    assert r.returncode == 0
    assert b"--deck" in r.stdout
    for opt in COMMAND_OPTIONS.get(command, [b"due", b"review", b"schedule", b"check"]):
        assert opt in r.stdout


def test_missing_deck_exit_2(cli, tmp_path):
    r = cli(tmp_path / "missing", "due")
    assert r.returncode == 2 and b"deck folder not found" in r.stderr
    r = cli(None, "due", cwd=tmp_path)  # ./cards does not exist here
    assert r.returncode == 2 and b"TRAINER_DECK" in r.stderr


def test_trainer_deck_env(bundled_deck, cli, tmp_path):
    r = cli(None, "check", env={"TRAINER_DECK": str(bundled_deck)}, cwd=tmp_path)
    assert r.returncode == 0 and b"no problems" in r.stdout
    r = cli(None, "check", cwd=tmp_path)  # ./cards is the bundled copy
    assert r.returncode == 0


def test_broken_pipe_no_traceback(tmp_path, seed, write_note):
    root = tmp_path / "many"
    for i in range(400):
        write_note(root / f"n{i:03d}.md", seed(f"Question {i}"))
    env = dict(os.environ, PYTHONPATH=str(os.path.dirname(os.path.dirname(os.path.dirname(__file__)))))
    env.pop("TRAINER_DECK", None)
    for fmt in ([], ["--json"], ["--csv"]):
        p = subprocess.run(
            f"{sys.executable} -m trainer --deck {root} --today 2026-11-25 due --new-limit 400 {' '.join(fmt)} | head -1",
            shell=True, capture_output=True, env=env, cwd=tmp_path, timeout=60,
        )
        assert b"Traceback" not in p.stderr and b"Error" not in p.stderr, p.stderr
        assert p.stdout.count(b"\n") == 1


def test_schedule_and_import_give_a_bare_note_the_same_lines(tmp_path, cli):
    """The new-card frontmatter has one source (``model.standard_values``): a note without frontmatter
    filled in place by ``schedule`` and the same note brought in by ``import`` read the same."""
    text = "# What does a bare note get?\n\nA body.\n"
    deck, src = tmp_path / "deck", tmp_path / "src"
    deck.mkdir()
    src.mkdir()
    (deck / "bare.md").write_text(text, encoding="utf-8")
    (src / "bare.md").write_text(text, encoding="utf-8")
    stamp = dt.datetime(2026, 11, 20, 12).timestamp()
    for p in (deck / "bare.md", src / "bare.md"):
        os.utime(p, (stamp, stamp))
    r = cli(deck, "schedule")
    assert r.returncode == 0, r.stderr
    filled = (deck / "bare.md").read_text(encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    r = cli(other, "import", str(src / "bare.md"))
    assert r.returncode == 0, r.stderr
    assert (other / "bare.md").read_text(encoding="utf-8") == filled
    assert filled.startswith("---\ncreated: '2026-11-20'\nlast_reviewed: null\nnext_review: '2026-11-25'\n"
                             "review_count: 0\ndifficulty: medium\nmastery_level: 0.0\ntags: []\nrelated_outlines: []\n---\n")


def test_schedule_forecast_bar_counts_new_cards_too(tmp_path, cli, write_note):
    """The forecast's bar is the day's load, due + new: a day of 3 new cards drew no bar at all."""
    deck = tmp_path / "d"
    write_note(deck / "late.md", "---\nlast_reviewed: '2026-10-01'\nnext_review: '2026-11-20'\nreview_count: 2\n"
                                 "interval: 5\n---\n# Late\n")
    for i in range(5):
        write_note(deck / f"new{i}.md", f"---\nnext_review: '2026-11-25'\n---\n# New {i}\n")
    r = cli(deck, "schedule", "--dry-run", "--per-day", "4", "--new-per-day", "3", "--days", "3")
    assert r.returncode == 0, r.stderr
    rows = [line.split() for line in r.stdout.decode().splitlines() if line.startswith("2026-11-")]
    got = [(row[0], int(row[1]), int(row[2]), row[3] if len(row) > 3 else "") for row in rows]
    assert got == [("2026-11-25", 1, 3, "████"), ("2026-11-26", 0, 2, "██"), ("2026-11-27", 0, 0, "")], got
