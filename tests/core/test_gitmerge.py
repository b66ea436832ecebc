"""One deck on two machines: the git merge driver on real repositories (a bare origin, two clones),
real grades through the CLI, real `git pull`. No network: the origin is a folder."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer import gitmerge
from trainer.notes.parse import decode, parse_note, split_frontmatter

GIT = shutil.which("git")
pytestmark = pytest.mark.skipif(GIT is None, reason="git is not installed")

ANSWER = "短答案：缩放点积，方差保持为 1。"
DETAILS = "细节：没有缩放时 softmax 会饱和。"


def note_text(nl: str = "\n", bom: bool = False) -> bytes:
    lines = [
        "---",
        "created: '2026-03-09'",
        "# a comment the user wrote",
        "last_reviewed: null",
        "next_review: 2026-03-09   # bare date, comment after it",
        "review_count: 0",
        "difficulty: medium",
        "mastery_level: 0.0",
        "tags:",
        "- Transformer",
        "related_outlines: []",
        "---",
        "# 为什么要除以根号dk？",
        "",
        "## 面试标准答案",
        "",
        ANSWER,
        "",
        "## 详细解析",
        "",
        DETAILS,
        "",
    ]
    return ("\ufeff" if bom else "").encode() + nl.join(lines).encode()


def git_env() -> dict[str, str]:
    """A PATH with git and the shell only: the driver must be found without the virtualenv's bin/."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "TRAINER_"))}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", LC_ALL="C",
               PATH=os.pathsep.join(dict.fromkeys([os.path.dirname(GIT), "/bin", "/usr/bin"])))
    return env


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([GIT, *args], cwd=cwd, capture_output=True, env=git_env(), timeout=60)
    if check:
        assert r.returncode == 0, (args, r.stdout.decode(), r.stderr.decode())
    return r


def clone(origin: Path, dst: Path) -> Path:
    git(origin.parent, "clone", "-q", str(origin), str(dst))
    git(dst, "config", "user.name", "Test")
    git(dst, "config", "user.email", "test@example.invalid")
    return dst


@pytest.fixture
def machines(tmp_path, cli):
    """make(note_bytes) -> (laptop, desktop): two clones of one origin, each set up with git-setup."""

    def make(content: bytes) -> tuple[Path, Path]:
        origin = tmp_path / "origin.git"
        git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
        laptop = clone(origin, tmp_path / "laptop")
        r = cli(laptop, "git-setup", today=None)
        assert r.returncode == 0, r.stderr.decode()
        (laptop / "n.md").write_bytes(content)
        git(laptop, "add", ".gitattributes", "n.md")
        git(laptop, "commit", "-q", "-m", "deck")
        git(laptop, "push", "-q", "origin", "HEAD:main")
        desktop = clone(origin, tmp_path / "desktop")
        r = cli(desktop, "git-setup", today=None)
        assert r.returncode == 0, r.stderr.decode()
        assert b"already has" in r.stdout  # the committed .gitattributes came with the clone
        return laptop, desktop

    return make


def grade(cli, deck: Path, q: int, day: str) -> None:
    r = cli(deck, "review", "n.md", "--grade", str(q), today=day)
    assert r.returncode == 0, r.stderr.decode()


def commit_push(deck: Path, msg: str) -> None:
    git(deck, "commit", "-q", "-am", msg)
    git(deck, "push", "-q", "origin", "HEAD:main")


def pull(deck: Path, how: str = "--no-rebase") -> subprocess.CompletedProcess:
    return git(deck, "pull", how, "--no-edit", "origin", "main", check=False)


def frontmatter_and_body(raw: bytes) -> tuple[str, str]:
    text, _ = decode(raw)
    split = split_frontmatter(text)
    assert split is not None
    return split.yaml, text[split.body_start:]


def schedule_of(raw: bytes):
    note = parse_note(raw, "n.md")
    assert not note.fatal, note.problems
    return note.schedule


