"""The command line (SPEC §5): ``trainer [--deck PATH] [--today DAY] COMMAND``.

Exit codes: 0 fine; 1 some notes had problems (each on stderr as ``path: key: problem``);
2 bad usage. The TUI, NumPy and the importers are imported only by the commands that use them.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Sequence

from trainer import __version__, clock, paths
from trainer.cli_output import (  # noqa: F401 - re-exported: commands and tests use them from here
    OK, PROBLEMS, USAGE, _json_default, _need_terminal, _terminal_width, emit_json, report_problems, table,
    write_bytes,
)
from trainer.errors import TrainerError, UsageError
from trainer.textsafe import clean, unescaped

EPILOG = """\
With no COMMAND, the study app opens. The deck is --deck, else $TRAINER_DECK, else ./cards
(relative to the current folder).
Exit codes: 0 fine, 1 some notes had problems, 2 bad usage.
Run `trainer COMMAND -h` for a command's options.
"""




# ---------------------------------------------------------------- parser


def _day(text: str) -> dt.date:
    try:
        return clock.parse_day(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _deck_arg(text: str) -> Path:
    """A deck path; an empty one (an unset variable in a script) is refused, never taken as '.'."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty deck path (an unset variable?); give the deck's folder")
    return Path(text)


MAX_DAYS = 3660


def _days(text: str) -> int:
    """A forecast or history length: at most ten years (the calendar must not run out), at least a
    day (``stats --days 0`` printed "last 0 days" over today's grades)."""
    n = _at_least_one(text)
    if n > MAX_DAYS:
        raise argparse.ArgumentTypeError(f"at most {MAX_DAYS} days, got {n}")
    return n


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {n}")
    return n


