"""Text from notes on its way to a terminal: control characters shown, never sent raw (SPEC §5)."""

from __future__ import annotations

import re

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


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_safe(text: str) -> str:
    """JSON text (control characters already escaped by ``json.dumps``) minus raw C1/bidi characters."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
