"""The columnar sidecar (``trainer/columns/``, #17): ``due --json``, ``stats --json`` and ``stats``
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
VARIANTS = (("due", "--json"), ("stats", "--json"), ("stats",), ("due",), ("due", "--csv"))


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
    shape = draw(st.integers(0, 9))
    if shape == 0:  # no frontmatter at all: a new card
        return ("# " + draw(QUESTION) + "\n\nbody\n").encode("utf-8")
    text = note_text(fields, draw(QUESTION), crlf=draw(st.booleans()))
    return b"\xef\xbb\xbf" + text if shape == 1 else text  # a BOM


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
            "days": draw(st.sampled_from([None, "1", "7", "45"])),  # 0 is bad usage (exit 2)
            "graded": draw(st.sampled_from([None, None, None, "0", "3", "5"])),
            "edits": draw(st.lists(st.tuples(st.integers(0, n - 1), note_bytes(), st.booleans()), max_size=3))}


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
    return [due, stats + ("--json",), stats, ("due",) + due[2:], ("due", "--csv") + due[2:]]


def _check_random_deck(run, spec: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        deck = make_deck(Path(tmp) / "deck", spec)
        if spec["graded"] is not None:  # a card graded today first (a new one: the day's room shrinks)
            first = next(iter(spec["notes"]))
            assert run(deck, "review", first, "--grade", spec["graded"], today=spec["today"])[0] in (0, 1, 2)
        ref = {v: run(deck, *v, "--no-cache", today=spec["today"]) for v in variants_of(spec)}
        assert not (deck / COL).exists(), "--no-cache wrote the columns"
        for _ in range(2):  # built, then used
            for v in variants_of(spec):
                got = run(deck, *v, today=spec["today"])
                want = ref[v]
                assert got == want, (v, got[0], want[0], got[2], want[2], _first_difference(got[1], want[1]))
        assert (deck / COL).is_file()
        if not spec["edits"]:
            return
        names = list(spec["notes"])
        for i, data, keep_mtime in spec["edits"]:  # notes rewritten in place (the columns patched or rebuilt)
            p = deck / names[i]
            st_ = p.stat()
            with open(p, "r+b") as fh:
                fh.write(data)
                fh.truncate()
            if keep_mtime:
                os.utime(p, ns=(st_.st_atime_ns, st_.st_mtime_ns))
        for v in variants_of(spec):
            got = run(deck, *v, today=spec["today"])
            want = run(deck, *v, "--no-cache", today=spec["today"])
            assert got == want, ("edited", v, got[2], want[2], _first_difference(got[1], want[1]))
            assert run(deck, *v, today=spec["today"]) == want


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
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
    for day in ("2026-11-19",):
        for args in VARIANTS:
            ref = _proc(deck, *args, "--no-cache", env={"TRAINER_TODAY": day})
            for _ in range(2):
                assert _proc(deck, *args, env={"TRAINER_TODAY": day}) == ref


# ---------------------------------------------------------------- a real process (the forked walk)


def _proc(deck: Path, *args: str, env: dict | None = None, today: str | None = None) -> tuple[int, bytes, bytes]:
    full = {k: v for k, v in os.environ.items() if k not in ("TRAINER_DECK", "TRAINER_TODAY")}
    full["PYTHONPATH"] = str(REPO) + os.pathsep + full.get("PYTHONPATH", "")
    full["PYTHONHASHSEED"] = "0"  # (one string hashing for every run; a test that wants others sets it)
    full.update(env or {})
    # the command first, as people type it: then `trainer` forks the walk before the CLI is imported
    # (trainer.walk.start_early)
    cmd = [sys.executable, "-m", "trainer", args[0], "--deck", str(deck), *(["--today", today] if today else []), *args[1:]]
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
    for args in (("stats", "--json"),):
        outs = {_proc(deck, *args, "--no-cache", today=TODAY, env={"PYTHONHASHSEED": str(seed)}) for seed in range(4)}
        assert len(outs) == 1, args
        for seed in range(2):  # built by one process, read by the next
            assert _proc(deck, *args, today=TODAY, env={"PYTHONHASHSEED": str(seed)}) in outs


# ---------------------------------------------------------------- stale columns: every edit is seen


def _deck_for_edits(root: Path) -> Path:
    write(root / "a.md", note_text(studied("2026-11-20", tags=("A/x",), difficulty="easy"), "Alpha"))
    write(root / "b.md", note_text(studied("2026-12-20", tags=("B",), mastery="0.25"), "Beta"))
    write(root / "sub/c.md", note_text([("tags", "[C, A]")], "Gamma"))
    write(root / "sub/d.md", note_text(studied(None, tags=("D",)), "Delta"))
    return root


def _built(run, deck: Path) -> dict:
    """Every variant's output with the columns built and used (checked against --no-cache)."""
    out = {args: assert_fast_equals_no_cache(run, deck, args) for args in VARIANTS}
    assert (deck / COL).is_file()
    return out


