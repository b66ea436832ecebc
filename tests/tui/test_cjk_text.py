"""Chinese is two columns wide and wraps at any of its characters, in every widget of the app."""

from __future__ import annotations

import io

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

import trainer.tui.app  # noqa: F401 - importing the app installs the line-breaking rule
from trainer.tui.cjk import WORD

MIXED = "Attention 的计算复杂度是 O(n²d)，因为每个 query 都要和所有 key 做点积再乘以 value，长序列时显存占用很大。"


def wrapped(text: str, width: int) -> list[str]:
    console = Console(width=width, file=io.StringIO())
    return [line.plain.rstrip() for line in Text(text).wrap(console, width)]


def test_mixed_text_fills_its_lines():
    for width in (20, 40, 56):
        lines = wrapped(MIXED, width)
        assert "".join(lines).replace(" ", "") == MIXED.replace(" ", "")
        for line in lines[:-1]:  # no line ends half-way because a Chinese run moved down whole
            assert cell_len(line) >= width - 6, (width, lines)
            assert cell_len(line) <= width


def test_closing_punctuation_never_starts_a_line():
    for width in range(12, 60):
        for line in wrapped(MIXED, width)[1:]:
            assert not line.startswith(("，", "。", "）")), (width, line)


def test_latin_words_are_not_split():
    assert [m.group().strip() for m in WORD.finditer("query 都要 key")] == ["query", "都", "要", "key"]
