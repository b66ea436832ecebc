"""A question written over two lines in Anki becomes one line of the note's ``# `` heading: joined by a
space, but by nothing between two Chinese characters (``多行<br>问题？`` read ``多行 问题？``)."""

from __future__ import annotations

import pytest

EXPORTS = {
    "html": "#separator:tab\n#html:true\n"
            "多行<br>问题？\t答。\n<div>注意力</div><div>为什么要缩放？</div>\t因为。\nLine one<br>line two\tA.\n"
            "注意力<br>Attention heads\tB.\n",
    "plain": '#separator:tab\n#html:false\n"多行\n问题？"\t答。\n"Line one\nline two"\tA.\n',
}
WANT = {
    "html": {"多行问题？", "注意力为什么要缩放？", "Line one line two", "注意力 Attention heads"},
    "plain": {"多行问题？", "Line one line two"},
}


@pytest.mark.parametrize("kind", sorted(EXPORTS))
def test_a_question_over_two_lines_is_one_heading(imported, kind):
    deck = imported(EXPORTS[kind])
    headings = {p.read_text(encoding="utf-8").split("\n---\n", 1)[1].split("\n", 1)[0] for p in deck.rglob("*.md")}
    assert headings == {f"# {q}" for q in WANT[kind]}
    assert "多行问题？" in {p.stem for p in deck.rglob("*.md")}  # its file name too
