"""An Anki text export whose question holds escaped HTML (``&lt;b&gt;Attention&lt;/b&gt; &amp; Q?``) is
named from its text: entities decoded and HTML tags left out before the name is made (it was
``b Attention -b & Q.md``). The note's body keeps what Anki showed."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.importers import names

EXPORT = (
    "#separator:tab\n"
    "#html:true\n"
    "#tags column:3\n"
    "&lt;b&gt;Attention&lt;/b&gt; &amp; Q?\tThe answer &lt;i&gt;is&lt;/i&gt; <b>bold</b> &amp; fine.\tml\n"
    "&lt;b&gt;注意力&lt;/b&gt;机制 &amp; 复杂度？\t答案：<b>平方</b>\tml\n"
    "Why is &lt;T&gt; slow?\tT is a type.\tml\n"
    "Line one&lt;br&gt;line two &amp;nbsp;here\tTwo lines.\tml\n"
)


def _notes(deck: Path) -> dict[str, str]:
    return {p.relative_to(deck).as_posix(): p.read_text(encoding="utf-8") for p in deck.rglob("*.md")}


def _body(text: str) -> str:
    return text.split("\n---\n", 1)[1]


def test_escaped_html_questions_get_plain_names(tmp_path: Path, cli, imported):
    deck = imported(EXPORT)
    src = tmp_path / "export.txt"
    notes = _notes(deck)
    assert set(notes) == {
        "anki/Attention & Q.md",
        "anki/注意力机制 & 复杂度？.md",
        "anki/Why is T slow.md",  # ``<T>`` is no HTML element: its text stays (``<>`` cannot be in a name)
        "anki/Line one line two here.md",  # a ``<br>`` leaves a space; ``&nbsp;`` is a space
    }
    # The bodies are the importer's own: the question as the text Anki showed, the answer as markdown
    # (a ``<`` Anki showed as it is keeps a backslash: tests/core/test_import_anki_literal_markup.py).
    assert _body(notes["anki/Attention & Q.md"]).startswith(
        "# \\<b>Attention\\</b> & Q?\n\n## Answer\n\nThe answer \\<i>is\\</i> **bold** & fine.\n")
    assert _body(notes["anki/注意力机制 & 复杂度？.md"]).startswith("# \\<b>注意力\\</b>机制 & 复杂度？\n\n## Answer\n\n答案：**平方**\n")
    assert "\ntags: [ml]\n" in notes["anki/注意力机制 & 复杂度？.md"]

    again = cli(deck, "import", str(src), "--into", "anki")  # the same export again: nothing new
    assert again.returncode == 0 and b"imported 0" in again.stdout
    assert _notes(deck) == notes


def test_the_name_of_a_chinese_question_in_the_dry_run(tmp_path: Path, cli):
    deck = tmp_path / "deck"
    deck.mkdir()
    src = tmp_path / "中文导出.txt"
    src.write_text("#separator:tab\n#html:true\n&lt;div&gt;为什么&lt;/div&gt;&lt;div&gt;要除以&lt;span style=&quot;color: red&quot;&gt;根号dk&lt;/span&gt;？&lt;/div&gt;\t稳定梯度。\n",
                   encoding="utf-8")
    r = cli(deck, "import", str(src), "--dry-run", "--json")
    assert r.returncode == 0, r.stderr.decode()
    assert [e["target"] for e in json.loads(r.stdout)["imported"]] == ["为什么 要除以根号dk？.md"]
    assert _notes(deck) == {}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=12), st.sampled_from(
    ["<b>", "</b>", "&lt;", "&gt;", "&amp;", "&nbsp;", "<br/>", "&lt;div&gt;", "<span class='x'>", "字", "/", ".", " "])),
    max_size=10).map("".join))
def test_html_text_stems_are_safe_names(text: str):
    stem = names.html_text_stem(text, "anki-1")
    assert names.is_safe_name(stem + names.SUFFIX), repr(stem)
    assert "<b>" not in stem and "&lt;" not in stem
