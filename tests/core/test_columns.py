"""The columnar sidecar (``trainer/columns.py``, #17): ``due --json``, ``stats --json`` and ``stats``
answered from ``.trainer/scan-columns.bin`` print the same bytes on stdout, the same stderr and the
same exit code as ``--no-cache`` (notes parsed afresh, the reference) — on random decks, after edits
that keep a note's size and mtime, and whatever has happened to the file itself.

Everything runs through the real CLI (``trainer.cli.main`` in this process, or ``python -m trainer``
where the forked walk itself is under test) on real files in temp dirs.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from trainer import clock, columns
from trainer.cli import main
from trainer.deck import Deck, stamp_digest

REPO = Path(__file__).resolve().parents[2]
TODAY = "2026-11-25"
COL = Path(".trainer") / columns.FILE_NAME
VARIANTS = (("due", "--json"), ("stats", "--json"), ("stats",))


@pytest.fixture(autouse=True)
def _no_day_override():
    """``--today`` sets a process-wide override (trainer.clock): leave none behind."""
    yield
    clock.set_today(None)


class Runner:
    """``trainer --deck D --today T ARGS`` through ``trainer.cli.main``: (exit code, stdout bytes, stderr bytes)."""

    def __init__(self, cap):
        self.cap = cap

    def __call__(self, deck: Path, *args: str, today: str = TODAY) -> tuple[int, bytes, bytes]:
        self.cap.readouterr()
        rc = main(["--deck", str(deck), "--today", today, *args])
        out, err = self.cap.readouterr()
        assert b"Traceback" not in err, err.decode("utf-8", "replace")
        return rc, out, err


@pytest.fixture
def run(capsysbinary):
    return Runner(capsysbinary)


def assert_fast_equals_no_cache(run, deck: Path, args: tuple[str, ...], today: str = TODAY, times: int = 2):
    """``args`` with the cache (``times`` runs: the first may build the columns, the next use them)
    print exactly what ``args --no-cache`` prints."""
    ref = run(deck, *args, "--no-cache", today=today)
    for i in range(times):
        got = run(deck, *args, today=today)
        assert got[0] == ref[0], (args, i, got[2], ref[2])
        assert got[2] == ref[2], (args, i)
        assert got[1] == ref[1], (args, i, _first_difference(got[1], ref[1]))
    return ref


def _first_difference(a: bytes, b: bytes) -> str:
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"at byte {i}: fast {a[max(0, i - 80):i + 80]!r} vs no-cache {b[max(0, i - 80):i + 80]!r}"


def all_same(run, deck: Path, today: str = TODAY, variants=VARIANTS) -> None:
    for args in variants:
        assert_fast_equals_no_cache(run, deck, args, today)


# ---------------------------------------------------------------- notes as text

_ESCAPED = {0x2028, 0x2029, 0xFEFF, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def yq(s: str) -> str:
    """A YAML double-quoted scalar (control, C1 and bidi characters as ``\\u`` escapes)."""
    out = []
    for ch in s:
        o = ord(ch)
        if ch in '\\"':
            out.append("\\" + ch)
        elif o < 0x20 or 0x7F <= o <= 0x9F or o in _ESCAPED:
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def note_text(fields: list[tuple[str, str]], question: str, crlf: bool = False) -> bytes:
    """Frontmatter lines ``key: value`` (values already YAML) in this order, then ``# question``."""
    nl = "\r\n" if crlf else "\n"
    lines = ["---", *(f"{k}: {v}" for k, v in fields), "---", f"# {question}", "", "answer"]
    return (nl.join(lines) + nl).encode("utf-8")


def studied(next_review: str | None = "2026-11-20", *, last: str | None = "2026-11-10", count: int = 3,
            interval: int = 10, mastery: str = "0.5", tags: tuple[str, ...] = (), difficulty: str = "medium",
            extra: tuple[tuple[str, str], ...] = ()) -> list[tuple[str, str]]:
    f = [("created", "'2026-01-01'")]
    if last is not None:
        f.append(("last_reviewed", f"'{last}'"))
    if next_review is not None:
        f.append(("next_review", f"'{next_review}'"))
    f += [("review_count", str(count)), ("difficulty", difficulty), ("mastery_level", mastery),
          ("interval", str(interval)), ("ease_factor", "2.5"), ("tags", "[" + ", ".join(yq(t) for t in tags) + "]"),
          *extra]
    return f


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------- random decks (hypothesis)

TAGS = ["/", "a//b", "A/b", "a/B", "A", "a", "Transformer", "Transformer/Attention", "Transformer/Attention/QKV",
        "Transformer/为什么要除以根号dk？.md", "机器学习/注意力", "x\u2028y", "\u202eevil/\u2066x", "esc\x1b[31m",
        "tab\there", "7", "07", "1²", "", "Z/ 1", "a/b/c/d", "c1\x85", "/lead/", "Ünï/ü"]

