"""Core fixtures: the review log of whatever ``deck`` fixture the test module defines; an Anki
text export imported into a new deck."""

from pathlib import Path

import pytest

from trainer.reviewlog import ReviewLog


@pytest.fixture
def log(deck):
    log = ReviewLog.open(deck.root)
    yield log
    log.close()


@pytest.fixture
def imported(tmp_path: Path, cli):
    """imported(export, into="anki") -> ``tmp_path/deck`` once ``trainer import`` took the Anki text
    export ``export`` (written to ``tmp_path/export.txt``) into it, exit 0."""

    def _imported(export: str, into: str = "anki") -> Path:
        deck = tmp_path / "deck"
        deck.mkdir(exist_ok=True)
        src = tmp_path / "export.txt"
        src.write_text(export, encoding="utf-8")
        r = cli(deck, "import", str(src), "--into", into)
        assert r.returncode == 0, r.stderr.decode()
        return deck

    return _imported