def _seen(run, deck: Path, before: dict, *, changes=VARIANTS) -> None:
    """The fast path first (the saved columns are stale now), then --no-cache: the same, and the
    edit shows in ``changes``."""
    for args in VARIANTS:
        got = run(deck, *args)
        ref = run(deck, *args, "--no-cache")
        assert got == ref, (args, _first_difference(got[1], ref[1]))
        if args in changes:
            assert got != before[args], (args, "the edit does not show")
        assert run(deck, *args) == ref


def _same_size_edit(p: Path, old: bytes, new: bytes, *, keep_mtime: bool) -> None:
    assert len(old) == len(new)
    st = p.stat()
    data = p.read_bytes()
    assert old in data
    with open(p, "r+b") as fh:  # in place: the same inode
        fh.write(data.replace(old, new))
    if keep_mtime:
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
        assert p.stat().st_mtime_ns == st.st_mtime_ns
    assert p.stat().st_size == st.st_size and p.stat().st_ino == st.st_ino


@pytest.mark.parametrize("keep_mtime", [True, False])
def test_an_edit_keeping_size_and_mtime_is_seen(tmp_path, run, keep_mtime):
    deck = _deck_for_edits(tmp_path / "deck")
    before = _built(run, deck)
    _same_size_edit(deck / "a.md", b"next_review: '2026-11-20'", b"next_review: '2026-11-29'", keep_mtime=keep_mtime)
    _seen(run, deck, before)
    before = _built(run, deck)
    _same_size_edit(deck / "b.md", b"difficulty: medium\nmastery_level: 0.25", b"difficulty: hard\nmastery_level: 0.7500",
                    keep_mtime=keep_mtime)
    _seen(run, deck, before, changes=(("stats", "--json"), ("stats",)))


def test_an_edit_keeping_size_and_mtime_is_seen_by_the_forked_walk(tmp_path):
    """The same in real processes, where the walk runs in a forked child and says "unchanged"
    only when the stamps' digest is the columns'."""
    deck = _deck_for_edits(tmp_path / "deck")
    before = {args: _proc(deck, *args, today=TODAY) for args in VARIANTS}
    assert before == {args: _proc(deck, *args, today=TODAY) for args in VARIANTS}
    _same_size_edit(deck / "sub/c.md", b"tags: [C, A]", b"tags: [E, A]", keep_mtime=True)
    for args in VARIANTS:
        got = _proc(deck, *args, today=TODAY)
        assert got == _proc(deck, *args, "--no-cache", today=TODAY)
        assert got != before[args] or args[1:] in ((), ("--csv",)), args  # (the due table shows no tags)


def _swap(a: Path, b: Path) -> None:
    da, db = a.read_bytes(), b.read_bytes()
    a.write_bytes(db)
    b.write_bytes(da)


