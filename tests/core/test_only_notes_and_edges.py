"""Issue #11 §2 and §3: only notes are ever written; edge inputs get a message, never a traceback."""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import shutil
import subprocess
from xxhash import xxh3_64_intdigest

import pytest

from trainer import grading
from trainer.deck import Deck
from trainer.notes.parse import parse_note
from trainer.reviewlog import ReviewLog

DAY = dt.date(2026, 11, 25)  # the cli fixture's day


@pytest.fixture
def deck_dir(tmp_path, seed, write_note):
    d = tmp_path / "deck"
    write_note(d / "good.md", seed("好问题"))
    return d


# ---------------------------------------------------------------- §2 only notes are written


def test_review_refuses_every_file_that_is_not_a_note(deck_dir, cli, tmp_path, write_note, hashes):
    write_note(deck_dir / ".git" / "config", "[core]\n\tbare = false\n")
    write_note(deck_dir / ".obsidian" / "workspace.json", "{}\n")
    write_note(deck_dir / "notes.txt", "plain text\n")
    write_note(deck_dir / ".hidden" / "x.md", "# hidden\n")
    outside = write_note(tmp_path / "outside" / "o.md", "# outside\n")
    os.symlink(outside, deck_dir / "out.md")
    before, outside_before = hashes(deck_dir), outside.read_bytes()
    for target in (".git/config", ".obsidian/workspace.json", "notes.txt", ".hidden/x.md", "out.md"):
        r = cli(deck_dir, "review", str(deck_dir / target), "--grade", "4")
        assert r.returncode == 1, target
        assert r.stderr.decode().strip().endswith(f"{target}: not a note of this deck"), r.stderr
    grades = tmp_path / "g.csv"
    grades.write_text(f"{deck_dir / '.git/config'},4\ngood.md,4\n")
    r = cli(deck_dir, "review", "--from", str(grades))
    assert r.returncode == 1 and b"not a note of this deck" in r.stderr and b"good.md: graded 4" in r.stdout
    after = hashes(deck_dir)
    assert {k: v for k, v in after.items() if k != "good.md"} == {k: v for k, v in before.items() if k != "good.md"}
    assert outside.read_bytes() == outside_before


@pytest.mark.parametrize("how", ["flag", "env"])
def test_an_empty_deck_path_is_bad_usage_and_creates_nothing(tmp_path, cli, how):
    project = tmp_path / "project"
    project.mkdir()
    (project / "README.md").write_text("# My project\n")
    if how == "flag":
        r = cli(None, "--deck", "", "schedule", cwd=project)
    else:
        r = cli(None, "schedule", cwd=project, env={"TRAINER_DECK": ""})
    assert r.returncode == 2 and b"empty" in r.stderr
    assert sorted(p.name for p in project.iterdir()) == ["README.md"]
    assert (project / "README.md").read_text() == "# My project\n"


def test_hard_links_are_refused_not_split(deck_dir, cli):
    a = deck_dir / "good.md"
    b = deck_dir / "other-name.md"
    os.link(a, b)
    before = a.read_bytes()
    r = cli(deck_dir, "review", "good.md", "--grade", "4")
    assert r.returncode == 1 and b"hard links" in r.stderr
    assert a.read_bytes() == before == b.read_bytes() and os.stat(a).st_ino == os.stat(b).st_ino


def test_user_xattrs_survive_a_grade(deck_dir, cli):
    p = deck_dir / "good.md"
    try:
        os.setxattr(p, "user.trainer-test", b"keep me")
    except OSError as exc:
        pytest.skip(f"no user xattrs on this file system: {exc}")
    r = cli(deck_dir, "review", "good.md", "--grade", "4")
    assert r.returncode == 0
    assert os.getxattr(p, "user.trainer-test") == b"keep me"


def test_review_of_a_name_that_also_exists_in_the_current_folder(deck_dir, cli, tmp_path):
    here = tmp_path / "elsewhere"
    here.mkdir()
    (here / "good.md").write_text("# not the deck's\n")
    r = cli(deck_dir, "review", "good.md", "--grade", "4", cwd=here)
    assert r.returncode == 0, r.stderr
    assert (here / "good.md").read_text() == "# not the deck's\n"
    assert b"review_count: 1" in (deck_dir / "good.md").read_bytes()


def test_a_symlink_alias_is_one_card(deck_dir, cli):
    os.symlink(deck_dir / "good.md", deck_dir / "alias.md")
    rows = json.loads(cli(deck_dir, "due", "--json").stdout)
    assert [r["path"] for r in rows] == ["good.md"]


# ---------------------------------------------------------------- §3 edge values


