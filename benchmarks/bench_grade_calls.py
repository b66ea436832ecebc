"""One grade in process, with what it costs beside the write it cannot avoid (issue #17).

    python benchmarks/bench_grade_calls.py DECK [--grades 200] [--in-place] [--floor] [--phases]
                                                [--spread] [--no-show] [--pause MS]
                                                [--load-each [--settings-once]] [--profile OUT]

DECK is copied to a temp dir first (grading changes notes); with ``--in-place`` it is graded
where it is (a scratch copy you made, ``cp -a``: a 100k deck is then not copied and scanned cold
on every run). A grade is timed as the study app grades: the deck opened once
(``OpenDeck.open`` + ``load``, its settings read once), a ``StudySession`` on the day's due
queue (``OpenDeck.start_session``, as the app and ``bench_vs_anki.py``; ``--spread``: on every
n-th note of the deck instead, as this benchmark did before), and each grade
``session.grade_current(q)`` on the card it holds (the grade, the log, the deck's bookkeeping after
it), as Anki's ``answer_card`` is timed on the card its queue holds. The note was read when the
card was shown, not at the grade: the study screen reads it then (``read_card``: its body, and
its frontmatter parsed on the same read), and so does this loop before each grade, untimed
(``--no-show``: not read before the grade; its parse then falls in the grade). Between two grades the
loop does only what it times: the graded card's re-drill is taken out of the first few places of
the queue (:func:`drop_redrill`, each card graded once), never by a walk of the whole queue.

Beside each grade, in the same loop: **the write floor** (:func:`rewrite_in_place`): the graded
note's own bytes written back where it is, atomically, as a grade writes it (a temp file in its
folder, fsync, rename over the note, fsync of the folder) and nothing else. A grade leaves the
last close of the file it replaced (which frees it) to a thread of its own; the loop waits for
it, untimed, before the floor (:func:`settle_closes`), as a person's pause would. ``--pause MS`` sleeps
MS before each grade and before each floor (a person takes seconds between two grades: an idle
machine answers a first fsync more slowly than one busy writing).
``--load-each`` times the way ``bench_core.py`` does instead (and this benchmark did before):
``Deck.load`` (read and parse the whole note) then ``grading.grade``, each grade checking
``trainer.toml`` for changes (``--settings-once``: the settings read once). Right after each
grade the same loop times its limit:
an atomic write of a 3 KB file with its two fsyncs (file and folder). Printed: median wall time,
median CPU time (fsync waits excluded), the write limit, and per grade (the mean) the YAML
loaders built, ``os.lstat`` and ``os.stat`` calls (counted by wrapping them). Run it with ``PYTHONPATH=OLD`` (a
``git archive COMMIT trainer`` tree) to measure older code the same way.

``--floor`` adds a second limit to the same loop, on other notes of the deck: what a grade cannot
do without while keeping its guarantees, and nothing else. Read the note, parse its frontmatter
(our loader, cache emptied), commit a pending log row, parse the edited frontmatter (the check of
the edit), write the note atomically (temp file in its folder, fsync, rename, fsync of the
folder: the same bytes back), commit the row done (a scratch log, same schema and settings).
Left out: the lock, the read again under it, the looks for an editor's save (#11), the path
checks, SM-2 and the log's JSON.


``--phases`` times the parts of each grade (wall clock, by wrapping the functions that do them;
a part missing from the code measured is left out) and prints each part's median per grade.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import shutil
import statistics
import sys
import tempfile
import time


def main() -> int:
    ap = argparse.ArgumentParser(description="one grade in process: time, CPU, YAML parses and stat calls")
    ap.add_argument("deck")
    ap.add_argument("--grades", type=int, default=200)
    ap.add_argument("--in-place", action="store_true", help="grade in DECK itself (a scratch copy), not in a temp copy")
    ap.add_argument("--profile", metavar="OUT", help="also write a cProfile of the timed grades to OUT")
    ap.add_argument("--show", action=argparse.BooleanOptionalAction, default=True,
                    help="read each card as the study screen shows it, untimed, before its grade (default)")
    ap.add_argument("--floor", action="store_true", help="also time the floor: the unavoidable steps alone")
    ap.add_argument("--phases", action="store_true", help="also print the median wall time of each part of a grade")
    ap.add_argument("--load-each", action="store_true",
                    help="Deck.load before each grading.grade, as bench_core.py times it (not the app's grade)")
    ap.add_argument("--settings-once", action="store_true",
                    help="with --load-each: read the deck's settings once and pass them to every grade")
    ap.add_argument("--spread", action="store_true",
                    help="the session on every n-th note of the deck, not on the day's due queue")
    ap.add_argument("--pause", type=float, default=0.0, metavar="MS",
                    help="sleep MS before each grade and before each write floor (a person's pause)")
    a = ap.parse_args()
    import trainer.notes.parse as parse
    from trainer import grading
    from trainer.deck import Deck
    from trainer.reviewlog import ReviewLog

    counts = {"yaml": 0, "lstat": 0, "stat": 0}
    base = parse.loader_class()

    class Counting(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kw):
            counts["yaml"] += 1
            super().__init__(*args, **kw)

    parse.loader_class = lambda: Counting
    real_lstat, real_stat = os.lstat, os.stat

    def lstat(*args, **kw):
        counts["lstat"] += 1
        return real_lstat(*args, **kw)

    def stat(*args, **kw):
        counts["stat"] += 1
        return real_stat(*args, **kw)

    today = dt.date.today()
    with tempfile.TemporaryDirectory() as tmp:
        root = a.deck if a.in_place else shutil.copytree(a.deck, os.path.join(tmp, "deck"),
                                                          ignore=shutil.ignore_patterns(".trainer*"))
        d = Deck(root)
        settings = None
        if a.load_each:
            log = ReviewLog.open(d.root)
            if a.settings_once:
                from trainer import config

                settings = config.load_cached(d.root)
            notes = d.scan(today).notes
            session = None
        else:  # the study app: the deck opened once, a session holding the cards it grades
            from trainer.opendeck import OpenDeck

            book = OpenDeck.open(root, today)
            book.load()
            log, notes = book.log, book.notes
        # notes not graded today yet: a second grade the same day is a re-drill (no write)
        held = [n for n in notes if n.schedule.last_reviewed != today and not n.fatal]
        rels = [n.rel for n in held]
        step = max(1, len(rels) // a.grades)
        picked = rels[::step][: a.grades]
        if not a.load_each and a.spread:
            from trainer.session import StudySession

            session = StudySession(book, held[::step][: a.grades])
        elif not a.load_each:  # the day's due queue, as the app (and bench_vs_anki) studies it
            session = book.start_session(book.notes)
            picked = [n.rel for n in itertools.islice(session.queue, a.grades)]  # its length; the card is the session's
        graded = set(picked)
        floor_rels = [r for r in rels[max(1, step // 2) :: step] if r not in graded][: len(picked)] if a.floor else []
        floor_log = _scratch_log(os.path.join(tmp, "floor.db")) if a.floor else None
        limit_dir = os.path.join(tmp, "limit")
        os.mkdir(limit_dir)
        payload = b"x" * 3100
        wall, cpu, write, floor, rewrite, per = [], [], [], [], [], {}
        pause = a.pause / 1000
        phase_times: dict[str, list[float]] = {}
        spent = _time_phases() if a.phases else None
        profile = None
        if a.profile:
            import cProfile

            profile = cProfile.Profile()
        os.lstat, os.stat = lstat, stat
        try:
            for i, rel in enumerate(picked):
                if session is not None:
                    if session.current is None:
                        break
                    rel = session.current.rel
                    if a.show:
                        parse.read_card(session.current.path)  # the card shown, as the study screen shows it
                if pause:
                    time.sleep(pause)
                before = dict(counts)
                if spent is not None:
                    spent.clear()
                if profile is not None:
                    profile.enable()
                t0, c0 = time.perf_counter(), time.process_time()
                if session is None:
                    grading.grade(d, log, d.load(rel, today), 3 + i % 3, today, settings=settings)
                else:
                    event = session.grade_current(3 + i % 3)
                wall.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
                if session is not None:
                    if event.graded is None or event.graded.kind != "review":
                        raise SystemExit(f"{rel}: not a scheduling grade: {event.outcome.value} {event.detail}")
                    drop_redrill(session, rel)  # each card graded once (a re-drill writes nothing)
                if profile is not None:
                    profile.disable()
                for k in counts:
                    per[k] = per.get(k, 0) + counts[k] - before[k]
                if spent is not None:
                    for label in _PHASES:
                        phase_times.setdefault(label[2], []).append(spent.get(label[2], 0.0))
                settle_closes()
                if pause:
                    time.sleep(pause)
                rewrite.append(rewrite_in_place(os.path.join(root, rel)))
                t0 = time.perf_counter()
                tmp_file = os.path.join(limit_dir, "t.tmp")
                fd = os.open(tmp_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.write(fd, payload)
                os.fsync(fd)
                os.close(fd)
                os.replace(tmp_file, os.path.join(limit_dir, "t.md"))
                dfd = os.open(limit_dir, os.O_RDONLY)
                os.fsync(dfd)
                os.close(dfd)
                write.append(time.perf_counter() - t0)
                if floor_log is not None and i < len(floor_rels):
                    floor.append(_floor_once(os.path.join(root, floor_rels[i]), floor_log, today))
        finally:
            os.lstat, os.stat = real_lstat, real_stat
            log.close()
    if profile is not None:
        profile.dump_stats(a.profile)
    ms = lambda xs: round(statistics.median(xs) * 1000, 3)  # noqa: E731
    p90 = lambda xs: round(statistics.quantiles(xs, n=10)[-1] * 1000, 3)  # noqa: E731
    mode = "load-each" + (", settings once" if a.settings_once else "") if a.load_each else "app (held note)"
    mode += ", spread" if a.spread and not a.load_each else ", due queue" if not a.load_each else ""
    mode += ", not shown" if not a.show and not a.load_each else ""
    mode += f", pause {a.pause:g} ms" if a.pause else ""
    print(json.dumps({"mode": mode, "grades": len(wall), "wall_ms": ms(wall), "wall_p90_ms": p90(wall), "cpu_ms": ms(cpu),
                      "write_floor_ms": ms(rewrite), "write_floor_p90_ms": p90(rewrite),
                      "grade_over_write_floor": round(statistics.median(g / f for g, f in zip(wall, rewrite)), 2),
                      "atomic_write_fsync_ms": ms(write), "atomic_write_fsync_p90_ms": p90(write),
                      **({"floor_ms": ms(floor), "floor_p90_ms": p90(floor)} if floor else {}),
                      **({"phases_ms": {k: ms(v) for k, v in phase_times.items() if any(v)}} if phase_times else {}),
                      "per_grade": {k: round(v / max(1, len(wall)), 2) for k, v in per.items()}, "load": round(os.getloadavg()[0], 1)}))
    return 0


_PHASES = (
    ("trainer.deck", "Deck.load", "load: read + parse (the caller's)"),
    ("trainer.grading", "_scheduled", "SM-2 + settings"),
    ("trainer.grading", "_open_grading_lock", "grading lock: open"),
    ("trainer.notes.store", "_not_a_note_fast", "path check before the note's lock"),
    ("trainer.notes.store", "not_a_note", "path checks by realpath (the code before)"),
    ("trainer.notes.store", "_update_once", "under the note's lock, all: read, checks, edit, write, look"),
    ("trainer.notes.store", "_real_of_read", "  path check from the descriptor"),
    ("trainer.notes.store", "_schedule_in", "  schedule check"),
    ("trainer.notes.store", "edit_frontmatter", "  edit + its check (2nd YAML parse)"),
    ("trainer.notes.store", "atomic_write", "  atomic write (temp, 2 fsyncs, rename)"),
    ("os", "fsync", "    of which the 2 fsyncs"),
    ("trainer.notes.store", "_saved_into_replaced", "  look after the rename (#11)"),
    ("trainer.reviewlog", "ReviewLog.begin", "log: pending row (commit 1)"),
    ("trainer.reviewlog", "ReviewLog.finish", "log: done (commit 2)"),
    ("trainer.opendeck", "OpenDeck.update", "the app's bookkeeping after (new cards today)"),
    ("os", "close", "closes (the replaced file's last frees it)"),
)


def settle_closes() -> None:
    """Wait (untimed) for the replaced note's last close, which a grade leaves to a thread of its
    own (``trainer.notes.closer``): the write floor timed next is then not slowed by it, as it
    would not be after a person's pause between two grades. Code before that thread has nothing to wait for."""
    try:
        from trainer.notes import closer
    except ImportError:
        return
    closer.drain()