DAYS = ["2026-11-25", "2026-11-24", "2026-11-26", "2026-11-01", "2026-12-20", "2027-03-01", "0001-01-02",
        "9999-12-31", "2000-02-29"]


def _opt(values: st.SearchStrategy, bad: list[str]) -> st.SearchStrategy:
    """A key left out (None), a good value, or a bad one."""
    return st.one_of(st.none(), values, st.sampled_from(bad))


_MASTERY = [0.0, -0.0, 0.0005, 0.0015, 0.0025, 0.1235, 0.12345, 0.9995, 0.9994999, 1.0, 1 / 3, 2 / 3, 0.5, 0.05]
FIELDS = {
    "created": _opt(st.sampled_from(DAYS).map(repr), ["nope"]),
    "last_reviewed": _opt(st.sampled_from(DAYS + ["null"]).map(lambda d: d if d == "null" else repr(d)),
                          ["'2025-02-30'", "[1]"]),
    "next_review": _opt(st.sampled_from(DAYS).map(repr), ["'2025-02-30'", "soon", "null", "'2026-W01-1'"]),
    "review_count": _opt(st.integers(0, 6).map(str), ["-1", "'x'", "1.5", "true"]),
    "difficulty": _opt(st.sampled_from(["easy", "medium", "hard", "HARD ", "Easy"]), ["other", "3", "null"]),
    "mastery_level": _opt(st.one_of(st.sampled_from(_MASTERY), st.floats(0, 1)).map(lambda x: f"{x!r}"),
                          ["1.5", "'high'", ".nan"]),
    "ease_factor": _opt(st.sampled_from(["2.5", "1.3", "100", "2.36"]), ["0.5", "1e400"]),
    "interval": _opt(st.sampled_from(["0", "1", "6", "36500", "1000000000"]), ["-3", "1000000001", "2.5"]),
    "repetitions": _opt(st.integers(0, 9).map(str), ["-2"]),
    "stability": _opt(st.sampled_from(["0.001", "3.7", "36500", "null", "12.25"]), ["0", "1e9"]),
    "fsrs_difficulty": _opt(st.sampled_from(["1.0", "5.5", "10", "null"]), ["11", "0.2"]),
    "tags": _opt(st.one_of(st.just("null"), st.lists(st.sampled_from(TAGS), max_size=4).map(
        lambda ts: "[" + ", ".join(yq(t) for t in ts) + "]")), ["notalist", "[1, 'a']", "[[x]]"]),
}
BROKEN = [b"---\n- x\n---\n# L\n", b"---\nfoo: [\n---\n# Y\n", b"---\nnever closed\n", b"\xff\xfeno utf8\n",
          b"---\nnext_review: 2026-11-20\n---\n# N\x00ul\n", b"---\na: &x [*x]\n---\n", b"---\n!!python/object:os.system x\n---\n"]
QUESTION = st.text(st.one_of(st.characters(codec="utf-8", exclude_characters="\n\r"),
                             st.sampled_from("为什么要除以根号あいう\u2028\u202e\x1b\x85\x07")), max_size=10)


@st.composite
def note_bytes(draw) -> bytes:
    if draw(st.integers(0, 14)) == 0:
        return draw(st.sampled_from(BROKEN))
    fields = []
    for key, strat in FIELDS.items():
        v = draw(strat)
        if v is not None:
            fields.append((key, v))
    fields = draw(st.permutations(fields))
    if fields and draw(st.integers(0, 6)) == 0:  # a key given twice (the last counts, a problem reported)
        k, _ = draw(st.sampled_from(fields))
        fields.append((k, draw(FIELDS[k].filter(lambda v: v is not None))))
    return note_text(fields, draw(QUESTION), crlf=draw(st.booleans()))


NAMES = st.sampled_from(["n{}.md", "sub/n{}.md", "sub/deeper/问题{}.md", "Ünï{}.MD", "z/{}.md"])
TOML = ["", '[scheduler]\nalgorithm = "fsrs"\n', '[scheduler]\nnew_per_day = 2\n',
        '[scheduler]\nalgorithm = "fsrs"\nnew_per_day = 0\n']