@pytest.mark.parametrize("later,nl,bom,how", [
    ("ours", "\n", False, "--no-rebase"),
    ("theirs", "\r\n", True, "--no-rebase"),
    ("ours", "\n", False, "--rebase"),  # a rebase swaps git's sides: the later review still stands
])
def test_both_machines_graded_one_edited_the_body(machines, cli, later, nl, bom, how):
    laptop, desktop = machines(note_text(nl, bom))
    laptop_day, desktop_day = ("2026-04-01", "2026-04-03") if later == "ours" else ("2026-04-03", "2026-04-01")
    # laptop: grade and fix a line of the answer, push
    grade(cli, laptop, 5, laptop_day)
    p = laptop / "n.md"
    p.write_bytes(p.read_bytes().replace(ANSWER.encode(), (ANSWER + "（补充：除以 √d_k）").encode()))
    commit_push(laptop, "laptop: graded, answer edited")
    # desktop: grade the same card differently, then pull: desktop is ours, laptop theirs
    grade(cli, desktop, 2, desktop_day)
    git(desktop, "commit", "-q", "-am", "desktop: graded")
    ours_bytes = (desktop / "n.md").read_bytes()
    theirs_bytes = p.read_bytes()

    r = pull(desktop, how)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    merged = (desktop / "n.md").read_bytes()
    assert b"<<<<<<<" not in merged and b">>>>>>>" not in merged and b"=======" not in merged
    later_bytes = ours_bytes if later == "ours" else theirs_bytes
    assert schedule_of(merged) == schedule_of(later_bytes)
    # Byte for byte: the later side's note with the laptop's body edit (CRLF, BOM, comments kept).
    expected = later_bytes.replace(ANSWER.encode() + nl.encode(), (ANSWER + "（补充：除以 √d_k）").encode() + nl.encode())
    assert merged == expected
    assert git(desktop, "status", "--porcelain").stdout == b""  # merged and committed, nothing unmerged


@pytest.mark.parametrize("style", ["", "diff3"])
def test_a_real_body_conflict_stays_a_conflict(machines, cli, style):
    laptop, desktop = machines(note_text())
    if style:  # the user's merge.conflictStyle holds for the driver's markers too
        git(desktop, "config", "merge.conflictStyle", style)
    grade(cli, laptop, 4, "2026-04-01")
    p = laptop / "n.md"
    p.write_bytes(p.read_bytes().replace(ANSWER.encode(), b"laptop's answer"))
    commit_push(laptop, "laptop")
    grade(cli, desktop, 1, "2026-04-02")
    q = desktop / "n.md"
    q.write_bytes(q.read_bytes().replace(ANSWER.encode(), b"desktop's answer"))
    git(desktop, "commit", "-q", "-am", "desktop")
    ours_bytes = q.read_bytes()

    r = pull(desktop)
    assert r.returncode != 0
    assert b"CONFLICT" in r.stdout + r.stderr
    assert git(desktop, "diff", "--name-only", "--diff-filter=U").stdout.strip() == b"n.md"
    merged = q.read_bytes()
    fm, body = frontmatter_and_body(merged)
    assert "<<<<<<<" not in fm and "=======" not in fm and ">>>>>>>" not in fm
    assert schedule_of(merged) == schedule_of(ours_bytes)  # the desktop's review is the later one
    assert body.count("<<<<<<< ours") == 1 and body.count(">>>>>>> theirs") == 1
    assert body.count("||||||| base") == (style == "diff3")
    assert "laptop's answer" in body and "desktop's answer" in body and DETAILS in body


def test_edits_on_different_body_lines_merge_cleanly(machines, cli):
    laptop, desktop = machines(note_text())
    grade(cli, laptop, 3, "2026-04-05")
    p = laptop / "n.md"
    p.write_bytes(p.read_bytes().replace(ANSWER.encode(), b"laptop's answer"))
    commit_push(laptop, "laptop")
    grade(cli, desktop, 5, "2026-04-02")
    q = desktop / "n.md"
    q.write_bytes(q.read_bytes().replace(DETAILS.encode(), b"desktop's details"))
    git(desktop, "commit", "-q", "-am", "desktop")

    r = pull(desktop)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    merged = q.read_bytes()
    assert b"<<<<<<<" not in merged
    assert b"laptop's answer" in merged and b"desktop's details" in merged
    assert schedule_of(merged) == schedule_of(p.read_bytes())  # the laptop's review is the later one
    assert b"# a comment the user wrote\n" in merged and b"2026-03-09   # bare date" not in merged


