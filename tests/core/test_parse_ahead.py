"""Many notes parsed on two cores (trainer.parse_ahead) give exactly what one process gives:
the same records, problems and order, whatever the notes hold; and a worker that cannot start,
dies, hangs or hands back something that is not a chunk costs nothing but time."""

from __future__ import annotations

import datetime as dt
import os
import stat
import sys
import tempfile
from pathlib import Path

import pytest

from trainer import parse_ahead
from trainer.deck import Deck, record_of_item

DAY = dt.date(2026, 11, 25)


def _varied_deck(root: Path, seed_note, n: int = 420) -> Path:
    """Notes of every kind a scan meets: good ones in CJK, broken YAML, bytes that are not UTF-8,
    empty files, BOM and CRLF, a scheduling value of the wrong type, a duplicated key."""
    for i in range(n):
        folder = root / f"topic-{i % 7}" / f"part-{i // 60}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"问题-{i:04d}.md"
        kind = i % 11
        if kind == 0:
            path.write_bytes(b"---\ndifficulty: [unclosed\n---\n# broken\n")
        elif kind == 1:
            path.write_bytes(b"---\ndifficulty: hard\n---\n# \xff\xfe not utf-8\n")
        elif kind == 2:
            path.write_bytes(b"")
        elif kind == 3:
            path.write_bytes(b"\xef\xbb\xbf" + seed_note(f"带BOM的问题 {i}").replace("\n", "\r\n").encode())
        elif kind == 4:
            path.write_text(seed_note(f"q {i}").replace("review_count: 0", "review_count: many"), encoding="utf-8")
        elif kind == 5:
            path.write_text(seed_note(f"q {i}").replace("difficulty: medium", "difficulty: medium\ndifficulty: hard"),
                            encoding="utf-8")
        else:
            path.write_text(seed_note(f"为什么注意力要除以根号dk？第{i}题", tags=("Transformer", f"T/{i % 5}")),
                            encoding="utf-8")
    return root


