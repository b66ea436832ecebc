"""The overview's first frame (#17): the figures come from the deck's columns before any note is
built, the notes follow; the selection box reads a tag's figures instead of recounting the notes.
What the user sees once it settles is what the notes give."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from textual.widgets import Static, Tree
from tuihelp import TODAY, loaded

from trainer import figures
from trainer.deck import Deck
from trainer.opendeck import UNTAGGED, OpenDeck
from trainer.tui.app import make_app, open_deck


def _studied(text: str, mastery: float) -> str:
    return (text.replace("last_reviewed: null", "last_reviewed: '2026-03-01'").replace("review_count: 0", "review_count: 3")
            .replace("mastery_level: 0.0", f"mastery_level: {mastery}"))


def _varied_deck(root: Path, seed, write_note) -> Path:
    """Nested tags, one tag per note under a topic, untagged and broken notes, more new cards than
    a day's room, studied cards due and not due, three difficulties."""
    for t in range(3):
        for q in range(9):
            difficulty = ("easy", "medium", "hard")[(t + q) % 3]
            text = seed(f"Q {t} {q}", tags=(f"Topic{t}", f"Topic{t}/Question {q}.md"), difficulty=difficulty,
                        next_review="2026-12-20" if q % 3 == 0 else "2026-03-09")
            write_note(root / f"t{t}" / f"q{q}.md", _studied(text, q / 10) if q % 4 else text)
    for q in range(25):
        write_note(root / "new" / f"n{q}.md", seed(f"N {q}", tags=("Fresh/Batch",), difficulty="hard"))
    write_note(root / "loose.md", _studied(seed("untagged", tags=()), 0.5))
    write_note(root / "broken.md", "---\nthis: [is not yaml\n---\n# x\n")
    return root


def test_selection_counts_are_the_selection_figures(tmp_path, seed, write_note):
    root = _varied_deck(tmp_path / "deck", seed, write_note)
    book = OpenDeck.open(root, TODAY, new_per_day=20)
    book.load()
    tags = [None, UNTAGGED, *book.figures().tags]
    assert len(tags) > 30
    for difficulty in (None, "medium", "hard"):
        for tag in tags:
            want = book.selection_figures(tag, difficulty)
            got = book.selection_counts(tag, difficulty)
            assert (got.cards, got.due, got.new_today, got.to_study) == (want.total, want.due, want.new_today, want.to_study), (tag, difficulty)
    book.close()


columns = pytest.importorskip("trainer.columns")


def _with_columns(root: Path) -> None:
    """What `trainer due` / `trainer stats` leave behind: the deck's columns, current."""
    fresh = columns.fresh(Deck(root), TODAY)
    assert fresh.columns is not None


def test_figures_come_first_then_the_notes(tmp_path, seed, write_note):
    root = _varied_deck(tmp_path / "deck", seed, write_note)
    _with_columns(root)
    book = OpenDeck.open(root, TODAY, new_per_day=20)
    job = book.start_scan(wait=True)
    counted = job.counted()
    assert counted is not None
    assert not job.done(0.3)  # the notes wait for proceed(): after the first frame
    scan = Deck(root).scan(TODAY)
    assert counted.figures == figures.compute(scan.notes, TODAY, new_per_day=20)
    assert counted.problems == scan.problems
    book.take_counted(counted)
    assert book.counted and not book.loaded and book.problems == scan.problems
    assert book.selection_counts(None, "hard") is None  # a difficulty needs the notes
    job.proceed()
    loaded_ = job.result()
    book.take(loaded_)
    assert book.loaded and book.figures() == counted.figures and len(book.notes) == len(scan.notes)
    book.close()


def test_an_edit_in_place_is_counted_as_it_is_now(tmp_path, seed, write_note):
    """Same size, same mtime: the columns built before it are not taken as they were (they are
    patched or built again), and the first figures are the edited notes'."""
    root = _varied_deck(tmp_path / "deck", seed, write_note)
    _with_columns(root)
    before = figures.compute(Deck(root).scan(TODAY).notes, TODAY, new_per_day=20)
    note = root / "t0" / "q1.md"
    st = note.stat()
    text = note.read_text(encoding="utf-8")
    edited = text.replace("next_review: '2026-03-09'", "next_review: '2026-12-09'")
    assert edited != text and len(edited) == len(text)
    note.write_text(edited, encoding="utf-8")
    os.utime(note, ns=(st.st_atime_ns, st.st_mtime_ns))
    want = figures.compute(Deck(root).scan(TODAY, use_cache=False).notes, TODAY, new_per_day=20)
    assert want.due == before.due - 1
    book = OpenDeck.open(root, TODAY, new_per_day=20)
    job = book.start_scan(wait=True)
    counted = job.counted()
    assert counted is not None and counted.figures == want
    job.proceed()
    assert job.result().figures == want
    book.close()