def _at_least_one(text: str) -> int:
    """A per-day cap: 0 would promise days with no cards and then place one a day anyway. Said
    as ``>= 1`` for a negative number too (``--limit -3`` said ``>= 0``, and 0 was refused)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {n}")
    return n


def _grade(text: str) -> int:
    t = text.strip()
    n = int(t) if len(t) == 1 and t in "012345" else -1  # ASCII only: int() would take '５' or '٣'
    if not 0 <= n <= 5:
        raise argparse.ArgumentTypeError(f"grade must be 0-5 (0 blackout … 5 perfect), got {text!r}")
    return n


NEW_LIMIT_HELP = "new cards per day (default: new_per_day in trainer.toml, else 20)"


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--deck", type=_deck_arg, default=argparse.SUPPRESS, metavar="PATH",
                        help="deck folder (default: $TRAINER_DECK, else ./cards)")
    common.add_argument("--today", type=_day, default=argparse.SUPPRESS, metavar="YYYY-MM-DD",
                        help="act as if today were this day")
    common.add_argument("--no-cache", action="store_true", default=argparse.SUPPRESS,
                        help="parse every note again instead of using the scan cache")

    p = argparse.ArgumentParser(
        prog="trainer",
        description="Spaced repetition for interview questions kept as markdown notes.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    p.add_argument("--version", action="version", version=f"trainer {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    p.command_parsers = sub.choices  # main(): an option a command lacks is said with that command's usage

    def cmd(name: str, help: str, description: str | None = None) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=description or help, parents=[common])

    s = cmd("study", "open the study app on the deck")
    s.add_argument("--new-limit", type=_positive, default=None, metavar="N", help=NEW_LIMIT_HELP)

    d = cmd("due", "list due cards, most overdue first, then new cards up to the daily limit")
    fmt = d.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON for scripts")
    fmt.add_argument("--csv", action="store_true", help="print CSV")
    d.add_argument("--limit", type=_at_least_one, metavar="N", help="show at most N cards")
    d.add_argument("--tag", action="append", metavar="TAG", help="only cards with this tag (nested tags included); repeatable")
    d.add_argument("--difficulty", type=str.lower, choices=("easy", "medium", "hard"), action="append", help="only this difficulty; repeatable")
    d.add_argument("--new-limit", type=_positive, default=None, metavar="N", help=NEW_LIMIT_HELP)

    r = cmd("review", "grade one note, or many with --from FILE",
            "Grade a note as in a study session: the first grade of a card on a day schedules it (SM-2, or FSRS "
            "when trainer.toml says so); later grades the same day are logged as re-drills; `trainer undo` takes "
            "the last one back.")
    r.add_argument("note", nargs="?", metavar="NOTE", help="path of the note (relative to here or to the deck)")
    r.add_argument("--grade", "-g", type=_grade, metavar="Q", help="0 blackout … 3 hard … 5 perfect")
    r.add_argument("--from", dest="from_file", metavar="FILE", help="CSV of path,grade rows ('-' for stdin)")
    r.add_argument("--json", action="store_true", help="print JSON for scripts")

    u = cmd("undo", "undo the last grade: the note's previous scheduling lines come back",
            "Undo the deck's last grade (from `trainer review` or the study app; an import is never undone): "
            "the note gets back the exact scheduling lines it had before, and the log row is marked undone. "
            "Run it again to undo the grade before.")
    u.add_argument("--json", action="store_true", help="print JSON for scripts")

    sc = cmd("schedule", "fill missing keys and spread new and overdue cards over days under a per-day cap")
    sc.add_argument("--per-day", type=_at_least_one, default=50, metavar="N", help="most cards due on one day (default 50)")
    sc.add_argument("--new-per-day", type=_at_least_one, default=None, metavar="N",
                    help="most new cards on one day (default: new_per_day in trainer.toml, else 20)")
    sc.add_argument("--days", type=_days, default=14, metavar="N", help="forecast length (default 14)")
    sc.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    sc.add_argument("--json", action="store_true", help="print JSON for scripts")

    im = cmd("import", "bring notes in from markdown folders, Obsidian vaults, Anki text exports and Anki packages"
                       " (.apkg/.colpkg, with schedule and review history)")
    im.add_argument("sources", nargs="+", metavar="SRC", help="files or folders to import")
    im.add_argument("--into", metavar="SUBDIR", help="folder inside the deck to import into")
    im.add_argument("--dry-run", action="store_true", help="show the plan; write nothing")
    im.add_argument("--on-conflict", choices=("skip", "update", "rename"), default="skip",
                    help="when a note of that name exists with other content (default: skip)")
    im.add_argument("--drop-foreign-keys", action="store_true", help="remove Obsidian sr-* keys after mapping them")
    im.add_argument("--json", action="store_true", help="print the summary as JSON")

    st = cmd("stats", "counts, retention, mastery by tag, reviews per day, forecast")
    st.add_argument("--json", action="store_true", help="print JSON for scripts")
    st.add_argument("--days", type=_days, default=30, metavar="N", help="forecast and history length (default 30)")

    ch = cmd("check", "validate every note and list the problems (exit 1 if any)")
    ch.add_argument("--json", action="store_true", help="print JSON for scripts")

    ev = cmd("eval", "score SM-2 and FSRS on the deck's review log (or a CSV) as srs-benchmark does",
             "Score SM-2, FSRS with fsrs-rs's default parameters, and FSRS fitted per fold, on the deck's review log "
             "or an external CSV: reviews in time order, a 5-fold time-series split, reviews a day or more after the "
             "card's previous one scored; log loss, RMSE(bins), AUC.")
    ev.add_argument("--log", type=Path, metavar="CSV",
                    help="review log CSV: card_id, review_time (ISO 8601 or epoch ms), review_rating (1-4) or grade (0-5)")
    ev.add_argument("--json", action="store_true", help="print JSON for scripts")

    op = cmd("optimize", "fit FSRS parameters to the deck's review log and write them into trainer.toml",
             "Fit FSRS parameters with fsrs-rs to the deck's review log, print the log loss before and after, and "
             "write them into trainer.toml ([scheduler] parameters; comments kept). With too little history "
             "nothing is written.")
    op.add_argument("--dry-run", action="store_true", help="fit and report; write nothing")
    op.add_argument("--json", action="store_true", help="print JSON for scripts")

    pl = cmd("plan", "plan the reviews from today to an interview day, and show the readiness it buys",
             "What to study each day from today to the day before the interview so that as many cards as possible "
             "are recalled on the day, never more than N a day. Each planned review is assumed to pass (Good). "
             "Readiness is the mean predicted recall on the interview day (SM-2's or FSRS's model, as the deck "
             "uses), without and with the plan.")
    pl.add_argument("--interview", type=_day, default=None, metavar="YYYY-MM-DD",
                    help="the interview day (default: [interview] date in trainer.toml)")
    pl.add_argument("--per-day", type=_at_least_one, default=None, metavar="N",
                    help="most reviews on one day (default: the deck's new_per_day limit)")
    pl.add_argument("--json", action="store_true", help="print JSON for scripts")

    cf = cmd("config", "show the deck's settings in force (trainer.toml at the deck root, else defaults)")
    cf.add_argument("--json", action="store_true", help="print JSON for scripts")

    de = cmd("demo", "list the live demos, or open one in the app")
    de.add_argument("demo_id", nargs="?", metavar="ID", help="demo to open (omit to list them)")
    de.add_argument("--json", action="store_true", help="print the demo's figures instead of opening it")
    de.add_argument("--seed", type=_positive, default=0, metavar="N", help="random seed, 0 or more (default 0)")
    from trainer.cli_interview import add_parser as add_interview_parser  # the mock interview

    add_interview_parser(cmd)

    cmd("git-setup", "set up the git merge driver so a deck kept in git merges on two machines",
        "Run once per clone, with --deck (or $TRAINER_DECK) naming the deck inside a git repository: adds "
        "'*.md merge=trainer' to the deck's .gitattributes (commit it) and defines the driver in the "
        "repository's git config, naming this trainer by absolute path.")
    md = cmd("merge-driver", "(run by git) merge one note: scheduling keys from the later review, the rest by git merge-file",
             "Run by git as the merge driver `git-setup` installs, not by hand. Writes the merge of BASE, OURS and "
             "THEIRS over OURS; exit 0 when clean, 1 when conflicts remain (markers in the file), 2 on error.")
    md.add_argument("base", metavar="BASE", help="the common ancestor's version (git's %%O)")
    md.add_argument("ours", metavar="OURS", help="our version; the result is written here (git's %%A)")
    md.add_argument("theirs", metavar="THEIRS", help="their version (git's %%B)")
    md.add_argument("path", nargs="?", default="", metavar="PATH", help="the note's path in the repository (git's %%P)")
    md.add_argument("--marker-size", type=int, default=7, metavar="N", help="conflict marker length (git's %%L)")
    return p


# ---------------------------------------------------------------- output helpers (trainer/cli_output.py)

# ---------------------------------------------------------------- context


class Context:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        env_deck = os.environ.get("TRAINER_DECK")
        if getattr(args, "deck", None) is None and env_deck is not None and not env_deck.strip():
            raise UsageError("TRAINER_DECK is set but empty (an unset variable?); give the deck's folder")
        self.deck_path: Path = getattr(args, "deck", None) or paths.default_deck()
        try:
            self.today: dt.date = getattr(args, "today", None) or clock.today()
        except ValueError as exc:
            raise UsageError(f"TRAINER_TODAY: {exc}") from None
        clock.set_today(self.today)
        self.use_cache = not getattr(args, "no_cache", False)
        self._deck = None

    @property
    def deck(self):
        if self._deck is None:
            from trainer.deck import Deck, DeckError

            try:
                self._deck = Deck(self.deck_path)
            except DeckError as exc:
                hint = "" if self.deck_path != Path("cards") else " (use --deck PATH or set TRAINER_DECK)"
                if not hint and getattr(self.args, "deck", None) is None and os.environ.get("TRAINER_DECK"):
                    hint = " (from $TRAINER_DECK)"  # set once in a shell profile and forgotten
                raise UsageError(f"{exc}{hint}") from None
        return self._deck

    @property
    def settings(self):
        """The deck's ``trainer.toml`` (defaults without one); a wrong value is bad usage (exit 2)."""
        if getattr(self, "_settings", None) is None:
            from trainer import config

            try:
                self._settings = config.load(self.deck.root)
            except config.ConfigError as exc:
                raise UsageError(str(exc)) from None
        return self._settings

    def scan(self, *, writes: bool = True):
        """The deck's notes; ``writes=False`` (dry runs) leaves even the scan cache alone."""
        # A command is a short process and every scanned note lives to its end: the cyclic
        # collector would only walk them again and again while the notes and the output are
        # built (on 100k notes that is a quarter of `trainer due`). main() turns it back on.
        import gc

        gc.disable()
        with _progress_line() as progress:
            scan = self.deck.scan(self.today, use_cache=self.use_cache, save_cache=writes, clean_temp=writes,
                                  progress=progress)
        notice = getattr(self.deck, "cache_notice", None)
        if notice:  # said once; the command carries on with the notes read again
            print(f"trainer: {notice}", file=sys.stderr)
            self.deck.cache_notice = None
        return scan

    def log(self, *, readonly: bool = False):
        """The review log; a writable one has rows left unfinished by a crash settled first."""
        from trainer.reviewlog import ReviewLog

        try:
            if readonly:
                return ReviewLog.open(self.deck.root, readonly=True)
            from trainer.grading import open_log

            db = paths.state_dir(self.deck.root) / "trainer.db"
            if db.is_file() and not db.is_symlink() and not os.access(db, os.W_OK):
                # grading goes on (the notes carry the schedule); said once, not per grade
                print(f"trainer: {db} is read-only: grades are written to the notes but not logged "
                      "(no undo or history for them); make it writable to log them", file=sys.stderr)
                return ReviewLog.memory()
            log, repaired = open_log(self.deck, self.today)
        except Exception as exc:  # sqlite3 errors, read-only deck
            where, reason = _log_failure(self.deck.root, exc)
            if readonly:  # the command goes on without the history, but never silently (a damaged log read as empty)
                if not getattr(self, "_log_failure_said", False):  # once, however often the command opens it
                    self._log_failure_said = True
                    print(clean(f"trainer: {where}: cannot read the review log ({reason}); going on without its "
                                "history"), file=sys.stderr)
                return ReviewLog.memory()
            import shutil

            try:
                full = shutil.disk_usage(self.deck.root).free == 0
            except OSError:
                full = False
            hint = " (the disk is full)" if full else ""
            raise UsageError(f"{where}: cannot open the review log: {reason}{hint}") from None
        for line in repaired:
            print(clean(line), file=sys.stderr)
        return log


