"""TeX in notes shown as readable Unicode (``$\\sqrt{d_k}$`` → ``√(d_k)``): terminals cannot typeset it."""

from __future__ import annotations

import re
from functools import lru_cache

from trainer.textsafe import CODE, MATH, outside, unescaped

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


@lru_cache(maxsize=1)
def _converter():
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text()


@lru_cache(maxsize=4096)
def tex_to_text(tex: str) -> str:
    """One formula as plain Unicode; the TeX itself if it cannot be read.

    Sub- and superscripts keep their grouping (pylatexenc drops the braces, so
    ``\\sum_{i=1}^{d_k}`` would read ``∑_i=1^d_k``): each becomes Unicode script characters
    where every character has one (``∑ᵢ₌₁``), else keeps its braces (``^{dₖ}``).
    """
    scripts: list[str] = []
    try:
        text = _converter().latex_to_text(_take_scripts(tex, scripts))
    except Exception:  # pylatexenc is lenient, but a note is arbitrary input
        return tex
    text = _SLOT.sub(lambda m: scripts[int(m.group(1))], text)
    return " ".join(text.split()) or tex


_SUPER = dict(zip("0123456789+-−=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWβγδθφχ⊤",
                  "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵝᵞᵟᶿᵠᵡᵀ"))
_SUB = dict(zip("0123456789+-−=()aehijklmnoprstuvxβγρφχ", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ"))
_SLOT = re.compile("\ue000(\\d+)\ue001")


def _script(mark: str, body: str, grouped: bool) -> str:
    """``_`` or ``^`` with its argument already as text: script characters, else the plain form."""
    table = _SUB if mark == "_" else _SUPER
    squeezed = body.replace(" ", "")
    if squeezed and all(c in table for c in squeezed):
        return "".join(table[c] for c in squeezed)
    return f"{mark}{{{body}}}" if grouped and len(squeezed) > 1 else f"{mark}{body}"


@lru_cache(maxsize=512)
def _takes_arguments(name: str) -> bool:
    """``\\sqrt 2`` takes the 2 (an empty group after it would take its place); ``\\log p`` takes nothing."""
    from pylatexenc.latexwalker import get_default_latex_context_db

    spec = get_default_latex_context_db().get_macro_spec(name)
    return spec is not None and bool(spec.args_parser.argspec)


@lru_cache(maxsize=512)
def _is_symbol(name: str) -> bool:
    """``\\cdot`` is a sign, not a word: the space after it is kept only when one stands before it too
    (``q\\cdot k`` read ``q· k``; ``a \\cdot b`` still reads ``a · b``, ``\\log p`` still ``log p``)."""
    try:
        text = _converter().latex_to_text("\\" + name).strip()
    except Exception:  # pylatexenc is lenient, but a note is arbitrary input
        return False
    return bool(text) and not any(c.isalnum() for c in text)


def _take_scripts(tex: str, scripts: list[str]) -> str:
    """Every ``_x`` / ``^{…}`` of ``tex`` replaced by a slot holding its text (filled in after conversion)."""
    out: list[str] = []
    i, n = 0, len(tex)
    while i < n:
        c = tex[i]
        if c == "\\" and i + 1 < n:  # an escaped character or a command: copied as it is
            j = i + 2
            while j < n and tex[i + 1].isalpha() and tex[j].isalpha():
                j += 1
            out.append(tex[i:j])
            if (j < n and tex[j] in " \t\n" and tex[i + 1].isalpha() and not _takes_arguments(tex[i + 1:j])
                    and (i > 0 and tex[i - 1] in " \t\n" or not _is_symbol(tex[i + 1:j]))):
                out.append("{}")  # pylatexenc, as TeX, eats the space after a name: `\log p` read `logp`
            i = j
            continue
        if c not in "_^" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        j = i + 1
        while j < n and tex[j] == " ":
            j += 1
        if j >= n:
            out.append(tex[i:])
            break
        if tex[j] == "{":
            depth, k = 0, j
            while k < n:
                depth += tex[k] == "{"
                depth -= tex[k] == "}"
                if depth == 0:
                    break
                k += 1
            if k >= n:  # unbalanced: leave it to pylatexenc
                out.append(tex[i:])
                break
            arg, grouped, i = tex[j + 1:k], True, k + 1
        elif tex[j] == "\\":
            k = j + 1
            while k < n and tex[k].isalpha():
                k += 1
            arg, grouped, i = tex[j:max(k, j + 2)], False, max(k, j + 2)
        else:
            arg, grouped, i = tex[j], False, j + 1
        scripts.append(_script(c, tex_to_text(arg) if arg.strip() else arg, grouped))
        out.append(f"\ue000{len(scripts) - 1}\ue001")
    return "".join(out)


def _convert(m: re.Match[str]) -> str:
    display, inline = m.group(1), m.group(2)
    text = _MD_SPECIAL.sub(r"\\\1", tex_to_text(display if display is not None else inline))
    return f"\n\n{text}\n\n" if display is not None else text


def plain_math(text: str) -> str:
    """The same for a one-line plain title (no Markdown escaping), and markdown's backslash escapes
    outside code taken out (:func:`trainer.textsafe.unescaped`): ``List\\<T>`` reads ``List<T>``,
    as the card shows it."""
    if "$" in text:
        text = MATH.sub(lambda m: tex_to_text(m.group(1) if m.group(1) is not None else m.group(2)), text)
    return unescaped(text)


def readable_math(markdown: str) -> str:
    """Replace ``$…$`` and ``$$…$$`` outside code by Unicode text; code is left exactly as written."""
    if "$" not in markdown:
        return markdown
    return outside(markdown, CODE, lambda part: MATH.sub(_convert, part))
