"""TUI speed: first frame of the overview from process start, and grade key -> next card shown.

    python benchmarks/bench_tui.py DECK [--repeat 5] [--grades 50] [--today 2026-11-25]
    python benchmarks/bench_tui.py --notes 10000        # generate a synthetic deck first

Figures, each against a limit measured in the same run:
* first frame (warm cache: ``trainer due --json`` ran first, as any command leaves the scan
  cache and the deck's columns): ``python -m trainer --deck DECK`` in a pseudo-terminal, timed from
  the spawn to the moment the overview's frame with the deck's card count reaches the
  terminal; against a bare Textual app (header, "hello", footer) timed to its "hello" the same
  way, interleaved run by run. Each process is killed as soon as its marker has arrived. Every
  process reads its modules' cached bytecode, as an installed program does (a PYTHONDONTWRITEBYTECODE
  in the environment is dropped; the bytecode goes to a temporary PYTHONPYCACHEPREFIX).
  Targets (#17): <= 0.5 s at 10k notes, <= 0.6 s at 100k. ``--stale`` times the first frame
  after a change instead: one note's mtime moves before each run (the deck given is touched).
* grade latency: in-process with ``run_test``: key ``4`` pressed -> the next card's question
  rendered (note written, log row added), median over ``--grades`` cards; against the core
  ``grading.grade`` call alone (same write and log row) on the same deck. Target: <= 50 ms.

The deck given is not modified (but for one note's mtime with ``--stale``): grading runs on a copy.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HERE = REPO
"""This checkout (``REPO`` is where the process being timed runs)."""
sys.path.insert(0, str(REPO))

BARE_APP = """
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    def compose(self):
        yield Header()
        yield Static("hello")
        yield Footer()

    def on_mount(self):
        self.call_after_refresh(self.exit)