HUGE = "1" + "0" * 310


@pytest.mark.parametrize("key, value", [
    ("ease_factor", ".inf"), ("ease_factor", "1.0e+308"), ("ease_factor", ".nan"), ("interval", HUGE),
    ("repetitions", HUGE), ("review_count", HUGE),
], ids=["inf", "1e308", "nan", "huge-interval", "huge-repetitions", "huge-count"])
def test_values_past_any_float_are_problems_with_defaults(deck_dir, cli, write_note, key, value):
    p = write_note(deck_dir / "x.md", f"---\nnext_review: 2026-01-01\nrepetitions: 3\ninterval: 10\n{key}: {value}\n---\n# X\n"
                   .replace(f"{key}: 3\n", "").replace(f"{key}: 10\n", ""))
    r = cli(deck_dir, "check")
    assert r.returncode == 1 and f"x.md: {key}: ".encode() in r.stderr
    r = cli(deck_dir, "review", "x.md", "--grade", "4")
    assert r.returncode == 0, r.stderr
    assert parse_note(p.read_bytes(), "x.md").schedule.review_count >= 1
    assert cli(deck_dir, "stats", "--json").returncode in (0, 1)


def test_an_unrelated_inf_or_nan_key_does_not_block_grading(deck_dir, cli, write_note):
    p = write_note(deck_dir / "x.md", "---\nscore: .nan\nlimit: .inf\nneg: -.inf\n---\n# X\n")
    r = cli(deck_dir, "review", "x.md", "--grade", "5")
    assert r.returncode == 0, r.stderr
    assert p.read_text().startswith("---\nscore: .nan\nlimit: .inf\nneg: -.inf\nlast_reviewed: '2026-11-25'\n")


@pytest.mark.parametrize("raw, problem", [
    (b"---\rnext_review: 2026-01-01\r---\r# CR\r", b"CR only"),
    (b"\xef\xbb\xbf\xef\xbb\xbf---\nnext_review: 2026-01-01\n---\n# two BOMs\n", b"byte-order marks"),
])
def test_cr_only_and_double_bom_are_reported_never_given_a_second_frontmatter(deck_dir, cli, write_note, raw, problem):
    p = write_note(deck_dir / "x.md", raw)
    r = cli(deck_dir, "check")
    assert r.returncode == 1 and b"x.md: frontmatter: " in r.stderr and problem in r.stderr
    r = cli(deck_dir, "review", "x.md", "--grade", "4")
    assert r.returncode == 1 and p.read_bytes() == raw


@pytest.mark.parametrize("today", ["0001-01-01", "9999-12-31"])
def test_days_at_the_ends_of_the_calendar(deck_dir, cli, today):
    for cmd in (("stats", "--days", "3660"), ("stats", "--json"), ("schedule", "--days", "3660"), ("due",),
                ("schedule", "--dry-run"), ("review", "good.md", "--grade", "5")):
        r = cli(deck_dir, *cmd, today=today)
        assert r.returncode == 0, (cmd, r.stderr)


@pytest.mark.parametrize("args, env", [
    (("stats", "--days", "99999999999"), None),
    (("schedule", "--days", "3661"), None),
    (("due",), {"TRAINER_TODAY": "garbage"}),
    (("due", "--today", "2026-W01-1"), None),
    (("due", "--today", "２０２６-０１-０１"), None),
    (("review", "good.md", "--grade", "４"), None),
])
def test_bad_days_and_grades_are_usage_errors(deck_dir, cli, args, env):
    r = cli(deck_dir, *args, today=None, env=env)
    assert r.returncode == 2 and r.stderr


@pytest.mark.parametrize("content, line", [
    ("path,grade\ngood.md,4\ncafé.md,3\n".encode("latin-1"), 3),
    ("path,grade\ngood.md,4\n".encode("utf-16"), 1),
    (b"path,grade\ngood.md,4\n\"" + b"x" * 200_000 + b"\",3\n", 3),
], ids=["latin-1", "utf-16", "oversized-field"])
def test_review_from_a_file_that_is_not_utf8_csv_names_the_line(deck_dir, cli, tmp_path, content, line):
    f = tmp_path / "g.csv"
    f.write_bytes(content)
    before = (deck_dir / "good.md").read_bytes()
    r = cli(deck_dir, "review", "--from", str(f))
    assert r.returncode == 2 and f"g.csv:{line}: ".encode() in r.stderr, r.stderr
    assert (deck_dir / "good.md").read_bytes() == before