def rewrite_in_place(path: str) -> float:
    """The write floor of one grade, timed: the note's own bytes (read first, untimed) written back
    where it is, as a grade writes a note: a temp file in the note's folder, fsync, rename over
    the note, fsync of the folder. No lock, no read under it, no parse, no log."""
    with open(path, "rb") as fh:
        raw = fh.read()
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name[:40]}.floor-tmp-{os.getpid()}")
    t0 = time.perf_counter()
    _replace_durably(path, raw, tmp)
    return time.perf_counter() - t0


def _replace_durably(path: str, raw: bytes, tmp: str) -> None:
    """``raw`` written to ``tmp`` in ``path``'s folder, fsync'ed, renamed over ``path``, the folder fsync'ed."""
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(raw)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dfd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def drop_redrill(session, rel: str) -> None:
    """Take the card just graded out of the session's queue again: a grade below 4 put it back a
    few cards on as a re-drill (which writes nothing), and each card here is graded once. Only the
    first few places are looked at: at 100k the due queue holds ~43k cards, and the list walk this
    replaced cost the benchmark ~10 ms of its own between two grades, which slowed the next grade
    (caches cold; bench_vs_anki's grades took up to 1.5x those of this benchmark in one process)."""
    queue = session.queue
    for i in range(min(len(queue), 8)):
        if queue[i].rel == rel:
            del queue[i]
            return


