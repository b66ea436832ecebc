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
    and the first a second, so the worker surely hands back its share even on a machine that
    parses the deck before it starts, or one so busy that its start takes most of a second)."""
    import time

    count = [0]
    real = parse_ahead.parse_one

    def counting(*args):
        count[0] += 1
        if slower:
            time.sleep(slower if count[0] > 1 else 1.0)
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


# ---------------------------------------------------------------- review fixes (session 13)

@pytest.mark.skipif(not hasattr(os, "memfd_create"), reason="the jobs go in memory where Linux has it")
def test_a_temp_folder_that_cannot_be_written_costs_nothing(tmp_path: Path, seed, monkeypatch) -> None:
    """The jobs reach the worker in a file with no name (nothing left in the temp folder by a
    Ctrl-C at the wrong moment): a temp folder that cannot be written does not stop it."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setattr(tempfile, "tempdir", str(blocked / "tmp"))  # (every temp file fails there)
    root = _varied_deck(tmp_path / "deck", seed, n=150)
    one = _scan(root, parallel=False, monkeypatch=monkeypatch)
    here = _parsed_here(monkeypatch, slower=0.005)
    _same(one, _scan(root, parallel=True, monkeypatch=monkeypatch))
    assert here[0] < len(one._items)  # the worker did its share


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="the descriptors are counted in /proc")
def test_the_worker_gets_no_descriptor_of_this_process(tmp_path: Path, seed, monkeypatch) -> None:
    """Only its pipes and its jobs reach the worker: not a file this process holds open, even
    one that a child may inherit."""
    seen = tmp_path / "descriptors"
    wrapper = _fake_python(tmp_path, (
        "import os, sys\n"
        "def ok(fd):\n"
        "    try:\n"
        "        os.fstat(fd)\n"
        "        return True\n"
        "    except OSError:\n"
        "        return False\n"
        "fds = [fd for fd in range(1024) if ok(fd)]\n"
        f"with open({str(seen)!r}, 'w') as fh: fh.write(repr((fds, sys.argv[-1])))\n"
        f"os.execv({sys.executable!r}, [{sys.executable!r}] + sys.argv[1:])"
    ))
    held = os.open(tmp_path / "held-open", os.O_CREAT | os.O_WRONLY)
    os.set_inheritable(held, True)
    try:
        root = _varied_deck(tmp_path / "deck", seed, n=150)
        one = _scan(root, parallel=False, monkeypatch=monkeypatch)
        monkeypatch.setattr(sys, "executable", wrapper)
        here = _parsed_here(monkeypatch, slower=0.005)
        _same(one, _scan(root, parallel=True, monkeypatch=monkeypatch))
    finally:
        os.close(held)
    fds, jobs_fd = eval(seen.read_text(encoding="utf-8"))  # noqa: S307 - written just above
    assert held not in fds or int(jobs_fd) == held
    assert fds == sorted({0, 1, 2, int(jobs_fd)}), fds
    assert here[0] < len(one._items)  # (the worker, started through the wrapper, did its share)


def _run_worker(root: Path, jobs: list, encoding: tuple[str, str]):
    import pickle
    import subprocess

    with tempfile.TemporaryFile() as fh:
        pickle.dump(((str(root), *encoding), jobs), fh)
        fh.flush()
        return subprocess.run([sys.executable, "-m", "trainer.parse_ahead", str(fh.fileno())], pass_fds=(fh.fileno(),),
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=60, cwd=root)


