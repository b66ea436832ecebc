"""Command palette entries for every action of the current screen (and the app's own), and on
the overview the deck's tags and cards: a few letters of a tag's path or of a question find it.

The deck is searched in the provider's ``search``, as the user types, over casefolded lines built
off the UI thread once per deck version, when the palette is first searched (never at start-up or
when the palette opens); each kind stops at its best ``DECK_HITS``. Commands score above any tag or
card (Textual's fuzzy scores are 1 and up, the deck's below 1), so a command's name still comes first.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import threading
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache, partial
from heapq import nlargest
from typing import TYPE_CHECKING, Iterable, Iterator
from weakref import WeakKeyDictionary

from textual.actions import parse
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode
from textual.markup import escape

from trainer.errors import TrainerError
from trainer.notes.model import Note
from trainer.opendeck import UNTAGGED, OpenDeck
from trainer.tui.math import plain_math
from trainer.tui.search_fold import fold, fold_mapped, query_words, shown_span
from trainer.tui.text import one_line, plural

if TYPE_CHECKING:
    from textual.content import Content

    from trainer.tui.screens.overview import OverviewScreen


@dataclass(frozen=True)
class PaletteCommand:
    """One palette entry: a bound action of a screen or of the app."""

    title: str
    help: str
    target: DOMNode
    action: str


def _bindings(node: DOMNode) -> list[Binding]:
    out = []
    for b in getattr(type(node), "BINDINGS", []):
        if isinstance(b, Binding) and b.description:
            out.append(b)
    return out


def palette_commands(screen: DOMNode) -> list[PaletteCommand]:
    """Commands for the screen's bindings that are enabled right now, then the app's."""
    commands: list[PaletteCommand] = []
    seen: set[str] = set()
    titles: set[str] = set()
    for node in (screen, screen.app):
        for b in _bindings(node):
            if b.action in seen or b.description in titles:
                continue
            try:
                namespace, name, params = parse(b.action)
                target = node.app if namespace == "app" else node
                if not target.check_action(name, params):
                    continue
            except Exception:
                continue
            seen.add(b.action)
            titles.add(b.description)
            key = b.key_display or b.key.split(",")[0]
            commands.append(PaletteCommand(b.description, f"key: {key} — {b.tooltip or b.description}", target, name if target is not node else b.action))
    extra = [
        ("Stats", "Reviews per day, retention, forecast, mastery by tag", "stats"),
        ("Help", "Every key binding", "help"),
    ]
    for title, help_text, action in extra:
        if action not in seen and title not in titles:
            commands.append(PaletteCommand(title, help_text, screen.app, action))
    return commands


class TrainerCommands(Provider):
    """``trainer``: study, grade, reveal, undo, edit, skip, demo, stats, help — whatever the screen offers."""

    def _commands(self) -> list[PaletteCommand]:
        return palette_commands(self.screen)

    async def discover(self) -> Hits:
        for c in self._commands():
            yield DiscoveryHit(c.title, partial(c.target.run_action, c.action), help=c.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for c in self._commands():
            score = matcher.match(c.title)
            if score > 0:
                yield Hit(score, matcher.highlight(c.title), partial(c.target.run_action, c.action), text=c.title, help=c.help)
        async for hit in self._deck_hits(query, matcher.match_style):
            yield hit

    async def _deck_hits(self, query: str, style) -> Hits:
        """On the overview, once the deck's notes are loaded: its best tags and cards for ``query``."""
        from trainer.tui.screens.overview import OverviewScreen

        screen = self.screen
        if not isinstance(screen, OverviewScreen) or not screen.book.loaded:
            return
        book = screen.book
        index = await deck_index(book)
        stop = threading.Event()
        try:
            tags, cards = await asyncio.to_thread(
                lambda: (index.tag_lines.find(query, stop=stop), index.card_lines.find(query, stop=stop)))
        finally:
            stop.set()  # (typed on: the palette cancelled this search; its thread ends at the next slice)
        for i, score in tags:
            tag = index.tags[i]
            name = tag_name(tag)
            yield Hit(score, highlighted(name, query, style), partial(choose_tag, screen, tag),
                      text=name, help=escape(tag_help(book, tag)))
        cells = max(20, min(CARD_CELLS, self.app.size.width - PALETTE_MARGIN))  # (one row at 60 columns too)
        for i, score in cards:
            note = index.notes[i]
            question = one_line(shown_question(note.question), cells) or one_line(note.rel, cells)
            yield Hit(score, highlighted(question, query, style), partial(study_card, screen, note.rel),
                      text=question, help=escape(card_help(book, note, cells)))


