"""Side by side with Anki's own engine on the same cards (issue #17): due counts, statistics, a grade.

    python benchmarks/bench_vs_anki.py --sizes 10000,100000 --shapes mixed,seed \\
        [--anki-python VENV/bin/python] [--decks-dir DIR] [--rounds 5] [--json OUT] [--markdown]
    python benchmarks/bench_core.py --vs-anki ...        (the same benchmark)

The ``anki`` package (Anki's Python library over its Rust engine; ``pip install anki``) is NOT a
dependency of trainer and never will be: this benchmark is for people who have it. Install it in
any virtualenv and pass that interpreter as ``--anki-python`` (or run this file with it, if
trainer is importable there too). Without it the benchmark says so and exits 0.

For each deck shape (``mixed``: a few shared tags; ``seed``: one distinct nested tag per note, as
the seed deck) and size, a deck from ``gen_deck.py`` is scanned by trainer and the same cards are
written into a fresh Anki collection: one Basic note per card (front: the question, back: the
path), the tags (``/`` becomes Anki's ``::``), and the same schedule — new cards stay new, the
others become review cards with the same due day (relative to today), interval, ease and review
count. Anki's daily new-card limit is set to trainer's (20), new cards ignore the review limit,
and the review limit is Anki's maximum, 9999: above 9999 due reviews (100k decks have ~43k)
Anki's counts stop there while ``trainer due`` lists every card, which favours Anki; the
in-process figure for ``find_cards("is:due")`` shows Anki finding every due card.
Neither side has review history, unless ``--history ROWS``: then each has ROWS past reviews
over two years, in trainer's log (``bench_log_history.fill_log``) and in Anki's revlog. Then, page cache warm, every round runs each of these once,
in a rotating order (turn about, so a slow spell of the machine hits every figure):

* the stat-only limit in this process (``bench_stat_walk.sum_listdir``: listdir + fstatat, the
  fastest one-thread walk found, a running total) and a process that only stats the same files
  the same way (``python -c``, start to exit);
* ``trainer due --json`` and Anki's due counts: a process that imports anki, opens the
  collection, asks ``col.sched.counts()`` and ``col.sched.deck_due_tree()``, and closes it;
* ``trainer stats --json`` and Anki's statistics: the same, asking the Rust engine for the stats
  screen's data (``graphs``, 30 days);
* ``trainer due --json`` right after one note's body was edited (a space appended, another note
  each round): the columns updated for that note (``trainer.columns.patch``);

each figure a median over rounds, each ratio the median of the per-round ratios. Then one grade
in process, median and p90 over ~200 grades, each side taking the next card of its own due queue
(Anki's v3 scheduler answers only the top of its queue): trainer's study session grading the
card it holds (``StudySession.grade_current``: the note read again under its lock and checked,
SM-2, atomic write with fsync, log rows, the deck's bookkeeping; the whole-note ``Deck.load``
timed here before #17's last step is not part of the app's grade), after the card was read as the
study screen shows it (``read_card``, which parses its frontmatter: timed apart, and with the grade
as "read and graded") against Anki's reviewer path
(``get_queued_cards``, ``build_answer``, ``answer_card``; grades 3/4/5 map to Hard/Good/Easy),
plus Anki's in-process timings with the collection already open. Each trainer grade is followed
in the same loop by its write floor, the graded note's bytes written back atomically in its
folder (``bench_grade_calls.rewrite_in_place``), once the last close of the file the grade replaced
(left to a thread of its own) is done; the loop is ``bench_grade_calls.py``'s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

TODAY = "2026-11-25"
NEW_PER_DAY = 20  # trainer's default daily new-card limit, given to Anki too
ANKI_MAX_REVIEWS = 9999  # the highest daily review limit Anki accepts (a larger one is ignored)

# ---------------------------------------------------------------- the Anki side
# Runs under the interpreter that has `anki` (``--anki-worker``): stdlib and anki only, no trainer.

ANKI_DUE_SRC = r"""
import sys
from anki.collection import Collection
col = Collection(sys.argv[1])
counts = col.sched.counts()
tree = col.sched.deck_due_tree()
col.close()
if len(sys.argv) > 2:
    print(*counts)
