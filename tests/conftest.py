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
def bundled_deck(tmp_path: Path) -> Path:
    """A private copy of the repository's bundled ``cards/`` deck (its .trainer state left behind)."""
    dst = tmp_path / "cards"
    shutil.copytree(REPO / "cards", dst, ignore=shutil.ignore_patterns(".trainer"))
    return dst


@pytest.fixture
def cli(tmp_path: Path):
    """cli(deck, *args, today=TODAY, stdin=None, env=None, cwd=tmp_path) -> CompletedProcess (bytes).

    Always asserts that stderr carries no traceback.
    """

    def _run(deck: Path | None, *args: str, today: str | None = TODAY, stdin: bytes | None = None,
             env: dict | None = None, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "trainer"]
        if deck is not None:
            cmd += ["--deck", str(deck)]
        if today is not None:
            cmd += ["--today", today]
        cmd += list(args)
        full_env = {k: v for k, v in os.environ.items() if k not in ("TRAINER_DECK", "TRAINER_TODAY")}
        full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
        if env:
            full_env.update(env)
        proc = subprocess.run(cmd, cwd=cwd or tmp_path, input=stdin, capture_output=True, env=full_env, timeout=timeout)
        assert b"Traceback" not in proc.stderr, proc.stderr.decode("utf-8", "replace")
        return proc

    return _run