# ------------------------------------------------------------ the deck's tags and cards (overview)

DECK_HITS = 20
"""The best hits of each kind (tags, cards) shown for a query."""
SCAN_LIMIT = 2000
"""Lines looked at per kind and pass: a one-letter query matches nearly every line of a 100k deck,
and the best of the first ones is answer enough (typing on narrows it)."""
REGEX_SLICE = 1 << 18
"""Characters searched by one regex call (then the UI thread may take the GIL)."""
CARD_CELLS = 70
"""A card's question in the palette, cut to this many cells (a Chinese character takes two)."""
PALETTE_MARGIN = 6
"""Cells of the screen's width a palette line does not get (its borders and padding)."""
_WORD_EDGE = frozenset(" /-_.:()[]{}'\"`,;")
"""A match right after one of these (or at a line's start) starts a word or a tag's part."""


@dataclass(frozen=True, slots=True)
class SearchLines:
    """Casefolded lines joined by newlines: one ``str.find`` or regex search runs over all of them
    in C, not a Python loop a line (a 100k-note deck answers each key in milliseconds)."""

    text: str
    starts: tuple[int, ...]
    """Each line's offset in ``text``, and ``len(text)`` last."""

    @classmethod
    def of(cls, lines: Iterable[str]) -> SearchLines:
        folded = [" ".join(fold(line).split()) for line in lines]
        starts, at = [], 0
        for line in folded:
            starts.append(at)
            at += len(line) + 1
        starts.append(at)
        return cls("\n".join(folded) + "\n" if folded else "", tuple(starts))

    def __len__(self) -> int:
        return len(self.starts) - 1

    def line(self, i: int) -> str:
        return self.text[self.starts[i]:self.starts[i + 1] - 1]

    def _index(self, pos: int) -> int:
        return bisect_right(self.starts, pos) - 1

    def find(self, query: str, limit: int = DECK_HITS, stop: threading.Event | None = None) -> list[tuple[int, float]]:
        """(line, score below 1) of the lines that match ``query``, best first, at most ``limit``:
        lines holding every word of it (0.45–0.9: the whole line or a tag's last part first, then
        a word or a tag's part starting with each word, shorter lines first), then lines holding
        its letters in order (``attn``: ``attention``; under 0.45, the tightest first). ``stop``:
        set when the query is typed on (the search's answer is not wanted any more)."""
        words = query_words(query)
        if not words or not self.text:
            return []
        scores: dict[int, float] = {}
        anchor = words[0] if len(words) == 1 else min(words, key=lambda w: (self.text.count(w), -len(w)))
        # (the rarest word leads: ``kv cache 12`` looks at the lines with ``12``, not at the first
        # SCAN_LIMIT of thousands with ``cache``)
        pos, seen = self.text.find(anchor), 0
        while pos != -1 and seen < SCAN_LIMIT and not (stop and stop.is_set()):
            i = self._index(pos)
            line = self.line(i)
            if all(w in line for w in words):
                scores[i] = _substring_score(line, words, " ".join(words))
            seen += 1
            pos = self.text.find(anchor, self.starts[i + 1])
        letters = "".join(words)
        if len(scores) < limit and len(letters) > 1:
            pattern = re.compile(re.escape(letters[0]) + "".join(
                f"[^\\n{re.escape(c)}]*{re.escape(c)}" for c in letters[1:]))
            for seen, i in enumerate(self._lines_matching(pattern, stop)):
                if seen >= SCAN_LIMIT:
                    break
                if i not in scores:
                    line = self.line(i)
                    scores[i] = _fuzzy_score(line, *_tightest(line, letters) or (0, len(line)), len(letters))
        return nlargest(limit, scores.items(), key=lambda kv: (kv[1], -kv[0]))

    def _lines_matching(self, pattern: re.Pattern[str], stop: threading.Event | None) -> Iterator[int]:
        """Each line ``pattern`` matches in, searched a slice of lines at a time: a regex search
        holds the GIL until it returns (over 100k questions that match nothing, ~75 ms of a frozen
        UI), a slice ~3 ms; and a query typed on stops it (``stop``)."""
        text, pos, size = self.text, 0, len(self.text)
        while pos < size and not (stop and stop.is_set()):
            end = text.find("\n", min(pos + REGEX_SLICE, size - 1)) + 1 or size
            match = pattern.search(text, pos, end)
            if match is None:
                pos = end
                continue
            i = self._index(match.start())
            yield i
            pos = self.starts[i + 1]