def _screen_text(app) -> dict:
    screen = app.screen
    out = {key: (str(screen.query_one(f"#count-{key}", Static).render()), screen.query_one(f"#count-{key}").border_subtitle)
           for key in ("study", "due", "new", "total")}
    tree = screen.query_one("#tags", Tree)
    out["tree"] = [str(tree.root.label)] + [str(n.label) for n in tree.root.children]
    out["selection"] = str(screen.query_one("#selection", Static).render())
    out["problems"] = str(screen.query_one("#problems-text", Static).render())
    out["forecast"] = screen.query_one("#forecast").days
    return out


async def test_the_overview_with_columns_shows_what_the_notes_show(tmp_path, seed, write_note, monkeypatch):
    """The first frame already has the counts; once the notes arrive nothing on screen changes,
    and it is what a deck without columns shows. (The first frame waits for the figures as long
    as they take here: a loaded machine can take longer than ``FIRST_FRAME_WAIT`` for them.)"""
    from trainer.tui import app as app_module

    monkeypatch.setattr(app_module, "FIRST_FRAME_WAIT", 60.0)
    plain = _varied_deck(tmp_path / "plain", seed, write_note)
    fast = tmp_path / "fast"
    shutil.copytree(plain, fast)
    _with_columns(fast)
    seen = {}
    for name, root in (("plain", plain), ("fast", fast)):
        app = make_app(open_deck(root, TODAY, None))
        async with app.run_test(size=(80, 24)) as pilot:
            if name == "fast":
                assert app.book.counted  # the figures were taken before the overview's first frame
                first = _screen_text(app)
            await loaded(pilot)
            assert app.book.loaded
            seen[name] = _screen_text(app)
            if name == "fast":
                assert first == seen[name]
    assert seen["plain"] == seen["fast"]
    assert seen["fast"]["total"] == ("54", "1 broken")


async def test_the_app_keeps_the_columns_current(tmp_path, seed, write_note):
    """A deck whose columns are missing (or stale) gets them from the app once its notes are in:
    the next start's first frame reads its figures from them."""
    root = _varied_deck(tmp_path / "deck", seed, write_note)
    deck = Deck(root)
    assert columns.load(deck.root, None) is None
    app = make_app(open_deck(root, TODAY, None))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await app.workers.wait_for_complete()
    cols = columns.load(deck.root, None)
    assert cols is not None and cols.digest == columns.stamp_digest(deck.walk()[0])
    book = OpenDeck.open(root, TODAY, new_per_day=20)
    job = book.start_scan(wait=True)
    assert job.counted() is not None and job.counted().figures == figures.compute(deck.scan(TODAY).notes, TODAY, new_per_day=20)
    job.proceed()
    assert job.result().figures == job.counted().figures
    book.close()


def test_the_columns_tag_figures_answer_alike_before_and_after_their_index(tmp_path, seed, write_note):
    """The per-tag figures from the columns find their first few tags without an index (the first
    frame looks up a handful of 100k), then with one: the same answers, missing tags included."""
    root = _varied_deck(tmp_path / "deck", seed, write_note)
    cols = columns.fresh(Deck(root), TODAY).columns
    want = figures.compute(Deck(root).scan(TODAY).notes, TODAY, new_per_day=20).tags
    got = columns.figures(cols, TODAY, new_per_day=20, numpy=False).tags
    asked = ["Topic1", "nope", "", "Topic0/Question 3.md", None, *want, "Topic", "nope", *reversed(want)]
    for tag in asked:
        assert (tag in got, got.get(tag)) == (tag in want, want.get(tag)), tag
    assert list(got) == list(want) and got == want