def test_undo_after_a_pull_that_took_the_other_review_keeps_the_merged_note(machines, cli):
    """Each machine's log is its own: undoing this machine's grade after the merge took the
    other machine's later review must not put the old schedule back over it."""
    from trainer import grading
    from trainer.deck import Deck

    laptop, desktop = machines(note_text())
    grade(cli, desktop, 4, "2026-04-01")
    git(desktop, "commit", "-q", "-am", "desktop")
    grade(cli, laptop, 2, "2026-04-03")
    commit_push(laptop, "laptop")
    assert pull(desktop).returncode == 0
    merged = (desktop / "n.md").read_bytes()
    assert merged == (laptop / "n.md").read_bytes()
    deck = Deck(desktop)
    log, _ = grading.open_log(deck, dt.date(2026, 4, 3))
    try:
        with pytest.raises(grading.Conflict):
            grading.undo_last(deck, log, dt.date(2026, 4, 3))
    finally:
        log.close()
    assert (desktop / "n.md").read_bytes() == merged


def test_the_same_note_added_on_both_machines(machines, cli):
    """add/add (the same note imported on each machine, then graded): git's base is empty."""
    laptop, desktop = machines(note_text())
    fresh = b"---\ncreated: 2026-03-01\ntags: [y]\n---\n# Q2\n\n## A\n\nanswer\n"
    for deck, q, day in ((laptop, 5, "2026-04-05"), (desktop, 1, "2026-04-03")):
        (deck / "n2.md").write_bytes(fresh)
        r = cli(deck, "review", "n2.md", "--grade", str(q), today=day)
        assert r.returncode == 0, r.stderr.decode()
        git(deck, "add", "n2.md")
        git(deck, "commit", "-q", "-m", "added n2")
    git(laptop, "push", "-q", "origin", "HEAD:main")
    r = pull(desktop)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert (desktop / "n2.md").read_bytes() == (laptop / "n2.md").read_bytes()  # the later review, all of it


@pytest.mark.parametrize("python", ["gone", "fails"])
def test_a_driver_that_cannot_run_falls_back_to_a_plain_merge(machines, cli, tmp_path, python):
    """A virtualenv moved after git-setup, or trainer not importable any more: git's own merge
    runs, with markers; theirs is not dropped."""
    laptop, desktop = machines(note_text())
    exe = tmp_path / "bin" / "python"
    if python == "fails":  # exits 1 like `python -m trainer` with no trainer to import
        exe.parent.mkdir()
        exe.write_text("#!/bin/sh\necho 'No module named trainer' >&2\nexit 1\n")
        exe.chmod(0o755)
    git(desktop, "config", "merge.trainer.driver", gitmerge.driver_command(str(exe)))
    grade(cli, laptop, 4, "2026-04-01")
    p = laptop / "n.md"
    p.write_bytes(p.read_bytes().replace(ANSWER.encode(), b"laptop's answer"))
    commit_push(laptop, "laptop")
    grade(cli, desktop, 1, "2026-04-02")
    git(desktop, "commit", "-q", "-am", "desktop")
    r = pull(desktop)
    assert r.returncode != 0 and b"CONFLICT" in r.stdout + r.stderr
    merged = (desktop / "n.md").read_bytes()
    assert b"<<<<<<< ours" in merged and b"laptop's answer" in merged  # theirs is in the file, not dropped


def test_git_setup_is_idempotent_and_keeps_attributes(tmp_path, cli):
    deck = tmp_path / "repo" / "cards"
    deck.mkdir(parents=True)
    git(tmp_path / "repo", "init", "-q")
    (deck / ".gitattributes").write_bytes(b"*.png binary\r\n*.pdf -diff")  # CRLF, no final newline
    for _ in range(2):
        r = cli(deck, "git-setup", today=None)
        assert r.returncode == 0, r.stderr.decode()
    assert (deck / ".gitattributes").read_bytes() == b"*.png binary\r\n*.pdf -diff\r\n*.md merge=trainer\r\n"
    driver = git(deck, "config", "--local", "merge.trainer.driver").stdout.decode().strip()
    assert "-m trainer merge-driver --marker-size %L -- %O %A %B %P ||" in driver
    exe = driver.split(" -P -m trainer", 1)[0]
    assert os.path.isabs(exe) and os.access(exe, os.X_OK)
    assert git(deck, "config", "--local", "merge.trainer.name").stdout.strip()
    assert git(deck, "check-attr", "merge", "--", "sub/x.md").stdout.strip() == b"sub/x.md: merge: trainer"


