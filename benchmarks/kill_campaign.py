"""Crash campaign: SIGKILL a writer at random instants and check that no note is ever torn.

    python benchmarks/kill_campaign.py --kills 500 --seed 1
    python benchmarks/kill_campaign.py --disk-full      # tmpfs (root) or RLIMIT_FSIZE fallback
    python benchmarks/kill_campaign.py --read-only      # ro bind mount / chattr +i / non-root user

A deck of ~40 generated notes is made. Then, again and again, a child process runs a stream of
real core operations — ``grading.grade``, ``grading.undo_last``, a key removed by
``update_note`` (a stand-in for the user's editor) and ``batch.apply_plan`` filling it back —
and is killed with SIGKILL after a seeded random delay. Before every note write the child appends
``note <tab> sha256-of-new-bytes <tab> op`` to a side file and fsyncs it (a thin wrapper around
the real ``atomic_write``), so after the kill the checker knows exactly which states each note may
be in. After every kill:

(a) every note parses (not fatal) and its body bytes are the original body;
(b) every note is wholly old or wholly new: its bytes are the state before the last write that
    was started, or the state that write was writing — nothing else;
(c) the next ``Deck.scan`` leaves no ``.*.trainer-tmp-*`` file behind (``.trainer/`` included);
(d) after ``grading.repair`` no row is pending, ``PRAGMA integrity_check`` is ok, and for every
    note the latest done, not-undone ``review`` row's ``after`` equals the note's scheduling
    values (or there is none and the values are the original ones).

Functions are importable (tests/core/test_faults.py runs a short campaign).
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import hashlib
import json
import os
import random
import shutil
import signal
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
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import gen_deck  # noqa: E402

BASE_DAY = dt.date(2026, 11, 25)
TEMP_MARK = ".trainer-tmp-"
STRIPPABLE = ("related_outlines", "difficulty", "created")
ENV = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def body_of(raw: bytes) -> bytes:
    """The bytes after the frontmatter's closing line (the whole file when there is none)."""
    if not raw.startswith(b"---"):
        return raw
    nl = raw.find(b"\n")
    i = nl + 1
    while True:
        j = raw.find(b"\n", i)
        line = raw[i : len(raw) if j < 0 else j].rstrip(b"\r").rstrip(b" \t")
        if line in (b"---", b"..."):
            return b"" if j < 0 else raw[j + 1 :]
        if j < 0:
            return raw
        i = j + 1


# ---------------------------------------------------------------- the deck


def make_deck(root: Path, notes: int = 40, seed: int = 0) -> dict[str, bytes]:
    """A small generated deck; a few notes lack keys so ``schedule`` has something to fill."""
    gen_deck.generate(root, notes, seed)
    rng = random.Random(seed)
    originals = {}
    for p in sorted(root.rglob("*.md")):
        rel = p.relative_to(root).as_posix()
        raw = p.read_bytes()
        if rng.random() < 0.3:  # strip a standard key, as a hand-written note would lack it
            key = rng.choice(STRIPPABLE).encode()
            lines = raw.split(b"\n")
            raw = b"\n".join(ln for ln in lines if not ln.startswith(key + b":"))
            p.write_bytes(raw)
        originals[rel] = raw
    return originals


# ---------------------------------------------------------------- the child (the writer)


