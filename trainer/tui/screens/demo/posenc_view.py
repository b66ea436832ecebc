"""The positional-encoding view: the Toeplitz Gram matrix, rotations, and the caveat after projection."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static

from trainer.demos import posenc
from trainer.tui.screens.demo.base import DemoView
from trainer.tui.widgets.demo_predict import Prediction
from trainer.tui.widgets.heatmap import Heatmap, bar_text

__all__ = ["PosEncView"]


class PosEncView(DemoView):
    N_SHOW = 12
    N_POS = 64
    D_MODEL = 16

    k: reactive[int] = reactive(1, init=False)

    def __init__(self, seed: int = 0, *, autoplay: bool = False) -> None:
        super().__init__(seed, autoplay=autoplay, id="posenc-view")
        self.result = posenc.compute(d_model=self.D_MODEL, n_pos=self.N_POS)

    def compose(self) -> ComposeResult:
        with Horizontal(id="posenc-top"):
            yield Heatmap(id="hm-gram")
            yield Static("", id="posenc-facts", markup=False)
        yield Static("", id="posenc-live", markup=False)

    def make_predictions(self) -> list[Prediction]:
        def truth() -> bool:
            return self.result.toeplitz_deviation > 1e-9

        def evidence() -> str:
            return (
                f"max spread along any diagonal of the Gram matrix = "
                f"{self.result.toeplitz_deviation:.1e} (Toeplitz): PE(p)·PE(p+k) = Σ cos(k·w_i)"
            )

        return [
            Prediction(
                "For sinusoidal encodings, does PE(p)·PE(p+k) depend on the position p "
                "(not only on the offset k)?",
                truth,
                evidence,
            ),
            Prediction(
                "The model never sees PE(p)·PE(q) itself but (PE_p W_Q)·(PE_q W_K). With random W_Q, W_K, "
                "does that score still depend only on the offset q − p?",
                lambda: self.result.projected_relative_spread < 1e-9,
                lambda: (
                    f"spread along a diagonal = {self.result.projected_toeplitz_deviation:.2f} "
                    f"({self.result.projected_relative_spread:.0%} of the range): W_Qᵀ W_K mixes the sin/cos pairs"
                ),
            ),
        ]

    def watch_k(self, _old: int, _new: int) -> None:
        self.redraw()

    def step(self, direction: int) -> None:
        self.k = max(0, min(self.N_POS - 1, self.k + direction))

    def redraw(self) -> None:
        if not self._ready:
            return
        f = posenc.frame(self.k, d_model=self.D_MODEL, n_pos=self.N_POS, n_show=self.N_SHOW)
        labels = [str(p % 10) for p in range(self.N_SHOW)]
        mark = {(p, p + f.k) for p in range(self.N_SHOW - f.k)}
        self.query_one("#hm-gram", Heatmap).set_matrix(
            f.gram, [f"p{p}" for p in range(self.N_SHOW)], labels, title=f"PE(p)·PE(q), d={f.d_model}", mark=mark
        )
        facts = Text()
        facts.append("Toeplitz: ", style="bold")
        facts.append(f"max spread along a diagonal\n  {self.result.toeplitz_deviation:.1e}\n")
        facts.append("Rotation: ", style="bold")
        facts.append("PE(p+k) = M_k PE(p)\n  M_k = blockdiag of 2×2 rotations\n  by k·w_i, same for every p\n")
        for kk, err in self.result.rotation_errors.items():
            facts.append(f"  k={kk:<3} max error {err:.1e}\n", style="dim")
        facts.rstrip()
        self.query_one("#posenc-facts", Static).update(facts)
        live = Text()
        live.append(f"Live: k = {f.k}", style="bold")
        live.append("   (←/→ change k; ◆ marks the k-th diagonal)\n", style="dim")
        live.append(f"PE(p)·PE(p+{f.k}) = {f.dot_k:.4f} for every p (spread {f.dot_k_spread:.1e}); ")
        live.append(f"max|PE(p+k) − M_k PE(p)| = {f.rotation_error:.1e}\n")
        n_bars = 32
        live.append("PE(0)·PE(k), k=0..31: ")
        live.append_text(
            bar_text(
                f.dot_by_offset[:n_bars],
                vmin=float(f.dot_by_offset.min()),
                vmax=float(f.dot_by_offset.max()),
                cell_width=1,
                style="cyan",
                mark=f.k if f.k < n_bars else None,
            )
        )
        live.append("\nEven in k: ", style="bold")
        live.append(
            f"PE(p)·PE(p+k) = PE(p)·PE(p−k) (max diff {self.result.even_in_k_deviation:.1e}): "
            "the dot product cannot tell before from after.\n"
        )
        live.append("Caveat: ", style="bold")
        live.append(
            f"after random W_Q, W_K the position–position score (PE W_Q)(PE W_K)ᵀ spreads by "
            f"{self.result.projected_toeplitz_deviation:.2f} along a diagonal "
            f"({self.result.projected_relative_spread:.0%} of its range): no longer relative."
        )
        self.query_one("#posenc-live", Static).update(live)
