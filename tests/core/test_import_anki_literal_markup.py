"""Text an Anki card showed as it is stays so in the note: ``List&lt;T&gt;`` in a field (Anki shows
``List<T>``) is written ``List\\<T>``, since markdown reads a bare ``<T>`` as an HTML tag and shows
nothing of it (the study card read "What does List mean?", Obsidian too). Code keeps its text; a
note imported before this is still found as the same note when the export comes again."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from trainer.importers.anki import as_written

EXPORT = (
    "#separator:tab\n"
    "#html:true\n"
    "What does List&lt;T&gt; mean?\tThe &lt;div&gt; tag; <code>Map&lt;K, V&gt;</code>; AT&amp;T; a &lt; b; &amp;nbsp; shown.\n"
    "&lt;script&gt; 标签放在哪里？\t放在 &lt;/body&gt; 之前。\n"
)


def _bodies(deck: Path) -> dict[str, str]:
    return {p.relative_to(deck).as_posix(): p.read_text(encoding="utf-8").split("\n---\n", 1)[1] for p in deck.rglob("*.md")}


def test_text_anki_showed_as_it_is_is_written_so(imported):
    bodies = _bodies(imported(EXPORT))
    assert bodies["anki/What does List T mean.md"] == (
        "# What does List\\<T> mean?\n\n## Answer\n\n"
        "The \\<div> tag; `Map<K, V>`; AT&T; a < b; \\&nbsp; shown.\n")
    assert bodies["anki/script 标签放在哪里？.md"] == "# \\<script> 标签放在哪里？\n\n## Answer\n\n放在 \\</body> 之前。\n"


def test_a_plain_text_export_keeps_its_angle_brackets(imported):
    [body] = _bodies(imported("#separator:tab\n#html:false\nWhy Map<K,V>?\tBecause <T> & more.\n")).values()
    assert body == "# Why Map\\<K,V>?\n\n## Answer\n\nBecause \\<T> & more.\n"


def test_a_note_imported_before_the_backslashes_is_the_same_note(tmp_path: Path, cli, imported):
    deck = imported(EXPORT)
    for note in deck.rglob("*.md"):  # as an earlier trainer wrote them: no backslash before < and &
        note.write_text(note.read_text(encoding="utf-8").replace("\\<", "<").replace("\\&", "&"), encoding="utf-8")
    before = {p: p.read_bytes() for p in deck.rglob("*.md")}
    again = cli(deck, "import", str(tmp_path / "export.txt"), "--into", "anki")
    assert again.returncode == 0, again.stderr.decode()
    assert b"imported 0" in again.stdout
    assert again.stdout.count(b"already in the deck as anki/") == 2  # the same notes, not a conflict with them
    assert {p: p.read_bytes() for p in deck.rglob("*.md")} == before


def _shown(markdown: str) -> str:
    """The text a CommonMark renderer (markdown-it, as Textual's Markdown widget) shows of one line."""
    [inline] = [t for t in MarkdownIt("commonmark").parseInline(markdown) if t.type == "inline"]
    assert not [t for t in inline.children if t.type in ("html_inline", "link_open")], markdown
    return "".join(t.content for t in inline.children if t.type == "text")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="<>&;#/!?xTa1 ", min_size=1, max_size=30).filter(lambda t: t.strip() == t))
def test_as_written_is_shown_as_it_was(text):
    assert _shown(as_written(text)) == text


def test_the_due_table_shows_the_question_as_the_card_does(cli, imported):
    deck = imported(EXPORT)
    for _ in range(2):  # from the notes, then from the columns the first run saved
        table = cli(deck, "due").stdout.decode()
        assert "What does List<T> mean?" in table and "\\<" not in table
    row = next(r for r in json.loads(cli(deck, "due", "--json").stdout) if "List" in r["question"])
    assert row["question"] == "What does List\\<T> mean?"  # --json: the heading as the note has it
