"""The speculative-sampling view: target vs draft vs output distributions, acceptance, tokens per round."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widgets import Static

from trainer.demos import speculative
from trainer.tui.screens.demo.base import LadderView, hbar
from trainer.tui.widgets.demo_predict import Prediction

__all__ = ["SpeculativeView"]


class SpeculativeView(LadderView):
    supports_reseed = True

    LADDER = speculative.GAMMAS
    index: reactive[int] = reactive(LADDER.index(4), init=False)

    def __init__(self, seed: int = 0, *, autoplay: bool = False) -> None:
        super().__init__(seed, autoplay=autoplay, id="speculative-view")
        self.result = speculative.compute(seed=self.seed)

    def compose(self) -> ComposeResult:
        yield Static("", id="spec-dists", markup=False)
        yield Static("", id="spec-live", markup=False)

    def make_predictions(self) -> list[Prediction]:
        return [
            Prediction(
                "Draft x ~ q, accept with min(1, p/q), else resample from norm(max(0, p − q)): "
                "do the output tokens follow the draft's distribution q rather than the target p?",
                lambda: speculative.tv(self.result.empirical, self.result.q)
                < speculative.tv(self.result.empirical, self.result.p),
                lambda: (
                    f"TV(output, p) = {self.result.tv_distance:.4f} vs TV(q, p) = {self.result.tv_draft_only:.3f} "
                    f"over {self.result.draws:,} draws"
                ),
            ),
            Prediction(
                "Is the acceptance rate Σ min(p, q), i.e. 1 − TV(p, q)?",
                lambda: abs(self.result.acceptance - self.result.expected_acceptance) < 0.01,
                lambda: f"measured {self.result.acceptance:.4f}, Σ min(p, q) = {self.result.expected_acceptance:.4f}",
            ),
        ]

    @property
    def gamma(self) -> int:
        return self.rung

    def reseed(self) -> None:
        self.seed += 1
        self.result = speculative.compute(seed=self.seed)
        self.redraw()
        self.post_message(self.Changed())

    def redraw_live(self) -> None:
        if not self._ready:
            return
        r = self.result
        vmax = float(max(r.p.max(), r.q.max()))
        table = Table(box=None, padding=(0, 1), header_style="bold", expand=False)
        for col in ("tok", "target p", "", "draft q", "", "output"):
            table.add_column(col, justify="right" if col in ("tok",) else "left")
        for i in range(len(r.p)):
            table.add_row(str(i), f"{r.p[i]:.3f}", hbar(r.p[i], vmax, 8, "green"), f"{r.q[i]:.3f}",
                          hbar(r.q[i], vmax, 8, "yellow"), f"{r.empirical[i]:.3f}")
        head = Text()
        head.append(f"Seed {self.seed}, {r.draws:,} draws: ", style="bold")
        head.append(f"TV(output, p) = {r.tv_distance:.4f}; TV(q, p) = {r.tv_draft_only:.3f}; "
                    f"acceptance {r.acceptance:.4f} vs Σ min(p, q) = {r.expected_acceptance:.4f}.")
        grid = Table.grid()
        grid.add_row(head)
        grid.add_row(table)
        self.query_one("#spec-dists", Static).update(grid)
        a, g = r.expected_acceptance, self.gamma
        live = Text()
        live.append(f"Live: γ = {g} drafts per verification", style="bold")
        live.append("   (←/→ change γ)\n", style="dim")
        live.append(f"expected tokens per target pass (1 − α^(γ+1))/(1 − α) = {speculative.expected_tokens(a, g):.3f}")
        live.append(f" (γ = {r.gamma} simulated: {r.tokens_per_round:.3f} vs {r.expected_tokens_per_round:.3f})\n", style="dim")
        for gg in speculative.GAMMAS:
            live.append(f"  γ={gg:<3}")
            live.append_text(hbar(speculative.expected_tokens(a, gg), 1 / (1 - a) if a < 1 else gg + 1, 24,
                                  "bold cyan" if gg == g else "cyan"))
            live.append(f" {speculative.expected_tokens(a, gg):.2f}\n")
        live.append(f"The ceiling is 1/(1 − α) = {1 / (1 - a):.2f}; each extra draft costs a draft-model step.", style="dim")
        self.query_one("#spec-live", Static).update(live)
