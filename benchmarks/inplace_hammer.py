"""An editor saving in place against grades in a loop: are any of the editor's saves lost? (issue #11)

    python benchmarks/inplace_hammer.py --seconds 60

A second process plays an editor that saves the way Obsidian, VS Code and many others do: it
reads the note (as an editor reloads a file changed on disk), puts a new body version into it,
then truncates the file and writes it back in two pieces, every 1-2 ms. This process grades the
same note in a loop meanwhile, a new day each time, through the same path as ``trainer review``
(``Deck.load`` then ``grading.grade``). After each save the editor checks that the path shows the
version it saved (waiting up to 3 s while a grade puts it back); a save that never shows is a
lost body. Also counted: grades written, grades refused because the note was mid-save, saves that
went into a file a grade had just replaced (and were put back).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOTE = "hammer.md"
MARK = re.compile(rb"<!-- body v(\d+) -->")
FILLER = "".join(f"段落 {i}: the body an editor holds, long enough to take two writes.\n" for i in range(60))


def initial_note() -> bytes:
    return (
        "---\ncreated: '2026-01-01'\ndifficulty: medium\ntags: [hammer]\n---\n"
        "# Hammered question\n\n## Answer\n\n<!-- body v0 -->\n" + FILLER
    ).encode("utf-8")


def editor(path: Path, seconds: float, seed: int) -> dict:
    """The editor process: read, change the body, save in place; check each save lands."""
    rng = random.Random(seed)
    saves = lost = orphaned = rescued = empty_reads = 0
    version = 0
    last = path.read_bytes()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        current = path.read_bytes()
        m = MARK.search(current)
        if m is None or not current.strip():
            empty_reads += 1  # never expected: the trainer writes whole files by rename
            current = last
        version += 1
        data = MARK.sub(f"<!-- body v{version} -->".encode(), current, count=1)
        cut = rng.randrange(1, len(data))
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
        try:
            os.write(fd, data[:cut])
            if rng.random() < 0.5:
                time.sleep(0.0002)
            os.write(fd, data[cut:])
            ino = os.fstat(fd).st_ino
        finally:
            os.close(fd)
        saves += 1
        last = data
        went_astray = os.stat(path).st_ino != ino
        orphaned += went_astray
        deadline = time.monotonic() + 3.0
        while True:
            m = MARK.search(path.read_bytes())
            if m is not None and int(m.group(1)) == version:
                rescued += went_astray
                break
            if time.monotonic() > deadline:
                lost += 1
                break
            time.sleep(0.001)
        time.sleep(rng.uniform(0.001, 0.002))
    return {"saves": saves, "lost": lost, "orphaned": orphaned, "rescued": rescued, "empty_reads": empty_reads}


def grader(deck_dir: Path, proc: subprocess.Popen) -> dict:
    """Grades in a loop (a new day each time, so every grade writes) until the editor is done."""
    from trainer import grading
    from trainer.deck import Deck
    from trainer.notes.write import WriteError
    from trainer.reviewlog import ReviewLog

    deck = Deck(deck_dir)
    log = ReviewLog.open(deck.root)
    day = dt.date(2026, 1, 1)
    counts = {"graded": 0, "refused_mid_save": 0, "conflicts": 0, "reapplied": 0, "errors": 0}
    errors: list[str] = []
    try:
        while proc.poll() is None:
            day += dt.timedelta(days=1)
            try:
                note = deck.load(NOTE, day)
                g = grading.grade(deck, log, note, random.choice((3, 4, 5)), day)
                counts["graded"] += 1
                counts["reapplied"] += g.reapplied
            except grading.NoteError as exc:
                if "being saved" in str(exc):
                    counts["refused_mid_save"] += 1
                else:
                    counts["errors"] += 1
                    errors.append(str(exc))
            except grading.Conflict:
                counts["conflicts"] += 1
            except (WriteError, OSError) as exc:
                counts["errors"] += 1
                errors.append(str(exc))
    finally:
        log.close()
    counts["error_samples"] = errors[:3]
    return counts


def run(seconds: float, seed: int = 0) -> dict:
    with tempfile.TemporaryDirectory(prefix="trainer-hammer-") as tmp:
        deck_dir = Path(tmp) / "deck"
        deck_dir.mkdir()
        path = deck_dir / NOTE
        path.write_bytes(initial_note())
        out = Path(tmp) / "editor.json"
        proc = subprocess.Popen([sys.executable, __file__, "--editor", str(path), "--seconds", str(seconds),
                                 "--seed", str(seed), "--out", str(out)])
        g = grader(deck_dir, proc)
        proc.wait()
        e = json.loads(out.read_text())
        final = path.read_bytes()
        m = MARK.search(final)
        blocks = final.count(b"\n---\n") + final.startswith(b"---\n")
        return {**e, **g, "seconds": seconds,
                "final_body_version_ok": m is not None and int(m.group(1)) == e["saves"],
                "frontmatter_lines": blocks}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--editor", metavar="PATH", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.editor:
        Path(a.out).write_text(json.dumps(editor(Path(a.editor), a.seconds, a.seed)))
        return 0
    r = run(a.seconds, a.seed)
    print(f"in-place hammer, {r['seconds']:.0f} s: editor saves {r['saves']}, lost {r['lost']}; "
          f"grades written {r['graded']}, refused mid-save {r['refused_mid_save']}, conflicts {r['conflicts']}; "
          f"saves into a just-replaced file {r['orphaned']} (put back {r['rescued']}); "
          f"empty reads by the editor {r['empty_reads']}; final body is the last save: {r['final_body_version_ok']}")
    print(json.dumps(r))
    return 0 if r["lost"] == 0 and r["empty_reads"] == 0 and r["final_body_version_ok"] else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main())