def child_main(deck_dir: str, side: str, seed: int) -> int:
    """Run core operations until killed; every note write is announced in ``side`` first."""
    from trainer import batch, grading
    from trainer.deck import Deck
    from trainer.notes import store
    from trainer.notes.write import REMOVE
    from trainer.reviewlog import ReviewLog

    side_fd = os.open(side, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    real_write = store.atomic_write
    op = ["?"]
    deck = Deck(deck_dir)
    root = str(deck.root) + os.sep

    def announcing_write(path, data, **kwargs):
        rel = str(os.path.realpath(path))[len(root):]
        os.write(side_fd, f"{rel}\t{sha(data)}\t{op[0]}\n".encode())
        os.fsync(side_fd)
        return real_write(path, data, **kwargs)

    store.atomic_write = announcing_write
    rng = random.Random(seed)
    log = ReviewLog.open(deck.root)
    grading.repair(deck, log, BASE_DAY)
    rels = sorted(n.rel for n in deck.scan(BASE_DAY).notes)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        r = rng.random()
        today = BASE_DAY + dt.timedelta(days=rng.randrange(0, 400))
        rel = rng.choice(rels)
        try:
            if r < 0.55:
                op[0] = "grade"
                note = deck.load(rel, today)
                grading.grade(deck, log, note, rng.randrange(6), today)
            elif r < 0.75:
                op[0] = "undo"
                grading.undo_last(deck, log, today)
            elif r < 0.88:
                op[0] = "strip"
                store.update_note(deck.root / rel, {rng.choice(STRIPPABLE): REMOVE})
            else:
                op[0] = "schedule"
                scan = deck.scan(today)
                plan = batch.plan_schedule(scan.notes, today, per_day=10**6, new_per_day=10**6)
                batch.apply_plan(deck, plan)
        except (grading.Conflict, grading.NoteGone, grading.NoteError) as exc:
            # an undo refused because a later write changed the schedule: expected, rare
            sys.stderr.write(f"{op[0]} {rel}: {exc}\n")


# ---------------------------------------------------------------- the checker


@dataclass
class Campaign:
    deck: Path
    side: Path
    originals: dict[str, bytes]
    current: dict[str, str] = field(default_factory=dict)
    """sha of each note as last observed (the state every later write starts from)."""
    side_offset: int = 0
    kills: int = 0
    states_checked: int = 0
    in_flight: int = 0
    """Kills that caught a write after its announcement and before its rename."""
    temps_found: int = 0
    """Kills that left a temp file (cut between create and rename), removed by the next scan."""
    repaired: int = 0
    violations: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, workdir: Path, notes: int = 40, seed: int = 0) -> "Campaign":
        deck = workdir / "deck"
        originals = make_deck(deck, notes, seed)
        c = cls(deck, workdir / "writes.log", originals)
        c.current = {rel: sha(raw) for rel, raw in originals.items()}
        return c

    def new_records(self) -> dict[str, list[str]]:
        """Writes announced since the last check, per note, in order (a torn last line is skipped)."""
        out: dict[str, list[str]] = {}
        try:
            with open(self.side, "rb") as fh:
                fh.seek(self.side_offset)
                data = fh.read()
        except FileNotFoundError:
            return out
        end = data.rfind(b"\n") + 1
        self.side_offset += end
        for line in data[:end].decode().splitlines():
            parts = line.split("\t")
            if len(parts) == 3 and len(parts[1]) == 64:
                out.setdefault(parts[0], []).append(parts[1])
        return out

    def check(self) -> None:
        from trainer import grading
        from trainer.deck import Deck
        from trainer.notes.model import SCHEDULING_KEYS
        from trainer.notes.parse import parse_note
        from trainer.reviewlog import ReviewLog, schedule_to_json

        bad = self.violations
        records = self.new_records()
        for rel, original in self.originals.items():
            raw = (self.deck / rel).read_bytes()
            h = sha(raw)
            self.states_checked += 1
            note = parse_note(raw, rel)
            if note.fatal:  # (a)
                bad.append(f"kill {self.kills}: {rel}: does not parse: {note.problems[0]}")
            if body_of(raw) != body_of(original):
                bad.append(f"kill {self.kills}: {rel}: body changed")
            seq = [self.current[rel], *records.get(rel, [])]
            if h not in seq[-2:]:  # (b)
                where = "an older state" if h in seq else "a state never written"
                bad.append(f"kill {self.kills}: {rel}: is {where} (not the last write's before/after)")
            elif len(seq) > 1 and h == seq[-2] and h != seq[-1]:
                self.in_flight += 1
            self.current[rel] = h
        # (c) temp files: count what the kill left, then the next scan must remove them all
        temps = [p for p in self.deck.rglob(f"*{TEMP_MARK}*")]
        self.temps_found += bool(temps)
        deck = Deck(self.deck)
        deck.scan(BASE_DAY)
        left = [str(p.relative_to(self.deck)) for p in self.deck.rglob(f"*{TEMP_MARK}*")]
        if left:
            bad.append(f"kill {self.kills}: temp files left after a scan: {left}")
        # (d) the log agrees with the notes
        log = ReviewLog.open(deck.root)
        try:
            self.repaired += len(grading.repair(deck, log, BASE_DAY))
            (ok,) = log.conn.execute("PRAGMA integrity_check").fetchone()
            if ok != "ok":
                bad.append(f"kill {self.kills}: integrity_check: {ok}")
            if log.pending():
                bad.append(f"kill {self.kills}: rows still pending after repair")
            latest: dict[str, dict] = {}
            for row in log.rows(kinds=("review",)):
                if not row.undone:
                    latest[row.note] = row.after or {}
            for rel, original in self.originals.items():
                now = schedule_to_json(deck.load(rel, BASE_DAY).schedule)
                if rel in latest:
                    want = {k: latest[rel].get(k) for k in SCHEDULING_KEYS}
                else:
                    want = schedule_to_json(parse_note(original, rel, mtime_ns=1, root=None).schedule)
                    want["next_review"] = _resolve(want["next_review"])
                    now["next_review"] = _resolve(now["next_review"])
                if now != want:
                    bad.append(f"kill {self.kills}: {rel}: note {now} but log says {want}")
        finally:
            log.close()

    def run_child(self, rng: random.Random, max_delay: float = 0.25) -> None:
        """One child, killed after a random delay (mostly once it is writing, sometimes while it starts)."""
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(self.deck), str(self.side),
               str(rng.randrange(2**31))]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=ENV)
        try:
            if rng.random() < 0.9:
                line = p.stdout.readline() if p.stdout else b""
                if line.strip() != b"ready":
                    raise RuntimeError(f"child did not start: {line!r}, rc={p.poll()}")
            time.sleep(rng.uniform(0, max_delay))
        finally:
            p.send_signal(signal.SIGKILL)
            p.wait()
            if p.stdout:
                p.stdout.close()
        self.kills += 1

    def summary(self) -> dict:
        return {
            "kills": self.kills,
            "states_checked": self.states_checked,
            "kills_mid_write": self.in_flight,
            "kills_leaving_temp": self.temps_found,
            "log_rows_repaired": self.repaired,
            "writes_announced": self.side.read_bytes().count(b"\n") if self.side.exists() else 0,
            "violations": len(self.violations),
        }