Bare().run()
"""


CPU_SPENT: list[float] = []
"""The CPU seconds (user + system) of each process timed by :func:`run_in_pty`, read the moment its
marker arrived: the process's own share, not its forked children's (steadier than the wall clock
on a busy machine, where the walk's children and other sessions share the cores)."""


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rpartition(b")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def run_in_pty(cmd: list[str], env: dict[str, str], marker: bytes, timeout: float = 120) -> float:
    """Spawn ``cmd`` on an 80x24 pseudo-terminal (stdin, stdout and stderr, where Textual
    draws); seconds from the spawn to ``marker`` reaching the terminal (then the process group is
    killed; its CPU seconds so far are appended to ``CPU_SPENT``)."""
    master, slave = pty.openpty()
    try:
        import fcntl

        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    except OSError:
        pass
    stop = threading.Event()
    seen: list[float] = []
    tail = bytearray()

    def drain() -> None:
        while not stop.is_set():
            try:
                r, _, _ = select.select([master], [], [], 0.01)
                if r:
                    chunk = os.read(master, 65536)
                    now = time.perf_counter()
                    tail.extend(chunk)
                    if not seen and marker in tail:
                        seen.append(now)
                        CPU_SPENT.append(_cpu_seconds(proc.pid))
                        try:
                            os.killpg(proc.pid, signal.SIGKILL)
                        except (OSError, NameError):
                            pass
                    del tail[: max(0, len(tail) - 4096)]
            except OSError:
                return

    reader = threading.Thread(target=drain, daemon=True)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO, start_new_session=True)
    reader.start()
    try:
        proc.wait(timeout=timeout)
    finally:
        time.sleep(0.05)  # let the reader take the last bytes
        stop.set()
        reader.join(1)
        os.close(slave)
        os.close(master)
    if not seen:
        raise RuntimeError(f"{cmd} exited {proc.returncode}, marker {marker!r} never drawn: "
                           f"{bytes(tail).decode('utf-8', 'replace')[-2000:]}")
    return seen[0] - start


def first_frame(deck: Path, today: str, repeat: int, against: tuple[Path, Path] | None = None,
                stale: bool = False) -> dict[str, float]:
    """Medians: ours and the bare app's first frame (their text reaches the terminal); with
    ``against`` (another checkout and its own copy of the deck), its frame too, turn about, and
    the median of the per-run ratios ours/theirs."""
    from trainer.deck import Deck

    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAINER_") and k != "PYTHONDONTWRITEBYTECODE"}
    # as an installed program starts: from cached bytecode (kept out of the checkouts; every process
    # timed, the bare app too, compiles once in the warm-up and reads it back after)
    env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="bench-tui-pyc-")
    env["TERM"] = env.get("TERM", "xterm-256color") if env.get("TERM", "dumb") != "dumb" else "xterm-256color"

    def command(repo: Path, deck: Path) -> tuple[list[str], dict[str, str], Path]:
        e = dict(env, PYTHONPATH=str(repo) + os.pathsep + env.get("PYTHONPATH", ""))
        return [sys.executable, "-m", "trainer", "--deck", str(deck), "--today", today], e, repo

    def run(cmd: tuple[list[str], dict[str, str], Path], marker: bytes) -> float:
        global REPO
        REPO = cmd[2]  # the process runs in its own checkout
        try:
            return run_in_pty(cmd[0], cmd[1], marker)
        finally:
            REPO = HERE

    ours_cmd = command(HERE, deck)
    theirs_cmd = command(*against) if against else None
    bare_cmd = ([sys.executable, "-c", BARE_APP], dict(env), HERE)
    # the overview's first frame with the deck in it: its tag tree's root reads "All cards  N/total"
    # (the total alone could match the deck's folder name in the header, drawn before the deck)
    total = b"/" + str(len(Deck(deck).scan(dt.date.fromisoformat(today)))).encode()
    for cmd in (ours_cmd, theirs_cmd) if theirs_cmd else (ours_cmd,):
        # warm: the scan cache and the deck's columns as any command leaves them, the OS file cache
        subprocess.run(cmd[0] + ["due", "--json"], env=cmd[1], cwd=cmd[2], stdout=subprocess.DEVNULL, check=True)
        run(cmd, total)
    run(bare_cmd, b"hello")
    ours, theirs, bare, ours_cpu, theirs_cpu, bare_cpu = [], [], [], [], [], []
    changed = min(deck.rglob("*.md")) if stale else None
    for i in range(repeat):  # interleaved: a slow spell of the machine hits both
        if stale:  # one note saved again since the last run (its mtime moves): the cache and columns are stale
            for d in (deck, against[1]) if against else (deck,):
                note = d / changed.relative_to(deck)
                os.utime(note, ns=(note.stat().st_atime_ns, note.stat().st_mtime_ns + 1_000_000_000))
        ours.append(run(ours_cmd, total))
        ours_cpu.append(CPU_SPENT[-1])
        if theirs_cmd:
            theirs.append(run(theirs_cmd, total))
            theirs_cpu.append(CPU_SPENT[-1])
        bare.append(run(bare_cmd, b"hello"))
        bare_cpu.append(CPU_SPENT[-1])
    shutil.rmtree(env["PYTHONPYCACHEPREFIX"], ignore_errors=True)
    out = {"frame": statistics.median(ours), "bare_frame": statistics.median(bare), "cpu": statistics.median(ours_cpu),
           "bare_cpu": statistics.median(bare_cpu)}
    if theirs:
        out["against_frame"] = statistics.median(theirs)
        out["against_cpu"] = statistics.median(theirs_cpu)
        out["ratio_against"] = statistics.median(a / b for a, b in zip(ours, theirs))
    return out


async def _grade_latency(deck: Path, today: dt.date, grades: int) -> list[float]:
    """Key event sent as the terminal driver would -> the first frame written with the next card."""
    from textual import events

    from trainer.tui.app import make_app, open_deck

    app = make_app(open_deck(deck, today))
    times: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        question = screen.query_one("#question")
        want: list[str] = []
        shown_at: list[float] = []
        display = app._display

        def hooked(scr, renderable):
            display(scr, renderable)
            if want and question.source.startswith(want[0]) and not shown_at:
                shown_at.append(time.perf_counter())

        app._display = hooked  # type: ignore[method-assign]
        for _ in range(grades):
            session = screen.session
            if session.current is None or session.remaining < 2:
                break
            await pilot.press("space")
            await pilot.pause()
            nxt = session.queue[1]
            want[:] = [f"# {nxt.question[:10]}"]
            shown_at.clear()
            key = events.Key("4", "4")
            key.set_sender(app)
            start = time.perf_counter()
            app._driver.send_message(key)
            deadline = start + 5
            while not shown_at and time.perf_counter() < deadline:
                await asyncio.sleep(0.0005)
            if not shown_at:
                raise RuntimeError("the next card was not drawn within 5 s")
            times.append(shown_at[0] - start)
            await pilot.pause()
    return times


