"""Two parts of one grade timed in one process, each beside the way it was done before (#17), in
turns, so the machine's load hits both sides alike (end-to-end grades on a busy 2-core machine
vary more than these parts cost):

* the edit's check: ``edit_frontmatter`` with a grade's values on the notes of DECK, read back
  token by token (now) or by parsing the edited frontmatter whole (before; forced here by
  refusing the token check);
* the day's count of new cards that the study app asks after every grade: kept by the log
  (now) or read from the log (before: the same SQL).

    python benchmarks/bench_grade_parts.py DECK [--notes 300] [--rounds 5]

DECK is only read (the log is a scratch copy in a temp dir, with DECK's new cards of the day).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description="the edit's check and the new-card count, now and before, in turns")
    ap.add_argument("deck")
    ap.add_argument("--notes", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--new-today", type=int, default=20, help="new cards graded today in the scratch log")
    a = ap.parse_args()
    from trainer import memory, scheduler
    from trainer.grading import _updates
    from trainer.notes import parse, write
    from trainer.reviewlog import ReviewLog

    today = dt.date.today()
    paths = sorted(p for p in Path(a.deck).rglob("*.md") if ".trainer" not in p.parts)
    paths = paths[:: max(1, len(paths) // a.notes)][: a.notes]
    cases = []
    for p in paths:
        raw = p.read_bytes()
        text, _ = parse.decode(raw)
        note = parse.parse_note(raw, p.name)
        if note.fatal:
            continue
        after = memory.forget_sm2(scheduler.review(note.schedule, 4, today, scheduler.MAX_INTERVAL))
        cases.append((text, _updates(after)))
    swappable = write._swappable

    def edits(token_check: bool) -> float:
        write._swappable = swappable if token_check else (lambda fm, node: False)
        spent = 0.0
        for text, updates in cases:
            parse._recent.clear()
            parse.load_yaml(parse.split_frontmatter(text).yaml)  # as under the lock: the read parsed it
            t0 = time.perf_counter()
            write.edit_frontmatter(text, updates)
            spent += time.perf_counter() - t0
        write._swappable = swappable
        return spent / len(cases)

    with tempfile.TemporaryDirectory() as tmp:
        log = ReviewLog.open(Path(tmp))
        for i in range(a.new_today):
            log.finish(log.begin(f"n{i}.md", "review", today, grade=4, was_new=True))
        sql = ("SELECT COUNT(DISTINCT note) FROM reviews WHERE day = ? AND kind = 'review' AND was_new = 1"
               " AND undone = 0 AND state = 'done'")

        def counts(kept: bool) -> float:
            t0 = time.perf_counter()
            for i in range(200):
                row = log.begin("x.md", "review", today, grade=4)
                log.finish(row)  # a grade's two writes, then the question
                if kept:
                    log.new_cards_on(today)
                else:
                    log.conn.execute(sql, (today.isoformat(),)).fetchone()
            return (time.perf_counter() - t0) / 200

        times: dict[str, list[float]] = {"edit_token": [], "edit_whole": [], "count_kept": [], "count_read": []}
        for r in range(a.rounds):
            for name, fn in (("edit_token", lambda: edits(True)), ("edit_whole", lambda: edits(False)),
                             ("count_kept", lambda: counts(True)), ("count_read", lambda: counts(False)))[:: 1 if r % 2 else -1]:
                times[name].append(fn())
        log.close()
    us = lambda xs: round(statistics.median(xs) * 1e6, 1)  # noqa: E731
    print(json.dumps({"notes": len(cases), "rounds": a.rounds,
                      "edit + its check, token by token [us]": us(times["edit_token"]),
                      "edit + its check, parsed whole (before) [us]": us(times["edit_whole"]),
                      "grade's two log writes + new-card count kept [us]": us(times["count_kept"]),
                      "grade's two log writes + new-card count read (before) [us]": us(times["count_read"]),
                      "load": round(os.getloadavg()[0], 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