@st.composite
def decks(draw) -> dict:
    n = draw(st.integers(1, 40))
    names = [draw(NAMES).format(i) for i in range(n)]
    return {"notes": {name: draw(note_bytes()) for name in names}, "toml": draw(st.sampled_from(TOML)),
            "today": draw(st.sampled_from(["2026-11-25", "2026-11-20", "2027-01-01", "0001-01-03", "9999-12-30"])),
            "new_limit": draw(st.sampled_from([None, "0", "1", "3"])), "limit": draw(st.sampled_from([None, "1", "5"])),
            "days": draw(st.sampled_from([None, "0", "1", "7", "45"]))}


def make_deck(root: Path, spec: dict) -> Path:
    for name, data in spec["notes"].items():
        write(root / name, data)
    if spec["toml"]:
        (root / "trainer.toml").write_text(spec["toml"])
    return root


def variants_of(spec: dict) -> list[tuple[str, ...]]:
    due = ("due", "--json") + (("--new-limit", spec["new_limit"]) if spec["new_limit"] else ()) \
        + (("--limit", spec["limit"]) if spec["limit"] else ())
    days = ("--days", spec["days"]) if spec["days"] else ()
    stats = ("stats",) + days
    return [due, stats + ("--json",), stats]


def _check_random_deck(run, spec: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        deck = make_deck(Path(tmp) / "deck", spec)
        ref = {v: run(deck, *v, "--no-cache", today=spec["today"]) for v in variants_of(spec)}
        assert not (deck / COL).exists(), "--no-cache wrote the columns"
        for _ in range(2):  # built, then used
            for v in variants_of(spec):
                got = run(deck, *v, today=spec["today"])
                want = ref[v]
                assert got == want, (v, got[0], want[0], got[2], want[2], _first_difference(got[1], want[1]))
        assert (deck / COL).is_file()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spec=decks())
def test_random_decks_print_what_no_cache_prints(run, spec):
    _check_random_deck(run, spec)


@pytest.mark.slow
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spec=decks())
def test_random_decks_campaign(run, spec):
    _check_random_deck(run, spec)


# ---------------------------------------------------------------- known shapes


def test_a_new_card_started_today_counts_against_the_room(tmp_path, run):
    """A new card graded today (the review log's new_cards_on) shrinks the new cards shown."""
    deck = tmp_path / "deck"
    for i in range(6):
        write(deck / f"n{i}.md", note_text([("tags", f"[t{i % 2}, 'T/x']")], f"Q{i}"))
    write(deck / "s.md", note_text(studied("2026-11-20", tags=("t0",)), "S"))
    rc, _, err = run(deck, "review", "n3.md", "--grade", "4")
    assert rc == 0, err
    for args in (("due", "--json", "--new-limit", "3"), ("stats", "--json", "--days", "3"), ("stats",)):
        assert_fast_equals_no_cache(run, deck, args)
    rc, out, _ = run(deck, "due", "--json", "--new-limit", "3")
    assert out.count(b'"new": true') == 2


def test_undated_studied_cards_and_future_last_review(tmp_path, run):
    """review_count > 0 and no next_review: due the day asked, in the reviews; a last review in the
    future (recall clamps elapsed at 0)."""
    deck = tmp_path / "deck"
    write(deck / "u.md", note_text(studied(None, tags=("a",)), "undated studied"))
    write(deck / "f.md", note_text(studied("2026-11-20", last="2026-12-30", tags=("a/b",)), "future last"))
    write(deck / "n.md", note_text([("review_count", "0")], "new undated"))
    write(deck / "m.md", note_text(studied("2026-11-25", last=None, count=2), "studied, never dated"))
    for today in ("2026-11-25", "2026-11-19", "2027-02-01"):
        all_same(run, deck, today)
    (deck / "trainer.toml").write_text('[scheduler]\nalgorithm = "fsrs"\n')
    write(deck / "s.md", note_text(studied("2026-11-21", extra=(("stability", "4.5"), ("fsrs_difficulty", "6.25"))), "fsrs"))
    all_same(run, deck, "2026-11-25")


def test_negative_zero_mastery_is_zero_per_tag(tmp_path, run):
    """``mastery_level: -0.0`` is accepted as 0; the per-tag mean must print 0.0 as figures.compute does
    (a sum started from the note's own value kept the sign: "-0.00" in `stats`, -0.0 in JSON)."""
    deck = tmp_path / "deck"
    write(deck / "a.md", note_text(studied(tags=("X",), mastery="-0.0"), "A"))
    all_same(run, deck)
    rc, out, _ = run(deck, "stats")
    assert b"-0.00" not in out


