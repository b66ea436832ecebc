"""Chinese is two columns wide and wraps at any of its characters, in every widget of the app."""

from __future__ import annotations

import io
import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

import trainer.tui.app  # noqa: F401 - importing the app installs the line-breaking rule
from trainer.tui import cjk
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


MISSED = "— 3 of 23 words, needs 7: 一个, 矩阵, 对称. 然后: 再说; 好吗? 好!"


def test_ascii_punctuation_after_chinese_never_starts_a_line():
    # The mock interview's report at 80 columns: "needs 7: 一个, 矩阵" then ", 对称" on the next line.
    for width in range(8, 50):
        lines = wrapped(MISSED, width)
        assert "".join(lines).replace(" ", "") == MISSED.replace(" ", ""), (width, lines)
        for line in lines[1:]:
            assert not line.startswith((",", ".", ";", ":", "?", "!")), (width, lines)
    assert [m.group() for m in WORD.finditer("矩阵, 对称.")] == ["矩", "阵, ", "对", "称."]
    # before a letter or digit the mark is not closing anything: it starts a word of its own
    assert [m.group() for m in WORD.finditer("约.5 倍")][:2] == ["约", ".5 "]
    assert [m.group() for m in WORD.finditer("用.NET")] == ["用", ".NET"]


# Kinsoku: an opening bracket or quote goes with what follows, so it never ends a line.
OPENING = "（［｛「『“‘《〈【〔(["
CITATION = "分组查询注意力（GQA）把 query 头分成若干组，每组共享一组 K、V（Ainslie et al., 2023），显存更省。"
QUOTE = "面试官可能会追问细节，比如“我关注你为什么这样设计”，再让你画出计算图（含形状）。"


def test_opening_punctuation_never_ends_a_line():
    for text in (CITATION, QUOTE, MIXED):
        for width in range(12, 70):
            lines = wrapped(text, width)
            assert "".join(lines).replace(" ", "") == text.replace(" ", "")
            for line in lines[:-1]:
                assert not line.endswith(tuple(OPENING)), (width, lines)


def test_the_opening_mark_goes_down_with_the_next_word():
    # At the width the newcomer saw, "（" used to end the line and "Ainslie" to start the next.
    text = "每组共享一组 K、V（Ainslie et al., 2023）"
    assert wrapped(text, 17) == ["每组共享一组 K、V", "（Ainslie et al.,", "2023）"]
    assert wrapped("比如“我关注你”", 5) == ["比如", "“我关", "注你”"]


def test_ascii_brackets_before_chinese_stay_with_it():
    assert [m.group() for m in WORD.finditer("用 (中文) 说")][:2] == ["用 ", "(中"]
    assert [m.group() for m in WORD.finditer("foo(中文)")][0] == "foo(中"
    assert [m.group() for m in WORD.finditer("ab“（中文")][0] == "ab“（中"  # opening marks in a row all go down
    assert [m.group() for m in WORD.finditer("（GQA）把")] == ["（GQA）", "把"]
    # An ASCII quote opens after "：" (it goes with 你) and closes after a Chinese character (a word of its own).
    assert [m.group() for m in WORD.finditer('他说："你好"。')] == ["他", "说：", '"你', "好", '"。']


CLOSING = ("，", "。", "）", "”", "」")
TOKENS = ["中", "文", "字", "ab", "O(n)", " ", "，", "。", "）", "（", "“", "”", "「", "」", "(", "[", "x", "\"", "："]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=40), st.integers(min_value=8, max_value=40))
def test_no_line_ends_with_an_opening_mark(tokens, width):
    text = "".join(tokens).strip()
    # a mark with a space on its inner side (" ，", "（ ") is attached to nothing: the rule does not apply
    assume(text and not any(mark + " " in text for mark in OPENING) and not any(" " + mark in text for mark in CLOSING))
    assume(max(cell_len(m.group().rstrip()) for m in WORD.finditer(text)) <= width)  # no word folded
    lines = wrapped(text, width)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines[:-1]:
        assert not line.endswith(tuple(OPENING)), (width, lines)
        assert cell_len(line) <= width
    for line in lines[1:]:
        assert not line.startswith(CLOSING), (width, lines)


def test_a_text_box_wraps_chinese_at_cell_width():
    """The answer box (Textual's TextArea) wraps a typed Chinese answer where Rich does: lines filled
    to the width, no closing mark at a line's start, every character kept."""
    from textual._wrap import compute_wrap_offsets

    answer = "如果 W_Q 等于 W_K，那么打分矩阵 S = XW(XW)ᵀ 是对称的，因为第 i 行第 j 列等于第 j 行第 i 列。"
    for width in (20, 37, 58):
        cuts = [0, *compute_wrap_offsets(answer, width, tab_size=4), len(answer)]
        lines = [answer[a:b] for a, b in zip(cuts, cuts[1:])]
        assert "".join(lines) == answer
        for line in lines[:-1]:
            assert width - 4 <= cell_len(line.rstrip()) and cell_len(line) <= width + 1, (width, lines)
        assert not any(line.startswith(("，", "。", "）")) for line in lines[1:]), lines
    from textual._wrap import chunks

    for text in ("   ", "答案  ", "  x 中"):  # every character in some chunk, spaces alone too
        assert "".join(chunk for _, _, chunk in chunks(text)) == text


# The word pattern as first written: the CJK class twice in each atom (slower to compile, #17).
_OLD_ATOM = rf"(?:[{cjk._CJK}]|[^\s{cjk._CJK}]+)"
OLD_WORD = re.compile(rf"\s*{_OLD_ATOM}(?:{cjk._GLUE}{_OLD_ATOM})*{cjk._TRAIL}\s*")
ALPHABET = "ab1 \t\n\u2003.,;:'\"()[]{}" + "的计算复杂度是，。、；：！？（）「」“”‘’《》…·％" + "\u3000가나ｱｲ\uff01\u2e80\u4dbf"


def words_of(pattern, text: str) -> list[tuple[int, int]]:
    """The spans Rich's ``divide_line`` takes (``match`` from each word's end)."""
    spans, m = [], pattern.match(text, 0)
    while m is not None:
        spans.append(m.span())
        m = pattern.match(text, m.end())
    return spans


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_the_word_pattern_divides_as_its_first_form_did(text):
    assert words_of(cjk.WORD, text) == words_of(OLD_WORD, text)
    assert [m.span() for m in cjk.WORD.finditer(text)] == [m.span() for m in OLD_WORD.finditer(text)]


def test_the_text_box_chunks_compile_when_first_used_and_match_words_or_spaces():
    chunks = cjk._CompiledWhenUsed(rf"{cjk.WORD.pattern}|\s+")
    assert chunks._compiled is None
    assert [m.group() for m in chunks.finditer("query 都要  ")] == ["query ", "都", "要  "]
    assert chunks.match("   ", 0).group() == "   "
    assert chunks._compiled is not None