async def test_a_deck_slower_than_the_wait_shows_loading_then_the_deck(tmp_path, seed, write_note, monkeypatch):
    """When the figures are not there within ``FIRST_FRAME_WAIT`` the overview (already composed)
    shows a loading indicator, and the deck replaces it when it comes. The deck (no columns yet)
    is slow for certain: the scan thread's walk of it waits at a gate the test opens once the
    first frame is drawn, so the machine's load cannot make the deck come in time (it did, at
    load 2, with a deck that was only slow to parse)."""
    import threading

    from textual.widgets import LoadingIndicator

    from trainer.tui import app as app_module

    root = tmp_path / "deck"
    for q in range(80):
        write_note(root / f"t{q % 8}" / f"q{q}.md", seed(f"Q {q}", tags=(f"Topic{q % 8}",)))
    monkeypatch.setattr(app_module, "FIRST_FRAME_WAIT", 0.01)
    gate, walked = threading.Event(), []
    real_walk = Deck.walk

    def walk_behind_the_gate(self, *args, **kwargs):  # the real walk, once the gate opens
        if threading.current_thread().name == "trainer-scan":
            assert gate.wait(60), "the test never opened the gate"
        walked.append(threading.current_thread().name)
        return real_walk(self, *args, **kwargs)

    monkeypatch.setattr(Deck, "walk", walk_behind_the_gate)
    app = make_app(open_deck(root, TODAY, None))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert not app.book.counted and app.screen.query(LoadingIndicator)
            assert "trainer-scan" not in walked  # (the deck was not there for the first frame)
            gate.set()
            await loaded(pilot)
            assert app.book.loaded and not app.screen.query(LoadingIndicator)
            assert _screen_text(app)["total"] == ("80", "")
    finally:
        gate.set()  # a failed test leaves no thread waiting
    assert "trainer-scan" in walked


async def test_quitting_before_the_notes_are_built_ends_the_scan_worker(tmp_path, seed, write_note):
    """The notes are built once the frame with the figures is drawn (``job.proceed``). An app that
    quits before that frame cancels the worker collecting the scan, which then ends; it used to
    wait for ever, and the process could not exit."""
    import asyncio
    import sys
    import time

    from textual.worker import WorkerState

    root = _varied_deck(tmp_path / "deck", seed, write_note)
    _with_columns(root)
    app = make_app(open_deck(root, TODAY, None))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        job = app.book.start_scan(wait=True)  # a rescan whose notes nobody asks for before the quit
        assert job.counted() is not None
        worker = app._collect(job)  # noqa: SLF001 - the app's own collector of a scan
        await pilot.pause(0.1)
        assert worker.state == WorkerState.RUNNING
    def collecting() -> bool:  # a thread still in the app's _collect (the worker's state says cancelled at once)
        for frame in sys._current_frames().values():  # noqa: SLF001
            while frame is not None:
                if frame.f_code.co_name == "_collect" and frame.f_code.co_filename.endswith("app.py"):
                    return True
                frame = frame.f_back
        return False

    deadline = time.monotonic() + 3
    while collecting() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    stuck = collecting()
    job.proceed()  # (a worker stuck in the old way is let go, so the test run can end)
    assert not stuck


def test_columns_patched_for_an_edit_are_written_after_the_first_figures(tmp_path, seed, write_note):
    """One note edited since the columns were saved: the app's first figures come from the columns
    patched for it, and the patched columns are written once those figures are taken (writing a
    100k deck's columns took 30-100 ms of the first frame, #17), not before."""
    root = _varied_deck(tmp_path / "deck", seed, write_note)
    _with_columns(root)
    old = columns.peek_digest(str(root))
    note = root / "t0" / "q1.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nOne more line of answer.\n", encoding="utf-8")
    book = OpenDeck.open(root, TODAY, new_per_day=20)
    job = book.start_scan(wait=True)
    counted = job.counted()
    assert counted is not None
    assert columns.peek_digest(str(root)) == old  # not written yet: the figures first
    job.proceed()
    got = job.result()
    deck = Deck(root)
    saved = columns.load(deck.root, None)
    assert saved is not None and saved.digest == columns.stamp_digest(deck.walk()[0]) != old
    assert got.figures == counted.figures == figures.compute(deck.scan(TODAY).notes, TODAY, new_per_day=20)
    book.close()