def _time_phases() -> dict[str, float]:
    """Wrap the functions of :data:`_PHASES` so each adds its wall time to the dict returned."""
    import importlib

    spent: dict[str, float] = {}
    for module_name, attr, label in _PHASES:
        module = importlib.import_module(module_name)
        owner_name, _, name = attr.rpartition(".")
        owner = getattr(module, owner_name) if owner_name else module
        f = getattr(owner, name, None)
        if f is None:
            continue

        def timed(*args, _f=f, _label=label, **kw):
            t0 = time.perf_counter()
            try:
                return _f(*args, **kw)
            finally:
                spent[_label] = spent.get(_label, 0.0) + time.perf_counter() - t0

        setattr(owner, name, timed)
    return spent


def _scratch_log(path: str):
    import sqlite3

    from trainer.reviewlog import SCHEMA, _migrate_imported

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.executescript(SCHEMA)
    _migrate_imported(conn)
    return conn


def _floor_once(path: str, conn, today: dt.date) -> float:
    """The unavoidable steps of one grade (see the module's docstring), timed."""
    import trainer.notes.parse as parse

    recent = getattr(parse, "_recent", None)
    if recent is not None:
        recent.clear()
    folder = os.path.dirname(path)
    t0 = time.perf_counter()
    fd = os.open(path, os.O_RDONLY)
    try:
        raw = os.read(fd, 1 << 22)
    finally:
        os.close(fd)
    text = raw.decode("utf-8")
    yaml_text = parse.split_frontmatter(text).yaml
    parse.load_yaml(yaml_text)
    row = conn.execute(
        "INSERT INTO reviews (note, ts, day, kind, grade, before, after, state) VALUES (?, ?, ?, 'review', 4, ?, ?, 'pending')",
        (path, dt.datetime.now().isoformat(timespec="milliseconds"), today.isoformat(), yaml_text[:300], yaml_text[:200]),
    ).lastrowid
    parse.load_yaml(yaml_text + " ")  # the edited frontmatter, read back (a text not parsed before)
    _replace_durably(path, raw, os.path.join(folder, f".floor.trainer-tmp-{os.getpid()}"))
    conn.execute("UPDATE reviews SET state = 'done' WHERE id = ?", (row,))
    return time.perf_counter() - t0


if __name__ == "__main__":
    sys.exit(main())
