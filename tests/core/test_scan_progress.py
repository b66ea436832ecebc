"""A long parse of the notes says how far it is (a deck's first open: 100k notes take seconds).

The deck tells a ``progress`` callable ``(parsed, to_parse)`` while it parses notes; the CLI turns
it into one line on a terminal's standard error, rewritten in place and wiped at the end.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import pty
import select
import struct
import sys
import termios
from pathlib import Path

import pytest

from trainer import cli, deck as deck_module
from trainer.deck import Deck

DAY = dt.date(2026, 11, 25)


def _scan_told(root: Path) -> list[tuple[int, int]]:
    told: list[tuple[int, int]] = []
    Deck(root).scan(DAY, progress=lambda done, total: told.append((done, total)))
    return told


def test_a_first_scan_tells_each_step_from_zero_to_all(tmp_path: Path, many_notes) -> None:
    n = deck_module.PROGRESS_FROM + 700
    told = _scan_told(many_notes(tmp_path / "deck", n))
    assert told[0] == (0, n) and told[-1] == (n, n)
    assert all(total == n for _, total in told)
    dones = [d for d, _ in told]
    assert dones == sorted(dones)
    assert dones[1:-1] == list(range(deck_module.PROGRESS_EVERY, n, deck_module.PROGRESS_EVERY))


def test_only_the_notes_to_parse_are_counted_and_a_warm_scan_tells_nothing(tmp_path: Path, many_notes) -> None:
    n = deck_module.PROGRESS_FROM + 300
    root = many_notes(tmp_path / "deck", n)
    Deck(root).scan(DAY)  # the cache written
    assert _scan_told(root) == []
    edited = sorted(root.rglob("*.md"))[: deck_module.PROGRESS_FROM]
    for p in edited:
        p.write_text(p.read_text(encoding="utf-8").replace("短答案", "改过的短答案"), encoding="utf-8")
    told = _scan_told(root)
    assert told[0] == (0, len(edited)) and told[-1] == (len(edited), len(edited))


def test_a_small_deck_tells_nothing(tmp_path: Path, many_notes) -> None:
    assert _scan_told(many_notes(tmp_path / "deck", deck_module.PROGRESS_FROM - 1)) == []


def _drain(master: int) -> str:
    """What the terminal got, read until nothing more comes for a moment (a pty hands it over in parts)."""
    got = b""
    while select.select([master], [], [], 0.3)[0]:
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    return got.decode()


def _terminal_of(columns: int):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    os.set_blocking(master, False)
    return master, os.fdopen(slave, "w", encoding="utf-8")


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal")
def test_the_cli_line_is_rewritten_in_place_and_wiped(monkeypatch: pytest.MonkeyPatch) -> None:
    master, terminal = _terminal_of(60)
    with terminal:
        monkeypatch.setattr(sys, "stderr", terminal)
        progress = cli._parse_progress(after_s=0.0)
        assert progress is not None
        for done in (0, 500, 1000, 1500):
            progress(done, 2000)
        progress(2000, 2000)
        terminal.flush()
        out = _drain(master)
    os.close(master)
    assert "\n" not in out  # one line, never a new one per step
    steps = out.split("\r")[1:]
    assert steps[0].startswith("trainer: reading 2,000 notes: 0 (0%)")
    assert steps[3].startswith("trainer: reading 2,000 notes: 1,500 (75%)")
    assert all(len(step) <= 59 for step in steps)  # (a line that wraps is not rewritten by a carriage return)
    assert steps[-2].strip() == "" and steps[-1] == ""  # wiped: the command's output is all that stays


def test_the_cli_says_nothing_when_standard_error_is_not_a_terminal(tmp_path: Path, cli, monkeypatch, many_notes) -> None:
    from trainer import cli as cli_module

    with open(tmp_path / "stderr.txt", "w", encoding="utf-8") as a_file, monkeypatch.context() as patch:
        patch.setattr(sys, "stderr", a_file)
        assert cli_module._parse_progress(after_s=0.0) is None  # (a file or a pipe: no line, however long the parse)
    root = many_notes(tmp_path / "deck", deck_module.PROGRESS_FROM + 10)
    for command in ("due", "stats", "check"):
        result = cli(root, command)
        assert result.returncode == 0, result.stderr
        assert b"reading" not in result.stderr and b"\r" not in result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal")
def test_the_cli_line_is_wiped_when_a_scan_ends_in_ctrl_c(monkeypatch: pytest.MonkeyPatch) -> None:
    """``interrupted; ...`` (or an error) starts a line of its own, not the rest of the progress line."""
    master, terminal = _terminal_of(80)
    with terminal:
        monkeypatch.setattr(sys, "stderr", terminal)
        with pytest.raises(KeyboardInterrupt), cli._progress_line(after_s=0.0) as progress:
            progress(0, 2000)
            progress(500, 2000)
            raise KeyboardInterrupt
        terminal.flush()
        out = _drain(master)
    os.close(master)
    steps = out.split("\r")
    assert steps[2].startswith("trainer: reading 2,000 notes: 500 (25%)")
    assert steps[-2].strip() == "" and len(steps[-2]) >= len(steps[2]) and steps[-1] == ""


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal")
@pytest.mark.parametrize("columns", [12, 30])
def test_the_cli_line_never_wraps_on_a_narrow_terminal(monkeypatch: pytest.MonkeyPatch, columns: int) -> None:
    master, terminal = _terminal_of(columns)
    with terminal:
        monkeypatch.setattr(sys, "stderr", terminal)
        with cli._progress_line(after_s=0.0) as progress:
            for done in (0, 5000, 99000):
                progress(done, 100_000)
        terminal.flush()
        out = _drain(master)
    os.close(master)
    steps = out.split("\r")[1:]
    assert all(len(step) < columns for step in steps), steps  # (a line that wraps is not rewritten by \r)
    if columns >= 30:
        assert steps[1].startswith("5% of 100,000 notes read")


def test_a_parse_on_two_cores_tells_one_total_even_with_notes_too_big_to_read(tmp_path: Path, many_notes, monkeypatch) -> None:
    """Notes over the size limit are never handed to the worker: the total told stays the notes
    to parse (it said 1,200 at the start and the end, 1,197 in between)."""
    from trainer import parse_ahead
    from trainer.notes.store import MAX_NOTE_BYTES

    monkeypatch.setattr(parse_ahead, "PARALLEL_FROM", 50)
    if not parse_ahead.worth_it(10**6):
        pytest.skip("a worker runs only with two cores")
    n = deck_module.PROGRESS_FROM + 197
    root = many_notes(tmp_path / "deck", n)
    for i in range(3):
        with open(root / f"part-{i}" / f"huge-{i}.md", "wb") as fh:
            fh.truncate(MAX_NOTE_BYTES + 1)  # (sparse: no room taken)
    told = _scan_told(root)
    assert told[0] == (0, n + 3) and told[-1] == (n + 3, n + 3)
    assert {total for _, total in told} == {n + 3}, told
    assert [d for d, _ in told] == sorted(d for d, _ in told)
