"""A Chinese paragraph wrapped over lines in the note's editor reads as one run on the card: markdown
showed each line break as a space (``=1。 dₖ 个独立项``, ``。 当某个``)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from textual.widgets import Markdown
from tuihelp import loaded

from trainer.tui.app import make_app, open_deck
from trainer.tui.cjk import join_soft_breaks


def test_breaks_between_chinese_are_dropped_the_rest_kept():
    assert join_soft_breaks("对每一项：\n$d_k$ 个独立项\n  相加。\nNext") == "对每一项：$d_k$ 个独立项相加。Next"
    assert join_soft_breaks("提出于 2017 年。\n2018 年，\n3 个头") == "提出于 2017 年。2018 年，3 个头"  # (a number: a word too)
    kept = [
        "中文  \n硬换行", "中文\\\n硬换行",  # hard breaks
        "- 第一点\n- 第二点", "列表：\n1. 一", "列表：\n2) 二", "中文\n> 引用", "中文\n| 表 |", "中文\n\n新段落",  # blocks
        "### 追问：为什么\n回答",  # a heading is one line
        "段落\n\n    中文代码\n    中文",  # indented code
        "한국어\n문장", "中文\nEnglish", "English\n中文", "(a)\nNext", "said “hi”\nand",  # a space there
        "公式。\n$$x$$", "```\n代码\n代码\n```", "中文`a`\n中文",
    ]
    for text in kept:
        assert join_soft_breaks(text) == text, text
    assert join_soft_breaks("```\n代码\n代码\n```\n中文\n中文") == "```\n代码\n代码\n```\n中文中文"


def test_a_chinese_table_keeps_its_rows():
    """A table without leading pipes (GFM allows it): its rows end and start with Chinese, and a row
    joined to the next one was a row lost on the card ('注意力 | 机制层归一化 | 稳定')."""
    from markdown_it import MarkdownIt

    table = "名称 | 说明\n--- | ---\n注意力 | 机制\n层归一化 | 稳定\n残差\n"
    assert join_soft_breaks(table) == table
    rows = [t for t in MarkdownIt("gfm-like").parse(join_soft_breaks(table)) if t.type == "tr_open"]
    assert len(rows) == 4  # the header, two rows and a pipeless last one, as written
    assert join_soft_breaks("前文\n后文\n\n名称 | 说明") == "前文后文\n\n名称 | 说明"  # (prose still joined)


def test_a_code_block_left_open_keeps_its_lines():
    """A fence never closed runs to the note's end in markdown: its Chinese lines are code, shown as
    written (they were joined: ``代码代码``); a longer fence is closed only by one as long."""
    for text in ("中文\n```\n代码\n代码\n", "~~~py\n代码\n代码", "````\n代码\n```\n代码\n"):
        assert join_soft_breaks(text) == text, text
    assert join_soft_breaks("前\n文\n````\n代码\n```\n代码\n````\n后\n文") == "前文\n````\n代码\n```\n代码\n````\n后文"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["中文", "。", "，", "ab", " ", "\n", "  \n", "- ", "# ", "$x$", "`c`", "```\n", "    "]),
                max_size=30))
def test_only_line_breaks_and_their_indent_go(tokens):
    text = "".join(tokens)
    out = join_soft_breaks(text)
    assert out.count("\n") <= text.count("\n")
    assert "".join(out.split()) == "".join(text.split())  # every other character kept, in order


async def test_the_card_shows_a_wrapped_chinese_paragraph_as_one_run(tmp_path):
    deck = tmp_path / "deck"
    deck.mkdir()
    (deck / "q.md").write_text(
        "# 为什么要缩放？\n\n## 答案\n\n方差为 $d_k$。\n因此要除以 $\\sqrt{d_k}$，\n否则 softmax 饱和。\n\n"
        "- 第一点\n- 第二点\n", encoding="utf-8")
    app = make_app(open_deck(deck, dt.date(2026, 11, 25), None))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("space")
        await pilot.pause()
        source = app.screen.query_one("#answer", Markdown).source
        assert "方差为 dₖ。因此要除以 √(dₖ)，否则 softmax 饱和。" in source, source
        assert "- 第一点\n- 第二点" in source
