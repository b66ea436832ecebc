"""Shared fixtures: real files in tmp_path, the real CLI in a subprocess. Small and generic on purpose."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TODAY = "2026-11-25"


@pytest.fixture(autouse=True)
def _racy_rule_off(request, monkeypatch):
    """The walk reads a note again next time when it was written within 20 ms of the walk (git's
    racy-clean rule, ``trainer.walk._mark_racy``): right in a user's world, but tests write a deck
    and scan it within a millisecond and then count the cache's hits. Off here (in this process
    and the children it forks), on for the tests marked ``racy``, which test the rule itself."""
    if request.node.get_closest_marker("racy") is None:
        from trainer import walk

        monkeypatch.setattr(walk, "_RACY_FINE_NS", 0)
        monkeypatch.setattr(walk, "_RACY_COARSE_NS", 0)


def seed_note(
    question: str = "为什么要除以根号dk？",
    *,
    created: str = "2026-03-09",
    next_review: str = "2026-03-09",
    difficulty: str = "medium",
    tags: tuple[str, ...] = ("Transformer",),
    body: str | None = None,
) -> str:
    """A note in the bundled deck's (seed) format."""
    tag_lines = "".join(f"- {t}\n" for t in tags) if tags else ""
    body = body if body is not None else f"# {question}\n\n## 面试标准答案\n\n短答案。\n\n## 详细解析\n\n细节。\n"
    return (
        "---\n"
        f"created: '{created}'\n"
        "last_reviewed: null\n"
        f"next_review: '{next_review}'\n"
        "review_count: 0\n"
        f"difficulty: {difficulty}\n"
        "mastery_level: 0.0\n"
        "tags:\n"
        f"{tag_lines}"
        "related_outlines: []\n"
        "---\n"
        f"{body}"
    )


def tree_hashes(root: Path, *, skip_state: bool = True) -> dict[str, str]:
    """sha256 of every file under root (the .trainer state folder left out by default)."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if skip_state and (rel == ".trainer" or rel.startswith(".trainer/")):
            continue
        if p.is_file() and not p.is_symlink():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture
def write_note():
    """write_note(path, text_or_bytes) -> path (parents created)."""

    def _write(path: Path, content: str | bytes) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return _write


@pytest.fixture
def seed():
    return seed_note


@pytest.fixture
def hashes():
    return tree_hashes


@pytest.fixture
def many_notes():
    """many_notes(root, n, question="问题 {i}", per_folder=300) -> root: n seed-format notes in folders of
    ``per_folder`` (a deck big enough to be read in steps, or on two cores)."""

    def _make(root: Path, n: int, question: str = "问题 {i}", per_folder: int = 300) -> Path:
        for i in range(n):
            folder = root / f"part-{i // per_folder}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"q{i:05d}.md").write_text(seed_note(question.format(i=i)), encoding="utf-8")
        return root

    return _make


@pytest.fixture
def bundled_deck(tmp_path: Path) -> Path:
    """A private copy of the repository's bundled ``cards/`` deck (its .trainer state left behind)."""
    dst = tmp_path / "cards"
    shutil.copytree(REPO / "cards", dst, ignore=shutil.ignore_patterns(".trainer"))
    return dst


_PROCESS_ENV = ("PYTHON", "LC_", "LANG")
"""Environment variables that act on the interpreter itself (its streams' encoding): a command run
with one of them set is run as its own process."""


def _cli_env(env: dict | None) -> dict:
    full_env = {k: v for k, v in os.environ.items() if k not in ("TRAINER_DECK", "TRAINER_TODAY")}
    full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
    if env:
        full_env.update(env)
    return full_env


_streams: dict = {}


def _process_streams() -> dict:
    """The encoding and error handlers of the streams a ``python -m trainer`` child gets on pipes
    (probed once): the in-process run gives the command the same."""
    if not _streams:
        code = "import sys; print(*(f'{s.encoding} {s.errors}' for s in (sys.stdin, sys.stdout, sys.stderr)), sep=';')"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_cli_env(None),
                             check=True, timeout=60).stdout.strip().split(";")
        for name, probe in zip(("stdin", "stdout", "stderr"), out):
            encoding, errors = probe.split()
            _streams[name] = (encoding, errors)
    return _streams


