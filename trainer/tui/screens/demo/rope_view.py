"""The rope-relative view: RoPE vs additive-PE score matrices, and angles past the training length."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static

from trainer.demos import rope
from trainer.tui.screens.demo.base import LadderView, hbar
from trainer.tui.widgets.demo_predict import Prediction
from trainer.tui.widgets.heatmap import Heatmap

__all__ = ["RopeView"]

N_SHOW = 8


class RopeView(LadderView):
    LADDER = rope.SCALES
    index: reactive[int] = reactive(LADDER.index(4), init=False)

    def __init__(self, seed: int = 0, *, autoplay: bool = False) -> None:
        super().__init__(seed, autoplay=autoplay, id="rope-view")
        self.result = rope.compute(seed=self.seed)

    def compose(self) -> ComposeResult:
        with Horizontal(id="rope-maps"):
            yield Heatmap(id="hm-rope", label_width=4)
            yield Heatmap(id="hm-additive", label_width=4)
        yield Static("", id="rope-facts", markup=False)
        yield Static("", id="rope-live", markup=False)

    def make_predictions(self) -> list[Prediction]:
        r = self.result
        return [
            Prediction(
                "With the same q and k at every position, does the RoPE score (R_m q)ᵀ(R_n k) "
                "depend on m and n separately (not only on n − m)?",
                lambda: r.rope_toeplitz_dev > 1e-9 * max(1.0, float(abs(r.rope_scores).max())),
                lambda: f"max spread along a diagonal = {r.rope_toeplitz_dev:.1e}: Rₘᵀ Rₙ = R₍ₙ₋ₘ₎",
            ),
            Prediction(
                "Additive sinusoidal PE, then random W_Q, W_K: is the score still a function of n − m only?",
                lambda: r.additive_projected_toeplitz_dev < 1e-9 * max(1.0, r.additive_range),
                lambda: (
                    f"spread along a diagonal = {r.additive_projected_toeplitz_dev:.2f} of a "
                    f"{r.additive_range:.2f} range: cross terms cᵀW_QᵀW_K PEₙ are absolute"
                ),
            ),
            Prediction(
                f"Running {r.scale}× past the training length with no rescaling: do more than 10% of "
                "(position, pair) rotation angles fall outside the range seen in training?",
                lambda: r.out_of_range["none"] > 0.10,
                lambda: (
                    f"{r.out_of_range['none']:.1%} outside ({r.unwrapped_pairs} of {r.d_head // 2} pairs "
                    f"never wrapped in {r.train_len:,} tokens)"
                ),
            ),
        ]

    @property
    def scale(self) -> int:
        return self.rung

    def redraw_static(self) -> None:
        r = self.result
        labels = [str(p) for p in range(N_SHOW)]
        self.query_one("#hm-rope", Heatmap).set_matrix(
            r.rope_scores[:N_SHOW, :N_SHOW], labels, labels, title="RoPE (R_m q)·(R_n k)",
            mark={(m, m + 1) for m in range(N_SHOW - 1)},
        )
        self.query_one("#hm-additive", Heatmap).set_matrix(
            r.additive_scores[:N_SHOW, :N_SHOW], labels, labels, title="additive PE, projected",
            mark={(m, m + 1) for m in range(N_SHOW - 1)},
        )
        facts = Text()
        facts.append("Relative? ", style="bold")
        facts.append(
            f"max spread along a diagonal over {r.n_pos} positions, d_head = {r.d_head}: "
            f"RoPE {r.rope_toeplitz_dev:.1e}, additive-then-projected {r.additive_projected_toeplitz_dev:.2f} "
            f"(range {r.additive_range:.2f}). ◆ marks the n − m = 1 diagonal."
        )
        self.query_one("#rope-facts", Static).update(facts)

    def redraw_live(self) -> None:
        if not self._ready:
            return
        r, s = self.result, self.scale
        live = Text()
        live.append(f"Live: run {s}× past L = {r.train_len:,}", style="bold")
        live.append("   (←/→ change the factor)\n", style="dim")
        live.append("Share of angles outside the trained range, positions L..sL−1:\n", style="dim")
        for scheme, label in (("none", "no rescaling      "), ("pi", "position interp.  "), ("ntk", "NTK-aware base    ")):
            share = rope.out_of_range_share(r.d_head, r.train_len, s, scheme)
            live.append(f"  {label}")
            live.append_text(hbar(share, 0.5, 20, style="red" if scheme == "none" else "cyan"))
            live.append(f" {share:7.2%}\n")
        live.append(
            "PI divides positions by s (all angles in range, neighbours s× closer); NTK raises the base to "
            "base·s^(d/(d−2)): the slowest pair is interpolated, fast pairs barely move.",
            style="dim",
        )
        self.query_one("#rope-live", Static).update(live)
