"""The overview's tag tree builds a tag's children when it is first expanded (#17: a deck shaped
like the seed has a nested tag per note); a small tree is still built and unfolded whole."""

from __future__ import annotations

from textual.widgets import Tree
from tuihelp import TODAY, loaded

from trainer.tui.app import make_app, open_deck


def _deck(tmp_path, seed, write_note, topics: int, per_topic: int):
    root = tmp_path / "deck"
    for t in range(topics):
        for q in range(per_topic):
            write_note(root / f"t{t}" / f"q{q}.md", seed(f"Q {t} {q}", tags=(f"Topic{t}", f"Topic{t}/Question {q}.md")))
    return root


def _built(tree) -> dict:
    out = {}

    def walk(node):
        for child in node.children:
            out[child.data] = child
            walk(child)

    walk(tree.root)
    return out


async def test_many_tags_children_built_on_expand(tmp_path, seed, write_note):
    root = _deck(tmp_path, seed, write_note, topics=3, per_topic=25)  # 78 tags: over the 60 unfolded whole
    app = make_app(open_deck(root, TODAY, None))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        tree = app.screen.query_one("#tags", Tree)
        built = _built(tree)
        assert set(built) == {"Topic0", "Topic1", "Topic2"}  # only the root's children
        assert all(n.allow_expand and not n.is_expanded for n in built.values())
        assert str(built["Topic1"].label).startswith("Topic1  ") and "/25 " in str(built["Topic1"].label)
        built["Topic1"].expand()
        await pilot.pause()
        kids = [c.data for c in built["Topic1"].children]
        assert kids == [f"Topic1/Question {q}.md" for q in range(25)]  # numbers in numeric order
        leaf = built["Topic1"].children[10]
        assert str(leaf.label).startswith("Question 10.md  ") and "/1 " in str(leaf.label) and not leaf.allow_expand
        tree.move_cursor(leaf)
        await pilot.pause()
        assert app.screen.tag == "Topic1/Question 10.md"
        built["Topic1"].collapse()
        built["Topic1"].expand()  # built once, not again
        await pilot.pause()
        assert len(built["Topic1"].children) == 25
        assert set(_built(tree)) == {"Topic0", "Topic1", "Topic2", *kids}


async def test_few_tags_built_and_unfolded_whole(tmp_path, seed, write_note):
    root = _deck(tmp_path, seed, write_note, topics=2, per_topic=3)
    app = make_app(open_deck(root, TODAY, None))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        built = _built(app.screen.query_one("#tags", Tree))
        assert len(built) == 8 and all(n.is_expanded for n in built.values() if n.children)


def _studied(text: str, next_review: str) -> str:
    return (text.replace("last_reviewed: null", "last_reviewed: '2026-10-01'").replace("review_count: 0", "review_count: 2")
            .replace("next_review: '2026-03-09'", f"next_review: '{next_review}'"))


def _mixed_deck(tmp_path, seed, write_note):
    """Three topics of nested tags (over the 60 unfolded whole), due, not due and new cards, a
    flat tag with no children, an untagged note."""
    root = tmp_path / "deck"
    for t in range(3):
        for q in range(25):
            text = seed(f"Q {t} {q}", tags=(f"Topic{t}", f"Topic{t}/Sub{q % 4}/Question {q}.md"))
            if q % 3:
                text = _studied(text, "2026-11-20" if q % 3 == 1 else "2026-12-20")
            write_note(root / f"t{t}" / f"q{q}.md", text)
    write_note(root / "flat.md", seed("flat", tags=("Flat",)))
    write_note(root / "loose.md", seed("loose", tags=()))
    return root


def _counts(label: str) -> str:
    """``name  to_study/cards ▇▇ 0.4`` -> ``to_study/cards``."""
    return label.split("  ", 1)[1].split(" ", 1)[0]


