"""``trainer import`` of an Anki package against reading the same package raw, in the same run.

    python benchmarks/bench_import_apkg.py [--cards 10000] [--reviews 100000] [--seed 7] [--repeat 3]

A seeded generator builds a modern ``.apkg`` (zstd ``collection.anki21b``, schema 18, zstd
protobuf media map, a placeholder ``collection.anki2``) with N Basic notes (some HTML, CJK,
nested decks, a few images), cards in every state (new, learning, review, suspended, FSRS
data on some) and R revlog rows spread over the review cards. Then, alternating, median of
``--repeat`` runs each:

* limit — unzip the collection, zstd-decode it to a temp file, open it with sqlite3 and read
  every row of notes, cards and revlog (what any importer must do at the least);
* import — ``run_import`` of the package into a fresh, empty deck (notes written durably,
  media copied, every review into the review log).

Target: import <= 30 s for 10k cards and 100k reviews.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import zstandard

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from trainer.deck import Deck  # noqa: E402
from trainer.importers import run_import  # noqa: E402
from trainer.reviewlog import ReviewLog  # noqa: E402

TODAY = dt.date(2026, 11, 25)
CRT = dt.datetime(2021, 1, 1, 4, 0)
WORDS = ("attention token layer gradient softmax residual norm cache batch 注意力 梯度 残差 归一化 训练 推理 "
         "query key value head embedding loss optimizer warmup schedule").split()


def _pb(*fields) -> bytes:
    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            b, n = n & 0x7F, n >> 7
            out.append(b | (0x80 if n else 0))
            if not n:
                return bytes(out)

    out = bytearray()
    for number, value in fields:
        if isinstance(value, int):
            out += varint(number << 3) + varint(value)
        else:
            raw = value.encode() if isinstance(value, str) else value
            out += varint(number << 3 | 2) + varint(len(raw)) + raw
    return bytes(out)


def build(path: Path, cards: int, reviews: int, seed: int) -> None:
    rng = random.Random(seed)
    db = path.with_suffix(".db")
    con = sqlite3.connect(db)
    con.executescript(
        """
        CREATE TABLE col (id integer PRIMARY KEY, crt integer, mod integer, scm integer, ver integer, dty integer,
          usn integer, ls integer, conf text, models text, decks text, dconf text, tags text);
        CREATE TABLE notes (id integer PRIMARY KEY, guid text, mid integer, mod integer, usn integer, tags text,
          flds text, sfld integer, csum integer, flags integer, data text);
        CREATE TABLE cards (id integer PRIMARY KEY, nid integer, did integer, ord integer, mod integer, usn integer,
          type integer, queue integer, due integer, ivl integer, factor integer, reps integer, lapses integer,
          left integer, odue integer, odid integer, flags integer, data text);
        CREATE TABLE revlog (id integer PRIMARY KEY, cid integer, usn integer, ease integer, ivl integer,
          lastIvl integer, factor integer, time integer, type integer);
        CREATE TABLE notetypes (id integer PRIMARY KEY, name text, mtime_secs integer, usn integer, config blob);
        CREATE TABLE fields (ntid integer, ord integer, name text, config blob, PRIMARY KEY (ntid, ord)) without rowid;
        CREATE TABLE templates (ntid integer, ord integer, name text, mtime_secs integer, usn integer, config blob,
          PRIMARY KEY (ntid, ord)) without rowid;
        CREATE TABLE decks (id integer PRIMARY KEY, name text, mtime_secs integer, usn integer, common blob, kind blob);
        CREATE TABLE config (KEY text PRIMARY KEY, usn integer, mtime_secs integer, val blob) without rowid;
        """
    )
    con.execute("INSERT INTO col VALUES (1, ?, 0, 0, 18, 0, 0, 0, '', '', '', '', '')", (int(CRT.timestamp()),))
    con.execute("INSERT INTO notetypes VALUES (1, 'Basic', 0, 0, ?)", (_pb((3, ".card {}")),))
    con.execute("INSERT INTO fields VALUES (1, 0, 'Front', x''), (1, 1, 'Back', x'')")
    con.execute("INSERT INTO templates VALUES (1, 0, 'Card 1', 0, 0, ?)", (_pb((1, "{{Front}}"), (2, "{{Back}}")),))
    decks = ["Default", "ML\x1fAttention", "ML\x1fTraining", "语言\x1f词汇", "Systems"]
    con.executemany("INSERT INTO decks VALUES (?, ?, 0, 0, x'', x'')", [(i + 1, n) for i, n in enumerate(decks)])
    con.execute("INSERT INTO config VALUES ('rollover', 0, 0, '4')")
    crt_day = CRT.date()
    today_no = (TODAY - crt_day).days
    base = int(dt.datetime(2022, 1, 1).timestamp() * 1000)
    notes, card_rows, review_cards = [], [], []
    for i in range(cards):
        words = " ".join(rng.choice(WORDS) for _ in range(6))
        front = f"What is <b>{words}</b> ({i})?" if i % 3 else f"{words} 是什么（{i}）？"
        back = " ".join(rng.choice(WORDS) for _ in range(40))
        if i % 4 == 0:
            back = f"<div>{back}</div><ul><li>{rng.choice(WORDS)}</li><li>{rng.choice(WORDS)}</li></ul>"
        if i % 500 == 0:
            back += f'<img src="fig{i % 7}.png">'
        nid = base + i * 1000
        notes.append((nid, f"g{i}", 1, 0, 0, f" t{i % 20} ml::{rng.choice(WORDS)} ", f"{front}\x1f{back}", front, 0, 0, ""))
        kind = rng.random()
        cid = nid + 1
        if kind < 0.15:
            state = (0, 0, i, 0, 0, 0)
        elif kind < 0.2:
            state = (1, 1, int(time.time()), 0, 2500, 2)
        else:
            ivl = rng.randint(1, 400)
            state = (2, -1 if kind > 0.97 else 2, today_no + rng.randint(-30, 200), ivl, rng.randint(1300, 3000),
                     rng.randint(1, 30))
            review_cards.append(cid)
        data = json.dumps({"s": round(rng.uniform(1, 300), 2), "d": round(rng.uniform(1, 10), 2)}) if i % 2 else ""
        card_rows.append((cid, nid, 1 + i % len(decks), 0, 0, 0, *state, 0, 0, 0, 0, 0, data))
    con.executemany("INSERT INTO notes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", notes)
    con.executemany("INSERT INTO cards VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", card_rows)
    revlog = []
    t = base
    for k in range(reviews):
        t += rng.randint(1, 900_000)
        cid = review_cards[k % len(review_cards)]
        revlog.append((t, cid, 0, rng.choice((1, 2, 3, 3, 3, 4)), rng.randint(1, 100), 1, 2500, rng.randint(500, 60000),
                       rng.choice((0, 1, 1, 1, 2))))
    con.executemany("INSERT INTO revlog VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", revlog)
    con.commit()
    con.close()
    z = zstandard.ZstdCompressor()
    media = [f"fig{i}.png" for i in range(7)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("collection.anki2", b"placeholder: please update Anki")
        zf.writestr("collection.anki21b", z.compress(db.read_bytes()))
        zf.writestr("media", z.compress(b"".join(_pb((1, _pb((1, n), (2, 64)))) for n in media)))
        for i, n in enumerate(media):
            zf.writestr(str(i), z.compress(bytes([i]) * 4096))
        zf.writestr("meta", _pb((1, 3)))
    db.unlink()


def raw_read(path: Path, work: Path) -> int:
    """Unzip + zstd-decode the collection, open it, read every note, card and revlog row."""
    dest = work / "raw.sqlite"
    with zipfile.ZipFile(path) as zf, zf.open("collection.anki21b") as src, open(dest, "wb") as out:
        zstandard.ZstdDecompressor().copy_stream(src, out)
    con = sqlite3.connect(f"file:{dest}?mode=ro", uri=True)
    n = 0
    for table in ("notes", "cards", "revlog"):
        for _ in con.execute(f"SELECT * FROM {table}"):
            n += 1
    con.close()
    dest.unlink()
    return n


def import_once(path: Path, work: Path) -> tuple[float, object]:
    root = work / "deck"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir()
    deck = Deck(root)
    t0 = time.perf_counter()
    log = ReviewLog.open(root)
    try:
        report = run_import(deck, [path], today=TODAY, log=log)
    finally:
        log.close()
    return time.perf_counter() - t0, report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cards", type=int, default=10_000)
    ap.add_argument("--reviews", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-apkg-") as tmp:
        work = Path(tmp)
        pkg = work / "collection.apkg"
        t0 = time.perf_counter()
        build(pkg, a.cards, a.reviews, a.seed)
        print(f"package: {a.cards} cards, {a.reviews} revlog rows, {pkg.stat().st_size / 1e6:.1f} MB, "
              f"built in {time.perf_counter() - t0:.1f} s")
        raw_read(pkg, work)  # warm the page cache
        limits, imports = [], []
        report = None
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            raw_read(pkg, work)
            limits.append(time.perf_counter() - t0)
            seconds, report = import_once(pkg, work)
            imports.append(seconds)
        c = report.counts()
        print(f"imported {c['imported']} notes, skipped {c['skipped']}, failed {c['failed']}, "
              f"{report.reviews_imported} reviews into the log")
        lim, imp = statistics.median(limits), statistics.median(imports)
        print()
        print(f"{'figure':<44} {'seconds':>9} {'ratio':>7}")
        print(f"{'limit: unzip + zstd + read every row':<44} {lim:>9.2f} {1:>7.2f}")
        print(f"{'trainer import (notes, media, review log)':<44} {imp:>9.2f} {imp / lim:>7.1f}")
        print()
        print(f"import = {imp:.1f} s (target <= 30 s): {'OK' if imp <= 30 else 'OVER TARGET'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