def _resolve(v):
    """A note with no next_review is due "today": compare it as such."""
    return BASE_DAY.isoformat() if v in (None, dt.date.min.isoformat()) else v


def run_campaign(workdir: Path, kills: int, seed: int, *, notes: int = 40, max_delay: float = 0.25,
                 progress: bool = False) -> Campaign:
    rng = random.Random(seed)
    c = Campaign.create(workdir, notes, seed)
    t0 = time.perf_counter()
    for i in range(kills):
        c.run_child(rng, max_delay)
        c.check()
        if progress and (i + 1) % 50 == 0:
            print(f"  {i + 1} kills, {len(c.violations)} violations, {time.perf_counter() - t0:.0f} s",
                  file=sys.stderr, flush=True)
    return c


# ---------------------------------------------------------------- full disk and read-only


GRADE_SRC = r"""
import datetime, sys
from trainer import grading
from trainer.deck import Deck
from trainer.reviewlog import ReviewLog
d = Deck(sys.argv[1])
log = ReviewLog.open(d.root)
note = d.load(sys.argv[2], datetime.date(2026, 11, 25))
try:
    grading.grade(d, log, note, 4, datetime.date(2026, 11, 25))
except OSError as exc:
    print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
    sys.exit(1)
"""


def _limit_fsize(limit: int):
    def pre():
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return pre


def cli_grade(deck: Path, rel: str, *, limit: int | None = None, user: int | None = None,
              today: str = "2026-11-25") -> subprocess.CompletedProcess:
    """``trainer review NOTE --grade 4`` in a child, optionally under RLIMIT_FSIZE or as another user."""
    cmd = [sys.executable, "-m", "trainer", "--deck", str(deck), "--today", today, "review", rel, "--grade", "4"]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env=ENV, cwd=str(deck),
                          preexec_fn=_limit_fsize(limit) if limit is not None else None, timeout=60)


