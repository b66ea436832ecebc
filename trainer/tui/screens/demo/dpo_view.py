"""The dpo-bandit view: reward, reference and the DPO policy per β; log-ratio vs r/β."""

from __future__ import annotations

import numpy as np
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widgets import Static

from trainer.demos import dpo
from trainer.tui.screens.demo.base import LadderView, hbar
from trainer.tui.widgets.demo_predict import Prediction

__all__ = ["DPOView"]


class DPOView(LadderView):
    supports_reseed = True

    LADDER = dpo.BETAS
    index: reactive[int] = reactive(LADDER.index(dpo.CORR_BETA), init=False)

    def __init__(self, seed: int = 0, *, autoplay: bool = False) -> None:
        super().__init__(seed, autoplay=autoplay, id="dpo-view")
        self.result = dpo.compute(seed=self.seed)

    def compose(self) -> ComposeResult:
        yield Static("", id="dpo-summary", markup=False)
        yield Static("", id="dpo-live", markup=False)

    def make_predictions(self) -> list[Prediction]:
        def kl(beta: float) -> float:
            return next(x.kl_to_ref for x in self.result.rows if x.beta == beta)

        small, big = min(dpo.BETAS), max(dpo.BETAS)
        return [
            Prediction(
                "After DPO, does log π(a)/π_ref(a) line up with the hidden reward r(a) "
                "(correlation above 0.95)?",
                lambda: self.result.corr_logratio_reward > 0.95,
                lambda: f"corr(log π/π_ref, r) = {self.result.corr_logratio_reward:.4f} at β = {dpo.CORR_BETA}",
            ),
            Prediction(
                f"Does a smaller β (β = {small} vs {big}) keep the policy closer to the reference?",
                lambda: kl(small) < kl(big),
                lambda: f"KL(π‖π_ref) = {kl(small):.3f} at β = {small}, {kl(big):.3f} at β = {big}",
            ),
        ]

    @property
    def beta(self) -> float:
        return self.rung

    def reseed(self) -> None:
        self.seed += 1
        self.result = dpo.compute(seed=self.seed)
        self.redraw()
        self.post_message(self.Changed())

    def redraw_live(self) -> None:
        if not self._ready:
            return
        res = self.result
        row = next(x for x in res.rows if x.beta == self.beta)
        summary = Text()
        summary.append(f"{len(res.reward)} arms, {res.pairs:,} preference pairs ", style="bold")
        summary.append("drawn from π_ref, labelled by Bradley–Terry on a hidden reward r. β: KL(π‖π_ref)  ")
        for x in res.rows:
            summary.append(f"{x.beta:g}: {x.kl_to_ref:.2f}  ", style="bold" if x.beta == self.beta else "dim")
        self.query_one("#dpo-summary", Static).update(summary)
        table = Table(box=None, padding=(0, 1), header_style="bold", expand=False)
        for col in ("arm", "r", "π_ref", "", "π (DPO)", "", "β·log π/π_ref"):
            table.add_column(col, justify="left" if col in ("", "π (DPO)") else "right")
        order = np.argsort(-res.reward)
        centred = self.beta * (row.log_ratio - row.log_ratio.mean())
        for a in order:
            table.add_row(
                str(a), f"{res.reward[a]:+.2f}", f"{res.ref[a]:.3f}", hbar(res.ref[a], 1.0, 8, "yellow"),
                f"{row.policy[a]:.3f}", hbar(row.policy[a], 1.0, 8, "cyan"), f"{centred[a]:+.2f}",
            )
        head = Text()
        head.append(f"Live: β = {self.beta:g}", style="bold")
        head.append("   (←/→ change β)  ", style="dim")
        head.append(f"corr(log π/π_ref, r) = {row.corr:.4f}; β·log-ratio ≈ r − mean(r) "
                    f"(r − mean: {', '.join(f'{v:+.2f}' for v in (res.reward - res.reward.mean())[order][:3])} …)")
        grid = Table.grid()
        grid.add_row(head)
        grid.add_row(table)
        self.query_one("#dpo-live", Static).update(grid)
