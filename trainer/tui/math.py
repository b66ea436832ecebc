"""TeX in notes shown as readable Unicode (``$\\sqrt{d_k}$`` → ``√(d_k)``): terminals cannot typeset it."""

from __future__ import annotations

import re
from functools import lru_cache

_CODE = re.compile(r"(^ {0,3}(`{3,}|~{3,})[^\n]*\n.*?^ {0,3}\2[^\n]*$|`+[^`\n]*`+)", re.S | re.M)
_MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?=\S)([^$\n]*?\S)\$(?!\d)", re.S)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


@lru_cache(maxsize=1)
def _converter():
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text()


@lru_cache(maxsize=4096)
def tex_to_text(tex: str) -> str:
    """One formula as plain Unicode; the TeX itself if it cannot be read."""
    try:
        text = _converter().latex_to_text(tex)
    except Exception:  # pylatexenc is lenient, but a note is arbitrary input
        return tex
    return " ".join(text.split()) or tex


def _convert(m: re.Match[str]) -> str:
    display, inline = m.group(1), m.group(2)
    text = _MD_SPECIAL.sub(r"\\\1", tex_to_text(display if display is not None else inline))
    return f"\n\n{text}\n\n" if display is not None else text


def plain_math(text: str) -> str:
    """The same for a one-line plain title (no Markdown escaping)."""
    if "$" not in text:
        return text
    return _MATH.sub(lambda m: tex_to_text(m.group(1) if m.group(1) is not None else m.group(2)), text)


def readable_math(markdown: str) -> str:
    """Replace ``$…$`` and ``$$…$$`` outside code by Unicode text; code is left exactly as written."""
    if "$" not in markdown:
        return markdown
    out, last = [], 0
    for m in _CODE.finditer(markdown):
        out.append(_MATH.sub(_convert, markdown[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_MATH.sub(_convert, markdown[last:]))
    return "".join(out)