"""

ANKI_STATS_SRC = r"""
import sys
from anki.collection import Collection
col = Collection(sys.argv[1])
graphs = col._backend.graphs(search="deck:*", days=30)
col.close()
if len(sys.argv) > 2:
    print(graphs.card_counts)
"""


def anki_tag(tag: str) -> str:
    """trainer's nested ``A/B`` is Anki's ``A::B``; Anki tags cannot hold spaces."""
    return "::".join(p for p in tag.strip("/").split("/") if p).replace(" ", "_")


def anki_build(cards_json: str, col_path: str, history: int = 0) -> dict:
    """A fresh collection holding the cards in ``cards_json`` (written by ``export_cards``), with
    ``history`` rows of review history (``anki_history``)."""
    from anki.collection import AddNoteRequest, Collection

    cards = json.loads(Path(cards_json).read_text(encoding="utf-8"))
    t0 = time.perf_counter()
    col = Collection(col_path)
    basic = col.models.by_name("Basic")
    did = col.decks.id("trainer bench")
    conf = col.decks.config_dict_for_deck_id(did)
    conf["new"]["perDay"] = NEW_PER_DAY
    conf["rev"]["perDay"] = ANKI_MAX_REVIEWS  # as far out of the way as Anki allows
    col.decks.update_config(conf)
    col.set_config("newCardsIgnoreReviewLimit", True)  # trainer's 20 new cards come on top of the reviews
    col.decks.select(did)
    today = col.sched.today
    requests, notes = [], []
    for c in cards:
        note = col.new_note(basic)
        note["Front"] = c["question"]
        note["Back"] = c["rel"]
        note.tags = [anki_tag(t) for t in c["tags"]]
        requests.append(AddNoteRequest(note=note, deck_id=did))
        notes.append(note)
    for i in range(0, len(requests), 5000):
        col.add_notes(requests[i : i + 5000])
    added = time.perf_counter() - t0
    nid_card = dict(col.db.all("select nid, id from cards"))
    rows = []
    position = 0
    for c, note in zip(cards, notes):
        cid = nid_card[note.id]
        if c["new"]:
            position += 1
            rows.append((0, 0, position, 0, 0, 0, cid))
        else:
            rows.append((2, 2, today + c["due_offset"], max(1, c["interval"]), round(c["ease"] * 1000),
                         c["review_count"], cid))
    col.db.executemany("update cards set type=?, queue=?, due=?, ivl=?, factor=?, reps=? where id=?", rows)
    anki_history(col, [r[-1] for r in rows], history)
    col.close()
    return {"build_s": time.perf_counter() - t0, "add_s": added, "cards": len(cards), "history": history}


def anki_history(col, cids: list[int], rows: int) -> None:
    """``rows`` reviews in the revlog over the two years before today, on cards taken in turn (as
    ``bench_log_history.fill_log`` writes them into trainer's log): Anki's review history."""
    import random

    if not rows or not cids:
        return
    rng = random.Random(rows)
    now_ms = int(time.time() * 1000)
    day_ms = 86_400_000
    ids = sorted(rng.sample(range(now_ms - 730 * day_ms, now_ms - day_ms), rows))
    col.db.executemany(
        "insert into revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) values (?,?,?,?,?,?,?,?,?)",
        [(rid, cids[i % len(cids)], -1, 1 + rng.randrange(4), 7, 3, 2500, rng.randrange(2000, 60000), 1)
         for i, rid in enumerate(ids)],
    )


def anki_in_process(col_path: str, grades: list[int], reps: int) -> dict:
    """Anki with the collection open: counts + due tree, graphs, then the reviewer's loop: take
    the top of the queue, answer it (Anki's v3 scheduler answers only the top of its queue)."""
    from anki.collection import Collection  # first: anki.cards alone is a circular import
    from anki.cards import Card  # isort: skip
    from anki.scheduler_pb2 import CardAnswer

    rating = {3: CardAnswer.HARD, 4: CardAnswer.GOOD, 5: CardAnswer.EASY}
    t0 = time.perf_counter()
    col = Collection(col_path)
    opened = time.perf_counter() - t0

    def med(fn) -> float:
        ts = []
        for _ in range(reps):
            t = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t)
        return statistics.median(ts)

    t0 = time.perf_counter()
    counts = list(col.sched.counts())
    col.sched.deck_due_tree()
    first_due = time.perf_counter() - t0  # later calls reuse the queue Anki built here
    due = med(lambda: (col.sched.counts(), col.sched.deck_due_tree()))
    all_due = med(lambda: len(col.find_cards("is:due")))
    graphs = med(lambda: col._backend.graphs(search="deck:*", days=30))
    col.sched.get_queued_cards(fetch_limit=1)  # the queue is built once, as when a review session opens
    times = []
    for q in grades:
        t = time.perf_counter()
        top = col.sched.get_queued_cards(fetch_limit=1).cards[0]
        card = Card(col, backend_card=top.card)
        card.start_timer()
        col.sched.answer_card(col.sched.build_answer(card=card, states=top.states, rating=rating[q]))
        times.append(time.perf_counter() - t)
    revlog = col.db.scalar("select count() from revlog")
    col.close()
    times.sort()
    return {"open_s": opened, "counts": counts, "first_due_inproc_s": first_due, "due_inproc_s": due, "all_due_inproc_s": all_due,
            "graphs_inproc_s": graphs,
            "grade_ms": statistics.median(times) * 1000, "grade_p90_ms": times[int(0.9 * len(times))] * 1000,
            "revlog_rows": revlog}


def anki_worker(argv: list[str]) -> int:
    """``--anki-worker build CARDS COL OUT`` or ``--anki-worker inproc COL JOB OUT``."""
    what, *args = argv
    if what == "build":
        res = anki_build(args[0], args[1], int(args[2]))
    else:
        job = json.loads(Path(args[1]).read_text())
        res = anki_in_process(args[0], job["grades"], job["reps"])
    Path(args[-1]).write_text(json.dumps(res))
    return 0


def find_anki_python(wanted: str | None) -> tuple[str | None, str]:
    """The interpreter with ``anki`` importable, and its version (or why there is none)."""
    candidates = [wanted] if wanted else [os.environ.get("TRAINER_BENCH_ANKI_PYTHON"), sys.executable]
    why = "not importable by " + sys.executable
    for py in filter(None, candidates):
        try:
            p = subprocess.run([py, "-c", "import anki.collection, anki.buildinfo as b; print(b.version)"],
                               capture_output=True, text=True, timeout=120)
        except OSError as exc:
            why = f"{py}: {exc.strerror}"
            continue
        if p.returncode == 0:
            return py, p.stdout.strip()
        why = f"not importable by {py}"
    return None, why


# ---------------------------------------------------------------- the trainer side


def export_cards(deck: str, out: str) -> int:
    """The deck's cards as trainer scans them (SPEC defaults applied), for ``anki_build``."""
    from trainer.deck import Deck

    today = dt.date.fromisoformat(TODAY)
    notes = Deck(deck).scan(today).notes
    cards = []
    for n in notes:
        if n.fatal:
            continue
        s = n.schedule
        cards.append({"rel": n.rel, "question": n.question, "tags": list(n.tags), "new": s.is_new,
                      "due_offset": (s.next_review - today).days,
                      "interval": s.interval or ((s.next_review - s.last_reviewed).days if s.last_reviewed else 1),
                      "ease": s.ease_factor, "review_count": s.review_count})
    Path(out).write_text(json.dumps(cards, ensure_ascii=False), encoding="utf-8")
    return len(cards)


def trainer_grades(deck: str, grades: list[int]) -> dict:
    """The study loop's grade, as the app grades: the deck opened once, a study session on its due
    queue, each grade ``session.grade_current(q)`` on the card the session holds (SM-2, the atomic
    write with fsync, the log rows, the deck's bookkeeping), as Anki's side answers the top card of
    its queue. Before each grade the card is read as the study screen shows it (``read_card``: its
    body, and its frontmatter parsed on the same read), timed apart (``show``) and with the grade
    (``show_grade``: Anki's timed loop takes its top card from its queue too); a card graded 3
    is not graded again as a re-drill here. Beside each grade, in the same loop and folder, its
    write floor: the graded note's bytes written back atomically
    (``bench_grade_calls.rewrite_in_place``: temp file, fsync, rename, fsync of the folder).
    The loop is ``bench_grade_calls.py``'s (the same session, the same re-drill removal)."""
    from bench_grade_calls import drop_redrill, rewrite_in_place, settle_closes

    from trainer.notes.parse import read_card
    from trainer.opendeck import OpenDeck

    today = dt.date.fromisoformat(TODAY)
    book = OpenDeck.open(deck, today, new_per_day=NEW_PER_DAY)
    times, floors, shows, both = [], [], [], []
    try:
        book.load()
        session = book.start_session(book.notes)
        for q in grades:
            if session.current is None:
                break
            rel = session.current.rel
            t0 = time.perf_counter()
            read_card(session.current.path)  # the card shown, as the study screen shows it
            t1 = time.perf_counter()
            event = session.grade_current(q)
            t2 = time.perf_counter()
            shows.append(t1 - t0)
            times.append(t2 - t1)
            both.append(t2 - t0)
            if event.graded is None or event.graded.kind != "review":
                raise RuntimeError(f"{rel}: not graded ({event.outcome.value}: {event.detail})")
            drop_redrill(session, rel)  # its re-drill (a grade below 4) left out, without walking the queue
            settle_closes()  # the replaced file's last close, left to a thread: not in the floor's time
            floors.append(rewrite_in_place(os.path.join(deck, rel)))
    finally:
        book.close()
    over = statistics.median(g / f for g, f in zip(times, floors))
    for xs in (times, floors, shows, both):
        xs.sort()
    return {"grade_ms": statistics.median(times) * 1000, "grade_p90_ms": times[int(0.9 * len(times))] * 1000,
            "floor_ms": statistics.median(floors) * 1000, "floor_p90_ms": floors[int(0.9 * len(floors))] * 1000,
            "show_ms": statistics.median(shows) * 1000, "show_p90_ms": shows[int(0.9 * len(shows))] * 1000,
            "show_grade_ms": statistics.median(both) * 1000, "show_grade_p90_ms": both[int(0.9 * len(both))] * 1000,
            "grade_over_floor": over, "graded": len(times)}


# ---------------------------------------------------------------- one deck


def bench_deck(deck: Path, work: Path, anki_py: str, n: int, rounds: int, grades: int, history: int = 0) -> dict:
    import random

    import bench_core
    import bench_log_history
    import bench_stat_walk

    r: dict = {}
    root = str(deck)
    stamps = bench_stat_walk.sum_listdir
    stat_proc = [sys.executable, "-c", stat_proc_src(), root]
    shutil.rmtree(deck / ".trainer", ignore_errors=True)
    for _ in range(2):
        bench_core.raw_read(root)  # page cache warm for both sides
    bench_core.run_child(bench_core.trainer_cmd(root, "due", "--json"))  # scan cache written
    if history:  # the same number of past reviews on each side (Anki's: anki_history)
        bench_log_history.fill_log(deck, history, random.Random(history), today=TODAY)

    # the same cards in Anki
    work.mkdir(parents=True, exist_ok=True)
    col = work / "collection.anki2"
    built = work / "built.json"
    if built.exists() and json.loads(built.read_text()).get("history", 0) != history:
        built.unlink()  # made with another history: made again
    if not built.exists():
        for stale in work.glob("collection.anki2*"):
            stale.unlink()
        r["cards"] = export_cards(root, str(work / "cards.json"))
        subprocess.run([anki_py, __file__, "--anki-worker", "build", str(work / "cards.json"), str(col), str(history),
                        str(built)], check=True)
    info = json.loads(built.read_text())
    r["anki_build_s"] = info["build_s"]
    assert info["cards"] == n, (info["cards"], n)
    os.sync()  # the deck just made and the collection built are on disk before anything is timed: their
    # writeback (100k new files, the old deck's removal) slowed the grades' fsyncs of the next deck

    # the two sides agree on what is due
    t_counts = json.loads(subprocess.run(bench_core.trainer_cmd(root, "stats", "--json"), capture_output=True,
                                         env=bench_core.ENV, check=True).stdout)["counts"]
    a_new, a_lrn, a_rev = map(int, subprocess.run([anki_py, "-c", ANKI_DUE_SRC, str(col), "print"], capture_output=True,
                                                  text=True, check=True).stdout.split())
    r["trainer_counts"] = t_counts
    r["anki_counts"] = [a_new, a_lrn, a_rev]
    if a_rev != min(ANKI_MAX_REVIEWS, t_counts["due"]) or a_new != min(NEW_PER_DAY, t_counts["new"]):
        print(f"  warning: counts differ: trainer {t_counts}, Anki new/learn/review {a_new}/{a_lrn}/{a_rev}",
              file=sys.stderr)

    edited = iter(sorted(deck.rglob("*.md"))[::97])

    def due_after_edit() -> float:
        """One note's body edited (a character added at its end, as an editor saves it), then
        `trainer due --json` a tenth of a second later, as a person switches from the editor: the
        columns are updated in place for that note (#17). (Within 20 ms of an edit the note would be
        "racy", read again by the command after too: ``trainer.walk._mark_racy``.)"""
        note = next(edited)
        with open(note, "a", encoding="utf-8") as fh:
            fh.write(" ")
        time.sleep(0.1)
        return bench_core.run_child(bench_core.trainer_cmd(root, "due", "--json"))[0]

    tasks = {
        "stat_walk": lambda: _timed(lambda: stamps(root)),
        "trainer_due_edited": due_after_edit,
        "stat_proc": lambda: bench_core.run_child(stat_proc)[0],
        "trainer_due": lambda: bench_core.run_child(bench_core.trainer_cmd(root, "due", "--json"))[0],
        "anki_due": lambda: bench_core.run_child([anki_py, "-c", ANKI_DUE_SRC, str(col)])[0],
        "trainer_stats": lambda: bench_core.run_child(bench_core.trainer_cmd(root, "stats", "--json"))[0],
        "anki_stats": lambda: bench_core.run_child([anki_py, "-c", ANKI_STATS_SRC, str(col)])[0],
    }
    for fn in tasks.values():  # one untimed pass: every cache (ours, Anki's, the OS's) warm
        fn()
    times: dict[str, list[float]] = {k: [] for k in tasks}
    names = list(tasks)
    for i in range(rounds):
        for name in names[i % len(names):] + names[: i % len(names)]:
            times[name].append(tasks[name]())
    for name, ts in times.items():
        r[name] = statistics.median(ts)
    for a, b in [("trainer_due", "anki_due"), ("trainer_stats", "anki_stats"), ("trainer_due", "stat_proc"),
                 ("trainer_stats", "stat_proc"), ("anki_due", "stat_proc"), ("anki_stats", "stat_proc")]:
        r[f"ratio:{a}/{b}"] = statistics.median(x / y for x, y in zip(times[a], times[b]))

    # one grade in process, each side taking the next card of its own queue (grading changes the
    # notes and the collection: done last)
    qs = [3 + i % 3 for i in range(grades)]
    job = work / "job.json"
    job.write_text(json.dumps({"grades": qs, "reps": rounds}))
    out = work / "inproc.json"
    (deck / ".graded").touch()  # notes and the collection change from here: the next run rebuilds both
    built.unlink()
    os.sync()  # the scan caches and edits of the rounds above on disk: both sides' grades start settled
    subprocess.run([anki_py, __file__, "--anki-worker", "inproc", str(col), str(job), str(out)], check=True)
    a = json.loads(out.read_text())
    r.update({f"anki_{k}": v for k, v in a.items() if k != "counts"})
    t = trainer_grades(root, qs)
    r.update({f"trainer_{k}": v for k, v in t.items()})
    r["stat_walk_after"] = statistics.median(_timed(lambda: stamps(root)) for _ in range(3))
    return r


def stat_proc_src() -> str:
    """The raw limit as a process: the fastest one-thread walk found (``bench_stat_walk.sum_listdir``)."""
    import inspect

    import bench_stat_walk

    return "import sys\n" + inspect.getsource(bench_stat_walk.sum_listdir) + "sum_listdir(sys.argv[1])\n"


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# ---------------------------------------------------------------- report

ROWS = [
    ("stat_walk", "stat-only walk, in process (the limit) [ms]", "ms"),
    ("stat_proc", "a process that only stats the files [ms]", "ms"),
    ("trainer_due", "`trainer due --json`, warm, process [ms]", "ms"),
    ("anki_due", "Anki due counts, process: open + counts + due tree [ms]", "ms"),
    ("ratio:trainer_due/anki_due", "due: trainer / Anki", "x"),
    ("ratio:trainer_due/stat_proc", "due: trainer / stat process", "x"),
    ("trainer_due_edited", "`trainer due --json` after one note was edited [ms]", "ms"),
    ("trainer_stats", "`trainer stats --json`, warm, process [ms]", "ms"),
    ("anki_stats", "Anki statistics, process: open + graphs (30 days) [ms]", "ms"),
    ("ratio:trainer_stats/anki_stats", "stats: trainer / Anki", "x"),
    ("ratio:trainer_stats/stat_proc", "stats: trainer / stat process", "x"),
    ("anki_open_s", "Anki: open the collection, in process [ms]", "ms"),
    ("anki_first_due_inproc_s", "Anki: first counts + due tree after opening [ms]", "ms"),
    ("anki_due_inproc_s", "Anki: counts + due tree again (queue already built) [ms]", "ms"),
    ("anki_all_due_inproc_s", "Anki: every due card (search is:due, no cap), collection open [ms]", "ms"),
    ("anki_graphs_inproc_s", "Anki: graphs, collection open [ms]", "ms"),
    ("trainer_grade", "one grade in process, trainer: median / p90 [ms]", "grade"),
    ("trainer_floor", "its write floor: the graded note rewritten in its folder (temp, fsync, rename, "
                      "folder fsync), same loop: median / p90 [ms]", "grade"),
    ("trainer_grade_over_floor", "grade: trainer / its write floor (median of the pairs)", "x"),
    ("anki_grade", "one grade in process, Anki (its top card taken from its queue, answer_card): median / p90 [ms]",
     "grade"),
    ("grade_ratio", "grade: trainer / Anki (medians)", "gx"),
    ("trainer_show", "trainer: the card read for the screen before its grade (read_card: body and frontmatter "
                     "parsed; not in the grade above): median / p90 [ms]", "grade"),
    ("trainer_show_grade", "trainer: the card read and graded, timed together: median / p90 [ms]", "grade"),
]


def _cell(r: dict, key: str, kind: str) -> str:
    if kind == "grade":
        return f"{r[key + '_ms']:.2f} / {r[key + '_p90_ms']:.2f}"
    if kind == "gx":
        return f"{r['trainer_grade_ms'] / r['anki_grade_ms']:.2f}×"
    v = r.get(key)
    if v is None:
        return "–"
    if kind == "x":
        return f"{v:.2f}×"
    ms = v * 1000
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.1f}"