EDITS = {
    "add": lambda d: write(d / "sub/new.md", note_text(studied("2026-11-01", tags=("A/y",)), "New")),
    "delete": lambda d: (d / "a.md").unlink(),
    "rename": lambda d: (d / "a.md").rename(d / "sub/zz.md"),
    "swap": lambda d: _swap(d / "a.md", d / "b.md"),
    "swap by rename": lambda d: ((d / "a.md").rename(d / "t.tmp"), (d / "b.md").rename(d / "a.md"),
                                 (d / "t.tmp").rename(d / "b.md")),
    "break": lambda d: write(d / "b.md", b"---\nnext_review: [\n---\n"),
    "problem": lambda d: write(d / "b.md", note_text(studied(tags=("B",), difficulty="other"), "Beta")),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_notes_added_deleted_renamed_swapped_are_seen(tmp_path, run, edit):
    deck = _deck_for_edits(tmp_path / "deck")
    before = _built(run, deck)
    EDITS[edit](deck)
    paths_only = edit in ("rename", "swap", "swap by rename")  # the same notes under other names: due shows it
    _seen(run, deck, before, changes=(("due", "--json"),) if paths_only else (("due", "--json"), ("stats", "--json")))


def test_touch_only_changes_nothing_but_is_walked_again(tmp_path, run):
    deck = _deck_for_edits(tmp_path / "deck")
    before = _built(run, deck)
    digest = columns.load(deck, None).digest
    os.utime(deck / "b.md", ns=(time.time_ns(), time.time_ns()))
    _seen(run, deck, before, changes=())
    assert {args: run(deck, *args) for args in VARIANTS} == before
    assert columns.load(deck, None).digest != digest  # built again from the new stamps


def test_a_grade_then_the_same_day(tmp_path, run):
    """`trainer review` writes a note (and the log): the next due/stats see both."""
    deck = _deck_for_edits(tmp_path / "deck")
    before = _built(run, deck)
    assert run(deck, "review", "a.md", "--grade", "5")[0] == 0
    assert run(deck, "review", "sub/c.md", "--grade", "2")[0] == 0
    _seen(run, deck, before)


# ---------------------------------------------------------------- a damaged, planted or odd file


def _layout(blob: bytes) -> list[tuple[str, int, int]]:
    """(part, start, end) of the file: the first line, the index, each section (read from the index)."""
    from array import array

    count = len(columns._SECTIONS)
    head = blob.index(b"\n") + 1
    lengths = array("q")
    lengths.frombytes(blob[head:head + 8 * count])
    parts = [("header", 0, head), ("index", head, head + 16 * count)]
    pos = head + 16 * count
    for (name, _), size in zip(columns._SECTIONS, lengths):
        parts.append((name, pos, pos + size))
        pos += size
    assert pos == len(blob)
    return parts


def _damage_deck(root: Path) -> Path:
    _deck_for_edits(root)
    write(root / "bad.md", b"---\ntags: 5\n---\n# Bad\n")
    write(root / "e.md", note_text(studied("2026-11-24", tags=("A/x/y", "B"), mastery="0.125"), "Eps 为什么"))
    return root


def _whole_again(deck: Path) -> None:
    cols = columns.load(deck, None)
    assert cols is not None, "the columns were not rebuilt"
    assert cols.digest == stamp_digest(Deck(deck).walk()[0])


@pytest.fixture
def damaged(tmp_path, run):
    """(deck, good bytes of its columns, check(bytes)): ``check`` writes the bytes in place of the
    columns, runs every variant (the same as --no-cache, never a traceback) and sees them whole again."""
    deck = _damage_deck(tmp_path / "deck")
    refs = {args: run(deck, *args, "--no-cache") for args in VARIANTS}
    for args in VARIANTS:
        assert run(deck, *args) == refs[args]
    good = (deck / COL).read_bytes()

    def check(blob: bytes, what: str = "") -> None:
        path = deck / COL
        if path.is_dir():
            path.rmdir()
        path.write_bytes(blob)
        for args in VARIANTS:
            got = run(deck, *args)
            assert got == refs[args], (what, args, got[2], _first_difference(got[1], refs[args][1]))
        _whole_again(deck)
        after = (deck / COL).read_bytes()
        # rebuilt (the build is deterministic), or left as it was: a damage that changes nothing read
        # (a byte of the word "index"), the answers above being right
        assert after == good or after == blob, what

    return deck, good, check


def _flips(damaged, every: bool) -> None:
    deck, good, check = damaged
    layout = _layout(good)
    head = layout[0][2]
    positions = set(range(head) if every else {*range(0, head, 7), 21, head - 2, head - 1})  # the first line
    for name, start, end in layout[1:]:
        if end > start:
            positions |= {start, (start + end) // 2, end - 1} if every else {start}
    for i in sorted(positions):
        for bit in (0x01, 0x80) if every else (0x01,):
            blob = bytearray(good)
            blob[i] ^= bit
            check(bytes(blob), f"byte {i} ^ {bit:#x}")


def test_a_flipped_byte_anywhere_is_refused(damaged):
    _flips(damaged, every=False)


def _row_deck(root: Path) -> Path:
    """Twelve cards: six due by TODAY (dated, in order), three later, three new (a room of one)."""
    for i in range(6):
        write(root / f"due{i}.md", note_text(studied(f"2026-11-{10 + i:02d}", tags=("T",)), f"Due {i}"))
    for i in range(3):
        write(root / f"later{i}.md", note_text(studied(f"2027-0{i + 1}-01", tags=("T",)), f"Later {i}"))
        write(root / f"new{i}.md", note_text([("tags", "[N]")], f"New {i}"))
    return root


def _flip_row(deck: Path, text: bytes) -> None:
    """One byte flipped inside the columns' ``due --json`` row holding ``text`` (the checksums untouched)."""
    blob = bytearray((deck / COL).read_bytes())
    _, start, end = next(p for p in _layout(bytes(blob)) if p[0] == "rows")
    at = blob.index(text, start, end)
    blob[at] ^= 0x01
    (deck / COL).write_bytes(bytes(blob))


@pytest.fixture
def small_row_chunks(monkeypatch):
    """The rows checked 64 bytes at a time (a MiB in use: a deck this small is one chunk)."""
    import sys

    for name in ("trainer.columns.model", "trainer.columns.store"):
        monkeypatch.setattr(sys.modules[name], "ROW_CHUNK", 64)


def test_a_damaged_row_a_command_uses_is_answered_from_the_notes_and_built_again(tmp_path, run, small_row_chunks):
    deck = _row_deck(tmp_path / "deck")
    ref = assert_fast_equals_no_cache(run, deck, ("due", "--json", "--new-limit", "1"))
    good = (deck / COL).read_bytes()
    _flip_row(deck, b"Due 3")
    assert run(deck, "due", "--json", "--new-limit", "1") == ref
    assert not (deck / COL).exists()  # discarded: the next command builds it again
    assert run(deck, "due", "--json", "--new-limit", "1") == ref
    assert (deck / COL).read_bytes() == good


def test_a_damaged_row_no_command_uses_is_never_read(tmp_path, run, small_row_chunks):
    """Only the chunks of the rows an answer uses are read and checked: a later card's row, damaged,
    costs nothing until a day it is due, and is then found (the answer from the notes)."""
    deck = _row_deck(tmp_path / "deck")
    ref = assert_fast_equals_no_cache(run, deck, ("due", "--json", "--new-limit", "1"))
    _flip_row(deck, b"Later 2")
    damaged = (deck / COL).read_bytes()
    assert run(deck, "due", "--json", "--new-limit", "1") == ref
    assert (deck / COL).read_bytes() == damaged  # not read, so not refused
    late = assert_fast_equals_no_cache(run, deck, ("due", "--json"), today="2027-06-01", times=1)
    assert b"Later 2" in late[1]
    assert run(deck, "due", "--json", today="2027-06-01") == late


def test_a_damaged_row_is_not_carried_into_a_patched_file(tmp_path, run, small_row_chunks):
    """A note edited (the columns patched, every other row kept) while another row is damaged: the
    patch refuses the old rows and the columns are built from the notes."""
    deck = _row_deck(tmp_path / "deck")
    assert_fast_equals_no_cache(run, deck, ("due", "--json"))
    _flip_row(deck, b"Later 1")
    (deck / "due0.md").write_bytes(note_text(studied("2026-11-24", last="2026-11-21", tags=("T",)), "Due 0"))
    assert_fast_equals_no_cache(run, deck, ("due", "--json"), today="2027-06-01")
    cols = columns.load(deck, None)
    cols.checked_rows([(0, len(cols.row_off) - 1)])  # every chunk whole


@pytest.mark.slow
def test_a_flipped_byte_anywhere_is_refused_every_byte_of_the_first_line(damaged):
    _flips(damaged, every=True)


def test_truncated_extended_or_another_version_is_refused(damaged):
    deck, good, check = damaged
    head = _layout(good)[1][1]
    for n in (0, 1, head - 1, head, head + 7, len(good) // 2, len(good) - 1):
        check(good[:n], f"cut at {n}")
    check(good + b"\0", "a byte appended")
    check(good + good, "twice")
    for other in (b"trainer scan columns 1 ", b"trainer scan columns 99 ", b"TRAINER SCAN COLUMNS 6 "):
        check(other + good.split(b" ", 4)[4], f"header {other!r}")
    check(os.urandom(len(good)), "noise")


PLANTS = {  # a Columns whose crcs will be right but whose shapes do not add up
    "kind short": lambda c: {"kind": c.kind[:-1]},
    "kind value": lambda c: {"kind": bytes([7]) + c.kind[1:]},
    "day long": lambda c: {"day": c.day + c.day[:1]},
    "n": lambda c: {"n": c.n + 1},
    "tag_ptr short": lambda c: {"tag_ptr": c.tag_ptr[:-1]},
    "tag_ptr not from 0": lambda c: {"tag_ptr": _arr(c.tag_ptr, [1] + list(c.tag_ptr[1:]))},
    "tag_ptr falling": lambda c: {"tag_ptr": _arr(c.tag_ptr, [0, c.tag_ptr[-1]] + list(c.tag_ptr[2:]))},
    "tag_ids out of range": lambda c: {"tag_ids": _arr(c.tag_ids, [len(c.tag_names)] + list(c.tag_ids[1:]))},
    "tag_ids negative": lambda c: {"tag_ids": _arr(c.tag_ids, [-1] + list(c.tag_ids[1:]))},
    "review queue out of range": lambda c: {"review_dated": _arr(c.review_dated, [c.n] + list(c.review_dated[1:]))},
    "review days short": lambda c: {"review_dated_days": c.review_dated_days[:-1]},
    "new queue negative": lambda c: {"new_undated": _arr(c.new_undated, [-1])},
    "recall order out of range": lambda c: {"recall_order": _arr(c.recall_order, [len(c.tag_names) + 3])},
    "difficulty out of range": lambda c: {"difficulty": _arr(c.difficulty, [len(c.difficulty_names)] * c.n)},
    "tag names short": lambda c: {"tag_names": c.tag_names[:-1]},
    "tag name not text": lambda c: {"tag_names": [5] + c.tag_names[1:]},
    "problem of two": lambda c: {"problems": [("a.md", "tags")]},
    "problem not text": lambda c: {"problems": [("a.md", "tags", 5)]},
    "rows offsets short": lambda c: {"row_off": c.row_off[:-1]},
    "rows offsets past the end": lambda c: {"row_off": _arr(c.row_off, list(c.row_off[:-1]) + [c.row_off[-1] + 9])},
    "rows offsets falling": lambda c: {"row_off": _arr(c.row_off, [0, c.row_off[-1]] + list(c.row_off[2:]))},
    "schedule ids short": lambda c: {"sm2_key": c.sm2_key[:-1]},
    "a tag's notes past the deck": lambda c: {"tag_notes": _arr(c.tag_notes, [c.n] + list(c.tag_notes[1:]))},
    "a tag's note negative": lambda c: {"tag_notes": _arr(c.tag_notes, [2**32 - 1] * len(c.tag_notes))},
    "a tag's first note past the deck": lambda c: {"tag_first": _arr(c.tag_first, [c.n] * len(c.tag_first))},
    "tags' notes falling": lambda c: {"tag_note_ptr": _arr(c.tag_note_ptr, [0, c.tag_note_ptr[-1]] + list(c.tag_note_ptr[2:]))},
    "tags' notes short": lambda c: {"tag_note_ptr": c.tag_note_ptr[:-1]},
    "a shown recall's tag out of range": lambda c: {"recall_shown": _arr(c.recall_shown, [len(c.tag_cards)] * len(c.recall_shown))},
    "a multi-note tag out of range": lambda c: {"tag_multi": _arr(c.tag_multi, [len(c.tag_cards) + 1])},
    "tag rows one field short": lambda c: {"tag_rows": bytes(c.tag_rows).replace(b"%s", b"0", 1)},
    "recall rows one field more": lambda c: {"recall_rows": bytes(c.recall_rows) + b"%s"},
    "due rows one field short": lambda c: {"rows": bytes(c.rows).replace(b"%s", b"0", 1)},
    "schedule id out of range": lambda c: {"sm2_key": _arr(c.sm2_key, [len(c.sm2_key_note)] * c.n)},
    "schedule id negative": lambda c: {"sm2_key": _arr(c.sm2_key, [2**32 - 1] * c.n)},  # (-1 as 32 bits)
    "schedule's note out of range": lambda c: {"sm2_key_note": _arr(c.sm2_key_note, [c.n] * len(c.sm2_key_note))},
    "mastery sum not a number": lambda c: {"mastery_sum": "x"},
}


def _arr(like, values):
    from array import array

    return array(like.typecode, values)


@pytest.mark.parametrize("plant", sorted(PLANTS))
def test_a_planted_file_whose_shapes_do_not_add_up_is_refused(damaged, plant):
    from dataclasses import replace

    deck, good, check = damaged
    cols = columns.load(deck, None)
    assert cols is not None
    columns.save_columns(deck, replace(cols, **PLANTS[plant](cols)))
    planted = (deck / COL).read_bytes()
    assert planted != good and planted.split(b"\n")[0].split()[5] == good.split(b"\n")[0].split()[5]  # the same digest
    check(planted, plant)


def test_a_folder_or_a_symlink_in_its_place(damaged, run, tmp_path):
    deck, good, check = damaged
    refs = {args: run(deck, *args, "--no-cache") for args in VARIANTS}
    path = deck / COL
    path.unlink()
    path.mkdir()
    for _ in range(2):
        for args in VARIANTS:
            assert run(deck, *args) == refs[args]
    path.rmdir()
    elsewhere = tmp_path / "elsewhere.bin"
    elsewhere.write_bytes(good)
    path.symlink_to(elsewhere)
    _same_size_edit(deck / "a.md", b"difficulty: easy", b"difficulty: hard", keep_mtime=True)
    refs = {args: run(deck, *args, "--no-cache") for args in VARIANTS}
    for _ in range(2):
        for args in VARIANTS:
            assert run(deck, *args) == refs[args]
    assert path.is_symlink() and elsewhere.read_bytes() == good  # never written through
    (deck / COL).unlink()
    dangling = deck / COL
    dangling.symlink_to(tmp_path / "nowhere")
    for args in VARIANTS:
        assert run(deck, *args) == refs[args]
    assert not (tmp_path / "nowhere").exists()


def test_a_fifo_in_its_place_does_not_hang(tmp_path):
    deck = _damage_deck(tmp_path / "deck")
    refs = {args: _proc(deck, *args, "--no-cache", today=TODAY) for args in VARIANTS}
    assert _proc(deck, "stats", today=TODAY) == refs[("stats",)]
    (deck / COL).unlink()
    os.mkfifo(deck / COL)
    for args in VARIANTS:
        assert _proc(deck, *args, today=TODAY) == refs[args]


needs_permissions = pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                                       reason="root reads and writes whatever the modes say")


@needs_permissions
def test_an_unreadable_file(damaged, run):
    deck, good, check = damaged
    refs = {args: run(deck, *args, "--no-cache") for args in VARIANTS}
    (deck / COL).chmod(0)
    for args in VARIANTS:
        assert run(deck, *args) == refs[args]
    _whole_again(deck)  # replaced (the folder is writable)


@needs_permissions
def test_a_read_only_deck_answers_without_columns(tmp_path, run):
    deck = _damage_deck(tmp_path / "deck")
    refs = {args: run(deck, *args, "--no-cache") for args in VARIANTS}
    modes = {p: p.stat().st_mode for p in [deck, *deck.rglob("*")] if p.is_dir()}
    try:
        for p in modes:
            p.chmod(0o555)
        for _ in range(2):
            for args in VARIANTS:
                assert run(deck, *args) == refs[args]
        assert not (deck / COL).exists()
    finally:
        for p, m in modes.items():
            p.chmod(m)


def test_no_cache_never_writes_the_columns(tmp_path, run):
    deck = _damage_deck(tmp_path / "deck")
    for args in VARIANTS:
        run(deck, *args, "--no-cache")
    assert not (deck / COL).exists()
    for args in VARIANTS:
        run(deck, *args)
    good = (deck / COL).read_bytes()
    _same_size_edit(deck / "a.md", b"difficulty: easy", b"difficulty: hard", keep_mtime=True)
    for args in VARIANTS:
        run(deck, *args, "--no-cache")
    assert (deck / COL).read_bytes() == good  # stale, and left alone by --no-cache


@pytest.mark.parametrize("toml", ['[scheduler]\nalgorithm = "anki"\n', "[scheduler\n", '[scheduler]\nnew_per_day = -1\n'])
def test_a_bad_trainer_toml_is_the_same_usage_error(tmp_path, run, toml):
    """The fast path reads trainer.toml while the columns give the answer: the same message, exit 2."""
    deck = _deck_for_edits(tmp_path / "deck")
    _built(run, deck)
    (deck / "trainer.toml").write_text(toml)
    for args in VARIANTS:
        ref = run(deck, *args, "--no-cache")
        assert ref[0] == 2 and b"trainer.toml" in ref[2]
        assert run(deck, *args) == ref
    _same_size_edit(deck / "a.md", b"difficulty: easy", b"difficulty: hard", keep_mtime=True)  # and stale columns
    for args in VARIANTS:
        assert run(deck, *args) == run(deck, *args, "--no-cache")


@pytest.mark.parametrize("state", ["file", "symlink"])
def test_a_state_folder_that_cannot_be_written_leaves_the_answers_right(tmp_path, run, state):
    """``.trainer`` a file (nothing can be kept) or a symlink out of the deck (refused): every
    answer still the same as --no-cache, and nothing written through the link (root too)."""
    deck = _deck_for_edits(tmp_path / "deck")
    outside = tmp_path / "outside"
    outside.mkdir()
    if state == "file":
        (deck / ".trainer").write_bytes(b"not a folder")
    else:
        (deck / ".trainer").symlink_to(outside, target_is_directory=True)
    for _ in range(2):
        for args in VARIANTS:
            ref = run(deck, *args, "--no-cache")
            assert run(deck, *args) == ref
    assert list(outside.iterdir()) == []
    if state == "file":
        assert (deck / ".trainer").read_bytes() == b"not a folder"


def test_an_empty_deck_and_a_deck_of_broken_notes(tmp_path, run):
    deck = tmp_path / "deck"
    deck.mkdir()
    all_same(run, deck)
    write(deck / "x.md", BROKEN[0])
    write(deck / "y.md", BROKEN[3])
    all_same(run, deck)
    (deck / "x.md").unlink()
    (deck / "y.md").unlink()
    all_same(run, deck)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([1e16, -1e16, 1.0, 0.1, 1e-300])),
                max_size=40))
def test_ordered_sum_adds_as_a_python_loop(values):
    """The per-tag recall sums of ``stats --json`` add as ``memory.recall_summary`` adds, one after the
    other (3.12's ``sum`` would compensate: the last bit, and a rounded mean, could differ)."""
    from trainer.columns.answers import ordered_sum

    total = 0.0
    for v in values:
        total += v
    assert str(ordered_sum(iter(values))) == str(total)  # (str: a NaN or -0.0 compared as well)
