"""The command palette (ctrl+p) on the overview finds the deck's tags and cards as the user types:
choosing a tag highlights it in the tag tree (its parents unfolded and built), so Enter studies
it; choosing a card opens a session on that one card. Commands still come first."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual.command import CommandList
from textual.widgets import Tree
from tuihelp import TODAY, loaded, palette_hits

from trainer.tui.app import make_app, open_deck
from trainer.tui.commands import PALETTE_MARGIN
from trainer.tui.screens.study import StudyScreen


def _studied(text: str, next_review: str) -> str:
    """A seed note reviewed on 2026-10-01 and due on ``next_review``."""
    return (text.replace("last_reviewed: null", "last_reviewed: '2026-10-01'").replace("review_count: 0", "review_count: 2")
            .replace("next_review: '2026-03-09'", f"next_review: '{next_review}'"))


async def _search(pilot, query: str) -> list:
    """Open the palette, type ``query`` as a user does, and wait for its hits: (text, help, hit)."""
    return [(h.text, str(h.help), h) for h in await palette_hits(pilot, query)]


async def _choose(pilot, text: str) -> None:
    """Highlight the palette's hit whose text is ``text`` and press Enter, as a user would."""
    command_list = pilot.app.screen.query_one(CommandList)
    texts = [getattr(o, "hit", None) and o.hit.text for o in command_list.options]
    command_list.highlighted = texts.index(text)
    await pilot.press("enter")
    for _ in range(5):
        await pilot.pause()


def _nested_deck(tmp_path, seed, write_note):
    """70 nested tags (over the 60 the tree unfolds whole: only the top level is built at first)
    and one note tagged ``Transformer/attention``."""
    root = tmp_path / "deck"
    for t in range(2):
        for q in range(35):
            write_note(root / f"t{t}" / f"q{q}.md", seed(f"Question {t} {q}", tags=(f"Area{t}", f"Area{t}/Item {q}")))
    write_note(root / "attn.md", seed("What does self-attention compute?", tags=("Transformer", "Transformer/attention")))
    write_note(root / "ffn.md", seed("What does the feed-forward block do?", tags=("Transformer", "Transformer/FFN")))
    return root


async def test_a_tag_fragment_selects_the_nested_tag_and_enter_studies_it(tmp_path, seed, write_note):
    app = make_app(open_deck(_nested_deck(tmp_path, seed, write_note), TODAY, None))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        overview = app.screen
        tree = overview.query_one("#tags", Tree)
        parent = next(n for n in tree.root.children if n.data == "Transformer")
        assert not parent.is_expanded and not parent.children  # collapsed, its children not built
        hits = await _search(pilot, "attn")
        assert ("Transformer/attention", "tag · 1 card · 1 to study") in [(t, h) for t, h, _ in hits]
        assert "What does self-attention compute?" in [t for t, _, _ in hits]  # a card by its question too
        await _choose(pilot, "Transformer/attention")
        assert app.screen is overview
        assert overview.tag == "Transformer/attention"
        assert parent.is_expanded and tree.cursor_node is not None and tree.cursor_node.data == "Transformer/attention"
        assert overview.focused is tree
        await pilot.press("enter")  # the next Enter studies that tag
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, StudyScreen)
        assert [n.rel for n in app.screen.session.queue] == ["attn.md"]


async def test_a_tag_whose_parent_was_folded_by_hand(tmp_path, seed, write_note):
    """A small tree is built and unfolded whole; a parent the user folded is unfolded again."""
    root = tmp_path / "deck"
    write_note(root / "a.md", seed("Q a", tags=("Transformer", "Transformer/attention")))
    write_note(root / "b.md", seed("Q b", tags=("Decoding",)))
    app = make_app(open_deck(root, TODAY, None))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        tree = app.screen.query_one("#tags", Tree)
        parent = next(n for n in tree.root.children if n.data == "Transformer")
        parent.collapse()
        await pilot.pause()
        await _search(pilot, "ATTENTION")
        await _choose(pilot, "Transformer/attention")
        assert parent.is_expanded and tree.cursor_node.data == "Transformer/attention"
        assert app.screen.tag == "Transformer/attention"


async def test_a_chinese_fragment_finds_a_chinese_card_and_opens_a_session_on_it(tmp_path, seed, write_note):
    root = tmp_path / "deck"
    write_note(root / "zh" / "多头.md", seed("多头注意力为什么要拆成多个头？", tags=("Transformer", "Transformer/注意力机制")))
    write_note(root / "zh" / "归一化.md", seed("层归一化放在哪里？", tags=("Transformer",)))
    write_note(root / "en.md", seed("What is a KV cache?", tags=("Inference",)))
    app = make_app(open_deck(root, TODAY, None))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        hits = await _search(pilot, "注意")
        found = {t: h for t, h, _ in hits}
        assert found["Transformer/注意力机制"] == "tag · 1 card · 1 to study"  # a Chinese tag too
        assert found["多头注意力为什么要拆成多个头？"] == "card · new · Transformer/注意力机制"
        assert "层归一化放在哪里？" not in found and "What is a KV cache?" not in found
        await _choose(pilot, "多头注意力为什么要拆成多个头？")
        assert isinstance(app.screen, StudyScreen)
        session = app.screen.session
        assert session.current.rel == "zh/多头.md" and session.remaining == 1


