"""Anki formulas (MathJax ``\\(x\\)``, ``\\[x\\]``, ``[$]x[/$]``) come in as ``$x$`` / ``$$x$$``, the TeX kept as written."""

from __future__ import annotations

from trainer.importers.anki import to_line, to_markdown


def test_mathjax_inline_and_display_become_dollars():
    assert to_markdown(r"x \(a^2\) y \[\sum_i x_i\] z", False) == r"x $a^2$ y $$\sum_i x_i$$ z"
    assert to_line(r"Softmax 公式 \(\frac{e^{x_i}}{\sum_j e^{x_j}}\)？", False) == r"Softmax 公式 $\frac{e^{x_i}}{\sum_j e^{x_j}}$？"
    assert to_markdown("[$]y[/$] and [$$]z[/$$]", False) == "$y$ and $$z$$"


def test_tex_inside_html_is_neither_escaped_nor_left_with_entities():
    # markdownify turned \pi^* into \pi^\* and kept the \( \) delimiters the app does not render
    assert to_markdown(r"<div>\(\pi^* = a_1 &lt; b\)</div><b>bold</b>", None) == "$\\pi^* = a_1 < b$\n\n**bold**"
    assert to_line(r"<i>\(x_1\)</i>&nbsp;and <br>\(y\)", None) == r"$x_1$ and $y$"


def test_text_without_formulas_is_unchanged():
    for text in ("plain (a) [b] $5", "TRAINERMATH0X as typed", r"a \( unclosed"):
        assert to_markdown(text, False) == text
    assert to_markdown(r"TRAINERMATH0X and \(x\)", False) == "TRAINERMATH0X and $x$"


def test_anki_text_export_end_to_end(tmp_path, cli):
    export = tmp_path / "notes.txt"
    export.write_text("#separator:tab\n#html:true\n#tags column:3\n"
                      "Why \\(\\sqrt{d_k}\\)?\t<div>Var \\(q \\cdot k\\) = \\(d_k\\)</div>\tattn\n", encoding="utf-8")
    deck = tmp_path / "deck"
    deck.mkdir()
    r = cli(deck, "import", str(export))
    assert r.returncode == 0, r.stderr
    (note,) = deck.rglob("*.md")
    text = note.read_text(encoding="utf-8")
    assert "# Why $\\sqrt{d_k}$?\n" in text and "Var $q \\cdot k$ = $d_k$" in text
