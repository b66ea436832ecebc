"""Does a typed answer cover a key point? Transparent rules, so the user sees exactly why.

A point is **covered** when

1. the answer contains one of its bold terms — every content unit of the term is in the answer
   (a term with no content units, say ``**Q**``, must appear as written, case ignored); or
2. the answer contains enough of the point's content units: ``WORD_SHARE`` (half) of its
   English stems plus ``BIGRAM_SHARE`` (a quarter) of its CJK bigrams, rounded up, and at least
   ``MIN_UNITS`` (or all, if the point has fewer). Bigrams overlap, so a Chinese phrase said in
   other words keeps far fewer of them than an English paraphrase keeps stems: hence the lower share.

Content units: English (any non-CJK letters and digits) by Snowball word stem, lower-cased,
stopwords, one-character words and TeX commands (``\\times``) dropped; Chinese/Japanese by overlapping character bigrams
of each CJK run (a run of one character is a unit by itself), bigrams with a function
character (的 了 是 在 与 及 也 都 就 着 把 被) dropped.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from trainer.interview.keypoints import KeyPoint

WORD_SHARE = 0.5
"""Share of a point's English stems the answer must contain (without a bold term)…"""
BIGRAM_SHARE = 0.25
"""…plus this share of its CJK bigrams."""
MIN_UNITS = 2
"""…and at least this many of them (all of them when the point has fewer)."""

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"\\[A-Za-z]+|([{_CJK}]+)|([^\W_{_CJK}]+)")
"""A TeX command (``\\times``) is skipped whole; then CJK runs; then words of other scripts."""

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each else few for from further had has
    have having he her here hers him his how however i if in into is it its itself just let me more most my
    no nor not now of off on once one only or other our ours out over own same she should so some such than
    that the their theirs them then there these they this those through thus to too under until up us very
    via was we were what when where which while who whom why will with would yet you your""".split()
)
CJK_STOP_CHARS = frozenset("的了是在与及也都就着把被")

_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str | None:
    w = unicodedata.normalize("NFKC", word).casefold()
    if len(w) < 2 or w in STOPWORDS:
        return None
    return _stemmer.stemWord(w)


@dataclass(frozen=True, slots=True)
class Units:
    """A text's content units, each with where it occurs (start, end) in the text."""

    where: dict[str, list[tuple[int, int]]]

    def __contains__(self, unit: str) -> bool:
        return unit in self.where


def units(text: str) -> Units:
    where: dict[str, list[tuple[int, int]]] = {}
    stop = CJK_STOP_CHARS
    for m in _TOKEN.finditer(text):
        cjk = m.group(1)
        start = m.start()
        if cjk is None:
            if m.group(2) is None:
                continue  # a TeX command
            u = _stem(m.group(2))
            if u is not None:
                where.setdefault(u, []).append((start, m.end()))
        elif len(cjk) == 1:
            if cjk not in stop:
                where.setdefault(cjk, []).append((start, start + 1))
        else:
            for i in range(len(cjk) - 1):
                pair = cjk[i : i + 2]
                if pair[0] in stop or pair[1] in stop:
                    continue
                where.setdefault(pair, []).append((start + i, start + i + 2))
    return Units(where)


def _ordered_units(text: str) -> list[str]:
    return list(units(text).where)


@dataclass(frozen=True, slots=True)
class PointMatch:
    """How one key point fared against the answer."""

    point: KeyPoint
    covered: bool
    how: str
    """``bold`` (a bold term was said), ``words`` (enough content units), or ``""`` (missed)."""
    matched: tuple[str, ...]
    """The answer's words that matched, as typed (for a missed point: the partial match)."""
    spans: tuple[tuple[int, int], ...]
    """Where those words are in the answer (merged, sorted): what the feedback highlights."""
    found: int
    """Content units of the point found in the answer…"""
    needed: int
    """…and how many the words rule needs."""
    total: int


def _is_cjk(unit: str) -> bool:
    return "\u3040" <= unit[0]


def needed_units(want: list[str]) -> int:
    """The words rule's threshold for a point with these content units."""
    cjk = sum(map(_is_cjk, want))
    share = WORD_SHARE * (len(want) - cjk) + BIGRAM_SHARE * cjk
    return min(len(want), max(MIN_UNITS, math.ceil(round(share, 9))))


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _words(answer: str, first: list[tuple[int, int]], every: list[tuple[int, int]]) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    """The matched words as typed (each unit's first occurrence) and every span to highlight."""
    return tuple(dict.fromkeys(answer[s:e] for s, e in _merge(first))), tuple(_merge(every))


def _bold_spans(term: str, answer: str, have: Units) -> tuple[list, list] | None:
    """(first occurrences, every occurrence) of the term's units in the answer, if all are there."""
    need = _ordered_units(term)
    if need:
        if all(u in have for u in need):
            return [have.where[u][0] for u in need], [span for u in need for span in have.where[u]]
        return None
    m = re.search(re.escape(term), answer, re.IGNORECASE)
    return ([m.span()], [m.span()]) if m else None


def match_point(point: KeyPoint, answer: str, have: Units) -> PointMatch:
    want = _ordered_units(point.text)
    hit = [u for u in want if u in have]
    need = needed_units(want)
    for term in point.bold:
        found = _bold_spans(term, answer, have)
        if found:
            words, merged = _words(answer, *found)
            return PointMatch(point, True, "bold", words, merged, len(hit), need, len(want))
    covered = bool(want) and len(hit) >= need
    words, merged = _words(answer, [have.where[u][0] for u in hit], [span for u in hit for span in have.where[u]])
    return PointMatch(point, covered, "words" if covered else "", words, merged, len(hit), need, len(want))


def match_answer(points: list[KeyPoint], answer: str) -> list[PointMatch]:
    """Every point against one answer (the answer is cut into units once)."""
    have = units(answer)
    return [match_point(p, answer, have) for p in points]


def covered_spans(matches: list[PointMatch]) -> list[tuple[int, int]]:
    """The answer's spans that covered some point (for highlighting)."""
    return _merge([s for m in matches if m.covered for s in m.spans])