def _scan(root: Path, *, parallel: bool, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(parse_ahead, "PARALLEL_FROM", 50 if parallel else 10**9)
    return Deck(root).scan(DAY, use_cache=False, save_cache=False)


def _same(a, b) -> None:
    assert a._stamps == b._stamps
    assert [record_of_item(i) for i in a._items] == [record_of_item(i) for i in b._items]
    assert a.problems == b.problems
    assert a.notes == b.notes


def _parsed_here(monkeypatch: pytest.MonkeyPatch, *, slower: float = 0.0) -> list[int]:
    """Counts the notes parsed in this process (``slower``: each one takes that much longer here,
    so the worker surely hands back its share even on a machine that parses the deck before it starts)."""
    import time

    count = [0]
    real = parse_ahead.parse_one

    def counting(*args):
        count[0] += 1
        if slower:
            time.sleep(slower)
        return real(*args)

    monkeypatch.setattr(parse_ahead, "parse_one", counting)
    return count


def test_two_cores_give_what_one_gives(tmp_path: Path, seed, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _varied_deck(tmp_path / "deck", seed)
    one = _scan(root, parallel=False, monkeypatch=monkeypatch)
    here = _parsed_here(monkeypatch, slower=0.005)
    two = _scan(root, parallel=True, monkeypatch=monkeypatch)
    _same(one, two)
    assert one.problems  # (the deck has broken notes: they are reported the same way)
    assert 0 < here[0] < len(two._items), here  # the worker parsed its share: the rest came from it


def test_a_note_that_cannot_be_read_is_reported_alike(tmp_path: Path, seed, monkeypatch) -> None:
    root = _varied_deck(tmp_path / "deck", seed, n=200)
    victim = sorted(root.rglob("*.md"))[-1]  # (at the end: the worker's side)
    victim.unlink()
    victim.mkdir()  # a folder named like a note: listed by the walk, not readable as a file
    (victim / "x.md").write_text(seed("inside"), encoding="utf-8")
    _same(_scan(root, parallel=False, monkeypatch=monkeypatch), _scan(root, parallel=True, monkeypatch=monkeypatch))


def _fake_python(tmp_path: Path, body: str) -> str:
    """An executable that stands where the interpreter would: a worker that misbehaves."""
    path = tmp_path / "fake-python"
    path.write_text(f"#!{sys.executable}\n{body}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.mark.parametrize("behaviour", [
    "import sys; sys.exit(0)",  # starts and leaves at once
    "import sys; sys.stdout.buffer.write(b'\\x05\\x00\\x00\\x00junk!'); sys.stdout.flush()",  # not a chunk
    "import sys, struct; b = b'\\x80\\x04\\x95'; sys.stdout.buffer.write(struct.pack('<I', 9) + b'not a pickle'[:9])",
])
def test_a_worker_that_misbehaves_costs_only_time(tmp_path: Path, seed, monkeypatch, behaviour: str) -> None:
    root = _varied_deck(tmp_path / "deck", seed, n=150)
    one = _scan(root, parallel=False, monkeypatch=monkeypatch)
    monkeypatch.setattr(sys, "executable", _fake_python(tmp_path, behaviour))
    here = _parsed_here(monkeypatch)
    two = _scan(root, parallel=True, monkeypatch=monkeypatch)
    _same(one, two)
    assert here[0] == len(two._items)  # every note parsed here


def test_a_worker_cannot_make_this_side_run_code(tmp_path: Path, seed, monkeypatch) -> None:
    """A chunk is read by the scan cache's unpickler: a pickle that would call a function is refused."""
    marker = tmp_path / "ran"
    evil = (
        "import os, pickle, struct, sys\n"
        "class E:\n"
        f"    def __reduce__(self): return (os.system, ('touch {marker}',))\n"
        "body = pickle.dumps((0, [E()]))\n"
        "sys.stdout.buffer.write(struct.pack('<I', len(body)) + body); sys.stdout.flush()"
    )
    root = _varied_deck(tmp_path / "deck", seed, n=150)
    one = _scan(root, parallel=False, monkeypatch=monkeypatch)
    monkeypatch.setattr(sys, "executable", _fake_python(tmp_path, evil))
    _same(one, _scan(root, parallel=True, monkeypatch=monkeypatch))
    assert not marker.exists()


def test_a_worker_that_cannot_start_or_hangs(tmp_path: Path, seed, monkeypatch) -> None:
    root = _varied_deck(tmp_path / "deck", seed, n=150)
    one = _scan(root, parallel=False, monkeypatch=monkeypatch)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    _same(one, _scan(root, parallel=True, monkeypatch=monkeypatch))
    monkeypatch.setattr(sys, "executable", _fake_python(tmp_path, "import time; time.sleep(60)"))
    monkeypatch.setattr(parse_ahead, "WORKER_WAIT_S", 0.5)
    _same(one, _scan(root, parallel=True, monkeypatch=monkeypatch))


def test_the_jobs_file_is_removed(tmp_path: Path, seed, monkeypatch) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    root = _varied_deck(tmp_path / "deck", seed, n=120)
    _scan(root, parallel=True, monkeypatch=monkeypatch)
    monkeypatch.setattr(sys, "executable", _fake_python(tmp_path, "import sys; sys.exit(0)"))
    _scan(root, parallel=True, monkeypatch=monkeypatch)
    assert os.listdir(scratch) == []


def test_the_worker_says_what_it_is_when_run_by_hand(tmp_path: Path) -> None:
    import subprocess

    proc = subprocess.run([sys.executable, "-m", "trainer.parse_ahead"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "worker of trainer's scan" in proc.stderr and "Traceback" not in proc.stderr


def test_only_a_big_parse_on_two_cores_is_worth_a_worker(monkeypatch) -> None:
    assert not parse_ahead.worth_it(parse_ahead.PARALLEL_FROM - 1)
    if hasattr(os, "sched_getaffinity"):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
        assert not parse_ahead.worth_it(10**6)
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
        assert parse_ahead.worth_it(parse_ahead.PARALLEL_FROM)


def test_a_trainer_folder_where_the_command_runs_is_never_the_worker(tmp_path: Path, seed, monkeypatch) -> None:
    """The worker starts isolated, from this very package: a folder named ``trainer`` in the
    current folder (a cloned repository, say) or on PYTHONPATH does not choose what it runs."""
    marker = tmp_path / "planted-ran"
    for place in (tmp_path / "cwd", tmp_path / "pythonpath"):
        planted = place / "trainer"
        planted.mkdir(parents=True)
        (planted / "__init__.py").write_text("", encoding="utf-8")
        (planted / "parse_ahead.py").write_text(f"open({str(marker)!r}, 'w').close()\ndef main(): return 0\n",
                                                encoding="utf-8")
    root = _varied_deck(tmp_path / "deck", seed, n=150)
    one = _scan(root, parallel=False, monkeypatch=monkeypatch)
    monkeypatch.chdir(tmp_path / "cwd")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "pythonpath"))
    here = _parsed_here(monkeypatch, slower=0.005)
    _same(one, _scan(root, parallel=True, monkeypatch=monkeypatch))
    assert not marker.exists()
    assert here[0] < len(one._items)  # (the real worker did its share)
