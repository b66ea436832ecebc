"""The mixed-precision view: lost updates, fp32 master weights, fp16 underflow and loss scaling."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widgets import Static

from trainer.demos import precision
from trainer.tui.screens.demo.base import LadderView, hbar
from trainer.tui.widgets.demo_predict import Prediction

__all__ = ["PrecisionView"]


class PrecisionView(LadderView):
    LADDER = precision.UPDATE_SIZES
    index: reactive[int] = reactive(LADDER.index(1e-4), init=False)

    def __init__(self, seed: int = 0, *, autoplay: bool = False) -> None:
        super().__init__(seed, autoplay=autoplay, id="precision-view")
        self.result = precision.compute(seed=self.seed)

    def compose(self) -> ComposeResult:
        yield Static("", id="prec-updates", markup=False)
        yield Static("", id="prec-grads", markup=False)
        yield Static("", id="prec-live", markup=False)

    def make_predictions(self) -> list[Prediction]:
        r = self.result
        return [
            Prediction(
                "In bf16, is 1 + 1e-4 different from 1?",
                lambda: r.bf16_one_plus != 1.0,
                lambda: f"bf16(1 + 1e-4) = {r.bf16_one_plus!r}: the next bf16 after 1 is 1 + 2⁻⁷ ≈ 1.0078",
            ),
            Prediction(
                f"A bf16 weight at 1.0 gets {r.steps:,} updates of +{r.update:g}: does it end near "
                f"{1 + r.steps * r.update:g}?",
                lambda: abs(r.sums["bf16"] - r.sums["exact"]) < 0.01,
                lambda: f"bf16 ends at {r.sums['bf16']:g}; with an fp32 master copy {r.sums['bf16_with_fp32_master']:g}",
            ),
            Prediction(
                f"Gradients with |g| from 1e-10 to 1e-2: does scaling the loss by {r.loss_scale} save "
                "the ones fp16 flushes to zero?",
                lambda: r.underflow_fp16_scaled < 0.5 * r.underflow_fp16,
                lambda: f"zeroed in fp16: {r.underflow_fp16:.1%} → {r.underflow_fp16_scaled:.1%} with the scale",
            ),
        ]

    @property
    def update(self) -> float:
        return self.rung

    def redraw_static(self) -> None:
        r = self.result
        s = r.sums
        up = Text()
        up.append(f"{r.steps:,} updates of +{r.update:g} to a weight at 1.0 ", style="bold")
        up.append(f"(exact result {s['exact']:g}):\n")
        for key, label, style in (("fp32", "fp32           ", "green"), ("bf16", "bf16           ", "red"),
                                  ("bf16_with_fp32_master", "bf16 + fp32 master", "cyan")):
            up.append(f"  {label:<18} ")
            up.append_text(hbar(s[key] - 1.0, 1.0, 20, style))
            up.append(f" {s[key]:.6g}\n")
        up.append("Each bf16 step rounds 1 + 1e-4 back to 1; the master copy accumulates in fp32.", style="dim")
        self.query_one("#prec-updates", Static).update(up)
        g = Text()
        g.append("fp16 gradients ", style="bold")
        g.append(f"(|g| log-uniform 1e-10…1e-2; smallest fp16 subnormal 2⁻²⁴ ≈ 6.0e-8):\n")
        for label, val, style in (("fp16             ", r.underflow_fp16, "red"),
                                  (f"fp16, loss ×{r.loss_scale:<5}", r.underflow_fp16_scaled, "cyan"),
                                  ("bf16             ", r.underflow_bf16, "cyan")):
            g.append(f"  {label} zeroed ")
            g.append_text(hbar(val, 1.0, 20, style))
            g.append(f" {val:.1%}\n")
        g.append(f"Overflow after scaling: {r.overflow_fp16_scaled:.1%} (fp16 max 65504).", style="dim")
        self.query_one("#prec-grads", Static).update(g)

    def redraw_live(self) -> None:
        if not self._ready:
            return
        u = self.update
        live = Text()
        live.append(f"Live: 1 + {u:g}", style="bold")
        live.append("   (←/→ change the update)\n", style="dim")
        for name, fn in (("bf16", precision.bf16), ("fp16", precision.fp16)):
            v = float(fn(1.0 + u))
            live.append(f"  {name}(1 + {u:g}) = {v!r:<12}")
            live.append("lost\n" if v == 1.0 else "kept\n", style="bold red" if v == 1.0 else "bold green")
        self.query_one("#prec-live", Static).update(live)
