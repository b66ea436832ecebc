"""Line breaks at any CJK character, as Chinese and Japanese text is set (UAX #14), not only at spaces.

Rich (and Textual's ``Content``, which uses Rich's ``divide_line``) breaks lines between
whitespace-separated words only, so a run of Chinese is one "word": a mixed line such as
``Attention 的计算复杂度是 O(n²d)，因为…`` ended half-way and the whole run moved down.
:func:`install` makes each CJK character a word of its own, with the kinsoku rules of CJK
typesetting: closing punctuation (``，。）``, and ASCII ``)]}`` and ``,.;:!?`` after CJK) stays with the
character before it, so it never starts a line, and opening punctuation (``（「“``, and ASCII ``( [ {`` before CJK) goes with
what follows, so it never ends one. ASCII ``"``/``'`` open and close alike: they count as
opening only after a space, the start, another opening mark or ``：，、；:,;``. ``textual`` is
pinned exactly, so the Rich it brings is known; a test guards the behaviour.
"""

from __future__ import annotations

import re

from trainer.textsafe import CODE, outside

_CJK = ("\u2e80-\u2fff\u3000-\u30ff\u3100-\u312f\u31a0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
        "\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef")
_NO_LINE_START = ")]}，。、；：！？）」』】〉》〕”’…·％\uff0c\uff0e\uff1a\uff1b\uff01\uff1f\uff09\u3001\u3002"
_NO_LINE_END = "（［｛「『“‘《〈【〔〖｟｢([{"
_QUOTE_OPENS_AFTER = "：，、；:,;"
_CLOSE, _OPEN, _AFTER = (re.escape(marks) for marks in (_NO_LINE_START, _NO_LINE_END, _QUOTE_OPENS_AFTER))
_ATOM = rf"(?:[^\s{_CJK}]+|\u3000|(?!\s).)"
"""A run of anything but spaces and CJK, else one CJK character: the ideographic space (the one
space among them), or what is left once the run and a space are ruled out. The CJK class is written once: each use of it costs ~2 ms to compile (its
~40,000 characters are set one by one), at the app's start."""
_GLUE = rf"(?:(?<=[{_OPEN}])|(?<=[\"'])(?<![^\s{_OPEN}{_AFTER}][\"']))"
"""Just after an opening mark: what follows is part of the same word."""
_TRAIL = rf"(?:[{_CLOSE}]|[,.;:!?](?![A-Za-z0-9]))*"
"""The closing marks after a word, ASCII ``,.;:!?`` too when no letter or digit follows (``矩阵, 对称``
broke before its comma; ``.5`` and ``.NET`` after Chinese stay words of their own)."""
WORD = re.compile(rf"\s*{_ATOM}(?:{_GLUE}{_ATOM})*{_TRAIL}\s*")
"""A word for line breaking: one CJK character or a run of anything else, joined to the next one
while it ends with an opening mark, with the closing marks after it and its trailing spaces."""


class _CompiledWhenUsed:
    """A pattern compiled at its first match: the text box's chunks are needed only once an
    answer is typed, and compiling them cost the first frame ~4 ms."""

    def __init__(self, source: str) -> None:
        self.pattern = source
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str):
        if self._compiled is None:
            self._compiled = re.compile(self.pattern)
        return getattr(self._compiled, name)


CHUNK = _CompiledWhenUsed(rf"{WORD.pattern}|\s+")
""":data:`WORD`, or a run of spaces alone (a text box's line may hold only spaces): the chunks
Textual's text box wraps between (``textual._wrap.re_chunk``: a word and its spaces, or spaces)."""


def install() -> None:
    """Use :data:`WORD` wherever Rich divides a line, and in Textual's text box (idempotent): a
    typed Chinese answer wraps at cell width too, not only at its spaces."""
    from rich import _wrap
    from textual import _wrap as text_box_wrap

    _wrap.re_word = WORD
    text_box_wrap.re_chunk = CHUNK


_WIDE = _CompiledWhenUsed(f"[{_CJK.replace(chr(0xac00) + '-' + chr(0xd7af), '')}]")
"""A CJK character but Hangul: Korean puts spaces between its words, so a break there is a space."""
_WIDE_MARK = re.compile("[\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]")
"""Full-width punctuation (``，。、；：！？）」``)."""
_HEADING = re.compile(r" {0,3}#{1,6}(?:[ \t]|$)")
_INDENTED = re.compile(r" {4}| {0,3}\t")
"""A line indented as code (or deep in a nested list): its breaks are left alone."""
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
"""A code fence: its block's lines are shown as they are (an unclosed one runs to the note's end)."""


def _joins(before: str, after: str) -> bool:
    """Whether the break between a line ending ``before`` and one starting ``after`` (its indent
    taken off) is a soft break that Chinese typesetting drops."""
    if not before or not after or _HEADING.match(before):
        return False
    if "|" in before or "|" in after:  # a table's row, leading pipe or not: joined, two rows read as one
        return False
    last, first = before[-1], after[0]
    if _WIDE.fullmatch(last):
        if _WIDE.fullmatch(first):
            return True
        return bool(_WIDE_MARK.fullmatch(last)) and (_word_start(after)
                                                    or first == "$" and not after.startswith("$$"))
    return False


_ORDERED = re.compile(r"\d{1,9}[.)](?:[ \t]|$)")
"""An ordered list's marker (``1. ``): a number that starts a block, not a word."""


def _word_start(after: str) -> bool:
    """``after`` starts with an ASCII letter or a number (``2018 年``), not a list's ``1. ``."""
    first = after[0]
    return first.isascii() and (first.isalpha() or first.isdigit() and not _ORDERED.match(after))


def _join_lines(part: str) -> str:
    lines = part.split("\n")
    out = [lines[0]]
    for line in lines[1:]:
        after = line.lstrip(" \t")
        if not _INDENTED.match(line) and not _INDENTED.match(out[-1]) and _joins(out[-1], after):
            out[-1] += after
        else:
            out.append(line)
    return "\n".join(out)


def join_soft_breaks(markdown: str) -> str:
    """Markdown with its CJK soft line breaks removed, code left as it is: a note wrapped in its
    editor read ``…=1。 dₖ 个独立项`` on the card (a space after the full stop), where Chinese
    typesetting joins the lines (CSS Text 3's segment-break rule for wide characters). A break
    after trailing spaces (a hard break), after a heading, beside a line indented as code, or
    before a list marker, a quote, or beside a line holding ``|`` (a table's row: ``注意力 | 机制``) stays."""
    if "\n" not in markdown:
        return markdown
    parts: list[str] = []
    prose: list[str] = []
    fence = None
    for line in markdown.split("\n"):  # fenced blocks by markdown's rule (CODE misses an unclosed one)
        if fence is None:
            m = _FENCE.match(line)
            if m is None:
                prose.append(line)
                continue
            fence = m.group(1)
            if prose:
                parts.append(outside("\n".join(prose), CODE, _join_lines))
                prose = []
        elif re.fullmatch(rf" {{0,3}}{fence[0]}{{{len(fence)},}}[ \t]*", line):
            fence = None
        parts.append(line)
    if prose:
        parts.append(outside("\n".join(prose), CODE, _join_lines))
    return "\n".join(parts)
