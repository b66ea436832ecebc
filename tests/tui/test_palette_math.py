"""The palette finds a question by its formulas as a user types them: ``α``, ``alpha`` and ``\\alpha``
all find ``$\\alpha$`` (shown ``α``), ``sqrt`` and ``√`` find ``\\sqrt{d_k}`` (shown ``√(dₖ)``),
``qk^t`` finds ``$QK^T$`` (shown ``QKᵀ``); the match is highlighted on the characters shown, and
Chinese questions are found and highlighted as before."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from textual.style import Style
from tuihelp import TODAY, loaded, palette_hits

from trainer.tui.app import make_app, open_deck
from trainer.tui.commands import SearchLines, highlighted, shown_question
from trainer.tui.search_fold import fold, fold_mapped, query_words

STYLE = Style(bold=True)


def _spans(display: str, query: str) -> list[tuple[int, int]]:
    return [(s.start, s.end) for s in highlighted(display, query, STYLE).spans]


# ------------------------------------------------------------ the fold, over any text

_ANY = st.text(st.one_of(st.characters(codec="utf-8"), st.sampled_from("αβΣσς√∑ₖᵀ²ℝ𝐱x̂ŷ根号注意ＫＶｋｖ\\${}^_ ₜ₋₁ˣ³−")), max_size=40)


@given(_ANY)
def test_the_fold_keeps_where_each_character_came_from(text):
    folded, origins = fold_mapped(text)
    assert folded == fold(text)
    assert len(origins) == len(folded)
    assert origins == sorted(origins) and all(0 <= i < len(text) for i in origins)


@given(_ANY, _ANY)
def test_a_highlight_is_always_inside_the_text(display, query):
    for start, end in _spans(display, query):
        assert 0 <= start < end <= len(display)


# ------------------------------------------------------------ a question's own words find it

_PLAIN = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz"), min_size=1, max_size=8)
_CHINESE = st.text(st.sampled_from("为什么要除以根号缩放点积注意力多头层归一化"), min_size=1, max_size=6)
_FORMULAS = {
    # TeX in a question: (how a user may type it, the characters it is shown as)
    r"$\alpha$": (["alpha", "α", r"\alpha", r"$\alpha$"], "α"),
    r"$\beta_2$": (["beta_2", "β", "beta"], "β₂"),
    r"$\sqrt{d_k}$": (["sqrt", "√", r"\sqrt{d_k}", "d_k"], "√(dₖ)"),
    r"$QK^T$": (["qk^t", "QK^T", "$QK^T$", "qk"], "QKᵀ"),
    r"$\sum_i x_i$": (["sum", "∑", "x_i"], "∑ᵢ xᵢ"),
    r"$\lambda \le 1$": (["lambda", "λ", "<="], "λ ≤ 1"),
    r"$\mathbb{R}^n$": (["r^n"], "ℝⁿ"),
    r"$x_{t-1}$": (["x_{t-1}", "x_t", "t-1"], "xₜ₋₁"),  # (a script of several characters: one script)
    r"$e^{x}$": (["e^x", "e^{x}"], "eˣ"),
}


@st.composite
def _question(draw):
    """(the question as written, [(a word a user types for a piece of it, what it is shown as)])."""
    pieces = draw(st.lists(st.one_of(
        _PLAIN.map(lambda w: (w, [w], w)),
        _CHINESE.flatmap(lambda w: st.integers(0, len(w) - 1).flatmap(
            lambda i: st.integers(i + 1, len(w)).map(lambda j: (w, [w[i:j]], w[i:j])))),
        st.sampled_from(sorted(_FORMULAS)).map(lambda tex: (tex, *_FORMULAS[tex])),
    ), min_size=1, max_size=6))
    question = " ".join(p[0] for p in pieces)
    typed = [(draw(st.sampled_from(ways)), shown) for _, ways, shown in pieces]
    return question, typed


@settings(max_examples=150, deadline=None)
@given(_question(), st.lists(_question(), max_size=5), st.data())
def test_a_query_of_a_questions_own_words_finds_it_and_highlights_them(asked, others, data):
    question, typed = asked
    chosen = data.draw(st.lists(st.sampled_from(typed), min_size=1, max_size=3, unique=True))
    query = " ".join(word for word, _ in chosen)
    lines = SearchLines.of(shown_question(q) for q in [q for q, _ in others] + [question])
    target = len(lines) - 1
    assert target in [i for i, _ in lines.find(query, limit=len(lines))]
    display = shown_question(question)
    spans = _spans(display, query)
    assert spans and all(0 <= s < e <= len(display) for s, e in spans)
    for word in query_words(query):  # each word typed lands on characters of the question that hold it
        assert any(word in fold(display[s:e]) for s, e in spans), (word, display, spans)


def test_a_script_of_several_characters_is_found_as_typed():
    """``x_{t-1}`` is shown ``xₜ₋₁``, folded as ``x_t-1`` (not ``x_t_-_1``: typed ``x_{t-1}`` found
    nothing); ``\\sum_{i=1}^{d_k}`` typed whole finds its ``∑ᵢ₌₁^{dₖ}``."""
    display = shown_question(r"Why $h_{t-1}$, $\sum_{i=1}^{d_k}$ and $e^{x}$?")
    assert display == "Why hₜ₋₁, ∑ᵢ₌₁^{dₖ} and eˣ?"
    assert fold(display) == "why h_t-1, sum_i=1^{d_k} and e^x?"
    lines = SearchLines.of([display])
    for query in ("h_{t-1}", "t-1", r"\sum_{i=1}^{d_k}", "i=1", "e^{x}", "e^x"):
        assert [i for i, _ in lines.find(query)] == [0], query
    assert [display[s:e] for s, e in _spans(display, "h_{t-1}")] == ["hₜ", "ₜ₋₁"]  # (h_ and t-1)
    assert [display[s:e] for s, e in _spans(display, "i=1")] == ["ᵢ₌₁"]
    assert fold("dₖ") == "d_k" and fold("x²³") == "x^23" and fold("xᵢ²") == "x_i^2"  # (kinds apart)


def test_the_formulas_words_light_up_what_is_shown():
    display = shown_question(r"Why scale $QK^T$ by $\frac{1}{\sqrt{d_k}}$ and not by $\alpha$?")
    assert display == "Why scale QKᵀ by 1/√(dₖ) and not by α?"

    def lit(query):
        return ["".join(display[s:e]) for s, e in _spans(display, query)]

    assert lit("alpha") == lit("α") == lit(r"\alpha") == ["α"]
    assert lit("sqrt") == lit("√") == ["√"]
    assert lit("qk^t") == lit("$QK^T$") == ["QKᵀ"]
    assert lit("d_k") == ["dₖ"]
    assert lit("lph") == ["α"]  # part of a letter's name: the whole letter
    assert lit("kv") == []


# ------------------------------------------------------------ the real palette

def _styled(hit) -> list[str]:
    """The stretches of a hit's prompt that carry a style (the highlighted match)."""
    prompt = hit.match_display
    return [prompt.plain[s.start:s.end] for s in prompt.spans]