def _log_failure(root: Path, exc: Exception) -> tuple[str, str]:
    """(path, problem) for a review log that would not open, said as ``path: …: problem`` rather
    than ``[Errno 17] File exists: '…'``."""
    state = paths.state_dir(root)
    if state.exists() and not state.is_dir() and not state.is_symlink():
        return str(state), "not a folder (trainer keeps its review log and scan cache in it)"
    if isinstance(exc, OSError) and exc.strerror:
        return str(exc.filename or state / "trainer.db"), exc.strerror
    return str(state / "trainer.db"), str(exc)


# ---------------------------------------------------------------- commands


def cmd_study(ctx: Context) -> int:
    deck = ctx.deck
    _need_terminal("the study app")
    import gc

    gc.disable()  # until the notes are in (trainer.tui.app turns it on again): its passes over the start-up's objects cost the first frame ~30 ms
    from trainer.columns import Pending

    # the walk of a large deck on the other core while Textual loads, the deck's columns loaded
    # meanwhile: if the walk finds them current (or patches them), their figures draw the first frame
    pending = Pending(deck, rows=False)
    from trainer.opendeck import OpenDeck  # (after the fork: the child starts walking sooner, #17)

    book = OpenDeck.open(deck.root, ctx.today, new_per_day=_new_limit(ctx))
    first_scan = book.start_scan(pending, wait=True)  # in a thread while Textual is imported; the notes after the first frame
    from trainer.tui.app import run_app

    return run_app(book, first_scan=first_scan)


def _new_limit(ctx: Context) -> int:
    from trainer import scheduler

    n = getattr(ctx.args, "new_limit", None)
    if n is None and ctx.deck_path.is_dir():
        return ctx.settings.new_per_day  # trainer.toml's [scheduler] new_per_day, else the default
    return scheduler.DEFAULT_NEW_PER_DAY if n is None else n


def _tags_match(tags: Sequence[str], wanted: list[str]) -> bool:
    from trainer.tags import has_tag

    return any(has_tag(tuple(tags), w, casefold=True) for w in wanted)