async def test_expanded_topics_count_what_the_notes_give(tmp_path, seed, write_note, monkeypatch):
    """The first frame comes from the deck's columns with only the top level built; each level
    built later, on expand, shows the counts the notes give (before and after the notes arrive).
    (The first frame waits for the figures as long as they take: a loaded machine can take longer
    than ``FIRST_FRAME_WAIT``.)"""
    from trainer import columns, figures
    from trainer.deck import Deck
    from trainer.tui import app as app_module

    monkeypatch.setattr(app_module, "FIRST_FRAME_WAIT", 60.0)

    root = _mixed_deck(tmp_path, seed, write_note)
    assert columns.fresh(Deck(root), TODAY).columns is not None  # as any `trainer due` leaves it
    want = figures.compute(Deck(root).scan(TODAY, use_cache=False).notes, TODAY, new_per_day=20).tags
    app = make_app(open_deck(root, TODAY, 20))
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.book.counted and not app.book.loaded  # the figures from the columns, the notes not yet
        tree = app.screen.query_one("#tags", Tree)
        built = _built(tree)
        assert list(built) == ["Flat", "Topic0", "Topic1", "Topic2", ""]
        assert [n.allow_expand for n in built.values()] == [False, True, True, True, False]
        for tag, node in built.items():
            assert _counts(str(node.label)) == f"{want[tag].to_study}/{want[tag].cards}", tag
        built["Topic1"].expand()
        await pilot.pause()
        subs = built["Topic1"].children
        assert [n.data for n in subs] == [f"Topic1/Sub{s}" for s in range(4)]
        for sub in subs:
            assert sub.allow_expand and _counts(str(sub.label)) == f"{want[sub.data].to_study}/{want[sub.data].cards}"
        await loaded(pilot)
        assert app.book.loaded
        subs[2].expand()
        await pilot.pause()
        leaves = subs[2].children
        assert [n.data for n in leaves] == [f"Topic1/Sub2/Question {q}.md" for q in range(2, 25, 4)]
        for leaf in leaves:
            assert not leaf.allow_expand and _counts(str(leaf.label)) == f"{want[leaf.data].to_study}/{want[leaf.data].cards}"
        assert {t for t, f in want.items() if f.to_study != f.cards}  # (the deck has cards not due)


def test_top_level_with_children_is_the_index_s_answer():
    """The overview's quick look for nested topics says what the full index of the tags says."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from trainer.tags import tag_prefixes
    from trainer.tui.screens.overview import tag_children, top_level_with_children

    part = st.text(alphabet=st.sampled_from(["a", "B", "é", "语", "1", "\0", " "]), min_size=1, max_size=3)
    tag = st.lists(part, min_size=1, max_size=3).map("/".join)

    @settings(max_examples=300, deadline=None)
    @given(st.lists(tag, max_size=40), st.integers(0, 80), st.booleans())
    def check(note_tags, flat, untagged):
        tags = {p for t in note_tags for p in tag_prefixes(t)} | {f"flat{i}" for i in range(flat)}
        order = sorted(tags) + ([""] if untagged else [])
        kids = tag_children(order)
        top = kids.get(None, [])
        assert top == [t for t in order if "/" not in t]  # (the overview builds these first: every tag's parent is a tag)
        assert top_level_with_children(order) & set(top) == {t for t in top if t in kids}

    check()


async def test_a_topic_s_many_children_come_in_chunks(tmp_path, seed, write_note, monkeypatch):
    """Children past ``TAG_CHUNK`` are added after the next frames, all of them, in order, each
    measured as Textual measures a rendered label; a tree built again drops what was still coming."""
    from trainer.tui.screens import overview

    monkeypatch.setattr(overview, "TAG_CHUNK", 7)
    root = _deck(tmp_path, seed, write_note, topics=3, per_topic=25)
    app = make_app(open_deck(root, TODAY, None))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        tree = app.screen.query_one("#tags", Tree)
        topic = _built(tree)["Topic2"]
        topic.expand()
        for _ in range(6):
            await pilot.pause()
        assert [c.data for c in topic.children] == [f"Topic2/Question {q}.md" for q in range(25)]
        for node in [tree.root, *_built(tree).values()]:
            assert tree.get_label_width(node) == Tree.get_label_width(tree, node)
        screen = app.screen
        other = _built(tree)["Topic0"]
        screen._add_tag_nodes(other, "Topic0")  # what expanding it first does
        assert len(other.children) == 7  # the first chunk at once, the rest after the next frames
        screen._tree_generation += 1  # (as a rebuild of the tree does)
        for _ in range(6):
            await pilot.pause()
        assert len(other.children) == 7


async def test_a_large_deck_s_notes_are_left_out_of_the_collector(tmp_path, seed, write_note, monkeypatch):
    """From ``FREEZE_FROM`` notes the objects alive once the notes are in are frozen (gc.freeze):
    the collector's full passes no longer walk 100k notes in the middle of a key press."""
    import gc

    from trainer import opendeck

    root = _deck(tmp_path, seed, write_note, topics=2, per_topic=3)
    gc.unfreeze()
    try:
        for limit, frozen in ((1000, False), (6, True)):
            monkeypatch.setattr(opendeck, "FREEZE_FROM", limit)
            gc.disable()  # as `trainer` (cmd_study) starts the app: the collector on again once the notes are in
            app = make_app(open_deck(root, TODAY, None))
            async with app.run_test(size=(80, 24)) as pilot:
                await loaded(pilot)
                assert app.book.loaded and len(app.book.notes) == 6
                assert (gc.get_freeze_count() > 0) == frozen
                assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()
