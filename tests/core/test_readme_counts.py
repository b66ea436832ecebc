"""The README's opening counts hold for the bundled deck (it said "Eight cards open live NumPy demos":
eight demos, opened from 14 cards)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from trainer.deck import Deck
from trainer.demos import registry

REPO = Path(__file__).resolve().parents[2]
WORDS = {"Six": 6, "Seven": 7, "Eight": 8, "Nine": 9, "Ten": 10}


def test_the_readme_counts_the_bundled_decks_demos_and_cards(bundled_deck):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    m = re.search(r"(\w+) live NumPy demos open from (\d+) of the cards", readme)
    assert m, "the README's opening sentence on the demos changed"
    notes = Deck(bundled_deck).scan(dt.date(2026, 11, 25)).notes
    with_demo = [n for n in notes if registry.demos_for(list(n.tags), n.question, list(n.demos))]
    assert WORDS[m.group(1)] == len(registry.all_demos())
    assert int(m.group(2)) == len(with_demo)
    cards = re.search(r"`cards/` holds (\d+) cards", readme)
    assert cards and int(cards.group(1)) == len(notes)
