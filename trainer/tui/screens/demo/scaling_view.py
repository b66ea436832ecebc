"""The sqrt-dk-scaling view: the variance table and one live softmax row."""

from __future__ import annotations

import numpy as np
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widgets import Static

from trainer.demos import scaling
from trainer.tui.screens.demo.base import LadderView
from trainer.tui.widgets.demo_predict import Prediction
from trainer.tui.widgets.heatmap import bar_text

__all__ = ["ScalingView"]


class ScalingView(LadderView):
    supports_reseed = True

    LADDER = scaling.DK_LADDER
    index: reactive[int] = reactive(LADDER.index(64), init=False)

    def __init__(self, seed: int = 0, *, autoplay: bool = False) -> None:
        super().__init__(seed, autoplay=autoplay, id="scaling-view")
        self.result = scaling.compute(seed=self.seed)

    def compose(self) -> ComposeResult:
        yield Static("", id="scaling-table", markup=False)
        yield Static("", id="scaling-live", markup=False)

    def make_predictions(self) -> list[Prediction]:
        big = max(self.result.rows, key=lambda r: r.d_k)

        def truth() -> bool:
            return big.max_attn_raw > 0.9

        def evidence() -> str:
            return (
                f"mean max weight at d_k={big.d_k}: unscaled {big.max_attn_raw:.3f}, "
                f"scaled {big.max_attn_scaled:.3f}"
            )

        small = min(self.result.rows, key=lambda r: r.d_k)

        def small_truth() -> bool:
            return small.jac_norm_raw < small.jac_norm_scaled

        def small_evidence() -> str:
            return (
                f"‖J‖ at d_k={small.d_k}: unscaled {small.jac_norm_raw:.3f}, scaled {small.jac_norm_scaled:.3f} — "
                "near-uniform rows have small Jacobians too; scaling helps once scores saturate"
            )

        return [
            Prediction(
                f"At d_k = {big.d_k}, without the 1/√d_k factor, is the softmax over "
                f"{self.result.n_scores} random scores nearly one-hot (max weight > 0.9)?",
                truth,
                evidence,
            ),
            Prediction(
                f"At small d_k = {small.d_k}, is the unscaled softmax Jacobian ‖J‖ smaller than the scaled one?",
                small_truth,
                small_evidence,
            ),
        ]

    def redraw_static(self) -> None:
        table = Table(title=None, box=None, padding=(0, 1), header_style="bold", expand=False)
        for col in ("d_k", "Var(q·k)", "÷d_k", "max a", "max a/√", "‖J‖", "‖J‖/√"):
            table.add_column(col, justify="right")
        for r in self.result.rows:
            table.add_row(
                str(r.d_k),
                f"{r.var_raw:.1f}",
                f"{r.var_scaled:.3f}",
                f"{r.max_attn_raw:.3f}",
                f"{r.max_attn_scaled:.3f}",
                f"{r.jac_norm_raw:.3f}",
                f"{r.jac_norm_scaled:.3f}",
            )
        head = Text()
        head.append("q, k ~ N(0, I): ", style="bold")
        head.append(
            f"Var(q·k) ≈ d_k; 'max a' is the mean largest softmax weight over {self.result.n_scores} "
            "scores, ‖J‖ the norm of the softmax Jacobian diag(a) − aaᵀ; '/√' = scores ÷ √d_k."
        )
        grid = Table.grid()
        grid.add_row(head)
        grid.add_row(table)
        self.query_one("#scaling-table", Static).update(grid)

    def reseed(self) -> None:
        self.seed += 1
        self.result = scaling.compute(seed=self.seed)
        self.redraw()
        self.post_message(self.Changed())

    @property
    def d_k(self) -> int:
        return self.rung

    def redraw_live(self) -> None:
        if not self._ready:
            return
        f = scaling.frame(self.d_k, seed=self.seed, n_scores=self.result.n_scores)
        text = Text()
        text.append(f"Live: one query vs {len(f.weights_raw)} keys at d_k = {f.d_k}", style="bold")
        text.append("   (←/→ change d_k)\n", style="dim")
        text.append("unscaled  ")
        text.append_text(bar_text(f.weights_raw, style="red"))
        text.append(f"  max {f.max_raw:.3f}  ‖J‖ {f.jac_raw:.3f}\n")
        text.append("÷ √d_k    ")
        text.append_text(bar_text(f.weights_scaled, style="cyan"))
        text.append(f"  max {f.max_scaled:.3f}  ‖J‖ {f.jac_scaled:.3f}\n")
        text.append(
            f"raw score std ≈ √d_k = {np.sqrt(f.d_k):.1f}; bars are softmax weights on a 0–1 scale.",
            style="dim",
        )
        self.query_one("#scaling-live", Static).update(text)