def test_tags_equal_but_for_case_keep_their_first_appearance_order_after_a_swap(tmp_path, run):
    """``A/b`` and ``a/B`` sort as equals: figures.compute keeps them in the order they first appear
    in the walk. Swapping two notes' contents keeps the set of tags but changes that order, and the
    columns must not keep the old one."""
    deck = tmp_path / "deck"
    write(deck / "b.md", note_text(studied(tags=("A/b",)), "B"))
    write(deck / "c.md", note_text(studied(tags=("a/B",)), "C"))
    write(deck / "d.md", note_text(studied(tags=("Q7",)), "D"))
    write(deck / "e.md", note_text(studied(tags=("q07",)), "E"))
    all_same(run, deck)
    for x, y in (("b.md", "c.md"), ("d.md", "e.md")):
        bx, by = (deck / x).read_bytes(), (deck / y).read_bytes()
        (deck / x).write_bytes(by)
        (deck / y).write_bytes(bx)
        all_same(run, deck)


def test_huge_intervals_and_the_calendars_ends(tmp_path, run):
    deck = tmp_path / "deck"
    write(deck / "a.md", note_text(studied("9999-12-31", interval=1_000_000_000, tags=("big",)), "far"))
    write(deck / "b.md", note_text(studied("0001-01-02", last="0001-01-01", interval=0), "early"))
    write(deck / "c.md", note_text([("next_review", "'9999-12-30'")], "new far"))
    for today in ("9999-12-30", "9999-12-31", "0001-01-01", "2026-11-25"):
        for args in (("due", "--json"), ("stats", "--json", "--days", "400"), ("stats", "--days", "3")):
            assert_fast_equals_no_cache(run, deck, args, today)


def test_trainer_today_from_the_environment(tmp_path):
    """TRAINER_TODAY (no --today) in a real process: the fast path and --no-cache agree."""
    deck = tmp_path / "deck"
    write(deck / "a.md", note_text(studied("2026-11-20", tags=("a",)), "A"))
    write(deck / "b.md", note_text([("tags", "[a/b]")], "B"))
    for day in ("2026-11-19", "2026-11-25"):
        for args in VARIANTS:
            ref = _proc(deck, *args, "--no-cache", env={"TRAINER_TODAY": day})
            for _ in range(2):
                assert _proc(deck, *args, env={"TRAINER_TODAY": day}) == ref


# ---------------------------------------------------------------- a real process (the forked walk)


def _proc(deck: Path, *args: str, env: dict | None = None, today: str | None = None) -> tuple[int, bytes, bytes]:
    full = {k: v for k, v in os.environ.items() if k not in ("TRAINER_DECK", "TRAINER_TODAY")}
    full["PYTHONPATH"] = str(REPO) + os.pathsep + full.get("PYTHONPATH", "")
    full["PYTHONHASHSEED"] = "0"  # (a multi-tag note's tags are a set: one order for every run)
    full.update(env or {})
    cmd = [sys.executable, "-m", "trainer", "--deck", str(deck), *(["--today", today] if today else []), *args]
    p = subprocess.run(cmd, capture_output=True, env=full, timeout=60)
    assert b"Traceback" not in p.stderr, p.stderr.decode("utf-8", "replace")
    return p.returncode, p.stdout, p.stderr


def test_walk_problems_reported_the_same_from_the_forked_walk(tmp_path):
    """A symlink pointing outside the deck is a walk problem: the forked child reports it, exit 1."""
    deck = tmp_path / "deck"
    write(deck / "a.md", note_text(studied(tags=("a",)), "A"))
    write(deck / "bad.md", b"---\ntags: 5\n---\n# B\n")
    outside = write(tmp_path / "outside.md", note_text([], "O"))
    (deck / "link.md").symlink_to(outside)
    for args in VARIANTS:
        ref = _proc(deck, *args, "--no-cache", today=TODAY)
        assert ref[0] == 1 and b"link.md: file: symlink points outside the deck" in ref[2]
        for _ in range(2):
            assert _proc(deck, *args, today=TODAY) == ref
    assert (deck / COL).is_file()


def test_tag_order_is_the_same_in_every_process(tmp_path):
    """A note with several tags that sort as equals (``B`` and ``b``): their order must not depend
    on the process's string hashing (a set's order), or columns built by one command print another
    order than ``--no-cache`` in the next."""
    deck = tmp_path / "deck"
    write(deck / "a.md", note_text(studied(tags=("x/A", "x/a", "B", "b", "c", "C", "d/E", "D/e")), "A"))
    write(deck / "b.md", note_text(studied(tags=("b",)), "B"))
    for args in (("stats", "--json"), ("stats",)):
        outs = {_proc(deck, *args, "--no-cache", today=TODAY, env={"PYTHONHASHSEED": str(seed)}) for seed in range(6)}
        assert len(outs) == 1, args
        for seed in range(3):  # built by one process, read by the next
            assert _proc(deck, *args, today=TODAY, env={"PYTHONHASHSEED": str(seed)}) in outs
