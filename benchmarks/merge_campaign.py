"""Two-clone merge campaign: one deck on two machines, both grading and editing, merged by git.

    python benchmarks/merge_campaign.py --rounds 20 --notes 30 --seed 1

A bare origin and two clones (``laptop``, ``desktop``), each set up with ``trainer git-setup``'s
own code, hold a deck of generated notes in varied styles (LF/CRLF, BOM, comments in the
frontmatter, quoted and bare dates, flow and block lists, cards never graded). Each round, on
each machine, a random subset of the notes is graded with random grades through the real
``grading.grade`` on a random day, and some get a body line rewritten; sometimes both machines
rewrite the same line (a real conflict). The laptop commits and pushes, the desktop commits and
``git pull``\\ s (git runs the merge driver as a separate process), conflicts are resolved by
keeping both lines, the desktop pushes and the laptop pulls.

For every note both machines changed (a note merge: the driver ran) it checks:
  * no conflict marker in the frontmatter;
  * the scheduling keys are those of the side with the later review (two reviews on one day:
    the one due sooner), never a mix;
  * every body edit of both sides is there (0 lost), and a conflict happened exactly when both
    rewrote the same line;
  * without a conflict and with one later review, the bytes are exactly the later side's note
    with the other side's body edits (CRLF, BOM, comments untouched).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from trainer import gitmerge, grading  # noqa: E402
from trainer.deck import Deck  # noqa: E402
from trainer.notes.model import SCHEDULING_KEYS  # noqa: E402
from trainer.notes.parse import decode, parse_note, split_frontmatter  # noqa: E402

PARAGRAPHS = 6
START = dt.date(2026, 1, 5)


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", LC_ALL="C")
    r = subprocess.run(["git", *args], cwd=cwd, capture_output=True, env=env)
    if check and r.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed in {cwd}:\n{r.stdout.decode()}{r.stderr.decode()}")
    return r


def make_note(i: int, rng: random.Random) -> bytes:
    nl = "\r\n" if rng.random() < 0.3 else "\n"
    date = (lambda d: f"'{d}'") if rng.random() < 0.6 else str
    lines = ["---", f"created: {date('2026-01-01')}"]
    if rng.random() < 0.5:
        lines.append("# kept by hand: do not reformat")
    if rng.random() < 0.7:  # a card already studied; else a new one without scheduling keys
        lines += [f"last_reviewed: {date('2026-01-02')}", f"next_review: {date('2026-01-04')}",
                  "review_count: 1", "mastery_level: 0.6", "ease_factor: 2.5", "interval: 2", "repetitions: 1"]
    lines += ["difficulty: medium"]
    lines += ["tags: [Transformer, 注意力]"] if rng.random() < 0.5 else ["tags:", "- Transformer", "- 注意力"]
    lines += ["---", f"# 问题 {i}：为什么要除以根号dk？", "", "## 面试标准答案", ""]
    for k in range(PARAGRAPHS):
        lines += [f"paragraph {k} of note {i}", ""]
    bom = "\ufeff" if rng.random() < 0.2 else ""
    return (bom + nl.join(lines)).encode("utf-8")


@dataclass
class Side:
    root: Path
    graded: dict[str, int] = field(default_factory=dict)
    edits: dict[str, dict[int, str]] = field(default_factory=dict)
    """note -> paragraph -> the new line this side wrote this round."""


@dataclass
class Tally:
    merges: int = 0
    conflicts_expected: int = 0
    conflicts: int = 0
    markers_in_frontmatter: int = 0
    wrong_schedule: int = 0
    lost_edits: int = 0
    edits_checked: int = 0
    unexpected_conflicts: int = 0
    missed_conflicts: int = 0
    byte_exact: int = 0
    byte_checked: int = 0
    failures: list[str] = field(default_factory=list)


def play(side: Side, names: list[str], rng: random.Random, rnd: int, day: dt.date, forced: dict[str, int]) -> None:
    """Grade a random subset of the notes and rewrite some body lines (``forced``: same paragraph as the other side)."""
    deck = Deck(side.root)
    log, _ = grading.open_log(deck, day)
    try:
        for rel in names:
            if rng.random() < 0.6:
                q = rng.randint(0, 5)
                grading.grade(deck, log, deck.load(rel, day), q, day)
                side.graded[rel] = q
            paragraphs = []
            if rel in forced:
                paragraphs = [forced[rel]]
            elif rng.random() < 0.35:
                paragraphs = [rng.choice(range(0, PARAGRAPHS, 2) if side.root.name == "laptop" else range(1, PARAGRAPHS, 2))]
            for k in paragraphs:
                new = f"paragraph {k} rewritten on {side.root.name} in round {rnd} ({rng.randrange(10**6)})"
                path = side.root / rel
                raw = path.read_bytes()
                pat = re.compile(rb"(?m)^paragraph " + str(k).encode() + rb" .*?(?=\r?$)")
                raw, n = pat.subn(new.encode(), raw, count=1)
                assert n == 1, (rel, k)
                path.write_bytes(raw)
                side.edits.setdefault(rel, {})[k] = new
    finally:
        log.close()


def reviewed(raw: bytes) -> tuple[dt.date, int]:
    s = parse_note(raw, "n.md").schedule
    return (s.last_reviewed or dt.date.min, s.review_count)


def sched(raw: bytes) -> tuple:
    s = parse_note(raw, "n.md").schedule
    return tuple(getattr(s, k) for k in SCHEDULING_KEYS)


def check(rel: str, merged: bytes, ours: bytes, theirs: bytes, a: Side, b: Side, t: Tally) -> None:
    """desktop (``b``) is ours, laptop (``a``) theirs."""
    t.merges += 1
    text, _ = decode(merged)
    head = text
    split = None
    try:
        split = split_frontmatter(text)
    except ValueError:
        pass
    fm = text[: split.body_start] if split else head.split("\n#", 1)[0]
    if any(m in fm for m in ("<<<<<<<", "=======", ">>>>>>>")):
        t.markers_in_frontmatter += 1
        t.failures.append(f"{rel}: markers in the frontmatter")
    clash = set(a.edits.get(rel, {})) & set(b.edits.get(rel, {}))
    conflicted = "<<<<<<<" in text
    t.conflicts += conflicted
    t.conflicts_expected += bool(clash)
    if conflicted and not clash:
        t.unexpected_conflicts += 1
        t.failures.append(f"{rel}: a conflict where the edits were on different lines")
    if clash and not conflicted:
        t.missed_conflicts += 1
        t.failures.append(f"{rel}: both rewrote one line and no conflict was reported")
    for side in (a, b):
        for line in side.edits.get(rel, {}).values():
            t.edits_checked += 1
            if line not in text:
                t.lost_edits += 1
                t.failures.append(f"{rel}: lost {side.root.name}'s edit {line!r}")
    ro, rt = reviewed(ours), reviewed(theirs)
    got = sched(merged)  # markers in the body leave the frontmatter readable
    if ro != rt:
        want = sched(ours if ro > rt else theirs)
        if got != want:
            t.wrong_schedule += 1
            t.failures.append(f"{rel}: schedule {got} is not the later review's {want}")
    else:  # two reviews on one day from one state: one side's, the sooner due
        so, st = sched(ours), sched(theirs)
        due = SCHEDULING_KEYS.index("next_review")
        if got not in (so, st) or (so != st and rel in a.graded and rel in b.graded
                                   and got[due] != min(so[due], st[due])):
            t.wrong_schedule += 1
            t.failures.append(f"{rel}: same-day reviews: {got} is not the sooner-due side's")
    if not conflicted:
        if ro != rt:
            later, other_side = (ours, a) if ro > rt else (theirs, b)
            expected = later
            for k, line in other_side.edits.get(rel, {}).items():
                expected = re.sub(rb"(?m)^paragraph " + str(k).encode() + rb" .*?(?=\r?$)", line.encode(), expected, count=1)
            t.byte_checked += 1
            if merged == expected:
                t.byte_exact += 1
            else:
                t.failures.append(f"{rel}: bytes differ from the later side's note with the other's edits")


def resolve_keeping_both(path: Path) -> None:
    """A user's resolution: both sides' lines, markers out."""
    raw = path.read_bytes()
    out = re.sub(rb"<<<<<<< ours\r?\n(.*?)=======\r?\n(.*?)>>>>>>> theirs\r?\n", rb"\1\2", raw, flags=re.S)
    path.write_bytes(out)


def campaign(work: Path, rounds: int, notes: int, seed: int, log=print) -> Tally:
    rng = random.Random(seed)
    origin = work / "origin.git"
    git(work, "init", "-q", "--bare", "-b", "main", str(origin))
    machines = []
    for name in ("laptop", "desktop"):
        git(work, "clone", "-q", str(origin), name)
        root = work / name
        git(root, "config", "user.name", name)
        git(root, "config", "user.email", f"{name}@example.invalid")
        machines.append(root)
        if name == "laptop":
            gitmerge.setup(root)
            names = []
            for i in range(notes):
                rel = f"n{i:03d}.md"
                (root / rel).write_bytes(make_note(i, rng))
                names.append(rel)
            git(root, "add", ".gitattributes", *names)
            git(root, "commit", "-q", "-m", "deck")
            git(root, "push", "-q", "origin", "HEAD:main")
        else:
            gitmerge.setup(root)
    laptop_root, desktop_root = machines
    t = Tally()
    for rnd in range(rounds):
        day = START + dt.timedelta(days=3 * rnd)
        a, b = Side(laptop_root), Side(desktop_root)
        forced_a: dict[str, int] = {}
        forced_b: dict[str, int] = {}
        for rel in names:
            if rng.random() < 0.08:  # both machines rewrite the same line: a real conflict
                k = rng.randrange(PARAGRAPHS)
                forced_a[rel] = forced_b[rel] = k
        play(a, names, rng, rnd, day + dt.timedelta(days=rng.randint(0, 2)), forced_a)
        git(laptop_root, "commit", "-q", "-am", f"laptop round {rnd}")
        git(laptop_root, "push", "-q", "origin", "HEAD:main")
        play(b, names, rng, rnd, day + dt.timedelta(days=rng.randint(0, 2)), forced_b)
        git(desktop_root, "commit", "-q", "-am", f"desktop round {rnd}")
        ours = {rel: (desktop_root / rel).read_bytes() for rel in names}
        theirs = {rel: (laptop_root / rel).read_bytes() for rel in names}
        base = {rel: git(desktop_root, "show", f"HEAD~1:{rel}").stdout for rel in names}
        r = git(desktop_root, "pull", "--no-rebase", "--no-edit", "origin", "main", check=False)
        both = [rel for rel in names if ours[rel] != base[rel] and theirs[rel] != base[rel]]
        if b"Traceback" in r.stderr or b"not found" in r.stderr:
            t.failures.append(f"round {rnd}: the driver did not run: {r.stderr.decode('utf-8', 'replace')[-800:]}")
        for rel in both:
            failed = len(t.failures)
            check(rel, (desktop_root / rel).read_bytes(), ours[rel], theirs[rel], a, b, t)
            if len(t.failures) > failed:  # keep the three versions and the result to look at
                keep = work / "failures" / f"round{rnd}-{rel}"
                keep.mkdir(parents=True)
                for name, data in (("base", base[rel]), ("ours", ours[rel]), ("theirs", theirs[rel]),
                                   ("merged", (desktop_root / rel).read_bytes())):
                    (keep / name).write_bytes(data)
        unmerged = git(desktop_root, "diff", "--name-only", "--diff-filter=U").stdout.decode().split()
        if r.returncode != 0 and not unmerged:
            raise SystemExit(f"pull failed:\n{r.stdout.decode()}{r.stderr.decode()}")
        for rel in unmerged:
            resolve_keeping_both(desktop_root / rel)
        if unmerged:
            git(desktop_root, "add", *unmerged)
            git(desktop_root, "commit", "-q", "--no-edit")
        git(desktop_root, "push", "-q", "origin", "HEAD:main")
        git(laptop_root, "pull", "-q", "--ff-only", "origin", "main")
        log(f"round {rnd + 1}/{rounds}: {len(both)} note merges, {len(unmerged)} conflicts; "
            f"totals {t.merges} merges, {t.markers_in_frontmatter} markers in frontmatter, {t.lost_edits} lost edits")
    return t


def driver_cost(work: Path, runs: int = 20) -> tuple[float, float, float]:
    """Median seconds of one driver run on a note (as git runs it), beside its raw limits measured
    turn about: the same merge by plain ``git merge-file``, and a bare start of this Python."""
    import statistics

    rng = random.Random(0)
    base = make_note(0, rng)
    ours = base.replace(b"paragraph 1 ", b"paragraph 1 edited ")
    theirs = base.replace(b"paragraph 4 ", b"paragraph 4 edited ")
    o, b = work / "base.md", work / "theirs.md"
    o.write_bytes(base)
    b.write_bytes(theirs)
    a = work / "ours.md"
    runner = gitmerge.trainer_command()
    cmds = {
        "driver": [*runner, "merge-driver", "--", str(o), str(a), str(b), "n.md"],
        "git": ["git", "merge-file", str(a), str(o), str(b)],
        "python": [runner[0], "-P", "-c", "pass"],
    }
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(runs):
        for k, cmd in cmds.items():
            a.write_bytes(ours)
            t0 = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=k != "python" or None)
            times[k].append(time.perf_counter() - t0)
    return tuple(statistics.median(times[k]) for k in ("driver", "git", "python"))  # type: ignore[return-value]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--notes", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, metavar="DIR",
                    help="work in DIR (new) and keep it: the repositories and, under failures/, each failing merge's versions")
    a = ap.parse_args()
    if shutil.which("git") is None:
        print("git is not installed", file=sys.stderr)
        return 2
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="trainer-merge-campaign-") as tmp:
        work = Path(tmp)
        if a.keep:
            a.keep.mkdir(parents=True)
            work = a.keep
        t = campaign(work, a.rounds, a.notes, a.seed)
        took = time.perf_counter() - started
        driver_s, git_s, python_s = driver_cost(Path(tmp))
    print()
    print(f"{t.merges} note merges ({t.conflicts_expected} with the same line rewritten on both machines) in {took:.0f} s:")
    print(f"  {t.markers_in_frontmatter} markers in frontmatter")
    print(f"  {t.wrong_schedule} schedules not from the later review")
    print(f"  {t.lost_edits} lost body edits (of {t.edits_checked} checked)")
    print(f"  {t.conflicts} conflicts reported: {t.unexpected_conflicts} where edits were on different lines, "
          f"{t.missed_conflicts} same-line edits not reported")
    print(f"  {t.byte_exact}/{t.byte_checked} clean merges byte-identical to the later side's note + the other's edits")
    print(f"One note merge by the driver: {driver_s * 1000:.0f} ms (median of 20); raw limits in the same run: "
          f"plain `git merge-file` {git_s * 1000:.0f} ms, a bare `python -P -c pass` {python_s * 1000:.0f} ms")
    for f in t.failures[:20]:
        print("  FAIL", f)
    return 1 if t.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
