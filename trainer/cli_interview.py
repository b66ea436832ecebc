"""``trainer interview``: run a mock interview (the TUI), or read past ones from the review log.

    trainer interview [--tag T] [--difficulty D] [--questions N] [--minutes M]
    trainer interview --last [--json | --markdown FILE]
    trainer interview --history [--json]

Kept out of ``cli.py`` so that file only gains the subcommand's registration. Textual is
imported only when an interview is run.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from trainer.interview import DEFAULT_MINUTES, DEFAULT_QUESTIONS


def _count(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= n <= 100:
        raise argparse.ArgumentTypeError(f"must be 1-100, got {n}")
    return n


def _minutes(text: str) -> float:
    try:
        m = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of minutes: {text!r}") from None
    if not math.isfinite(m) or not 0 < m <= 120:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 120 minutes, got {text!r}")
    return m


def add_parser(cmd) -> None:
    """Register the subcommand (``cmd`` is ``build_parser``'s helper)."""
    p = cmd("interview", "a mock interview: answer against the clock, see the key points you hit",
            "Questions (due cards first, the lowest predicted recall first, mixed across tags) against a countdown; the typed answer is "
            "matched to the key points of the note's short answer and a grade is suggested. "
            "Transcripts are kept in the deck's review log.")
    p.add_argument("--tag", metavar="TAG", help="only cards with this tag (nested tags included)")
    p.add_argument("--difficulty", type=str.lower, choices=("easy", "medium", "hard"), help="only this difficulty")
    p.add_argument("--questions", type=_count, default=DEFAULT_QUESTIONS, metavar="N",
                   help=f"number of questions (default {DEFAULT_QUESTIONS})")
    p.add_argument("--minutes", type=_minutes, default=DEFAULT_MINUTES, metavar="M",
                   help=f"time per question (default {DEFAULT_MINUTES:g})")
    show = p.add_mutually_exclusive_group()
    show.add_argument("--last", action="store_true", help="show the last interview instead of running one")
    show.add_argument("--history", action="store_true", help="list past interviews")
    p.add_argument("--json", action="store_true", help="with --last or --history: print JSON")
    p.add_argument("--markdown", metavar="FILE", help="with --last: write the transcript as markdown to FILE ('-': stdout)")


def cmd_interview(ctx) -> int:
    from trainer.errors import UsageError

    a = ctx.args
    if a.json and not (a.last or a.history):
        raise UsageError("--json goes with --last or --history")
    if a.markdown is not None and not a.last:
        raise UsageError("--markdown goes with --last")
    if a.json and a.markdown is not None:
        raise UsageError("use one of --json and --markdown")
    if a.last:
        return _show_last(ctx)
    if a.history:
        return _show_history(ctx)
    return _run(ctx)


def _stored(ctx) -> list:
    from trainer.interview import store

    log = ctx.log(readonly=True)
    try:
        return store.history(log)
    finally:
        log.close()


def _show_last(ctx) -> int:
    from trainer.cli_output import OK, emit_json, write_bytes
    from trainer.errors import TrainerError, UsageError
    from trainer.interview.transcript import to_markdown

    items = _stored(ctx)
    if not items:  # nothing to show is not bad usage: exit 1 (SPEC §5 has 2 for bad usage only), no JSON
        raise TrainerError(f"no interview yet: none is saved in the review log of {ctx.deck.root}; "
                           "run `trainer interview` first")
    t = items[-1][1]
    a = ctx.args
    if a.json:
        emit_json(t.to_json())
    elif a.markdown is not None:
        text = to_markdown(t)
        if a.markdown == "-":
            write_bytes(text.encode("utf-8"))
        else:
            out = Path(a.markdown)
            try:
                out.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
            print(f"wrote {out}")
    else:
        _print_transcript(t)
    return OK


def _questions(n: int) -> str:
    return f"{n} question" if n == 1 else f"{n} questions"


def _percent(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 60}:{s % 60:02d}"


def _print_transcript(t) -> None:
    from trainer.cli_output import table
    from trainer.textsafe import clean

    print(f"Interview {t.started}: {_questions(len(t.questions))}, key points covered {_percent(t.coverage)}")
    table(["#", "question", "time", "points", "suggested", "grade"],
          [[i, clean(q.question), _clock(q.seconds) + (" late" if q.overtime else ""),
            f"{q.covered}/{len(q.key_points)}" if q.key_points else "–",
            "–" if q.suggested_grade is None else q.suggested_grade, "–" if q.grade is None else q.grade]
           for i, q in enumerate(t.questions, 1)], right={0, 4, 5})


def _show_history(ctx) -> int:
    from trainer.cli_output import OK, emit_json, table

    items = _stored(ctx)
    rows = []
    for _, t in items:
        grades = [q.grade for q in t.questions if q.grade is not None]
        rows.append({
            "started": t.started,
            "finished": t.finished,
            "questions": len(t.questions),
            "coverage": None if t.coverage is None else round(t.coverage, 4),
            "mean_grade": round(sum(grades) / len(grades), 2) if grades else None,
        })
    if ctx.args.json:
        emit_json(rows)
        return OK
    if not rows:
        print("No interviews yet: run `trainer interview`.")
        return OK
    table(["started", "questions", "coverage", "mean grade", "finished"],
          [[r["started"], r["questions"], _percent(r["coverage"]), "–" if r["mean_grade"] is None else r["mean_grade"],
            r["finished"] or "left early"] for r in rows], right={1, 2, 3})
    return OK


def _run(ctx) -> int:
    from trainer.cli_output import _need_terminal
    from trainer.errors import UsageError
    from trainer.interview.select import predicted_recall, select_cards

    a = ctx.args
    tag = None
    if a.tag is not None:
        tag = a.tag.strip().strip("/")
        if not tag:
            raise UsageError("--tag needs a tag name (it was empty)")
    scan = ctx.scan()
    weakness = predicted_recall(ctx.today, ctx.settings)  # a broken trainer.toml stops here, exit 2
    notes = select_cards(scan.notes, ctx.today, a.questions, tag=tag, difficulty=a.difficulty, weakness=weakness)
    if not notes:
        what = " and ".join(x for x in (f"tag {tag!r}" if tag else "", f"difficulty {a.difficulty}" if a.difficulty else "") if x)
        raise UsageError(f"no cards to ask{' with ' + what if what else ''} in {ctx.deck.root}")
    _need_terminal("a mock interview")
    from trainer.interview.session import InterviewSession
    from trainer.tui.interview_app import InterviewApp

    log = ctx.log()
    try:
        session = InterviewSession(ctx.deck, log, ctx.today, notes, minutes=a.minutes)
        app = InterviewApp(session)
        app.run()
    finally:
        log.close()
    t = session.transcript
    if t.questions:
        print(f"Interview saved: {_questions(len(t.questions))}, key points covered {_percent(t.coverage)}. "
              "`trainer interview --last --markdown FILE` writes the transcript.")
    return app.return_code or 0


# ---------------------------------------------------------------- for `trainer stats`


def coverage_history(ctx) -> list[dict]:
    """Key-point coverage of each past interview, oldest first (``trainer stats``' ``interviews``)."""
    return [{"started": t.started, "questions": len(t.questions),
             "coverage": None if t.coverage is None else round(t.coverage, 4)} for _, t in _stored(ctx)]


def print_coverage_history(ctx, last: int = 10) -> None:
    rows = coverage_history(ctx)
    shown = ", ".join(f"{r['started'][:10]} {_percent(r['coverage'])}" for r in rows[-last:])
    print(f"\nMock interviews, key points covered (last {min(last, len(rows))} of {len(rows)}): {shown}"
          if rows else "\nMock interviews: none yet (`trainer interview`)")
