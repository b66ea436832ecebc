"""TeX in notes is shown as readable Unicode; code and prices are left alone."""

from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.tui.math import plain_math, readable_math


def test_inline_formula_becomes_unicode():
    assert readable_math(r"除以 $\sqrt{d_k}$？") == "除以 √(dₖ)？"
    assert plain_math(r"除以 $\sqrt{d_k}$？") == "除以 √(dₖ)？"


def test_scripts_keep_their_grouping():
    """Script characters where every character has one, else the braces stay: never ``∑_i=1^d_k``."""
    assert plain_math(r"$\sum_{i=1}^{d_k} q_i k_i$") == "∑ᵢ₌₁^{dₖ} qᵢ kᵢ"
    assert plain_math(r"$\frac{QK^T}{\sqrt{d_k}}$") == "QKᵀ/√(dₖ)"
    assert plain_math(r"$W^Q$ and $10^{-4}$") == "W^Q and 10⁻⁴"
    assert plain_math(r"$p_{\theta}(y)$") == "p_θ(y)"
    assert readable_math(r"$x_{ij}^{(l)}$") == "xᵢⱼ⁽ˡ⁾"


def test_the_space_after_a_name_is_kept():
    """pylatexenc, as TeX, ate the space after a command: ``\\log p`` read ``logp`` and
    ``2 \\times n`` read ``2 ×n`` on the bundled deck's cards; a command's argument still follows it."""
    assert plain_math(r"$\sum_{t}\log p(x_t)$") == "∑ₜlog p(xₜ)"
    assert plain_math(r"$2 \times n_{layers} \times d$") == "2 × n_{layers} × d"
    assert plain_math(r"$a \cdot b$, $x \in S$") == "a · b, x ∈ S"
    assert plain_math(r"$\sqrt 2$ $\frac 1 2$ $\mathcal L$") == "√(2) 1/2 ℒ"


def test_a_sign_is_spaced_alike_on_both_sides():
    """``q\\cdot k`` read ``q· k`` and ``d\\times d_k`` read ``d× dₖ`` on the bundled deck's cards:
    the space kept after a name is kept after a sign only when one stands before it."""
    assert plain_math(r"$q\cdot k$ and $d\times d_k$") == "q·k and d×dₖ"
    assert plain_math(r"$\mathrm{Var}(q\cdot k/\sqrt{d_k})=1$") == "Var(q·k/√(dₖ))=1"
    assert plain_math(r"$x\in S$, $x \in S$, $\cdot k$") == "x∈S, x ∈ S, ·k"
    assert plain_math(r"$\alpha x$ $\log p$") == "α x log p"  # a letter or a word keeps its space


def test_display_formula_is_its_own_paragraph():
    out = readable_math("a\n$$\\frac{A}{B}$$\nb")
    assert "\n\nA/B\n\n" in out


def test_code_is_never_touched():
    src = "x `$\\alpha$` y\n```python\ns = '$\\beta$'\n```\n~~~\n$\\gamma$\n~~~\n"
    assert readable_math(src) == src


def test_dollar_amounts_are_not_math():
    assert readable_math("costs $5 and $10 today") == "costs $5 and $10 today"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_is_handled(text):
    out = readable_math(text)
    assert isinstance(out, str)
    if "$" not in text:
        assert out == text


def test_a_plain_title_takes_out_markdowns_backslash_escapes_outside_code():
    # As an Anki import writes a type it showed as it is (trainer.importers.anki.as_written).
    assert plain_math(r"What does List\<T> mean? \&amp; \*args") == "What does List<T> mean? &amp; *args"
    assert plain_math(r"`a\<b` and \<div>") == r"`a\<b` and <div>"  # code as written
    assert plain_math(r"costs \$5, $\sqrt{d_k}$") == "costs $5, √(dₖ)"  # an escaped $ is no formula
    assert plain_math(r"C:\\Users \n") == r"C:\Users \n"  # a backslash escaped; \n is no escape