def closest_tags(wanted: str, known: Sequence[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """The deck's tags (parents included: ``--tag`` takes them) nearest ``wanted`` by difflib's
    ratio, on the whole tag or its last part (``attention`` finds ``Transformer/Attention``)."""
    import difflib

    from trainer.tags import tag_prefixes

    w = wanted.strip("/").casefold()
    scored = []
    for name in {p for t in known for p in tag_prefixes(t)}:
        folded = name.casefold()
        score = max(difflib.SequenceMatcher(None, w, folded).ratio(),
                    difflib.SequenceMatcher(None, w, folded.rsplit("/", 1)[-1]).ratio())
        if score >= cutoff:
            scored.append((-score, name))
    return [name for _, name in sorted(scored)[:n]]


def _hint_unknown_tags(wanted: list[str], known: list[str]) -> None:
    """On stderr: each ``--tag`` no card has, with the closest tags (else the top-level ones)."""
    for tag in wanted:
        if _tags_match(known, [tag]):
            continue
        close = closest_tags(tag, known)
        if close:
            also = "closest: " + ", ".join(close)
        else:
            top = sorted({t.strip("/").split("/")[0] for t in known if t.strip("/")})
            also = "the deck's top-level tags: " + ", ".join(top[:8]) + (", …" if len(top) > 8 else "") if top else "no card has tags"
        print(clean(f"trainer due: no card has the tag {tag!r}; {also}"), file=sys.stderr)


PROGRESS_AFTER_S = 0.5
"""A parse shorter than this says nothing on the terminal."""


def _parse_progress(after_s: float = PROGRESS_AFTER_S):
    """How far a long parse of the notes is (a deck's first read: 100k notes take seconds), on
    standard error when it is a terminal: one line rewritten in place once ``after_s`` have passed,
    and wiped at the end so the command's own output is all that stays; None elsewhere."""
    if not sys.stderr.isatty():
        return None
    import time

    try:
        columns = os.get_terminal_size(sys.stderr.fileno()).columns or 80  # (standard output may be a pipe)
    except (OSError, ValueError):
        columns = 80
    start = time.monotonic()
    shown = [0]

    def progress(done: int, total: int) -> None:
        if done >= total:
            if shown[0]:
                print("\r" + " " * shown[0] + "\r", end="", file=sys.stderr, flush=True)
                shown[0] = 0
            return
        if time.monotonic() - start < after_s:
            return
        line = f"trainer: reading {total:,} notes: {done:,} ({done / total:.0%})"
        for line in (f"{line}; the next run reads only the changed ones", line, f"{done / total:.0%} of {total:,} notes read"):
            if len(line) < columns:  # (a wrapped line is not rewritten by \r)
                break
        line = line[: max(1, columns - 1)]
        print("\r" + line.ljust(shown[0]), end="", file=sys.stderr, flush=True)
        shown[0] = max(shown[0], len(line))

    return progress


@contextlib.contextmanager
def _progress_line(after_s: float = PROGRESS_AFTER_S):
    """:func:`_parse_progress` for one scan, its line wiped however the scan ends (a Ctrl-C, an
    error: what is said next starts a line of its own)."""
    progress = _parse_progress(after_s)
    try:
        yield progress
    finally:
        if progress is not None:
            progress(0, 0)


def _plural(n: int, word: str) -> str:
    return f"{n} {word if n == 1 else word + 's'}"


def _columns(ctx: Context, answer, *, rows: bool = False, tags: bool = True, names: bool = True):
    """``answer(columns)`` from the deck's columns (trainer/columns/), computed from the saved
    columns while a forked child walks the deck, and again only if the walk finds them stale.
    (None, None) with --no-cache or when they cannot be built: the command then uses the notes."""
    if not ctx.use_cache:
        return None, None
    import gc

    from trainer import columns

    gc.disable()  # as Context.scan: a short process whose objects all live to its end
    pending = columns.Pending(ctx.deck, rows=rows, tags=tags, names=names)
    failed = object()
    damaged = False
    try:
        early = answer(pending.columns) if pending.columns is not None else None
    except TrainerError:  # a bad trainer.toml: said as the notes' path says it (the forked walk reaped)
        pending.abandon()
        raise
    except Exception as exc:  # noqa: BLE001 - a value no build writes (a planted file; fsrs-rs refusing it): from the notes
        early = failed
        damaged = isinstance(exc, columns.DamagedColumns)
    except BaseException:  # Ctrl-C: the forked walk is not left behind
        pending.abandon()
        raise
    with _progress_line() as progress:
        fresh = pending.finish(ctx.today, progress=progress)
    if damaged and fresh.columns is pending.columns:  # a part read only when used was damaged: built again next time
        columns.discard(ctx.deck.root)
    if fresh.notice:
        print(f"trainer: {fresh.notice}", file=sys.stderr)
    if fresh.columns is not None and fresh.columns is not pending.columns:
        try:
            early = answer(fresh.columns)
        except TrainerError:
            raise
        except Exception:  # noqa: BLE001 - as above
            early = failed
    if fresh.columns is None or early is failed:
        ctx._scan = fresh.scan
        return None, None
    return fresh, early


def _due_from_columns(ctx: Context, cols) -> tuple[int, int, int, bytes]:
    """(new cards started today, cards to study, new ones among them, `due --json`'s bytes for the
    rows shown) from the columns: the same bytes as the rows built from notes."""
    from trainer import columns

    log = ctx.log(readonly=True)
    try:
        seen = log.new_cards_on(ctx.today)
    finally:
        log.close()
    runs, total, new = cols.due_runs(ctx.today, max(0, _new_limit(ctx) - seen), ctx.args.limit)
    # (its rows are terminal-safe already)
    return seen, total, new, columns.due_json(cols, ctx.today, ctx.settings, runs)


def cmd_due(ctx: Context) -> int:
    a = ctx.args
    if not a.tag and not a.difficulty:  # the whole deck's queue: from the columns, no note built
        fresh, answer = _columns(ctx, lambda cols: _due_from_columns(ctx, cols), rows=True, tags=False)
        if fresh is not None:
            seen, total_due, total_new, blob = answer
            if a.json:
                from trainer.cli_output import write_bytes

                write_bytes(blob)
                report_problems(fresh.problems)
                return PROBLEMS if fresh.problems else OK
            import orjson

            rows = orjson.loads(blob)  # the rows as the notes' path builds them (a day as ISO text prints the same)
            return _print_due(ctx, rows, total_due, total_new, seen, fresh.problems,
                              lambda: (fresh.columns.n, fresh.columns.n))
    scan = getattr(ctx, "_scan", None) or ctx.scan()

    def keep(tags: tuple[str, ...], difficulty: str) -> bool:
        return (not a.tag or _tags_match(tags, a.tag)) and (not a.difficulty or difficulty in a.difficulty)

    log = ctx.log(readonly=True)
    try:
        seen = log.new_cards_on(ctx.today)
    finally:
        log.close()
    # only the cards in the queue are built from the scan cache
    queue = scan.due_queue(new_limit=_new_limit(ctx), new_seen_today=seen,
                           keep=keep if a.tag or a.difficulty else None)
    total_due = len(queue)
    total_new = sum(1 for n in queue if n.is_new)
    if not queue and a.tag:
        _hint_unknown_tags(a.tag, [t for n in scan.notes for t in n.tags])
    if a.limit is not None:
        queue = queue[: a.limit]
    today = ctx.today
    from trainer.memory import recall

    settings = ctx.settings
    rows = []
    for n in queue:
        s = n.schedule
        r_today = recall(s, today, settings)  # predicted recall today (None: never studied)
        rows.append({
            "path": n.rel,
            "question": n.question,
            "next_review": s.next_review,  # a date: orjson writes it as ISO 8601
            "overdue_days": (today - s.next_review).days,
            "new": s.review_count == 0 and s.last_reviewed is None,  # Schedule.is_new, inlined: 40k rows
            "difficulty": n.difficulty,
            "mastery_level": s.mastery_level,
            "review_count": s.review_count,
            "interval": s.interval,
            "tags": n.tags,
            "recall": None if r_today is None else round(r_today, 4),
        })
    return _print_due(ctx, rows, total_due, total_new, seen, scan.problems,
                      lambda: (sum(1 for n in scan.notes if keep(n.tags, n.difficulty)), len(scan)))


def _print_due(ctx: Context, rows: list[dict], total_due: int, total_new: int, seen: int, problems, counts) -> int:
    """`trainer due`'s output; ``counts()``: (cards matching the filters, cards in the deck)."""
    a = ctx.args
    if a.json:
        emit_json(rows)
    elif a.csv:
        import csv

        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(["path", "question", "next_review", "overdue_days", "new", "difficulty", "mastery_level"])
        for r in rows:
            w.writerow([clean(r["path"]), clean(r["question"]), r["next_review"], r["overdue_days"],
                        "true" if r["new"] else "false", r["difficulty"], r["mastery_level"]])
    else:
        if not rows:
            matching, total = counts()
            if total == 0:  # a --deck that names the wrong folder read '0 of 0 cards match'
                print(f"No notes in {ctx.deck.root}: a note is a markdown file (*.md) with a `# ` question; "
                      "`trainer import SRC` brings notes in.")
            else:
                print(f"Nothing to study on {ctx.today}. {matching} of {_plural(total, 'card')} in {ctx.deck.root} match.")
        else:
            table(
                ["due", "late", "diff", "mastery", "path", "question"],
                [[r["next_review"], "new" if r["new"] else f"{r['overdue_days']}d", r["difficulty"],
                  f"{r['mastery_level']:.2f}", r["path"], unescaped(r["question"])] for r in rows],
                right={3},
                give_way=(4, 5),  # the path gives way first: the question is what a reader scans
            )
            shown = f"{len(rows)} of {total_due}" if len(rows) < total_due else f"{len(rows)}"
            print(f"\n{shown} to study on {ctx.today}: {total_due - total_new} due + {total_new} new "
                  f"({_new_limit(ctx)} new a day, {seen} started today)")
    report_problems(problems)
    return PROBLEMS if problems else OK


def _read_grades(ctx: Context) -> list[tuple[str, int, int]]:
    """(path, grade, line number) from --from FILE: ``path,grade`` rows, header optional."""
    import csv
    import io

    src = ctx.args.from_file
    try:
        if src == "-":
            raw = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
        else:
            with open(src, "rb") as fh:
                raw = fh.read()
    except OSError as exc:
        raise UsageError(f"cannot read {src}: {exc.strerror}") from None
    text = _grades_text(src, raw)
    out = []
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a field over the csv module's size limit
            raise UsageError(f"{src}:{reader.line_num}: {exc}") from None
        i = reader.line_num
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if len(row) < 2:
            raise UsageError(f"{src}:{i}: expected 'path,grade', got {clean(','.join(row))[:200]!r}")
        path, grade = row[0].strip(), row[1].strip()
        if not out and grade.lower() == "grade":
            continue
        try:
            q = _grade(grade)
        except argparse.ArgumentTypeError as exc:
            raise UsageError(f"{src}:{i}: {exc}") from None
        out.append((path, q, i))
    return out


def _grades_text(src: str, raw: bytes) -> str:
    """The --from file as text: UTF-8 (a BOM allowed); anything else is named with its line."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (b"\x00" in raw[:1000]):
        raise UsageError(f"{src}:1: this looks like UTF-16 text; save the file as UTF-8")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UsageError(f"{src}:{line}: not UTF-8 (byte {exc.start}; latin-1?); save the file as UTF-8") from None


def cmd_review(ctx: Context) -> int:
    from trainer import grading, scheduler
    from trainer.deck import DeckError
    from trainer.notes.write import WriteError

    a = ctx.args
    if a.from_file and (a.note or a.grade is not None):
        raise UsageError("give either NOTE --grade Q, or --from FILE, not both")
    if a.from_file:
        items = _read_grades(ctx)
    elif a.note and a.grade is not None:
        items = [(a.note, a.grade, 0)]
    else:
        raise UsageError("review needs NOTE --grade Q (0-5), or --from FILE")
    deck = ctx.deck
    settings = ctx.settings  # SM-2 or FSRS (trainer.toml); a broken file stops here, exit 2
    log = ctx.log()
    results, failures = [], 0
    try:
        for path, q, _ in items:
            try:
                rel = deck.rel_of(path)
                note = deck.load(rel, ctx.today)
                if note.fatal:
                    first = note.problems[0]
                    raise grading.NoteError(f"{first.key}: {first.message}")
                g = grading.grade(deck, log, note, q, ctx.today, settings=settings)
            except (DeckError, grading.NoteError, grading.Conflict, grading.NoteGone, WriteError, OSError) as exc:
                failures += 1
                msg = str(exc)
                print(clean(msg if msg.startswith(str(path)) else f"{path}: {msg}"), file=sys.stderr)
                continue
            s = g.after
            results.append({
                "path": g.note.rel, "grade": q, "kind": g.kind,
                "next_review": s.next_review.isoformat(), "interval": s.interval,
                "ease_factor": s.ease_factor, "repetitions": s.repetitions,
                "review_count": s.review_count, "mastery_level": s.mastery_level,
                "stability": s.stability, "fsrs_difficulty": s.fsrs_difficulty,
            })
            if g.notice:
                print(clean(g.notice), file=sys.stderr)
            if not a.json:
                if g.kind == "review":
                    print(clean(f"{g.note.rel}: graded {q} → next review {s.next_review} "
                                f"(in {scheduler.format_interval(s.interval)}), mastery "
                                f"{g.before.mastery_level:.2f} → {s.mastery_level:.2f}{_early(g.before, ctx.today)}"))
                else:
                    print(clean(f"{g.note.rel}: graded {q} again today → logged as a re-drill; "
                                f"schedule unchanged (next review {s.next_review})"))
    finally:
        log.close()
    if a.json:
        emit_json(results)
    return PROBLEMS if failures else OK


def _early(before, today) -> str:
    """Said after a grade given before the card was due (a path typed wrong, or on purpose): SM-2
    grows the full interval all the same, so the line says the card was not due yet."""
    if before.review_count == 0 or before.next_review <= today:
        return ""
    days = (before.next_review - today).days
    return f"; reviewed {_plural(days, 'day')} early (it was due {before.next_review})"


def cmd_undo(ctx: Context) -> int:
    """The study app's `u` from the shell: a grade typed wrong in `trainer review` can be taken back."""
    from trainer import grading
    from trainer.notes.write import WriteError

    log = ctx.log()
    try:
        try:
            undone = grading.undo_last(ctx.deck, log, ctx.today)
        except (grading.NoteError, grading.Conflict, grading.NoteGone, WriteError, OSError) as exc:
            row = log.last_undoable()
            msg = str(exc)
            where = row.note if row is not None else str(ctx.deck.root)
            if row is not None and msg.startswith(f"{ctx.deck.root / row.note}: "):  # the note named once, as the deck names it
                msg = msg[len(str(ctx.deck.root / row.note)) + 2:]
            print(clean(msg if msg.startswith(where) else f"{where}: {msg}"), file=sys.stderr)
            return PROBLEMS
    finally:
        log.close()
    if undone is None:
        if ctx.args.json:
            emit_json(None)
        else:
            print(clean(f"Nothing to undo: no grade in the review log of {ctx.deck.root}."))
        return OK
    row, note = undone.row, undone.note
    back = note.schedule.next_review.isoformat() if note is not None else None
    if ctx.args.json:
        emit_json({"path": row.note, "grade": row.grade, "kind": row.kind, "day": row.day.isoformat(),
                   "next_review": back})
    elif row.kind == "review":
        print(clean(f"{row.note}: undid grade {row.grade} of {row.day} → next review {back} again"))
    else:
        print(clean(f"{row.note}: undid re-drill grade {row.grade} of {row.day} (its schedule had not changed)"))
    return OK


def cmd_schedule(ctx: Context) -> int:
    from trainer.batch import apply_plan, plan_schedule

    a = ctx.args
    scan = ctx.scan(writes=not a.dry_run)
    # the deck's new_per_day as study and due use it: a forecast of 20 new a day on a deck set to 5 was not what comes
    # (trainer.toml allows 0, no new cards: the backlog's new cards still move, 1 a day, and the summary says so)
    new_per_day = a.new_per_day if a.new_per_day is not None else max(1, ctx.settings.new_per_day)
    plan = plan_schedule(scan.notes, ctx.today, per_day=a.per_day, new_per_day=new_per_day, days=a.days)
    failures: list[str] = []
    if not a.dry_run and plan.changes:
        failures = apply_plan(ctx.deck, plan)
    moves = _fsrs_switch(ctx, scan.notes)
    if a.json:
        data = plan.to_json(dry_run=a.dry_run, failures=failures)
        if moves is not None:
            data["fsrs_switch"] = [{"path": m.rel, "next_review": m.next_review, "fsrs_next_review": m.fsrs_next_review,
                                    "state_from": m.source} for m in moves]
        emit_json(data)
    else:
        verb = "would change" if a.dry_run else "changed"
        shown = [c for c in plan.changes if c.rel not in plan.failed]  # a note not written is on stderr, not here
        for c in shown[:200]:
            print(clean(f"{c.rel}: " + ", ".join(_schedule_change(k, c.note.present, c.old.get(k), v)
                                                   for k, v in c.updates.items())))
        if len(shown) > 200:
            print(f"… and {len(shown) - 200} more")
        done = len(plan.changes) if a.dry_run else plan.written  # a failed or superseded write changed nothing
        what = (f"{plan.filled} with missing keys filled, {plan.moved} moved so that no day gets more than "
                f"{a.per_day} cards from the backlog (at most {new_per_day} of them new)")
        if plan.failed:  # "0 notes changed: … 38 moved" said the opposite of what happened
            print(f"\n{done} {'note' if done == 1 else 'notes'} {verb} of {len(plan.changes)} planned ({what}); "
                  f"{len(plan.failed)} could not be written (listed on stderr).")
        else:
            print(f"\n{done} {'note' if done == 1 else 'notes'} {verb}: {what}.")
        crowded = [(d, due + new) for d, due, new in plan.forecast if due + new > max(a.per_day, 1)]
        if crowded:
            days = ", ".join(f"{d.isoformat()} ({n})" for d, n in crowded[:5]) + (" …" if len(crowded) > 5 else "")
            print(f"Already over {a.per_day} before this plan (cards scheduled there are not moved): {days}.")
        if plan.held:
            print(f"{_plural(len(plan.held), 'note')} with problems left as they are (see `trainer check`).")
        print(f"\nForecast from {ctx.today}:")
        table(["day", "due", "new", ""], [[d.isoformat(), due, new, "█" * min(due + new, 60)]  # the day's whole load
                                          for d, due, new in plan.forecast], right={1, 2})
        if moves:
            _print_fsrs_switch(moves)
    for f in failures:
        print(clean(f), file=sys.stderr)
    report_problems(scan.problems)
    return PROBLEMS if scan.problems or failures else OK


def _fsrs_switch(ctx: Context, notes):
    """On a deck switched to FSRS: the studied cards that have no FSRS state yet (None on SM-2 decks)."""
    if ctx.settings.algorithm != "fsrs":
        return None
    from trainer.memory import switch_preview

    log = ctx.log(readonly=True)
    try:
        return switch_preview(notes, ctx.settings, log)
    finally:
        log.close()


def _print_fsrs_switch(moves) -> None:
    earlier = sum(1 for m in moves if m.fsrs_next_review < m.next_review)
    later = sum(1 for m in moves if m.fsrs_next_review > m.next_review)
    print(f"\nSwitch to FSRS: {len(moves)} studied cards have no FSRS state yet; each takes one at its next grade "
          f"(from its review-log history, else from ease and interval). By FSRS they would fall due "
          f"{earlier} earlier, {later} later, {len(moves) - earlier - later} the same day (nothing is moved now):")
    shown = [m for m in moves if m.fsrs_next_review != m.next_review]
    for m in shown[:20]:
        print(clean(f"  {m.rel}: {m.next_review} → {m.fsrs_next_review} ({m.source})"))
    if len(shown) > 20:
        print(f"  … and {len(shown) - 20} more")


def _schedule_change(key: str, present: frozenset[str], old: object, new: object) -> str:
    """``next_review 2026-02-03 → 2026-11-29``; a key the note lacks: ``+last_reviewed: null``."""
    if key not in present:
        return f"+{key}: {'null' if new is None else _show(new)}"
    return f"{key} {_show(old)} → {_show(new)}"


def _show(v: object) -> str:
    if v is None:
        return "(missing)"
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def cmd_import(ctx: Context) -> int:
    from trainer.importers import run_import

    a = ctx.args
    missing = [s for s in a.sources if not os.path.lexists(s)]
    if missing:  # a mistyped path is the command line's fault (exit 2), not a note's problem
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    deck = ctx.deck
    _check_into(deck.root, a.into)
    log = None if a.dry_run else ctx.log()
    progress = None
    if sys.stderr.isatty() and not a.json:
        def progress(done: int, total: int) -> None:
            if total > 200:
                print(f"\rimporting {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)
    try:
        report = run_import(
            deck, [Path(s) for s in a.sources], into=a.into, dry_run=a.dry_run, on_conflict=a.on_conflict,
            drop_foreign_keys=a.drop_foreign_keys, today=ctx.today, log=log, progress=progress,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    finally:
        if log is not None:
            log.close()
    if a.json:
        emit_json(report.to_dict())
    else:
        for line in report.render_lines():
            if not line.startswith("  failed   "):  # failures go to stderr as `path: problem` (SPEC §5)
                print(clean(line))
        for e in report.failed:
            print(clean(f"{e.source}: {e.reason}"), file=sys.stderr)
    return OK if report.ok else PROBLEMS


def _check_into(root: Path, into: str | None) -> None:
    """``--into notes.md`` naming a file of the deck is bad usage, said once: it failed every note
    with 'cannot write notes.md/x.md: File exists' (an absolute path or '..' is refused by the importer)."""
    import stat

    if not into or Path(into).is_absolute() or ".." in Path(into).parts:
        return
    here = root
    for part in Path(into).parts:
        here = here / part
        try:
            mode = os.lstat(here).st_mode
        except OSError:
            return  # not there yet: the import makes it
        if not stat.S_ISDIR(mode) and not stat.S_ISLNK(mode):
            raise UsageError(f"--into {into}: {here.relative_to(root).as_posix()} is a file of the deck, not a folder")


def _stats_from_columns(ctx: Context, cols):
    """(figures, difficulty counts, recall summary, JSON bytes or None) from the columns: what
    stats computes from the notes. For --json the per-tag parts are written by the columns."""
    from trainer import columns, stats

    log = ctx.log(readonly=True)
    try:
        started = log.new_cards_on(ctx.today)
        history = stats.history(log, ctx.today, max(1, ctx.args.days))
    finally:
        log.close()
    days, as_json = max(1, ctx.args.days), ctx.args.json
    figs = columns.figures(cols, ctx.today, new_per_day=_new_limit(ctx), new_started=started, days=days, tags=not as_json)
    s = stats.DeckStats(figs, columns.difficulty_counts(cols), history)
    state = columns.recall_state(cols, ctx.today, ctx.settings) if as_json else None  # (the recalls once, for both)
    recall = columns.recall_summary(cols, ctx.today, ctx.settings, tags=not as_json, state=state)
    if not as_json:
        return s, recall, None
    from trainer.cli_interview import coverage_history

    doc = {**s.to_json(), "interviews": coverage_history(ctx), "recall": recall}
    return s, recall, columns.stats_json(cols, doc, ctx.today, ctx.settings, new_per_day=_new_limit(ctx), new_started=started,
                                         state=state)


def cmd_stats(ctx: Context) -> int:
    from trainer import figures, stats

    fresh, computed = _columns(ctx, lambda cols: _stats_from_columns(ctx, cols), names=not ctx.args.json)
    if fresh is not None and ctx.args.json:
        from trainer.cli_output import write_bytes

        write_bytes(computed[2])
        report_problems(fresh.problems)
        return PROBLEMS if fresh.problems else OK
    log = ctx.log(readonly=True)
    try:
        if fresh is not None:  # the counts from the columns (trainer/columns/): no note built
            s, recall, _ = computed
            problems = fresh.problems
        else:
            scan = getattr(ctx, "_scan", None) or ctx.scan()
            notes, problems = scan.notes, scan.problems
            figs = figures.compute(notes, ctx.today, new_per_day=_new_limit(ctx), new_started=log.new_cards_on(ctx.today),
                                   days=max(1, ctx.args.days))
            s = stats.compute(notes, figs, log, history_days=max(1, ctx.args.days))
            from trainer.memory import recall_summary

            recall = recall_summary(notes, ctx.today, ctx.settings)
    finally:
        log.close()
    if ctx.args.json:
        from trainer.cli_interview import coverage_history

        emit_json({**s.to_json(), "interviews": coverage_history(ctx), "recall": recall})
    else:
        f, h = s.figures, s.history
        print(f"Deck {ctx.deck.root} on {ctx.today}")
        table(["cards", "to study", "due", "overdue", "new today", "broken", "mastery", "retention", "reviews"],
              [[f.total, f.to_study, f.due, f.overdue, f"{f.new_today}/{f.new_per_day}", f.broken, f"{f.mastery:.2f}",
                "–" if h.retention is None else f"{h.retention:.0%}", h.reviews_total]],
              right=set(range(9)))
        print(f"to study = due (studied, due by today) + new today ({f.new} unseen and due by today, {f.new_per_day} a day)")
        if f.tags:
            print("\nMastery by tag")
            table(["tag", "cards", "to study", "mastery", ""],
                  [["  " * t.count("/") + (t.rsplit("/", 1)[-1] or "(untagged)"), g.cards, g.to_study, f"{g.mastery:.2f}",
                    "█" * round(g.mastery * 20) + "·" * (20 - round(g.mastery * 20))] for t, g in f.tags.items()],
                  right={1, 2, 3}, give_way=(0,))
        _print_recall(recall)
        active = [(d, n) for d, n in h.reviews_per_day if n]
        print(f"\nGrades per day, re-drills included (last {_plural(ctx.args.days, 'day')}): " +
              (", ".join(f"{d.isoformat()} {n}" for d, n in active) if active else "none yet"))
        print(f"\nForecast ({_plural(ctx.args.days, 'day')}; today: to study, then cards falling due)")
        table(["day", "cards", ""], [[d.isoformat(), n, "█" * min(n, 60)] for d, n in f.forecast if n] or [["–", 0, ""]], right={1})
        from trainer.cli_interview import print_coverage_history

        print_coverage_history(ctx)
    report_problems(problems)
    return PROBLEMS if problems else OK


def _print_recall(r: dict) -> None:
    """Expected recall today (trainer.memory: FSRS's curve or SM-2's 0.9^(elapsed/interval))."""
    if r["deck"] is None:
        return
    model = "FSRS" if r["model"] == "fsrs" else "SM-2"
    print(f"\nExpected recall today ({model}'s model, {r['studied']} studied cards): {r['deck']:.0%}")
    if r["tags"]:
        table(["tag", "studied", "recall"],
              [["  " * t.count("/") + t.rsplit("/", 1)[-1], v["studied"], f"{v['recall']:.0%}"] for t, v in r["tags"].items()],
              right={1, 2}, give_way=(0,))


def cmd_check(ctx: Context) -> int:
    from trainer.tags import tag_warnings

    scan = ctx.scan()
    # warnings: valid notes that are probably not what was meant (they do not change the exit code)
    warnings = [(n.rel, "tags", w) for n in scan.notes if n.tags for w in tag_warnings(n.tags)]
    warnings += _empty_note_warnings(scan.notes)
    if ctx.args.json:
        emit_json({
            "notes": len(scan.notes),
            "problems": [{"path": p.path, "key": p.key, "problem": p.message} for p in scan.problems],
            "warnings": [{"path": rel, "key": key, "warning": w} for rel, key, w in warnings],
        })
    else:
        bad = len({p.path for p in scan.problems})
        also = f"; {_plural(len(warnings), 'warning')}" if warnings else ""
        if scan.problems:
            print(f"{_plural(len(scan.notes), 'note')} checked: {_plural(len(scan.problems), 'problem')} in "
                  f"{_plural(bad, 'note')}{also} (listed on stderr)")
        else:
            print(f"{_plural(len(scan.notes), 'note')} checked: no problems{also}" + (" (listed on stderr)" if also else ""))
    report_problems(scan.problems)
    for rel, key, w in warnings:
        print(clean(f"{rel}: {key}: warning: {w}"), file=sys.stderr)
    return PROBLEMS if scan.problems else OK


EMPTY_NOTE_WARNING = "the note is empty: it is listed as a new card every day but cannot be graded; write a question in it or delete it"


def _empty_note_warnings(notes) -> list[tuple[str, str, str]]:
    """Notes with nothing but blanks in them: a grade refuses them (an editor saving in place leaves a
    note empty for a moment), so `check` says they will never leave the day's cards. Only files of a
    few bytes are read."""
    out = []
    for n in notes:
        if n.size > 64 or n.fatal:
            continue
        try:
            raw = n.path.read_bytes() if n.size else b""
        except OSError:
            continue
        if not raw.strip():
            out.append((n.rel, "file", EMPTY_NOTE_WARNING))
    return out


def cmd_demo(ctx: Context) -> int:
    from trainer.demos import registry

    a = ctx.args
    if not a.demo_id:
        demos = registry.all_demos()
        attached: dict[str, int] = {}
        try:
            notes = ctx.scan().notes
        except UsageError:
            notes = []
        for n in notes:
            for d in registry.demos_for(list(n.tags), n.question, list(n.demos)):
                attached[d] = attached.get(d, 0) + 1
        if a.json:
            emit_json([{"id": d.id, "title": d.title, "summary": d.summary, "cards": attached.get(d.id, 0)} for d in demos])
        else:
            table(["id", "cards", "title"], [[d.id, attached.get(d.id, 0), d.title] for d in demos], right={1})
            print("\nOpen one with `trainer demo ID`; `--json` prints its figures.")
        return OK
    try:
        demo = registry.get(a.demo_id)
    except registry.UnknownDemo as exc:
        raise UsageError(str(exc)) from None
    if a.json:
        emit_json(demo.figures(seed=a.seed))
        return OK
    _need_terminal("a live demo")
    from trainer.tui.app import run_demo

    return run_demo(demo.id)  # a demo needs no deck: it opens even where there is no ./cards


def cmd_eval(ctx: Context) -> int:
    from trainer import evaluation

    a = ctx.args
    try:
        if a.log is not None:
            reviews = evaluation.read_csv(a.log)
            source = str(a.log)
        else:
            log = ctx.log(readonly=True)
            try:
                reviews = evaluation.from_log(log)
            finally:
                log.close()
            source = f"the review log of {ctx.deck.root}"
    except evaluation.LogError as exc:
        raise UsageError(str(exc)) from None
    result = evaluation.evaluate(reviews)
    if a.json:
        emit_json(result.to_json())
        return OK
    print(f"{_plural(result.reviews, 'review')} of {_plural(result.cards, 'card')} in {source}; "
          f"{result.evaluated} scored (5-fold time-series split, reviews a day or more apart)")
    if not result.models:
        print("Too few reviews to score the models yet: they need a review a day or more after another, "
              f"in at least {evaluation.MIN_EVALUATED} places.")
        return OK
    names = {"sm2": "SM-2", "fsrs_default": "FSRS (default parameters)", "fsrs_optimized": "FSRS (fitted per fold)"}
    table(["model", "log loss", "RMSE(bins)", "AUC"],
          [[names[k], f"{m.log_loss:.4f}", f"{m.rmse_bins:.4f}", "–" if m.auc is None else f"{m.auc:.4f}"]
           for k, m in result.models.items()], right={1, 2, 3})
    print("\n" + result.reading())
    return OK


def cmd_optimize(ctx: Context) -> int:
    from trainer import config, evaluation

    a = ctx.args
    settings = ctx.settings
    log = ctx.log(readonly=True)
    try:
        reviews = evaluation.from_log(log)
    finally:
        log.close()
    fitted = evaluation.optimize(reviews, settings.weights)
    written = None
    if fitted.parameters is not None and not a.dry_run:
        try:
            written = config.write_parameters(ctx.deck.root, fitted.parameters)
        except (config.ConfigError, OSError) as exc:
            raise UsageError(str(exc)) from None
    if a.json:
        emit_json({"reviews": fitted.reviews, "scored": fitted.scored,
                   "log_loss_before": fitted.log_loss_before, "log_loss_after": fitted.log_loss_after,
                   "parameters": list(fitted.parameters) if fitted.parameters else None,
                   "written": str(written) if written else None})
        return OK
    print(f"{_plural(fitted.reviews, 'review')} in the log, {fitted.scored} of them a day or more after the card's previous one.")
    if fitted.parameters is None:
        print("Too little history for fsrs-rs to fit parameters (it kept its defaults); nothing written. "
              "Study more and try again.")
        return OK
    print(f"Log loss with the parameters in force: {fitted.log_loss_before:.4f}")
    print(f"Log loss with the fitted parameters:   {fitted.log_loss_after:.4f}")
    if written:
        print(f"Written to {written} ([scheduler] parameters); they take effect when algorithm = \"fsrs\".")
    else:
        print("--dry-run: nothing written.")
    return OK


def cmd_plan(ctx: Context) -> int:
    from trainer import planning

    a = ctx.args
    settings = ctx.settings
    interview = a.interview or settings.interview
    if interview is None:
        raise UsageError("give --interview YYYY-MM-DD, or set [interview] date in trainer.toml")
    if interview <= ctx.today:
        raise UsageError(f"the interview ({interview}) must be after today ({ctx.today})")
    per_day = a.per_day if a.per_day is not None else settings.new_per_day
    if per_day < 1:  # (new_per_day = 0 in trainer.toml: no new cards, which is no limit for a plan)
        raise UsageError("new_per_day is 0 in trainer.toml, so the plan would have no reviews a day: "
                         "give --per-day N, the most reviews you will do on one day")
    scan = ctx.scan()
    result = planning.plan(scan.notes, ctx.today, interview, per_day, settings)
    if a.json:
        emit_json(result.to_json())
        report_problems(scan.problems)
        return PROBLEMS if scan.problems else OK
    days_left = (interview - ctx.today).days
    model = "FSRS" if result.algorithm == "fsrs" else "SM-2"
    print(f"Interview on {interview} ({_plural(days_left, 'day')} from {ctx.today}); at most {_plural(per_day, 'review')} a day.")
    print(f"Assumes every planned review passes (Good); recall predicted by {model}'s model.\n")
    table(["day", "reviews", "notes"],
          [[d.isoformat(), len(notes), ", ".join(notes[:6]) + (f" … +{len(notes) - 6}" if len(notes) > 6 else "")]
           for d, notes in result.days], right={1})
    print(f"\nReadiness on {interview} (mean predicted recall): without the plan {result.without_plan:.0%}, "
          f"with it {result.with_plan:.0%}")
    if result.tags:
        print()
        table(["tag", "cards", "without", "with"],
              [[t, n, f"{w:.0%}", f"{p:.0%}"] for t, n, w, p in result.tags], right={1, 2, 3})
    weakest = result.cards[:10]
    if weakest:
        print("\nWeakest cards on the day, even with the plan")
        table(["note", "without", "with"], [[rel, f"{w:.0%}", f"{p:.0%}"] for rel, w, p in weakest], right={1, 2})
    report_problems(scan.problems)
    return PROBLEMS if scan.problems else OK


def cmd_config(ctx: Context) -> int:
    s = ctx.settings
    if ctx.args.json:
        emit_json(s.to_json())
        return OK
    src = s.source.name if s.source else "no trainer.toml: defaults"
    print(f"Settings of {ctx.deck.root} ({src})")
    weights = ", ".join(f"{w:g}" for w in s.weights)
    table(["setting", "value"], [
        ["scheduler.algorithm", s.algorithm],
        ["scheduler.desired_retention", s.desired_retention],
        ["scheduler.new_per_day", s.new_per_day],
        ["scheduler.max_interval", s.max_interval],
        ["scheduler.parameters", ("" if s.parameters is not None else "fsrs-rs defaults: ") + weights],
        ["interview.date", s.interview.isoformat() if s.interview else "–"],
    ])
    return OK


def cmd_git_setup(ctx: Context) -> int:
    from trainer import gitmerge

    try:
        done = gitmerge.setup(ctx.deck_path)
    except gitmerge.SetupError as exc:
        raise UsageError(str(exc)) from None
    if done.added_line:
        print(clean(f"added '*.md merge=trainer' to {done.attributes} (commit it so every clone uses it)"))
    else:
        print(clean(f"{done.attributes} already has '*.md merge=trainer'"))
    print(clean(f"git config merge.trainer.driver in {done.repo}: {done.driver}"))
    print("Run `trainer git-setup` once in each clone; then pull and push as usual.")
    return OK


def cmd_merge_driver(args: argparse.Namespace) -> int:
    """Run by git with its own environment: needs no deck, no today, no $TRAINER_*."""
    from trainer import gitmerge

    name = args.path or args.ours
    try:
        merged = gitmerge.run_driver(Path(args.base), Path(args.ours), Path(args.theirs),
                                     marker_size=max(1, args.marker_size))
    except gitmerge.MergeError as exc:
        print(clean(f"trainer merge-driver: {name}: {exc}"), file=sys.stderr)
        return USAGE
    if merged.reason:
        print(clean(f"trainer merge-driver: {name}: {merged.reason}"), file=sys.stderr)
    return OK if merged.conflicts == 0 else PROBLEMS


def cmd_interview(ctx: Context) -> int:
    from trainer.cli_interview import cmd_interview as run

    return run(ctx)


COMMANDS = {
    "study": cmd_study,
    "git-setup": cmd_git_setup,
    "due": cmd_due,
    "review": cmd_review,
    "undo": cmd_undo,
    "schedule": cmd_schedule,
    "import": cmd_import,
    "stats": cmd_stats,
    "check": cmd_check,
    "demo": cmd_demo,
    "interview": cmd_interview,
    "config": cmd_config,
    "eval": cmd_eval,
    "optimize": cmd_optimize,
    "plan": cmd_plan,
}


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a note's CJK on a latin-1 terminal: escaped, not a crash
        if hasattr(stream, "reconfigure") and getattr(stream, "errors", "") == "strict":
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # `trainer due --bogus`: said by `trainer due` with its usage, not by `trainer` with the top one
        parser.command_parsers.get(args.command, parser).error(f"unrecognized arguments: {' '.join(extra)}")
    command = args.command or "study"
    if args.command is None:
        args.new_limit = None
    import gc

    gc_was_on = gc.isenabled()
    try:
        if command == "merge-driver":
            return cmd_merge_driver(args)
        ctx = Context(args)
        return COMMANDS[command](ctx)
    except TrainerError as exc:  # the one place: bad usage exits 2, any other known problem 1
        print(f"trainer {command}: {clean(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted; every grade so far is saved", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `trainer due | head`: the reader left; not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return OK
    finally:
        if gc_was_on:
            gc.enable()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