def core_grade_latency(deck: Path, today: dt.date, grades: int) -> list[float]:
    """The same writes without the UI: grading.grade on due cards of the deck."""
    from trainer import grading, scheduler
    from trainer.deck import Deck
    from trainer.reviewlog import ReviewLog

    d = Deck(deck)
    log = ReviewLog.open(d.root)
    queue = scheduler.due_queue(d.scan(today).notes, today, new_limit=10**9)
    times = []
    for note in queue[:grades]:
        start = time.perf_counter()
        grading.grade(d, log, note, 4, today)
        times.append(time.perf_counter() - start)
    log.close()
    return times


async def _expand_latency(deck: Path, today: dt.date) -> dict[str, float]:
    """The overview's largest topic expanded (in process, ``run_test`` at 80x24): seconds to the
    first frame showing its children and to the last child added; then the same number of one-line
    labels (the same text) added at once to a bare Textual ``Tree``, timed to its frame."""
    from collections import Counter

    from rich.text import Text
    from textual.app import App
    from textual.widgets import Tree

    from trainer.tui.app import make_app, open_deck

    async def frame_after(app, start: float, ready) -> float:
        shown: list[float] = []
        display = app._display

        def hooked(scr, renderable):
            display(scr, renderable)
            if not shown and ready():
                shown.append(time.perf_counter())

        app._display = hooked  # type: ignore[method-assign]
        while not shown:
            await asyncio.sleep(0.0005)
        app._display = display  # type: ignore[method-assign]
        return shown[0] - start

    app = make_app(open_deck(deck, today))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        tree = app.screen.query_one("#tags", Tree)
        kids = Counter(t.rpartition("/")[0] for t in app.book.figures().tags if "/" in t)
        topic = max(tree.root.children, key=lambda n: kids[n.data])
        want = kids[topic.data]
        start = time.perf_counter()
        topic.expand()
        first = await frame_after(app, start, lambda: len(topic.children) > 0)
        while len(topic.children) < want:
            await asyncio.sleep(0.0005)
        last = time.perf_counter() - start
        labels = [Text(str(n.label)) for n in topic.children]

    class Bare(App):
        def compose(self):
            yield Tree("All", id="t")

    bare = Bare()
    async with bare.run_test(size=(80, 24)) as pilot:
        tree = bare.query_one(Tree)
        node = tree.root.add("topic")
        tree.root.expand()
        await pilot.pause()
        start = time.perf_counter()
        for label in labels:
            node.add(label, allow_expand=False)
        node.expand()
        bare_frame = await frame_after(bare, start, lambda: True)
    return {"children": want, "first": first, "last": last, "bare": bare_frame}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("deck", nargs="?", help="deck folder (left unchanged)")
    ap.add_argument("--notes", type=int, help="generate a synthetic deck of this many notes instead")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--grades", type=int, default=50)
    ap.add_argument("--today", default="2026-11-25")
    ap.add_argument("--against", metavar="REV", help="time the first frame of this git revision (or of the checkout "
                    "in this folder) too, turn about")
    ap.add_argument("--frame-only", action="store_true", help="time the first frame only (no grade latency)")
    ap.add_argument("--stale", action="store_true",
                    help="before each run one note's mtime moves (the first frame after a change; the deck is touched)")
    ap.add_argument("--expand", action="store_true",
                    help="time expanding the overview's largest topic instead (in process), beside a bare Textual Tree")
    args = ap.parse_args(argv)
    today = dt.date.fromisoformat(args.today)
    if args.expand and not args.deck:
        ap.error("--expand times a DECK given (not --notes)")
    if args.expand:
        ex = asyncio.run(_expand_latency(Path(args.deck).resolve(), today))
        print(f"expanding a topic of {ex['children']} tags: its first children shown {ex['first'] * 1000:.0f} ms, "
              f"the last added {ex['last'] * 1000:.0f} ms; a bare Textual Tree given the same labels at once: "
              f"{ex['bare'] * 1000:.0f} ms to its frame")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-tui-") as tmp:
        tmp_path = Path(tmp)
        if args.deck:
            deck = Path(args.deck).resolve()
        elif args.notes:
            sys.path.insert(0, str(REPO / "benchmarks"))
            from gen_deck import generate

            deck = tmp_path / "gen"
            generate(deck, args.notes, 0)
        else:
            ap.error("give a DECK or --notes N")
        n_notes = sum(1 for _ in deck.rglob("*.md"))
        print(f"deck: {deck} ({n_notes} notes), today {today}, python {sys.version.split()[0]}")

        against = None
        if args.against:
            other = Path(args.against).resolve()
            if not other.is_dir():  # a revision of this repository, unpacked
                other = tmp_path / "against"
                other.mkdir()
                archive = subprocess.run(["git", "-C", str(HERE), "archive", args.against], capture_output=True, check=True)
                subprocess.run(["tar", "-x", "-C", str(other)], input=archive.stdout, check=True)
            other_deck = tmp_path / "against-deck"  # its own copy: the two scan caches must not take turns
            shutil.copytree(deck, other_deck, ignore=shutil.ignore_patterns(".trainer"))
            against = (other, other_deck)
        ff = first_frame(deck, args.today, args.repeat, against, stale=args.stale)
        if args.frame_only:
            ui = core = []
        else:
            ui, core = _grades(deck, tmp_path, today, args.grades)

    target_ff = 0.5 if n_notes <= 10_000 else 0.6
    name = "first frame, overview (one note changed)" if args.stale else "first frame, overview (warm cache)"
    rows = [(name, ff["frame"], ff["bare_frame"], "bare app's frame", target_ff)]
    if ui:
        rows += [
            (f"grade -> next card shown (median of {len(ui)})", statistics.median(ui), statistics.median(core), "core grade alone", 0.050),
            ("grade -> next card shown (p90)", sorted(ui)[int(len(ui) * 0.9) - 1], sorted(core)[int(len(core) * 0.9) - 1], "core grade p90", 0.050),
        ]
    print()
    print(f"{'figure':<44} {'value':>9} {'limit':>9} {'ratio':>6}  {'limit is':<18} {'target':>7}  ok")
    for name, value, limit, limit_name, target in rows:
        ok = "" if target is None else "yes" if value <= target else "NO"
        shown = "" if target is None else f"{target * 1000:>5.0f}ms"
        print(f"{name:<44} {value * 1000:>7.0f}ms {limit * 1000:>7.1f}ms {value / limit:>6.1f}  {limit_name:<18} {shown:>7}  {ok}")
    if "ratio_against" in ff:
        print(f"\nfirst frame against {args.against}: {ff['frame'] * 1000:.0f} ms vs {ff['against_frame'] * 1000:.0f} ms; "
              f"median of the paired ratios {ff['ratio_against']:.2f} (below 1: faster now)")
    print(f"the app process's own CPU to the first frame (its forked walk not counted): {ff['cpu'] * 1000:.0f} ms"
          + (f" vs {ff['against_cpu'] * 1000:.0f} ms" if "against_cpu" in ff else "")
          + f"; the bare app's {ff['bare_cpu'] * 1000:.0f} ms")
    return 0


def _grades(deck: Path, tmp_path: Path, today: dt.date, grades: int) -> tuple[list[float], list[float]]:
    """Grade latency in the app and in the core alone, each on its own copy of the deck."""
    copy = tmp_path / "copy"
    shutil.copytree(deck, copy, ignore=shutil.ignore_patterns(".trainer"))
    core_copy = tmp_path / "core"
    shutil.copytree(deck, core_copy, ignore=shutil.ignore_patterns(".trainer"))
    ui = asyncio.run(_grade_latency(copy, today, grades))
    core = core_grade_latency(core_copy, today, grades)
    return ui, core


if __name__ == "__main__":
    raise SystemExit(main())
