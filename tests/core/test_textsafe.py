"""Cutting text to terminal cells: one helper for the CLI's tables and the TUI's labels."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from trainer.textsafe import fit_cells


def test_a_wide_character_is_never_cut_in_half():
    assert fit_cells("注意力机制的计算", 7, cell_len) == "注意力…"
    assert fit_cells("attention", 9, cell_len) == "attention"
    assert fit_cells("attention is", 6, cell_len) == "atten…"


@given(st.text(alphabet=st.sampled_from("ab 注意力機制-🙂"), max_size=30), st.integers(min_value=1, max_value=40))
def test_the_cut_text_fits_and_keeps_its_start(text, limit):
    out = fit_cells(text, limit, cell_len)
    assert cell_len(out) <= limit
    assert out == text or (out.endswith("…") and text.startswith(out[:-1]))
