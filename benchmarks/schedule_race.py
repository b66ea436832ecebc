"""`trainer schedule` racing a user who edits notes while it runs: are any of the user's edits lost? (issue #11)

    python benchmarks/schedule_race.py --notes 20000 [--edits 500] [--trainer-path DIR]

A deck of notes that lack their standard keys (so `schedule` fills every one) is scheduled by
`trainer schedule` in a subprocess. Meanwhile a second process plays the user: note after note,
it adds ``difficulty: hard`` and ``tags: [mine]`` (or turns the values `schedule` just filled into
those) and saves in place (truncate, then write), a few ms apart. Afterwards every edited note
must still say ``hard`` and ``[mine]``. ``--trainer-path`` runs another checkout's trainer (e.g.
an older commit unpacked with ``git archive``) for a before/after figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def make_deck(root: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        p = root / f"t{i // 500:03d}" / f"n{i:06d}.md"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"---\ncreated: '2026-01-01'\n---\n# Question {i}\n\n{'body text ' * 30}\n", encoding="utf-8")
        paths.append(p)
    return paths


def user_edit(data: bytes) -> bytes:
    """The user's edit: difficulty hard and tags [mine], whatever `schedule` has put there yet."""
    text = data.decode("utf-8")
    head, sep, body = text.partition("\n---\n")
    lines = [ln for ln in head.split("\n") if not re.match(r"(difficulty|tags):", ln)]
    return ("\n".join(lines + ["difficulty: hard", "tags: [mine]"]) + sep + body).encode("utf-8")


def user(paths: list[str], edits: int, seed: int, start_after: float) -> list[str]:
    rng = random.Random(seed)
    order = rng.sample(paths, min(edits, len(paths)))
    watch = rng.sample(paths, min(200, len(paths)))
    end = time.monotonic() + 600
    while time.monotonic() < end and not any(b"related_outlines" in open(p, "rb").read() for p in watch):
        time.sleep(start_after)  # until `schedule` has begun writing: its plan was made from the scan
    done = []
    before_schedule = 0
    for p in order:
        data = open(p, "rb").read()
        before_schedule += b"related_outlines" not in data
        if not data.startswith(b"---\n") or b"\n---\n" not in data:
            continue
        new = user_edit(data)
        fd = os.open(p, os.O_WRONLY | os.O_TRUNC)
        os.write(fd, new)
        os.close(fd)
        done.append(p)
        time.sleep(rng.uniform(0.002, 0.01))
    return done, before_schedule


def kept(p: str) -> bool:
    text = Path(p).read_text(encoding="utf-8")
    head = text.partition("\n---\n")[0]
    diff = re.findall(r"^difficulty: *(.*)$", head, re.M)
    tags = re.findall(r"^tags: *(.*)$", head, re.M)
    return diff[-1:] == ["hard"] and tags[-1:] == ["[mine]"]


def run(notes: int, edits: int, seed: int, trainer_path: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="trainer-race-") as tmp:
        root = Path(tmp) / "deck"
        paths = [str(p) for p in make_deck(root, notes)]
        env = {**os.environ, "PYTHONPATH": str(trainer_path)}
        env.pop("TRAINER_DECK", None)
        t0 = time.perf_counter()
        sched = subprocess.Popen([sys.executable, "-m", "trainer", "--deck", str(root), "--today", "2026-11-25",
                                  "schedule", "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 cwd=tmp)  # (not this checkout: `-m trainer` looks in the working folder first)
        out = Path(tmp) / "user.json"
        usr = subprocess.Popen([sys.executable, __file__, "--user", str(out), "--edits", str(edits), "--seed", str(seed)],
                               stdin=subprocess.PIPE)
        usr.communicate(json.dumps(paths).encode())
        stdout, stderr = sched.communicate()
        seconds = time.perf_counter() - t0
        edited, raced = json.loads(out.read_text())
        lost = [p for p in edited if not kept(p)]
        try:
            changed = json.loads(stdout).get("changed")
        except ValueError:
            changed = None
        return {"notes": notes, "user_edits": len(edited), "edits_before_schedule_wrote_the_note": raced,
                "user_edits_lost": len(lost), "schedule_rc": sched.returncode,
                "schedule_changed": changed, "schedule_failures_reported": stderr.count(b"schedule: "),
                "seconds": round(seconds, 1), "trainer": str(trainer_path), "lost_sample": lost[:3]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notes", type=int, default=20000)
    ap.add_argument("--edits", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--trainer-path", type=Path, default=REPO, help="checkout whose trainer runs (default: this one)")
    ap.add_argument("--user", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.user:
        paths = json.loads(sys.stdin.read())
        Path(a.user).write_text(json.dumps(user(paths, a.edits, a.seed, start_after=0.05)))
        return 0
    r = run(a.notes, a.edits, a.seed, a.trainer_path.resolve())
    print(f"schedule race, {r['notes']} notes: user edits {r['user_edits']} "
          f"({r['edits_before_schedule_wrote_the_note']} made before schedule wrote that note), lost {r['user_edits_lost']}; "
          f"schedule changed {r['schedule_changed']} notes in {r['seconds']} s (exit {r['schedule_rc']}, "
          f"{r['schedule_failures_reported']} notes reported as changed meanwhile)")
    print(json.dumps(r), flush=True)
    return 0 if r["user_edits_lost"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
