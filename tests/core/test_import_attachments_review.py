"""Review of the import of embedded files (trainer/importers/attachments.py, run._bring_embedded):
each test shows one problem a review found (all fixed since)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from trainer.deck import Deck
from trainer.importers.run import run_import

TODAY = dt.date(2026, 12, 1)


def _deck_files(deck: Path) -> dict[str, bytes]:
    return {p.relative_to(deck).as_posix(): p.read_bytes() for p in deck.rglob("*")
            if p.is_file() and ".trainer" not in p.parts}


def _as_someone_else(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """``python -m trainer args`` as a user who cannot read a mode-000 file (nobody, when we are root)."""
    cmd = [sys.executable, "-m", "trainer", *args]
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("root without setpriv: cannot run as another user")
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=60)


@pytest.fixture
def open_tmp():
    """A temp folder everyone may enter (pytest's own is 0700, closed to nobody)."""
    d = Path(tempfile.mkdtemp(prefix="trainer-review-"))
    d.chmod(0o777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _open_to_all(*paths: Path) -> None:
    for top in paths:
        for p in [top, *top.rglob("*")]:
            p.chmod(0o777 if p.is_dir() else 0o666)


def test_an_unreadable_deck_file_of_the_same_size_is_a_warning_not_a_traceback(open_tmp: Path):
    src, deck = open_tmp / "src", open_tmp / "deck"
    (src / "img").mkdir(parents=True)
    (deck / "img").mkdir(parents=True)
    (src / "n.md").write_text("# Q?\n\n![](img/p.png)\n", encoding="utf-8")
    (src / "img" / "p.png").write_bytes(b"AAAA")
    (deck / "img" / "p.png").write_bytes(b"BBBB")  # same size, other bytes
    _open_to_all(src, deck)
    (deck / "img" / "p.png").chmod(0)
    r = _as_someone_else(["--deck", str(deck), "--today", TODAY.isoformat(), "import", str(src)], open_tmp)
    assert b"Traceback" not in r.stderr, r.stderr.decode()
    assert r.returncode == 0 and (deck / "n.md").exists()


def test_an_unreadable_embedded_file_leaves_no_temp_file_in_the_deck(open_tmp: Path):
    src, deck = open_tmp / "src", open_tmp / "deck"
    (src / "img").mkdir(parents=True)
    deck.mkdir()
    (src / "n.md").write_text("# Q?\n\n![](img/p.png)\n", encoding="utf-8")
    (src / "img" / "p.png").write_bytes(b"AAAA")
    _open_to_all(src, deck)
    (src / "img" / "p.png").chmod(0)
    r = _as_someone_else(["--deck", str(deck), "--today", TODAY.isoformat(), "import", str(src)], open_tmp)
    assert r.returncode == 0, r.stderr.decode()
    left = [p.name for p in (deck / "img").iterdir()] if (deck / "img").exists() else []
    assert left == []


def test_the_dry_run_of_two_sources_with_one_attachment_path_says_what_the_run_does(tmp_path: Path, cli):
    deck = tmp_path / "deck"
    deck.mkdir()
    for name, data in (("s1", b"ONE"), ("s2", b"TWO")):
        (tmp_path / name / "img").mkdir(parents=True)
        (tmp_path / name / f"{name}.md").write_text(f"# Q {name}?\n\n![](img/p.png)\n", encoding="utf-8")
        (tmp_path / name / "img" / "p.png").write_bytes(data)
    args = ("import", str(tmp_path / "s1"), str(tmp_path / "s2"), "--json")
    dry = json.loads(cli(deck, *args, "--dry-run").stdout)
    real = json.loads(cli(deck, *args).stdout)
    assert dry["attachments"] == real["attachments"] == ["img/p.png"]
    assert len(dry["warnings"]) == len(real["warnings"]) == 1


def test_an_import_never_writes_the_decks_settings_file(tmp_path: Path, cli):
    src, deck = tmp_path / "src", tmp_path / "deck"
    src.mkdir()
    deck.mkdir()
    (src / "n.md").write_text("# Settings?\n\n![cfg](trainer.toml)\n", encoding="utf-8")
    (src / "trainer.toml").write_text('[scheduler]\nnew_per_day = "oops"\n', encoding="utf-8")
    assert cli(deck, "import", str(src)).returncode == 0
    assert not (deck / "trainer.toml").exists()
    assert cli(deck, "stats").returncode == 0


def test_a_folder_swapped_for_a_symlink_after_the_walk_is_not_read_through(tmp_path: Path):
    src, out, deck = tmp_path / "src", tmp_path / "out", tmp_path / "deck"
    (src / "assets").mkdir(parents=True)
    out.mkdir()
    deck.mkdir()
    (src / "n.md").write_text("# Q?\n\n![](assets/p.png)\n", encoding="utf-8")
    (src / "assets" / "p.png").write_bytes(b"in the source")
    (out / "p.png").write_bytes(b"SECRET outside the source")

    def swap(done: int, total: int) -> None:
        if done == 0:  # the walk is over, nothing copied yet
            shutil.rmtree(src / "assets")
            (src / "assets").symlink_to(out)

    run_import(Deck(deck), [src], today=TODAY, progress=swap)
    assert b"SECRET outside the source" not in _deck_files(deck).values()


def test_a_file_swapped_for_a_fifo_after_the_walk_is_not_read(tmp_path: Path):
    src, deck = tmp_path / "src", tmp_path / "deck"
    (src / "assets").mkdir(parents=True)
    deck.mkdir()
    (src / "n.md").write_text("# Q?\n\n![](assets/p.png)\n", encoding="utf-8")
    fifo = src / "assets" / "p.png"
    fifo.write_bytes(b"a picture")
    stop = threading.Event()

    def feed() -> None:  # a writer for the FIFO, so a blocking open returns instead of hanging the test
        end = time.monotonic() + 10
        while not stop.is_set() and time.monotonic() < end:
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # no reader yet (ENXIO), or not a FIFO yet
                time.sleep(0.01)
                continue
            os.write(fd, b"FROM A FIFO")
            os.close(fd)
            return

    def swap(done: int, total: int) -> None:
        if done == 0:
            fifo.unlink()
            os.mkfifo(fifo)
            threading.Thread(target=feed, daemon=True).start()

    try:
        run_import(Deck(deck), [src], today=TODAY, progress=swap)
    finally:
        stop.set()
    assert b"FROM A FIFO" not in _deck_files(deck).values()


def test_an_attachment_does_not_take_a_later_notes_folder(tmp_path: Path, cli):
    src, deck = tmp_path / "src", tmp_path / "deck"
    (src / "a:b").mkdir(parents=True)
    deck.mkdir()
    (src / "a:b" / "z.md").write_text("# In a:b?\n\nbody\n", encoding="utf-8")  # written as 'a b/z.md'
    (src / "a b").write_bytes(b"data")
    (src / "0.md").write_text("# First?\n\n![](a%20b)\n", encoding="utf-8")
    r = cli(deck, "import", str(src))
    assert r.returncode == 0, r.stdout.decode()
    assert (deck / "a b" / "z.md").is_file()


@pytest.mark.slow
def test_a_line_of_many_embeds_openings_does_not_stall_the_import(tmp_path: Path, cli):
    src, deck = tmp_path / "src", tmp_path / "deck"
    src.mkdir()
    deck.mkdir()
    (src / "n.md").write_text("# Q?\n\n" + "![" * 150_000 + "\n", encoding="utf-8")
    r = cli(deck, "import", str(src), "--dry-run", timeout=30)
    assert r.returncode == 0