async def test_a_card_not_due_is_shown_with_what_a_grade_does(tmp_path, seed, write_note):
    root = tmp_path / "deck"
    write_note(root / "later.md", _studied(seed("缩放点积注意力为什么要除以根号dk？"), "2026-12-20"))
    write_note(root / "now.md", seed("Another card"))
    app = make_app(open_deck(root, TODAY, None))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        hits = await _search(pilot, "根号")
        help_line = dict((t, h) for t, h, _ in hits)["缩放点积注意力为什么要除以根号dk？"]
        assert help_line == "card · due in 25 days (2026-12-20) · Transformer"
        await _choose(pilot, "缩放点积注意力为什么要除以根号dk？")
        assert isinstance(app.screen, StudyScreen)
        assert [n.rel for n in app.screen.session.queue] == ["later.md"]
        assert any("Not due until 2026-12-20" in n.message for n in app._notifications)


async def test_commands_come_first_and_other_screens_search_commands_only(tmp_path, seed, write_note):
    root = tmp_path / "deck"
    write_note(root / "s.md", seed("Which statistics matter for a stats interview?", tags=("Statistics",)))
    app = make_app(open_deck(root, TODAY, None))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        hits = await _search(pilot, "stat")
        texts = [t for t, _, _ in hits]
        assert texts[0] == "Stats"  # the command, over the tag and the card that hold the query whole
        assert {"Statistics", "Which statistics matter for a stats interview?"} <= set(texts)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("enter")  # a session: the palette there searches its commands only
        await pilot.pause()
        assert isinstance(app.screen, StudyScreen)
        texts = [t for t, _, _ in await _search(pilot, "stat")]
        assert texts and "Statistics" not in texts and "Which statistics matter for a stats interview?" not in texts


async def test_a_deck_of_3000_distinct_nested_tags_answers(tmp_path, seed, write_note):
    """One nested tag per note (the seed deck's shape): a tag deep in a topic's children (added in
    chunks after the first frames) is found and highlighted."""
    root = tmp_path / "deck"
    for i in range(3000):
        write_note(root / f"n{i}.md", seed(f"Question number {i}", tags=(f"Topic{i % 5}", f"Topic{i % 5}/Note {i}")))
    app = make_app(open_deck(root, TODAY, None))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        hits = await _search(pilot, "note 2995")
        assert hits[0][0] == "Topic0/Note 2995"  # the whole tag's last part first
        assert "Question number 2995" not in [t for t, _, _ in hits]  # (its question says "number")
        await _choose(pilot, "Topic0/Note 2995")
        overview = app.screen
        tree = overview.query_one("#tags", Tree)
        for _ in range(20):  # (600 children: the last ones come after a few frames)
            if tree.cursor_node is not None and tree.cursor_node.data == "Topic0/Note 2995":
                break
            await pilot.pause()
        assert tree.cursor_node.data == "Topic0/Note 2995" and overview.tag == "Topic0/Note 2995"
        hits = await _search(pilot, "number 1234")
        assert [t for t, _, _ in hits][:1] == ["Question number 1234"]


async def test_help_says_where_the_palette_finds_tags_and_cards(tmp_path, seed, write_note):
    from trainer.tui.screens.help import help_sections

    root = tmp_path / "deck"
    write_note(root / "a.md", seed("Q a"))
    app = make_app(open_deck(root, TODAY, None))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert "the deck's tags and cards" in dict(help_sections(app.screen)[1][1])["^p"]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, StudyScreen)
        assert "tags and cards" not in dict(help_sections(app.screen)[1][1])["^p"]  # its palette: actions only


@pytest.mark.parametrize("width", [80, 60])
async def test_a_cards_lines_fit_one_row_of_the_palette(tmp_path, seed, write_note, width):
    """A long question and a card with long tags take one row each in the palette, at 60 columns too
    (cut to 70 cells, they wrapped to two rows there)."""
    root = tmp_path / "deck"
    question = "What is Multi-head Latent Attention (MLA), and how small is its KV cache against MHA and GQA?"
    write_note(root / "mla.md", seed(question, tags=("LLM/Architecture/Attention variants", "Transformer/Attention/Efficient")))
    app = make_app(open_deck(root, TODAY, None))
    async with app.run_test(size=(width, 24)) as pilot:
        await loaded(pilot)
        hits = await _search(pilot, "latent")
        text, help_line, _ = next(h for h in hits if h[0].startswith("What is Multi-head"))
        room = width - PALETTE_MARGIN
        assert cell_len(text) <= room and cell_len(help_line) <= room
        assert text.endswith("…") and help_line.endswith("…")  # (cut: too long for either width)
        rows = [strip.text for strip in app.screen._compositor.render_strips()]  # noqa: SLF001
        assert sum("What is Multi-head" in r for r in rows) == 1
        assert not any(r.strip().startswith(("MHA", "GQA", "cache")) for r in rows)  # no second row of it