def test_git_setup_outside_a_repository_is_bad_usage(tmp_path, cli):
    plain = tmp_path / "plain"
    plain.mkdir()
    r = cli(plain, "git-setup", today=None, env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert r.returncode == 2
    assert b"not in a git repository" in r.stderr
    assert not (plain / ".gitattributes").exists()
    r = cli(tmp_path / "missing", "git-setup", today=None)
    assert r.returncode == 2 and b"not a folder" in r.stderr


# ---------------------------------------------------------------- merge() on bytes (real git merge-file)


def graded(content: bytes, **values: str) -> bytes:
    text = content.decode()
    for key, value in values.items():
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if line.startswith(key + ":"):
                lines[i] = f"{key}: {value}"
        text = "\n".join(lines)
    return text.encode()


def test_two_reviews_on_one_day_the_sooner_due_stands_whoever_merges():
    base = note_text()
    day = {"last_reviewed": "'2026-04-01'", "review_count": "1"}
    passed = graded(base, **day, next_review="'2026-04-09'", mastery_level="0.5", interval="8")
    failed = graded(base, **day, next_review="'2026-04-02'", mastery_level="0.1", interval="1")
    for ours, theirs in ((passed, failed), (failed, passed)):
        m = gitmerge.merge(base, ours, theirs)
        assert m.conflicts == 0 and m.as_note and m.data == failed  # one review's state, never a mix


def test_a_schedule_move_on_one_side_and_a_body_edit_on_the_other():
    """Equally recent reviews (none here), one side moved the card (`trainer schedule`): kept."""
    base = note_text()
    moved = graded(base, next_review="'2026-05-01'")
    edited = base.replace(DETAILS.encode(), b"new details")
    for ours, theirs in ((moved, edited), (edited, moved)):
        m = gitmerge.merge(base, ours, theirs)
        assert m.conflicts == 0 and m.data == moved.replace(DETAILS.encode(), b"new details")


def test_the_later_review_is_taken_as_one_state():
    """An FSRS key only the earlier review wrote is not mixed into the later review's state;
    one the later review wrote is added to the other side's layout."""
    base = note_text()
    ours = graded(base, last_reviewed="'2026-04-05'", review_count="1")
    theirs = graded(base, last_reviewed="'2026-04-01'", review_count="1").replace(
        b"related_outlines: []\n", b"related_outlines: []\nstability: 3.2\n")
    m = gitmerge.merge(base, ours, theirs)
    assert m.conflicts == 0 and m.data == ours
    m = gitmerge.merge(base, theirs, ours)
    assert m.conflicts == 0 and m.data == ours
    ours_fsrs = ours.replace(b"related_outlines: []\n", b"related_outlines: []\nfsrs_difficulty: 5.1\n")
    m = gitmerge.merge(base, theirs, ours_fsrs)
    assert m.conflicts == 0 and m.data == ours_fsrs


def test_a_note_that_does_not_parse_merges_as_plain_text():
    base = b"---\ntags: [a\n---\nline 1\nline 2\nline 3\n"
    ours = base.replace(b"line 1", b"line one")
    theirs = base.replace(b"line 3", b"line three")
    m = gitmerge.merge(base, ours, theirs)
    assert not m.as_note and "plain text" in m.reason
    assert m.conflicts == 0 and m.data == b"---\ntags: [a\n---\nline one\nline 2\nline three\n"
    m = gitmerge.merge(base, ours, base.replace(b"line 1", b"line uno"))
    assert m.conflicts == 1 and b"<<<<<<< ours\nline one\n=======\nline uno\n>>>>>>> theirs\n" in m.data


# ---------------------------------------------------------------- property: any style, any two reviews

PARAS = 4


@st.composite
def two_machines(draw):
    """A note in a drawn style, and what each machine did to it: (day offset, grade or None, paragraphs rewritten)."""
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    date = (lambda d: f"'{d}'") if draw(st.booleans()) else str
    lines = ["---", f"created: {date('2026-01-01')}"]
    if draw(st.booleans()):
        lines.append("# a comment")
    if draw(st.booleans()):
        lines += [f"last_reviewed: {date('2026-01-02')}", f"next_review: {date('2026-01-04')}   # due",
                  "review_count: 3", "mastery_level: 0.6", "ease_factor: 2.36", "interval: 2", "repetitions: 2"]
    lines += ["tags: [a, b]"] if draw(st.booleans()) else ["tags:", "- a", "- b"]
    lines += ["---", "# 问题", ""] + [x for k in range(PARAS) for x in (f"paragraph {k}", "")]
    base = (("\ufeff" if draw(st.booleans()) else "") + nl.join(lines)).encode()
    sides = []
    for parity in (0, 1):  # each machine rewrites its own paragraphs: never the same line
        day = draw(st.integers(0, 3))
        q = draw(st.one_of(st.none(), st.integers(0, 5)))
        edits = draw(st.sets(st.sampled_from(range(parity, PARAS, 2))))
        sides.append((day, q, edits))
    return base, sides


def machine(base: bytes, day: int, q: int | None, edits: set[int], who: str) -> bytes:
    """A grade through the same writer a review uses (SM-2), then body lines rewritten by hand."""
    from trainer import scheduler
    from trainer.notes.parse import resolve_today
    from trainer.notes.write import REMOVE, edit_frontmatter, encode

    text, bom = decode(base)
    if q is not None:
        today = dt.date(2026, 2, 1) + dt.timedelta(days=day)
        after = scheduler.review(resolve_today(parse_note(base, "n.md").schedule, today), q, today)
        text = edit_frontmatter(text, {k: REMOVE if v is None else v for k, v in after.values().items()}).text
    for k in edits:
        text = text.replace(f"paragraph {k}", f"paragraph {k} by {who}", 1)
    return encode(text, bom)


@settings(max_examples=60, deadline=None)
@given(two_machines())
def test_any_two_reviews_merge_to_the_later_one_with_both_edits(case):
    base, ((da, qa, ea), (db, qb, eb)) = case
    ours, theirs = machine(base, da, qa, ea, "ours"), machine(base, db, qb, eb, "theirs")
    m = gitmerge.merge(base, ours, theirs)
    assert m.as_note and m.conflicts == 0, m.data.decode()
    for k in ea:
        assert f"paragraph {k} by ours".encode() in m.data
    for k in eb:
        assert f"paragraph {k} by theirs".encode() in m.data
    ro, rt = (gitmerge.read_version(x).reviewed for x in (ours, theirs))
    if ro == rt:  # graded on the same day from the same state (or neither graded): one side's state
        got, a, b = (gitmerge.read_version(x) for x in (m.data, ours, theirs))
        assert got.sources in (a.sources, b.sources)
        if qa is not None and qb is not None and a.due != b.due:
            assert got.due == min(a.due, b.due)
        return
    later, other, edits, who = (ours, theirs, eb, "theirs") if ro > rt else (theirs, ours, ea, "ours")
    expected = later
    for k in edits:
        expected = expected.replace(f"paragraph {k}".encode(), f"paragraph {k} by {who}".encode(), 1)
    assert m.data == expected


@pytest.mark.slow
def test_two_clone_merge_campaign(tmp_path):
    """A shorter run of benchmarks/merge_campaign.py: random grades and body edits on two clones."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import merge_campaign

    t = merge_campaign.campaign(tmp_path, rounds=8, notes=20, seed=3, log=lambda *_: None)
    assert t.merges > 50 and t.conflicts_expected > 0, t
    assert t.failures == []
    assert (t.markers_in_frontmatter, t.wrong_schedule, t.lost_edits, t.unexpected_conflicts, t.missed_conflicts) == (0,) * 5
    assert t.byte_exact == t.byte_checked > 0


def test_merge_driver_by_hand(tmp_path, cli):
    """The subcommand git runs: the merge over OURS, exit 0/1; missing files are a clear exit 2."""
    base = note_text()
    files = {"O": base, "A": base.replace(b"review_count: 0", b"review_count: 1"),
             "B": base.replace(DETAILS.encode(), b"their details")}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    r = cli(None, "merge-driver", "--", "O", "A", "B", "cards/n.md", today=None)
    assert r.returncode == 0, r.stderr.decode()
    assert (tmp_path / "A").read_bytes() == files["A"].replace(DETAILS.encode(), b"their details")
    r = cli(None, "merge-driver", "O", "missing", "B", "cards/n.md", today=None)
    assert r.returncode == 2 and b"cards/n.md: cannot read" in r.stderr
    assert b"merge-driver" in cli(None, "-h", today=None).stdout