async def test_the_palette_finds_formulas_by_what_a_user_types(tmp_path, seed, write_note):
    root = tmp_path / "deck"
    write_note(root / "lr.md", seed(r"What does $\alpha$ do in Adam's update?", tags=("Training",)))
    write_note(root / "scale.md", seed(r"Why divide $QK^T$ by $\sqrt{d_k}$?", tags=("Transformer",)))
    write_note(root / "zh.md", seed(r"为什么要除以 $\sqrt{d_k}$？", tags=("Transformer/注意力机制",)))
    write_note(root / "plain.md", seed("What is a KV cache?", tags=("Inference",)))
    app = make_app(open_deck(root, TODAY, None))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)

        async def found(query: str) -> dict:
            hits = {h.text: h for h in await palette_hits(pilot, query)}
            await pilot.press("escape")
            await pilot.pause()
            return hits

        for query in ("α", "alpha", r"\alpha"):
            hits = await found(query)
            assert _styled(hits["What does α do in Adam's update?"]) == ["α"], query
            assert "What is a KV cache?" not in hits
        for query in ("sqrt", "√"):
            hits = await found(query)
            assert _styled(hits["Why divide QKᵀ by √(dₖ)?"]) == ["√"], query
            assert _styled(hits["为什么要除以 √(dₖ)？"]) == ["√"], query
            assert "What does α do in Adam's update?" not in hits
        hits = await found("qk^t d_k")
        assert _styled(hits["Why divide QKᵀ by √(dₖ)?"]) == ["QKᵀ", "dₖ"]
        hits = await found("除以 根号")  # (根号 is in no question: Chinese words still all count)
        assert "为什么要除以 √(dₖ)？" not in hits
        hits = await found("除以")
        assert _styled(hits["为什么要除以 √(dₖ)？"]) == ["除以"]
        assert "Transformer/注意力机制" not in hits
        hits = await found("注意")
        assert _styled(hits["Transformer/注意力机制"]) == ["注意"]