def _starts_word(line: str, pos: int) -> bool:
    return pos == 0 or line[pos - 1] in _WORD_EDGE


def _substring_score(line: str, words: list[str], whole: str) -> float:
    """0.45–0.9: the whole line or a tag's last part is the query; each word starts a word; short."""
    score = 0.5
    if line == whole or line.rpartition("/")[2] == whole:
        score += 0.2
    if all(_starts_word(line, line.find(w)) for w in words):
        score += 0.2
    return score - min(len(line), 200) / 4000


def _fuzzy_score(line: str, start: int, end: int, letters: int) -> float:
    """0.05–0.4: below any line holding the query whole; its letters close together first."""
    score = 0.1 + 0.25 * letters / max(1, end - start)
    if _starts_word(line, start):
        score += 0.05
    return score - min(len(line), 200) / 4000


def _tightest(line: str, letters: str) -> tuple[int, int] | None:
    """(start, end) of the shortest stretch of ``line`` holding ``letters`` in order (a word's
    start preferred among equals): ``attn`` in ``transformer/attention`` is ``atten``, not the
    stretch from ``transformer``'s ``a``. ``None`` if the line does not hold them."""
    best: tuple[int, bool, int] | None = None
    at = line.find(letters[0])
    while at != -1:
        end = at + 1
        for c in letters[1:]:
            end = line.find(c, end)
            if end == -1:
                return None if best is None else (best[2], best[2] + best[0])
            end += 1
        key = (end - at, not _starts_word(line, at), at)
        if best is None or key < best:
            best = key
        at = line.find(letters[0], at + 1)
    return None if best is None else (best[2], best[2] + best[0])


def highlighted(display: str, query: str, style) -> Content:
    """``display`` with the query's words (or, failing them, its letters in order) in ``style``:
    matched here, not by Textual's fuzzy matcher, which reads the text as markup and tries every
    combination of positions (slow on a long question)."""
    from textual.content import Content

    folded, origins = fold_mapped(display)
    content = Content(display)
    words = query_words(query)
    spans = []
    for word in words:
        at = folded.find(word)
        if at == -1:
            spans = []
            break
        spans.append((at, at + len(word)))
    letters = "".join(words)
    if not spans and letters:
        stretch = _tightest(folded, letters)
        if stretch is None:
            return content
        at = stretch[0]
        for c in letters:
            at = folded.find(c, at)
            spans.append((at, at + 1))
            at += 1
    for start, end in spans:
        content = content.stylize(style, *shown_span(display, origins, start, end))
    return content


@dataclass(frozen=True, slots=True)
class DeckIndex:
    """The deck's tags and cards as searchable lines, for one :attr:`OpenDeck.version`."""

    version: int
    tags: tuple[str, ...]
    tag_lines: SearchLines
    notes: tuple[Note, ...]
    """The cards that can be studied (a broken note is listed in the overview's problems)."""
    card_lines: SearchLines

    @classmethod
    def build(cls, version: int, tags: list[str], notes: list[Note]) -> DeckIndex:
        """Made in a thread (100k tags and 100k questions: ~0.3 s), from snapshots taken on the UI thread."""
        cards = tuple(n for n in notes if not n.fatal)
        return cls(version, tuple(tags), SearchLines.of(tag_name(t) for t in tags), cards,
                   SearchLines.of(shown_question(n.question) for n in cards))


def shown_question(question: str) -> str:
    """A question as the palette shows it, its formulas as Unicode (``$\\alpha$``: ``α``): what is
    searched is what is shown, so every hit can be highlighted. A question with a formula is
    remembered (pylatexenc takes ~0.5 ms a formula; the index is built again after each grade)."""
    return _shown_with_math(question) if "$" in question else plain_math(question)


_shown_with_math = lru_cache(maxsize=1 << 16)(plain_math)