def _cli_in_process(cmd: list[str], argv: list[str], *, stdin: bytes | None, env: dict | None,
                    cwd: Path) -> subprocess.CompletedProcess:
    """``trainer.cli.main(argv)`` in this process, as ``python -m trainer`` would run it on pipes:
    the same environment, working folder and stream encodings, the bytes written and the exit
    code taken back; the process-wide state the command sets (its day, the environment, the
    folder, the streams) put back after it."""
    import io

    from trainer import cli as cli_module
    from trainer import clock

    streams = _process_streams()

    def stream(name: str, data: bytes = b"") -> io.TextIOWrapper:
        encoding, errors = streams[name]
        return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors=errors, newline="\n")

    saved_env, saved_cwd, saved_today = dict(os.environ), os.getcwd(), clock._override  # noqa: SLF001
    saved_streams = sys.stdin, sys.stdout, sys.stderr, sys.argv
    out, err = stream("stdout"), stream("stderr")
    os.environ.clear()
    os.environ.update(_cli_env(env))
    try:
        os.chdir(cwd)
        sys.stdin, sys.stdout, sys.stderr, sys.argv = stream("stdin", stdin or b""), out, err, ["trainer", *argv]
        clock.set_today(None)  # (a new process has no day of an earlier command)
        try:
            code = cli_module.main(argv)
        except SystemExit as exc:  # argparse: -h (0) and bad usage (2)
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if exc.code is not None and not isinstance(exc.code, int):
                print(exc.code, file=err)
        for s in (sys.stdout, sys.stderr):  # (the command may have put streams of its own in place)
            s.flush()
        out.flush()
        err.flush()
        return subprocess.CompletedProcess(cmd, code, out.buffer.getvalue(), err.buffer.getvalue())
    finally:
        sys.stdin, sys.stdout, sys.stderr, sys.argv = saved_streams
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        clock.set_today(saved_today)


@pytest.fixture
def cli(tmp_path: Path):
    """cli(deck, *args, today=TODAY, stdin=None, env=None, cwd=tmp_path, process=False, timeout=None)
    -> CompletedProcess (bytes).

    ``trainer.cli.main`` in this process (the same parser, commands, streams and exit codes as
    ``python -m trainer``, without a process's start-up: ~0.16 s a call, 440 calls in tests/core);
    a real ``python -m trainer`` process where the process itself is tested: ``process=True``, a
    ``timeout`` (a command that must not hang), or an environment variable that acts on the
    interpreter (``PYTHONIOENCODING``, ``LC_ALL``...).
    The start-up path (``trainer.launch``: the early forked walk, the fast exit) has tests of
    its own with real processes. Always asserts that stderr carries no traceback.
    """

    def _run(deck: Path | None, *args: str, today: str | None = TODAY, stdin: bytes | None = None,
             env: dict | None = None, cwd: Path | None = None, timeout: float | None = None,
             process: bool = False) -> subprocess.CompletedProcess:
        argv = []
        if deck is not None:
            argv += ["--deck", str(deck)]
        if today is not None:
            argv += ["--today", today]
        argv += list(args)
        cmd = [sys.executable, "-m", "trainer", *argv]
        if process or timeout is not None or any(k.startswith(_PROCESS_ENV) for k in env or {}):
            proc = subprocess.run(cmd, cwd=cwd or tmp_path, input=stdin, capture_output=True, env=_cli_env(env),
                                  timeout=timeout or 60)
        else:
            proc = _cli_in_process(cmd, argv, stdin=stdin, env=env, cwd=cwd or tmp_path)
        assert b"Traceback" not in proc.stderr, proc.stderr.decode("utf-8", "replace")
        return proc

    return _run
