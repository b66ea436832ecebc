"""Text from notes on its way to a terminal: control characters shown, never sent raw (SPEC §5)."""

from __future__ import annotations

import re
from typing import Callable

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_NO_NL = re.compile("[\x00-\x09\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def strip_controls(text: str) -> str:
    """The same characters removed instead of shown (for widgets, where ``\\x1b`` would be noise)."""
    return _CONTROL.sub("", text)


def clean(text: str, *, keep_newlines: bool = False) -> str:
    """Escape C0/C1 controls (ESC, CSI, BEL…) and bidi overrides as visible ``\\x1b``-style text.

    With ``keep_newlines`` newlines and tabs pass (for multi-line output such as JSON).
    """
    if keep_newlines:
        return _CONTROL.sub(_escape, text)
    return _CONTROL_NO_NL.sub(_escape, text)


# C1 controls and bidi overrides, which JSON allows raw but a terminal acts on, as their UTF-8
# bytes: in valid UTF-8 these lead bytes never occur inside another character. One pattern per
# lead sequence: a literal prefix lets the regex engine skip ahead (4 searches of a 16 MB
# output take a third of the time of one alternation).
_JSON_UNSAFE_UTF8 = [(lead, re.compile(p)) for lead, p in (
    (b"\x7f", rb"\x7f"), (b"\xc2", rb"\xc2[\x80-\x9f]"), (b"\xe2\x80", rb"\xe2\x80[\xa8-\xae]"),
    (b"\xe2\x81", rb"\xe2\x81[\xa6-\xa9]"))]


def _escape_utf8(m: re.Match[bytes]) -> bytes:
    return b"\\u%04x" % ord(m.group().decode("utf-8"))


def json_safe_bytes(blob: bytes) -> bytes:
    """UTF-8 JSON (control characters already escaped by the encoder) minus raw C1/bidi characters."""
    for lead, pattern in _JSON_UNSAFE_UTF8:  # bytes.find (memchr) rules most out before the regex runs
        if lead in blob and pattern.search(blob):
            blob = pattern.sub(_escape_utf8, blob)
    return blob


def fit_cells(text: str, limit: int, cell_len: Callable[[str], int]) -> str:
    """``text`` cut to ``limit`` terminal cells with an ellipsis, never half a wide (Chinese) character.

    ``cell_len`` measures a string in cells (rich's, passed in: the core does not import rich)."""
    if cell_len(text) <= limit:
        return text
    out, used = [], 0
    for ch in text:
        w = cell_len(ch)
        if used + w > limit - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"



CODE = re.compile(r"(^ {0,3}(`{3,}|~{3,})[^\n]*\n.*?^ {0,3}\2[^\n]*$|`+[^`\n]*`+)", re.S | re.M)
"""Markdown's code, fenced blocks and inline spans: text it shows as it is."""
MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?=\S)([^$\n]*?\S)\$(?!\d)", re.S)
"""A formula, ``$…$`` or ``$$…$$`` (not ``$5 and $6``): TeX, shown by the app as Unicode text."""
_AS_IS = re.compile(f"{CODE.pattern}|{MATH.pattern}", re.S | re.M)
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
"""A backslash escape of CommonMark: ASCII punctuation shown as it is."""
_MARKUP_START = re.compile(r"(\\?)(<(?=[A-Za-z/!?])|&(?:([A-Za-z][A-Za-z0-9]*);|#[0-9]+;|#[xX][0-9A-Fa-f]+;))")
"""A ``<`` that would open an HTML tag, comment or autolink in markdown, an ``&`` that would start an
entity (a name, group 3, or a number); group 1: the backslash before it, if any."""


def outside(text: str, pattern: re.Pattern[str], change: Callable[[str], str]) -> str:
    """``text`` with ``change`` applied to the parts between ``pattern``'s matches, the matches as they are."""
    out, last = [], 0
    for m in pattern.finditer(text):
        out.append(change(text[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(change(text[last:]))
    return "".join(out)


def unescaped(line: str) -> str:
    """A line of markdown (a note's question) as the text it shows: CommonMark's backslash escapes
    outside code taken out (``List\\<T>``, as an Anki import writes it, reads ``List<T>``)."""
    if "\\" not in line:
        return line
    return outside(line, CODE, lambda part: _ESCAPED.sub(r"\1", part))


def _starts_markup(m: re.Match[str]) -> bool:
    from html.entities import html5

    return m.group(3) is None or m.group(3) + ";" in html5


def markup_escaped(text: str) -> str:
    """Text shown as it is in markdown too: a backslash before each ``<`` or ``&`` that markdown would
    read as HTML (``List<T>`` would read ``List``), outside code and formulas, which show as they are."""
    def mark(part: str) -> str:
        return _MARKUP_START.sub(lambda m: m.group(0) if m.group(1) or not _starts_markup(m) else "\\" + m.group(0), part)

    return outside(text, _AS_IS, mark) if "<" in text or "&" in text else text


def markup_unescaped(text: str) -> str:
    """:func:`markup_escaped` undone: the backslash before such a ``<`` or ``&`` outside code and
    formulas taken out (what a note imported before those backslashes holds)."""
    def unmark(part: str) -> str:
        return _MARKUP_START.sub(lambda m: m.group(2) if m.group(1) and _starts_markup(m) else m.group(0), part)

    return outside(text, _AS_IS, unmark) if "\\" in text else text  # (every note of the deck, at each import)
