"""Importer details from issue 15: foreign frontmatter (TOML/JSON), headerless Anki text exports with
tags, Obsidian `created` never after the last review, one fence rule, a missing source is usage."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from trainer.deck import Deck
from trainer.importers import anki, obsidian, run_import

TODAY = dt.date(2024, 6, 1)


@pytest.fixture
def deck(tmp_path: Path) -> Deck:
    d = tmp_path / "deck"
    d.mkdir()
    return Deck(d)


def front(path: Path) -> dict:
    return yaml.safe_load(path.read_text("utf-8").split("---", 2)[1])


def _src(tmp_path: Path, name: str, text: str, *, mtime: dt.datetime = dt.datetime(2024, 5, 1, 12)) -> Path:
    p = tmp_path / "src" / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(text.encode("utf-8"))
    os.utime(p, (mtime.timestamp(), mtime.timestamp()))
    return p


def test_toml_frontmatter_becomes_yaml_and_the_body_is_kept(deck: Deck, tmp_path: Path):
    body = "# What is a KV cache?\n\n## Answer\n\nKeys and values kept.\n"
    src = _src(tmp_path, "hugo.md", '+++\ntitle = "KV"\ntags = ["inference", "memory"]\n'
                                    'created = 2023-03-04\n[params]\nx = 1\n+++\n' + body)
    report = run_import(deck, [src], today=TODAY)
    assert report.ok and len(report.imported) == 1
    out = deck.root / "hugo.md"
    fm = front(out)
    assert fm["title"] == "KV" and fm["tags"] == ["inference", "memory"] and fm["created"] == "2023-03-04"
    assert "params" not in fm and fm["next_review"] == TODAY.isoformat()
    assert out.read_text("utf-8").endswith("---\n" + body)
    assert any("TOML frontmatter turned into YAML" in w.reason for w in report.warnings)
    assert any("'params'" in w.reason for w in report.warnings)
    assert src.read_bytes().startswith(b"+++\n")  # the source is never touched
    again = run_import(deck, [src], today=TODAY)
    assert not again.imported and again.skipped  # re-import changes nothing


def test_json_frontmatter_becomes_yaml(deck: Deck, tmp_path: Path):
    src = _src(tmp_path, "j.md", '{\n  "tags": ["a/b"],\n  "difficulty": "hard"\n}\n# Q\n\nA.\n')
    report = run_import(deck, [src], today=TODAY)
    assert report.ok
    fm = front(deck.root / "j.md")
    assert fm["tags"] == ["a/b"] and fm["difficulty"] == "hard"
    assert (deck.root / "j.md").read_text("utf-8").endswith("---\n# Q\n\nA.\n")


def test_broken_toml_stays_in_the_body_with_a_warning(deck: Deck, tmp_path: Path):
    src = _src(tmp_path, "bad.md", "+++\ntitle = \n+++\n# Q\n")
    report = run_import(deck, [src], today=TODAY)
    assert report.ok
    assert (deck.root / "bad.md").read_text("utf-8").endswith("---\n+++\ntitle = \n+++\n# Q\n")
    assert any("does not parse" in w.reason for w in report.warnings)


def test_headerless_anki_export_third_column_is_tags():
    export = anki.read_export("Q1\tA1\tgeo::capital europe_2\nQ2\tA2\t\nQ3\tA3\tmisc\n".encode())
    assert [(r.fields, r.tags) for r in export.rows] == [
        (["Q1", "A1"], ["geo/capital", "europe_2"]), (["Q2", "A2"], []), (["Q3", "A3"], ["misc"])]
    prose = anki.read_export("Q1\tA1\tsee the chapter.\nQ2\tA2\tmore text\n".encode())
    assert [r.fields[2] for r in prose.rows] == ["see the chapter.", "more text"]
    assert all(not r.tags for r in prose.rows)
    named = anki.read_export("#columns:Front\tBack\tExtra\nQ1\tA1\tmisc\n".encode())
    assert named.rows[0].fields == ["Q1", "A1", "misc"]  # the header names it a field: a field it stays


def test_obsidian_created_is_never_after_the_last_review(deck: Deck, tmp_path: Path):
    (tmp_path / "src" / ".obsidian").mkdir(parents=True)
    src = _src(tmp_path, "card.md", "---\nsr-due: 2024-03-10\nsr-interval: 20\nsr-ease: 250\n---\n# Q\n\nA.\n",
               mtime=dt.datetime(2024, 5, 20, 12))  # a copy made after the plugin's last review
    report = run_import(deck, [tmp_path / "src"], today=TODAY)
    assert report.ok
    fm = front(deck.root / "card.md")
    assert fm["last_reviewed"] == "2024-02-19" and fm["created"] == "2024-02-19"


def test_one_fence_rule_for_tags_and_headings():
    body = "```\n#notatag\n```python\n#still-code\n```\n#real\n"
    assert obsidian.inline_tags(body) == ["real"]


def test_cli_import_of_a_missing_path_is_usage(deck: Deck, tmp_path: Path):
    proc = subprocess.run(
        [sys.executable, "-m", "trainer", "--deck", str(deck.root), "import", str(tmp_path / "nope.apkg")],
        capture_output=True, text=True, env={**os.environ, "TRAINER_TODAY": TODAY.isoformat()},
    )
    assert proc.returncode == 2 and "nope.apkg" in proc.stderr and "Traceback" not in proc.stderr
    assert not list(deck.root.iterdir())
