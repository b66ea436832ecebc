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