def test_a_read_only_review_log_is_said_once_and_grading_goes_on(deck_dir, cli):
    assert cli(deck_dir, "review", "good.md", "--grade", "4").returncode == 0
    db = deck_dir / ".trainer" / "trainer.db"
    db.chmod(0o444)
    immutable = False
    if os.geteuid() == 0:  # root writes anyway: make the file immutable instead, if we can
        immutable = shutil.which("chattr") and subprocess.run(["chattr", "+i", str(db)]).returncode == 0
        if not immutable:
            pytest.skip("running as root without chattr: a read-only file cannot be made")
    try:
        r = cli(deck_dir, "review", "good.md", "--grade", "5", today="2026-12-20")
        assert r.returncode == 0, r.stderr
        assert r.stderr.count(b"read-only") == 1 and b"good.md: graded 5" in r.stdout
        assert cli(deck_dir, "stats", "--json", today="2026-12-20").returncode == 0
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(db)])
        db.chmod(0o644)


def test_a_cache_with_a_right_checksum_and_wrong_types_is_read_again(deck_dir, cli):
    assert cli(deck_dir, "due").returncode == 0
    cache = deck_dir / ".trainer" / "scan-cache.pickle"
    header, _, payload = cache.read_bytes().partition(b"\n")
    magic, version, stamps, records = pickle.loads(payload)
    records = [tuple("not a date" if i == 9 else v for i, v in enumerate(r)) for r in records]
    payload = pickle.dumps((magic, version, stamps, records))
    cache.write_bytes(header[:-16] + b"%016x" % xxh3_64_intdigest(payload) + b"\n" + payload)
    (deck_dir / ".trainer" / "scan-columns.bin").unlink()  # (else `due` answers from the columns, not this cache)
    r = cli(deck_dir, "due", "--json")
    assert r.returncode == 0 and r.stderr.count(b"scan cache") == 1
    assert [row["path"] for row in json.loads(r.stdout)] == ["good.md"]
    r = cli(deck_dir, "due", "--json")
    assert r.returncode == 0 and b"scan cache" not in r.stderr  # said once: the cache was rewritten


def test_a_sparse_3gb_note_is_reported_without_being_read(deck_dir, cli):
    big = deck_dir / "huge.md"
    with open(big, "wb") as fh:
        fh.truncate(3 * 1024**3)
    r = cli(deck_dir, "check", timeout=30)
    assert r.returncode == 1 and b"huge.md: file: " in r.stderr and b"20 MB" in r.stderr
    r = cli(deck_dir, "review", "huge.md", "--grade", "4", timeout=30)
    assert r.returncode == 1 and b"20 MB" in r.stderr
    assert cli(deck_dir, "due", "--json").returncode == 1


@pytest.mark.parametrize("raw", [
    b"---\nbase: &d\n  difficulty: hard\n  review_count: 2\n<<: *d\nnext_review: 2020-01-01\n---\n# merge\n",
    b"---\nreview_count: 1\nreview_count: 2\nnext_review: 2020-01-01\n---\n# duplicate\n",
    b"---\n{}\n---\n# empty flow\n",
    b"---\n{next_review: 2020-01-01, tags: [a]}\n---\n# flow\n",
    b"---\n---\n# empty block\n",
])
def test_undo_gives_back_the_exact_bytes(tmp_path, raw):
    root = tmp_path / "d"
    root.mkdir()
    p = root / "n.md"
    p.write_bytes(raw)
    deck = Deck(root)
    log = ReviewLog.open(root)
    try:
        g = grading.grade(deck, log, deck.load("n.md", DAY), 4, DAY)
        assert g.kind == "review" and p.read_bytes() != raw and not g.notice
        grading.undo_last(deck, log, DAY)
    finally:
        log.close()
    assert p.read_bytes() == raw


def test_schedule_counts_only_notes_it_changed(deck_dir, cli, write_note):
    p = write_note(deck_dir / "ro.md", "# read-only note\n")
    p.chmod(0o444)
    r = cli(deck_dir, "schedule")
    assert r.returncode == 1 and b"ro.md: schedule: " in r.stderr
    assert b"\n0 notes changed of 1 planned (" in r.stdout  # the write failed (good.md needs nothing): not "1 notes changed"


def test_obsidian_interval_past_any_calendar_is_a_warning(tmp_path, cli):
    src = tmp_path / "vault"
    src.mkdir()
    (src / "n.md").write_text("---\nsr-due: 2026-01-05\nsr-interval: 1.0e+308\nsr-ease: 1.0e+308\n---\n# Q\n")
    deck = tmp_path / "deck"
    deck.mkdir()
    r = cli(deck, "import", str(src))
    assert r.returncode == 0 and b"sr-interval" in r.stdout + r.stderr
    assert cli(deck, "check").returncode == 0