def big_note(path: Path, kb: int = 200) -> bytes:
    """A note larger than the file-size limit used below (the log stays far under it)."""
    body = ("# 大笔记 big note\n\n## 面试标准答案\n\n" + "一行详细解析 some details.\n" * (kb * 1024 // 40)).encode()
    raw = b"---\ncreated: '2026-01-01'\nlast_reviewed: null\nnext_review: '2026-11-20'\nreview_count: 0\n" \
          b"difficulty: hard\nmastery_level: 0.0\ntags:\n- Big\n---\n" + body
    path.write_bytes(raw)
    return raw


def temp_files(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob(f"*{TEMP_MARK}*")]


def fsize_case(workdir: Path) -> dict:
    """RLIMIT_FSIZE below the note's size: the grade fails clearly, the note is byte-identical."""
    deck = workdir / "fsize-deck"
    make_deck(deck, 3, 7)
    raw = big_note(deck / "big.md")
    # the log exists and is warm before the limit, as in real use
    warm = cli_grade(deck, sorted(p.relative_to(deck).as_posix() for p in deck.rglob("note-*.md"))[0])
    r = cli_grade(deck, "big.md", limit=100 * 1024)
    return {
        "case": "RLIMIT_FSIZE 100 KiB, 200 KiB note",
        "warm_rc": warm.returncode,
        "rc": r.returncode,
        "stderr": r.stderr.strip()[-300:],
        "note_unchanged": (deck / "big.md").read_bytes() == raw,
        "temp_left": temp_files(deck),
    }


def fill(path: Path) -> None:
    """Write zeros until the file system is full (to the last byte)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC, exc
        return
    try:
        for size in (1 << 16, 4096, 1):
            chunk = b"\0" * size
            try:
                while True:
                    os.write(fd, chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
    finally:
        os.close(fd)


def tmpfs_case(workdir: Path) -> list[dict]:
    """A real full disk: a 512 KiB tmpfs, filled up, then grades. Needs root and mount(8).

    Two cases: full to the last byte (even the log cannot open), and 64 KiB left (the log can
    write its row, the 120 KiB note cannot be written)."""
    mnt = workdir / "tmpfs"
    mnt.mkdir(exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mnt)], capture_output=True, text=True)
    if r.returncode:
        return [{"case": "tmpfs full disk", "skipped": f"mount failed: {r.stderr.strip()}"}]
    out = []
    try:
        deck = mnt / "deck"
        make_deck(deck, 3, 9)
        raw = big_note(deck / "big.md", kb=120)
        rels = sorted(p.relative_to(deck).as_posix() for p in deck.rglob("note-*.md"))
        warm = cli_grade(deck, rels[0])
        filler = mnt / "filler"
        for leave in (0, 64 * 1024):
            fill(filler)
            if leave:
                os.truncate(filler, max(0, filler.stat().st_size - leave))
            free = shutil.disk_usage(mnt).free
            r1 = cli_grade(deck, "big.md")
            out.append({
                "case": f"tmpfs 512 KiB full, {free} bytes free, 120 KiB note",
                "warm_rc": warm.returncode,
                "rc": r1.returncode,
                "stderr": r1.stderr.strip()[-300:],
                "note_unchanged": (deck / "big.md").read_bytes() == raw,
                "temp_left": temp_files(deck),
            })
            filler.unlink()
        r2 = cli_grade(deck, "big.md")
        out[-1]["after_freeing_rc"] = r2.returncode
        out[-1]["after_freeing_written"] = (deck / "big.md").read_bytes() != raw
        return out
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


def read_only_cases(workdir: Path) -> list[dict]:
    out = []
    deck = workdir / "ro-deck"
    make_deck(deck, 3, 11)
    rel = sorted(p.relative_to(deck).as_posix() for p in deck.rglob("note-*.md"))[0]
    raw = (deck / rel).read_bytes()
    cli_grade(deck, sorted(p.relative_to(deck).as_posix() for p in deck.rglob("note-*.md"))[1])  # log exists

    # 1. a read-only bind mount (root can write through chmod, not through this)
    ro = workdir / "ro-mount"
    ro.mkdir(exist_ok=True)
    m = subprocess.run(["mount", "--bind", str(deck), str(ro)], capture_output=True, text=True)
    if m.returncode == 0:
        try:
            subprocess.run(["mount", "-o", "remount,ro,bind", str(ro)], check=True, capture_output=True)
            r = cli_grade(ro, rel)
            due = subprocess.run([sys.executable, "-m", "trainer", "--deck", str(ro), "--today", "2026-11-25",
                                  "due", "--json"], capture_output=True, text=True, env=ENV)
            out.append({"case": "read-only bind mount", "rc": r.returncode, "stderr": r.stderr.strip()[-300:],
                        "note_unchanged": (deck / rel).read_bytes() == raw, "temp_left": temp_files(deck),
                        "due_still_works_rc": due.returncode, "due_stderr": due.stderr.strip()[-300:]})
        finally:
            subprocess.run(["umount", str(ro)], capture_output=True)
    else:
        out.append({"case": "read-only bind mount", "skipped": m.stderr.strip()})

    # 2. chattr +i on the note (immutable even for root)
    c = subprocess.run(["chattr", "+i", str(deck / rel)], capture_output=True, text=True)
    if c.returncode == 0:
        try:
            r = cli_grade(deck, rel)
            out.append({"case": "chattr +i note", "rc": r.returncode, "stderr": r.stderr.strip()[-300:],
                        "note_unchanged": (deck / rel).read_bytes() == raw, "temp_left": temp_files(deck)})
        finally:
            subprocess.run(["chattr", "-i", str(deck / rel)], capture_output=True)
    else:
        out.append({"case": "chattr +i note", "skipped": c.stderr.strip()})

    # 3. chmod a-w, as a non-root user (root bypasses permission bits)
    if os.geteuid() == 0 and shutil.which("setpriv"):
        d2 = Path(tempfile.mkdtemp(prefix="trainer-ro-", dir="/tmp"))
        try:
            make_deck(d2 / "deck", 3, 12)
            subprocess.run(["chown", "-R", "65534:65534", str(d2)], check=True)
            os.chmod(d2, 0o755)
            rel2 = sorted(p.relative_to(d2 / "deck").as_posix() for p in (d2 / "deck").rglob("note-*.md"))[0]
            cli_grade(d2 / "deck", sorted(p.relative_to(d2 / "deck").as_posix()
                                          for p in (d2 / "deck").rglob("note-*.md"))[1], user=65534)
            raw2 = (d2 / "deck" / rel2).read_bytes()
            for p in [d2 / "deck", *(d2 / "deck").rglob("*")]:
                if p.is_dir() and p.name != ".trainer":
                    os.chmod(p, 0o555)
            os.chmod(d2 / "deck" / rel2, 0o444)
            r = cli_grade(d2 / "deck", rel2, user=65534)
            out.append({"case": "chmod a-w, user nobody", "rc": r.returncode, "stderr": r.stderr.strip()[-300:],
                        "note_unchanged": (d2 / "deck" / rel2).read_bytes() == raw2,
                        "temp_left": temp_files(d2 / "deck")})
        finally:
            for p in [d2, *d2.rglob("*")]:
                if p.is_dir():
                    os.chmod(p, 0o755)
            shutil.rmtree(d2, ignore_errors=True)
    else:
        out.append({"case": "chmod a-w, non-root", "skipped": "not root or no setpriv"})
    return out


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child_main(argv[1], argv[2], int(argv[3]))
    ap = argparse.ArgumentParser(description="SIGKILL campaign and full-disk / read-only checks")
    ap.add_argument("--kills", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--notes", type=int, default=40)
    ap.add_argument("--max-delay", type=float, default=0.25, help="longest wait before the kill, seconds")
    ap.add_argument("--disk-full", action="store_true", help="run only the full-disk checks")
    ap.add_argument("--read-only", action="store_true", help="run only the read-only checks")
    ap.add_argument("--json", dest="json_out", metavar="OUT")
    a = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="trainer-kill-"))
    result: dict = {}
    ok = True
    try:
        only = a.disk_full or a.read_only
        if not only:
            t0 = time.perf_counter()
            c = run_campaign(work / "campaign", a.kills, a.seed, notes=a.notes, max_delay=a.max_delay, progress=True)
            s = c.summary()
            s["seconds"] = round(time.perf_counter() - t0, 1)
            result["campaign"] = s
            print("kill campaign: " + ", ".join(f"{k} {v}" for k, v in s.items()))
            for v in c.violations[:20]:
                print("  VIOLATION", v)
            ok &= not c.violations
        if a.disk_full or not only:
            cases = [fsize_case(work), *tmpfs_case(work)]
            result["disk_full"] = cases
            for case in cases:
                print("full disk:", json.dumps(case, ensure_ascii=False))
                ok &= "skipped" in case or (case["rc"] != 0 and case["note_unchanged"] and not case["temp_left"])
        if a.read_only or not only:
            cases = read_only_cases(work)
            result["read_only"] = cases
            for case in cases:
                print("read-only:", json.dumps(case, ensure_ascii=False))
                ok &= "skipped" in case or (case["rc"] != 0 and case["note_unchanged"] and not case["temp_left"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if a.json_out:
        Path(a.json_out).write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
