"""The kv-cache-budget view: bytes per token for real shapes, totals for a context, and exactness."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widgets import Static

from trainer.demos import kvcache
from trainer.tui.screens.demo.base import LadderView, hbar
from trainer.tui.widgets.demo_predict import Prediction

__all__ = ["KVCacheView"]


BODY_CELLS = 4
"""The demo body's padding and scrollbar beside the table."""


def _size(n: float) -> str:
    for unit, div in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= div:
            return f"{n / div:,.4g} {unit}"
    return f"{n:,.0f} B"


class KVCacheView(LadderView):
    LADDER = kvcache.CONTEXTS
    index: reactive[int] = reactive(LADDER.index(4096), init=False)

    def __init__(self, seed: int = 0, *, autoplay: bool = False) -> None:
        super().__init__(seed, autoplay=autoplay, id="kvcache-view")
        self.result = kvcache.compute(seed=self.seed)
        self.per_token = {p.name: bpt for p, bpt, _ in self.result.rows}

    def compose(self) -> ComposeResult:
        yield Static("", id="kv-table", markup=False)
        yield Static("", id="kv-live", markup=False)
        yield Static("", id="kv-exact", markup=False)

    def make_predictions(self) -> list[Prediction]:
        l2, l3 = self.per_token["llama-2-7b"], self.per_token["llama-3-8b"]
        total_4k = l2 * 4096

        return [
            Prediction(
                "Llama-2-7B (32 layers, 32 heads × 128, bf16): is its KV cache for one 4k-token "
                "sequence larger than 1 GiB?",
                lambda: total_4k > 1024**3,
                lambda: f"2·32·32·128·2 = {l2:,} B/token × 4096 = {_size(total_4k)}",
            ),
            Prediction(
                "Llama-3-8B has the same 32 layers but 8 KV heads (GQA): is its cache per token "
                "a quarter of Llama-2-7B's?",
                lambda: l2 == 4 * l3,
                lambda: f"{l3:,} B/token vs {l2:,}: ratio {l2 / l3:g} = 32 heads / 8 KV heads",
            ),
            Prediction(
                "Is decoding with a KV cache an approximation of the full causal pass?",
                lambda: self.result.decode_vs_full_max_abs > 1e-9,
                lambda: f"max |cached − full| = {self.result.decode_vs_full_max_abs:.1e}: exact up to rounding",
            ),
        ]

    @property
    def context(self) -> int:
        return self.rung

    def redraw_live(self) -> None:
        if not self._ready:
            return
        table = Table(box=None, padding=(0, 1), header_style="bold", expand=False)
        for col, just in (("model", "left"), ("attn", "left"), ("L×kv×d", "right"), ("B/token", "right"),
                          (f"@ {self.context // 1024}k", "right"), ("", "left")):
            table.add_column(col, justify=just)  # type: ignore[arg-type]
        totals = [(p, bpt, bpt * self.context) for p, bpt, _ in self.result.rows]
        vmax = max(t for _, _, t in totals)
        rows = [(p.name, p.attention, f"{p.layers}×{p.latent_dim}" if p.attention == "MLA" else f"{p.layers}×{p.kv_heads}×{p.head_dim}",
                 f"{bpt:,}", _size(total)) for p, bpt, total in totals]
        # the bar gives way to the words: at 60 columns Rich cut every column instead, and
        # llama-2-7b and llama-2-70b both read "llama-2-…"
        texts = sum(max(len(head), *(len(r[i]) for r in rows)) for i, head in enumerate(("model", "attn", "L×kv×d", "B/token", f"@ {self.context // 1024}k")))
        bar = max(3, min(14, self.app.size.width - BODY_CELLS - texts - 2 * 6))
        for row, (_p, _bpt, total) in zip(rows, totals):
            table.add_row(*row, hbar(total, vmax, bar))
        head = Text()
        head.append("Bytes per token ", style="bold")
        head.append("= 2 (K and V) · layers · KV heads · head dim · 2 B (bf16); MLA caches one latent "
                    "(d_c + d_rope) per layer. Totals for one sequence.")
        grid = Table.grid()
        grid.add_row(head)
        grid.add_row(table)
        self.query_one("#kv-table", Static).update(grid)
        live = Text()
        live.append(f"Live: context = {self.context:,} tokens", style="bold")
        live.append("   (←/→ change the context; batch multiplies every total)", style="dim")
        self.query_one("#kv-live", Static).update(live)
        exact = Text()
        exact.append("Exactness: ", style="bold")
        exact.append(
            f"a 2-layer GQA decoder decoded token by token with a cache vs one causal pass: "
            f"max difference {self.result.decode_vs_full_max_abs:.1e} — earlier K, V never change under a causal mask."
        )
        self.query_one("#kv-exact", Static).update(exact)