def print_table(results: dict[str, dict], markdown: bool) -> None:
    cols = list(results)
    headers = ["metric", *cols]
    rows = [[label, *(_cell(results[c], key, kind) for c in cols)] for key, label, kind in ROWS]
    if markdown:
        print("| " + " | ".join(headers) + " |")
        print("|---|" + "---:|" * len(cols))
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    fmt = lambda vals: " | ".join(v.ljust(widths[i]) if i == 0 else v.rjust(widths[i]) for i, v in enumerate(vals))  # noqa: E731
    print(fmt(headers))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(fmt(row))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--anki-worker"]:
        return anki_worker(argv[1:])
    ap = argparse.ArgumentParser(description="trainer against Anki's engine on the same cards (needs `anki`, "
                                             "which is not a dependency of trainer)")
    ap.add_argument("--sizes", default="10000", help="deck sizes, comma separated (default 10000)")
    ap.add_argument("--shapes", default="mixed,seed", help="deck shapes: mixed, seed (default both)")
    ap.add_argument("--anki-python", help="an interpreter that can import anki (default: $TRAINER_BENCH_ANKI_PYTHON "
                                          "or this one)")
    ap.add_argument("--decks-dir", help="generate (or reuse) decks and collections here instead of a temp dir")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--grades", type=int, default=200)
    ap.add_argument("--history", type=int, default=0, metavar="ROWS",
                    help="past reviews on each side: ROWS rows in trainer's log and in Anki's revlog, over two years "
                         "(default 0: none but the benchmark's own grades)")
    ap.add_argument("--json", dest="json_out", metavar="OUT")
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args(argv)

    anki_py, version = find_anki_python(a.anki_python)
    if anki_py is None:
        print(f"skipped: no `anki` package ({version}). It is not a dependency of trainer; to compare, "
              "install it in a virtualenv (`python -m venv V && V/bin/pip install anki`) and pass "
              "--anki-python V/bin/python.")
        return 0
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(HERE))
    import gen_deck

    sizes = [int(s.replace("k", "000")) for s in a.sizes.split(",") if s.strip()]
    shapes = [s.strip() for s in a.shapes.split(",") if s.strip()]
    for s in shapes:
        if s not in gen_deck.SHAPES:
            ap.error(f"unknown shape {s!r} (choose from {', '.join(gen_deck.SHAPES)})")
    tmp = None
    base = Path(a.decks_dir) if a.decks_dir else Path(tmp := tempfile.mkdtemp(prefix="trainer-vs-anki-"))
    results: dict[str, dict] = {}
    try:
        for n in sizes:
            for shape in shapes:
                name = f"deck-{n}-s{a.seed}" + ("" if shape == "mixed" else f"-{shape}")
                deck, work = base / "vs-anki" / name, base / "vs-anki" / f"anki-{name}"
                if not (deck / ".complete").exists() or (deck / ".graded").exists():
                    shutil.rmtree(deck, ignore_errors=True)
                    shutil.rmtree(work, ignore_errors=True)
                    t0 = time.perf_counter()
                    gen_deck.generate(deck, n, a.seed, shape)
                    (deck / ".complete").touch()
                    print(f"[{n} {shape}] generated in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
                t0 = time.perf_counter()
                label = f"{n // 1000}k {shape}" if n % 1000 == 0 else f"{n} {shape}"
                load_before = os.getloadavg()[0]
                results[label] = bench_deck(deck, work, anki_py, n, a.rounds, a.grades, a.history)
                results[label]["loadavg"] = (load_before, os.getloadavg()[0])
                print(f"[{n} {shape}] measured in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)

    print(f"\ntrainer vs Anki {version} on the same cards — python {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs, today {TODAY}, {a.rounds} rounds turn about, "
          f"{a.history:,} reviews of history on each side\n")
    print_table(results, a.markdown)
    print("\n(process figures: start to exit, median over rounds; ratios: median of per-round ratios; "
          "grades: median / p90 over the same cards)")
    for label, r in results.items():
        print(f"  {label}: trainer counts {r['trainer_counts']}, Anki new/learning/review {r['anki_counts']}; "
              f"1-min load average {r['loadavg'][0]:.1f} before, {r['loadavg'][1]:.1f} after "
              f"({os.cpu_count()} CPUs: above that, other processes shared the cores)")
    if a.json_out:
        Path(a.json_out).write_text(json.dumps({"anki": version, "python": platform.python_version(),
                                                "results": results}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