_indexes: WeakKeyDictionary[OpenDeck, tuple[int, asyncio.Future[DeckIndex]]] = WeakKeyDictionary()
"""Each open deck's index, built when the palette is first searched after a change of the deck."""


async def deck_index(book: OpenDeck) -> DeckIndex:
    """The deck's index for its current version: built off the UI thread, once (searches typed
    meanwhile wait for the same build)."""
    version = book.version
    cached = _indexes.get(book)
    if cached is None or cached[0] != version or not _usable(cached[1]):
        tags = list(book.figures().tags)
        future = asyncio.ensure_future(asyncio.to_thread(DeckIndex.build, version, tags, list(book.notes)))
        cached = _indexes[book] = (version, future)
    return await asyncio.shield(cached[1])


def _usable(build: asyncio.Future) -> bool:
    """Building, or built (a build that failed is tried again at the next search)."""
    return not build.done() or (not build.cancelled() and build.exception() is None)


def tag_name(tag: str) -> str:
    return "(untagged)" if tag == UNTAGGED else one_line(tag)


def due_text(note: Note, today: dt.date) -> str:
    """``new`` / ``due today`` / ``overdue 3 days`` / ``due in 5 days (2026-12-06)``."""
    s = note.schedule
    if s.is_new:
        return "new" if s.next_review <= today else f"new, from {s.next_review}"
    days = (s.next_review - today).days
    if days < 0:
        return f"overdue {plural(-days, 'day')}"
    when = "due today" if days == 0 else f"due in {plural(days, 'day')} ({s.next_review})"
    return f"reviewed today, {when}" if s.last_reviewed == today else when


def tag_help(book: OpenDeck, tag: str) -> str:
    """``tag · 14 cards · 9 to study``."""
    fig = book.figures().tags.get(tag) if book.counted else None
    if fig is None:
        return "tag"
    return f"tag · {plural(fig.cards, 'card')} · {fig.to_study} to study"


def card_help(book: OpenDeck, note: Note, cells: int = CARD_CELLS) -> str:
    """``card · due in 3 days (2026-11-28) · Transformer/Attention``, one line: when it is due, then
    its most specific tags (a tag that is a parent of another of its tags says nothing more)."""
    leaves = [t for t in note.tags if not any(o.startswith(t + "/") for o in note.tags)]
    return one_line(f"card · {due_text(note, book.today)} · {', '.join(leaves) if leaves else 'untagged'}", cells)


def choose_tag(screen: OverviewScreen, tag: str) -> None:
    """The tag highlighted in the overview's tree: Enter then studies it."""
    if not screen.book.counted or tag not in screen.book.figures().tags:  # (the deck changed meanwhile)
        screen.notify(f"{tag_name(tag)} is no longer a tag of the deck.", severity="warning", markup=False)
        return
    screen.select_tag(tag)


def study_card(screen: OverviewScreen, rel: str) -> None:
    """A session on this one card; a card not to study today (not due, reviewed today, a new card
    past today's limit) is shown all the same, with what a grade will do."""
    book: OpenDeck = screen.book
    note = book.note(rel)
    if note is None or note.fatal:
        screen.notify(f"{one_line(rel)} is no longer in the deck.", severity="warning", markup=False)
        return
    try:
        session = book.start_session([note], planned=())
    except TrainerError as exc:
        screen.notify(f"Cards cannot be graded: {exc}", severity="error", markup=False)
        return
    why = None
    if session.finished:
        from trainer.session import StudySession

        session = StudySession(book, [note])
        why = _why_not_today(note, book)
    from trainer.tui.screens.study import StudyScreen

    app = screen.app
    app.push_screen(StudyScreen(book, session, one_line(plain_math(note.question), 40)))
    if why is not None:  # (on the card's screen, at its top: not over the grade buttons)
        app.call_after_refresh(app.notify, why, title="Not to study today", timeout=8, markup=False)


def _why_not_today(note: Note, book: OpenDeck) -> str:
    s = note.schedule
    if s.last_reviewed == book.today:
        return "Reviewed today: a grade now is a re-drill (its schedule stays)."
    if s.next_review > book.today:
        what = "A new card from" if s.is_new else "Not due until"
        return f"{what} {s.next_review}: a grade now {'starts' if s.is_new else 'reviews'} it early."
    return f"A new card past today's limit of {book.new_per_day} new: a grade now starts it."