def test_the_worker_parses_nothing_when_it_would_name_files_otherwise(tmp_path: Path, seed) -> None:
    """A worker whose file system encoding is not this process's would open other files than the
    names say (PYTHONUTF8, which an isolated interpreter ignores, in a locale that is not UTF-8)."""
    root = _varied_deck(tmp_path / "deck", seed, n=20)
    jobs = [(p.relative_to(root).as_posix(), p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*.md"))]
    ours = (sys.getfilesystemencoding(), sys.getfilesystemencodeerrors())
    same = _run_worker(root, jobs, ours)
    assert same.returncode == 0 and same.stdout  # (chunks handed back)
    other = _run_worker(root, jobs, ("latin-1" if ours[0] != "latin-1" else "utf-8", ours[1]))
    assert other.returncode == 1 and other.stdout == b"" and b"Traceback" not in other.stderr


_SCAN_IN_A_LOCALE = """
import datetime as dt, sys, time
from pathlib import Path
from trainer import parse_ahead
from trainer.deck import Deck, record_of_item

real, here = parse_ahead.parse_one, [0]
def slower(*args):  # (each note a little slower here: the worker surely hands back its share)
    here[0] += 1
    time.sleep(0.005 if here[0] > 1 else 1.0)
    return real(*args)
parse_ahead.parse_one = slower

def scan(parallel_from):
    parse_ahead.PARALLEL_FROM = parallel_from
    s = Deck(Path(sys.argv[1])).scan(dt.date(2026, 11, 25), use_cache=False, save_cache=False)
    return [record_of_item(i) for i in s._items], s.problems, s._stamps

one = scan(10**9)
here[0] = 0
two = scan(50)
print(sys.getfilesystemencoding(), one == two, here[0] < len(one[0]), len(one[1]), len(two[1]))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="a locale built with localedef")
def test_a_locale_that_is_not_utf8_with_pythonutf8_gives_what_one_process_gives(tmp_path: Path, seed) -> None:
    """PYTHONUTF8=1 in a Latin-1 locale: this process names files in UTF-8; an isolated worker,
    which ignores PYTHON* variables, named them in Latin-1 (``café.md`` could not be read there)."""
    import shutil
    import subprocess

    localedef = shutil.which("localedef")
    locales = tmp_path / "locales"
    locales.mkdir()
    if localedef is None or subprocess.run([localedef, "-i", "en_US", "-f", "ISO-8859-1",
                                            str(locales / "en_US.ISO-8859-1")], capture_output=True).returncode > 1:
        pytest.skip("no localedef to build a Latin-1 locale with")
    root = tmp_path / "deck"
    root.mkdir()
    for i in range(120):
        (root / f"café-{i:03d}.md").write_text(seed(f"q {i}"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHON"))}
    env.update(LOCPATH=str(locales), LANG="en_US.ISO-8859-1", PYTHONUTF8="1")
    proc = subprocess.run([sys.executable, "-c", _SCAN_IN_A_LOCALE, str(root)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["utf-8", "True", "True", "0", "0"], proc.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="descriptor limits")
def test_a_process_holding_many_files_open_still_scans(tmp_path: Path, seed, monkeypatch) -> None:
    """The worker's pipe can get a descriptor numbered over 1024, which select.select refuses (a
    traceback instead of the deck)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip("the descriptor limit is too low to hold 1,100 files open")
    root = _varied_deck(tmp_path / "deck", seed, n=150)
    one = _scan(root, parallel=False, monkeypatch=monkeypatch)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200) if hard == resource.RLIM_INFINITY else min(hard, 4096), hard))
    held: list[int] = []
    try:
        held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
        here = _parsed_here(monkeypatch, slower=0.005)
        _same(one, _scan(root, parallel=True, monkeypatch=monkeypatch))
        assert here[0] < len(one._items)  # (the worker did its share)
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.parametrize("result", [
    ("error", "cannot be read: made up by the worker"),  # (a note it could not read: read again here)
    ("ok", ("a record", "of the wrong types") * 8 + (1,)),
])
def test_what_a_worker_hands_back_that_one_process_would_not_say_is_parsed_here(tmp_path: Path, seed, monkeypatch,
                                                                                result) -> None:
    """Whole, well-formed chunks whose results are not what a parse gives: the notes are parsed here."""
    hand_back = (
        "import os, pickle, struct, sys\n"
        "with open(int(sys.argv[-1]), 'rb') as fh:\n"
        "    fh.seek(0)\n"
        "    _, jobs = pickle.load(fh)\n"
        f"body = pickle.dumps((0, [{result!r}] * len(jobs)))\n"
        "sys.stdout.buffer.write(struct.pack('<I', len(body)) + body); sys.stdout.flush()"
    )
    root = _varied_deck(tmp_path / "deck", seed, n=150)
    one = _scan(root, parallel=False, monkeypatch=monkeypatch)
    monkeypatch.setattr(sys, "executable", _fake_python(tmp_path, hand_back))
    here = _parsed_here(monkeypatch, slower=0.005)
    _same(one, _scan(root, parallel=True, monkeypatch=monkeypatch))
    assert here[0] == len(one._items)  # every note parsed here


def test_nothing_beside_the_package_runs_in_the_worker(tmp_path: Path, seed) -> None:
    """The worker imports the package from its folder alone: modules that stand beside it (a
    checkout's root, site-packages) never come before the standard library or the libraries."""
    import pickle
    import subprocess

    marker = tmp_path / "planted-ran"
    beside = tmp_path / "site"
    beside.mkdir()
    (beside / "trainer").symlink_to(Path(parse_ahead.__file__).resolve().parent, target_is_directory=True)
    for name in ("select", "yaml", "pickle"):
        (beside / f"{name}.py").write_text(f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    root = _varied_deck(tmp_path / "deck", seed, n=20)
    jobs = [(p.relative_to(root).as_posix(), p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*.md"))]
    with tempfile.TemporaryFile() as fh:
        pickle.dump(((str(root), sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()), jobs), fh)
        fh.flush()
        proc = subprocess.run([sys.executable, "-I", "-c", parse_ahead._WORKER_SRC, str(beside / "trainer"),
                               str(fh.fileno())], pass_fds=(fh.fileno(),), stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout, proc.stderr  # (it parsed: chunks handed back)
    assert not marker.exists()
