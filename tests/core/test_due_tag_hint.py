"""`trainer due --tag` with a tag no card has says so and names the closest tags (difflib), exit 0 (SPEC §5)."""

from __future__ import annotations

import json

from trainer.cli import closest_tags

DECK_TAGS = ["LLM", "LLM/Inference", "LLM/Training", "Transformer/Attention", "注意力/多头"]


def test_closest_tags_on_the_whole_tag_and_its_last_part():
    assert closest_tags("LLM/Inferense", DECK_TAGS)[0] == "LLM/Inference"
    assert closest_tags("attention", DECK_TAGS)[0] == "Transformer/Attention"  # its last part, any case
    assert closest_tags("Transformer", DECK_TAGS)[0] == "Transformer"  # parents count: the tag filter takes them
    assert closest_tags("多头", DECK_TAGS)[0] == "注意力/多头"
    assert closest_tags("zzzzzz", DECK_TAGS) == []


def test_due_with_an_unknown_tag_names_the_closest(bundled_deck, cli):
    r = cli(bundled_deck, "due", "--tag", "Inferense")
    assert r.returncode == 0
    err = r.stderr.decode()
    assert "no card has the tag 'Inferense'" in err and "closest: LLM/Inference" in err
    assert b"Nothing to study" in r.stdout
    r = cli(bundled_deck, "due", "--tag", "Nope", "--json")  # the JSON stays the JSON; the hint is on stderr
    assert r.returncode == 0 and json.loads(r.stdout) == []
    err = r.stderr.decode()
    assert "no card has the tag 'Nope'" in err and "LLM" in err  # nothing close: the deck's top-level tags


def test_due_with_a_known_tag_has_no_hint(bundled_deck, cli):
    r = cli(bundled_deck, "due", "--tag", "llm/inference", "--new-limit", "100")
    assert r.returncode == 0 and b"no card has the tag" not in r.stderr
