"""DemoScreen: the live view of a registered NumPy demo.

Pushed by the app from a card::

    app.push_screen(DemoScreen("qkv-symmetry", question=card.question, seed=0), callback)

and dismissed with a :class:`trainer.demos.registry.DemoResult` on ``escape`` /
``g`` (back to grading).  All numbers come from ``trainer.demos``; this module
only draws.

Every demo starts with a *predict first* step: y/n questions whose right
answers are computed, never typed in.  The suggested grade follows
:func:`trainer.demos.registry.suggest_grade` over the answered predictions
whose measurement is known: all right -> 5, one wrong -> 3, more -> 2, none
answered -> ``None``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from trainer.demos import posenc, qkv, scaling
from trainer.demos.registry import DemoResult, get, suggest_grade
from trainer.tui.math import plain_math
from trainer.tui.text import one_line
from trainer.tui.widgets.demo_predict import Prediction, PredictPanel
from trainer.tui.widgets.heatmap import Heatmap, bar_text

__all__ = ["DemoScreen", "DemoView", "PosEncView", "QKVView", "ScalingView"]

MAX_TOKENS = 14


def _ok(flag: bool) -> Text:
    return Text(" ✓ ", style="bold green") if flag else Text(" ✗ ", style="bold red")


class DemoBody(VerticalScroll, inherit_bindings=False):
    """The scrolling body; vertical scrolling keys only (left/right belong to the demo)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll_up", "Scroll up", show=False),
        Binding("down", "scroll_down", "Scroll down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_home", "Top", show=False),
        Binding("end", "scroll_end", "Bottom", show=False),
    ]


class DemoView(Vertical):
    """Base class of a demo's results view (hidden until predictions are done)."""

    class Changed(Message):
        """Something that predictions depend on was (re)measured."""

    supports_play: ClassVar[bool] = False
    supports_sentence: ClassVar[bool] = False
    supports_reseed: ClassVar[bool] = False
    supports_experiment: ClassVar[bool] = False

    def __init__(self, seed: int = 0, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="demo-view")
        self.seed = int(seed)
        self._ready = False  # set once mounted (redraws before that are skipped)

    def make_predictions(self) -> list[Prediction]:
        return []

    def step(self, direction: int) -> None:
        """The live parameter, one step left (-1) or right (+1)."""

    def revealed(self) -> None:
        """Called once the predictions are answered and the view is shown."""

    def prediction_answered(self, index: int) -> None:
        """Hook: the user answered prediction ``index``."""


# --------------------------------------------------------------------------
# qkv-symmetry


class QKVView(DemoView):
    supports_play = True
    supports_sentence = True
    supports_reseed = True
    supports_experiment = True

    T_STEP = 0.05
    TICK = 1 / 15
    TICK_DT = 0.02

    t: reactive[float] = reactive(0.0, init=False)
    playing: reactive[bool] = reactive(False, init=False)

    class ExperimentUpdate(Message):
        def __init__(self, progress: qkv.ExperimentProgress, seed: int) -> None:
            super().__init__()
            self.progress = progress
            self.seed = seed

    def __init__(self, seed: int = 0, *, sentence: str | None = None, autoplay: bool = False) -> None:
        super().__init__(seed, id="qkv-view")
        self.sentence = sentence
        self.autoplay = autoplay
        self.demo = self._build()
        self.experiment_result: qkv.ExperimentResult | None = None
        self.experiment_running = False
        self._timer: Timer | None = None

    def _build(self) -> qkv.QKVDemo:
        sentence = None
        if self.sentence:
            tokens = qkv.tokenize(self.sentence)[:MAX_TOKENS]
            sentence = " ".join(tokens) if len(tokens) >= 2 else None
        return qkv.QKVDemo(seed=self.seed, sentence=sentence)

    # -- layout ------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="heatmaps"):
            yield Heatmap(id="hm-shared")
            yield Heatmap(id="hm-blend")
        yield Static("", id="qkv-status", markup=False)
        yield Static("", id="qkv-checks", markup=False)
        yield Static("", id="qkv-softmax", markup=False)
        yield Static("", id="exp-head", markup=False)
        yield ProgressBar(total=qkv.ExperimentConfig().steps, show_eta=False, id="exp-progress")
        with Horizontal(id="exp-plots"):
            from textual_plotext import PlotextPlot

            yield PlotextPlot(id="plot-acc")
            yield PlotextPlot(id="plot-loss")
        yield Static("", id="exp-result", markup=False)

    def on_mount(self) -> None:
        self._timer = self.set_interval(self.TICK, self._tick, pause=True)
        self._ready = True
        self.redraw_static()
        self.redraw_frame()
        self.redraw_experiment()

    def revealed(self) -> None:
        if self.autoplay:
            self.playing = True

    # -- predictions -------------------------------------------------------
    def make_predictions(self) -> list[Prediction]:
        def q1_truth() -> bool:
            return self.demo.checks().symmetric

        def q1_evidence() -> str:
            c = self.demo.checks()
            return f"max|S−Sᵀ| = {c.max_abs_asym:.1e}: (XW)(XW)ᵀ is its own transpose"

        def q2_truth() -> bool:
            return self.demo.softmax_pair().A_max_abs_asym <= 1e-12

        def q2_evidence() -> str:
            p = self.demo.softmax_pair()
            return (
                f"max|A−Aᵀ| = {p.A_max_abs_asym:.3f}: each row is divided by its own Z_i, "
                f"A[{p.i},{p.j}]/A[{p.j},{p.i}] = {p.ratio:.4g} = Z_{p.j}/Z_{p.i}"
            )

        def q3_truth() -> bool | None:
            r = self.experiment_result
            return None if r is None else r.separate_wins

        def q3_evidence() -> str:
            r = self.experiment_result
            if r is None:
                return "measuring…"
            return (
                f"held-out accuracy: separate {r.separate_acc:.0%} vs shared {r.shared_acc:.0%} "
                f"(chance {r.chance_acc:.0%})"
            )

        return [
            Prediction(
                "With one shared projection (W_Q = W_K = W), is the score matrix S symmetric?",
                q1_truth,
                q1_evidence,
            ),
            Prediction(
                "Is the attention A = row-softmax(S) of that shared S symmetric too?",
                q2_truth,
                q2_evidence,
            ),
            Prediction(
                "Attend-to-the-previous-token task: will separate W_Q, W_K beat one shared W "
                "on fresh sequences?",
                q3_truth,
                q3_evidence,
            ),
        ]

    def prediction_answered(self, index: int) -> None:
        if index == 2 and self.experiment_result is None and not self.experiment_running:
            self.start_experiment()

    # -- frames --------------------------------------------------------------
    def watch_t(self, _old: float, _new: float) -> None:
        self.redraw_frame()

    def watch_playing(self, playing: bool) -> None:
        if self._timer is not None:
            if playing:
                if self.t >= 1.0:
                    self.t = 0.0
                self._timer.resume()
            else:
                self._timer.pause()
        self.redraw_frame()

    def _tick(self) -> None:
        t = round(self.t + self.TICK_DT, 6)
        if t >= 1.0:
            self.t = 1.0
            self.playing = False
        else:
            self.t = t

    def step(self, direction: int) -> None:
        self.playing = False
        self.t = round(min(1.0, max(0.0, self.t + direction * self.T_STEP)), 6)

    def toggle_play(self) -> None:
        self.playing = not self.playing

    def stop(self) -> None:
        self.playing = False
        if self._timer is not None:
            self._timer.stop()

    def redraw_frame(self) -> None:
        if not self._ready:
            return
        demo = self.demo
        frame = demo.frame(self.t)
        labels = list(demo.labels)
        vmax = float(max(np.abs(demo.S_shared).max(), np.abs(demo.S_separate).max()))
        self.query_one("#hm-blend", Heatmap).set_matrix(
            frame.S, labels, vmax=vmax, title=f"blend t={frame.t:.2f}"
        )
        status = Text()
        status.append(f"t = {frame.t:.2f}", style="bold")
        status.append("   asymmetry ‖S−Sᵀ‖/‖S‖ = ")
        status.append(f"{frame.asymmetry:.3f}", style="bold")
        status.append(f"   (separate, t=1: {qkv.asymmetry(demo.S_separate):.3f})", style="dim")
        status.append("   ▶ playing" if self.playing else "   ⏸ paused", style="dim")
        self.query_one("#qkv-status", Static).update(status)

    def redraw_static(self) -> None:
        demo = self.demo
        labels = list(demo.labels)
        vmax = float(max(np.abs(demo.S_shared).max(), np.abs(demo.S_separate).max()))
        pair = demo.softmax_pair()
        self.query_one("#hm-shared", Heatmap).set_matrix(
            demo.S_shared, labels, vmax=vmax, title="shared W (t=0)", mark={(pair.i, pair.j)}
        )
        c = demo.checks()
        checks = Text()
        checks.append(
            f"Shared projection, seed {demo.seed}, n={demo.n}, d_model={demo.d_model}, d_k={demo.d_k}:\n",
            style="bold",
        )
        checks.append_text(_ok(c.symmetric))
        checks.append(f"symmetric        max|S−Sᵀ| = {c.max_abs_asym:.1e}\n")
        checks.append_text(_ok(c.psd))
        checks.append(f"PSD              min eigenvalue = {c.min_eig:+.2e} (max {c.max_eig:.2f})\n")
        checks.append_text(_ok(c.cauchy_schwarz))
        checks.append(f"Cauchy–Schwarz   max_i≠j S_ij/√(S_ii S_jj) = {c.max_cosine:.4f} ≤ 1")
        self.query_one("#qkv-checks", Static).update(checks)
        soft = Text()
        soft.append("Softmax honesty: ", style="bold")
        soft.append(
            f"A = row-softmax(S) is not symmetric (max|A−Aᵀ| = {pair.A_max_abs_asym:.3f}). "
            f"Pair ◆ ({pair.i},{pair.j}): A_ij/A_ji = {pair.ratio:.10g}, "
            f"Z_j/Z_i = {pair.z_ratio:.10g}; exp(S) itself is symmetric "
            f"(max diff {pair.expS_max_abs_asym:.1e})."
        )
        self.query_one("#qkv-softmax", Static).update(soft)

    # -- controls ------------------------------------------------------------
    def set_sentence(self, sentence: str | None) -> None:
        self.sentence = sentence or None
        self._rebuild()

    def reseed(self) -> None:
        self.seed += 1
        self._rebuild()

    def _rebuild(self) -> None:
        self.demo = self._build()
        self.redraw_static()
        self.redraw_frame()
        self.post_message(self.Changed())

    # -- experiment ----------------------------------------------------------
    def start_experiment(self) -> None:
        self.experiment_running = True
        bar = self.query_one("#exp-progress", ProgressBar)
        bar.update(total=qkv.ExperimentConfig().steps, progress=0)
        self.add_class("-experiment")
        self.redraw_experiment()
        self.run_experiment(self.seed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="qkv-experiment")
    def run_experiment(self, seed: int) -> qkv.ExperimentResult | None:
        worker = get_current_worker()
        result = None
        for progress in qkv.run_experiment(seed):
            if worker.is_cancelled:
                return None
            self.post_message(self.ExperimentUpdate(progress, seed))
            result = progress.result
        return result

    @on(ExperimentUpdate)
    def _on_experiment_update(self, message: ExperimentUpdate) -> None:
        progress = message.progress
        self.query_one("#exp-progress", ProgressBar).update(total=progress.total, progress=progress.step)
        self._plot(progress.steps, progress.shared, progress.separate)
        if progress.result is not None:
            self.experiment_result = progress.result
            self.experiment_running = False
            self.redraw_experiment()
            self.post_message(self.Changed())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "qkv-experiment":
            return
        if event.state in (WorkerState.ERROR, WorkerState.CANCELLED) and self.experiment_running:
            self.experiment_running = False
            self.redraw_experiment()
            if event.state == WorkerState.ERROR:
                self.query_one("#exp-result", Static).update(
                    Text(f"Experiment failed: {event.worker.error!r}", style="bold red")
                )

    def _plot(self, steps: list[int], shared: qkv.Curves, separate: qkv.Curves) -> None:
        from textual_plotext import PlotextPlot

        for plot_id, key, title in (("#plot-acc", "acc", "held-out accuracy"), ("#plot-loss", "loss", "held-out loss")):
            plot = self.query_one(plot_id, PlotextPlot)
            plt = plot.plt
            plt.clear_data()
            plt.clear_figure()
            plt.title(title)
            plt.plot(steps, getattr(shared, key), label="shared", color="red")
            plt.plot(steps, getattr(separate, key), label="separate", color="cyan")
            if key == "acc":
                plt.ylim(0, 1)
            plot.refresh()

    def redraw_experiment(self) -> None:
        head = Text()
        head.append("Mini-experiment: ", style="bold")
        head.append(
            "train one shared W vs separate W_Q, W_K (NumPy, hand-written gradients) to attend "
            "to the previous token; content is random and positions start at a random offset."
        )
        r = self.experiment_result
        if self.experiment_running:
            head.append("  Running…", style="yellow")
        elif r is None:
            head.append("  Press x to run it.", style="dim")
        self.query_one("#exp-head", Static).update(head)
        res = Text()
        if r is not None:
            res.append(f"Seed {r.seed}, {r.config.steps} steps, {r.config.eval_sequences} fresh sequences: ")
            res.append(f"separate {r.separate_acc:.1%}", style="bold cyan")
            res.append(f" (loss {r.separate_loss:.3f})  vs  ")
            res.append(f"shared {r.shared_acc:.1%}", style="bold red")
            res.append(f" (loss {r.shared_loss:.3f}); chance {r.chance_acc:.1%}.")
            if r.separate_wins:
                res.append("  A symmetric S cannot prefer i−1 over i: S_ij ≤ √(S_ii S_jj).", style="dim")
        self.query_one("#exp-result", Static).update(res)


# --------------------------------------------------------------------------
# sqrt-dk-scaling


class ScalingView(DemoView):
    supports_reseed = True

    index: reactive[int] = reactive(scaling.DK_LADDER.index(64), init=False)

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed, id="scaling-view")
        self.result = scaling.compute(seed=self.seed)

    def compose(self) -> ComposeResult:
        yield Static("", id="scaling-table", markup=False)
        yield Static("", id="scaling-live", markup=False)

    def on_mount(self) -> None:
        self._ready = True
        self.redraw_table()
        self.redraw_live()

    def make_predictions(self) -> list[Prediction]:
        big = max(self.result.rows, key=lambda r: r.d_k)

        def truth() -> bool:
            return big.max_attn_raw > 0.9

        def evidence() -> str:
            return (
                f"mean max weight at d_k={big.d_k}: unscaled {big.max_attn_raw:.3f}, "
                f"scaled {big.max_attn_scaled:.3f}"
            )

        return [
            Prediction(
                f"At d_k = {big.d_k}, without the 1/√d_k factor, is the softmax over "
                f"{self.result.n_scores} random scores nearly one-hot (max weight > 0.9)?",
                truth,
                evidence,
            )
        ]

    def redraw_table(self) -> None:
        table = Table(title=None, box=None, padding=(0, 1), header_style="bold", expand=False)
        for col in ("d_k", "Var(q·k)", "÷d_k", "max a", "max a/√", "‖J‖", "‖J‖/√"):
            table.add_column(col, justify="right")
        for r in self.result.rows:
            table.add_row(
                str(r.d_k),
                f"{r.var_raw:.1f}",
                f"{r.var_ratio:.3f}",
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

    def watch_index(self, _old: int, _new: int) -> None:
        self.redraw_live()

    def step(self, direction: int) -> None:
        self.index = max(0, min(len(scaling.DK_LADDER) - 1, self.index + direction))

    def reseed(self) -> None:
        self.seed += 1
        self.result = scaling.compute(seed=self.seed)
        self.redraw_table()
        self.redraw_live()
        self.post_message(self.Changed())

    @property
    def d_k(self) -> int:
        return scaling.DK_LADDER[self.index]

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


# --------------------------------------------------------------------------
# positional-encoding


class PosEncView(DemoView):
    N_SHOW = 12
    N_POS = 64
    D_MODEL = 16

    k: reactive[int] = reactive(1, init=False)

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed, id="posenc-view")
        self.result = posenc.compute(d_model=self.D_MODEL, n_pos=self.N_POS)

    def compose(self) -> ComposeResult:
        with Horizontal(id="posenc-top"):
            yield Heatmap(id="hm-gram")
            yield Static("", id="posenc-facts", markup=False)
        yield Static("", id="posenc-live", markup=False)

    def on_mount(self) -> None:
        self._ready = True
        self.redraw()

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
            )
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
        self.query_one("#posenc-live", Static).update(live)


# --------------------------------------------------------------------------
# the screen


_VIEWS: dict[str, type[DemoView]] = {
    "qkv-symmetry": QKVView,
    "sqrt-dk-scaling": ScalingView,
    "positional-encoding": PosEncView,
}


class DemoScreen(Screen[DemoResult | None]):
    """The live view of one demo; dismisses with a :class:`DemoResult`."""

    CSS_PATH = "../demo.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Back"),
        Binding("g", "leave", "Grade"),
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("p,space", "toggle_play", "Play"),
        Binding("left,comma", "step(-1)", "−"),
        Binding("right,full_stop", "step(1)", "+"),
        Binding("s", "sentence", "Sentence"),
        Binding("r", "reseed", "Seed"),
        Binding("x", "experiment", "Experiment"),
    ]

    def __init__(
        self,
        demo_id: str,
        question: str = "",
        seed: int = 0,
        *,
        autoplay: bool = False,
        name: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id)
        self.demo = get(demo_id)  # raises UnknownDemo for an unknown id
        self.demo_id = demo_id
        self.question = question
        self.seed = int(seed)
        self.autoplay = autoplay
        view_cls = _VIEWS[demo_id]
        if view_cls is QKVView:
            self.view: DemoView = QKVView(self.seed, autoplay=autoplay)
        else:
            self.view = view_cls(self.seed)
        self.predictions = self.view.make_predictions()
        self.panel = PredictPanel(self.predictions, id="predict")
        self._left = False

    # -- layout ------------------------------------------------------------
    def compose(self) -> ComposeResult:
        title = Text()
        title.append(self.demo.title, style="bold")
        title.append(f"  [{self.demo.id}]", style="dim")
        yield Static(title, id="demo-title", markup=False)
        with DemoBody(id="demo-body"):
            if self.question:
                yield Static(plain_math(one_line(self.question)), id="demo-question", markup=False)
            yield self.panel
            yield self.view
        yield Input(placeholder="Type a sentence (words become tokens; CJK ok). Enter to use, Esc to cancel", id="sentence-input")
        yield Footer()

    def on_mount(self) -> None:
        self.view.display = self.panel.finished
        self.query_one("#demo-body").focus()

    # -- state ---------------------------------------------------------------
    @property
    def revealed(self) -> bool:
        return self.panel.finished

    def result(self) -> DemoResult:
        correct, total = self.panel.score()
        return DemoResult(self.demo_id, correct, total, suggest_grade(correct, total))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "answer":
            return not self.panel.finished
        view = self.view
        gates = {
            "toggle_play": view.supports_play,
            "step": True,
            "sentence": view.supports_sentence,
            "reseed": view.supports_reseed,
            "experiment": view.supports_experiment,
        }
        if action in gates:
            return self.revealed and gates[action]
        return True

    # -- actions ---------------------------------------------------------------
    def action_answer(self, value: bool) -> None:
        p = self.panel.answer(bool(value))
        if p is None:
            return
        self.view.prediction_answered(self.predictions.index(p))
        self.panel.refresh_panel()
        if self.panel.finished:
            self.view.display = True
            self.view.revealed()
        self.refresh_bindings()

    def action_toggle_play(self) -> None:
        if isinstance(self.view, QKVView):
            self.view.toggle_play()

    def action_step(self, direction: int) -> None:
        self.view.step(int(direction))

    def action_reseed(self) -> None:
        reseed = getattr(self.view, "reseed", None)
        if reseed is not None:
            reseed()
            self.seed = self.view.seed

    def action_experiment(self) -> None:
        if isinstance(self.view, QKVView) and not self.view.experiment_running:
            self.view.start_experiment()

    def action_sentence(self) -> None:
        if not isinstance(self.view, QKVView):
            return
        box = self.query_one("#sentence-input", Input)
        box.add_class("-visible")
        box.value = self.view.sentence or ""
        box.focus()

    def _close_input(self) -> None:
        box = self.query_one("#sentence-input", Input)
        box.remove_class("-visible")
        self.query_one("#demo-body").focus()

    @on(Input.Submitted, "#sentence-input")
    def _sentence_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._close_input()
        if isinstance(self.view, QKVView):
            self.view.set_sentence(event.value.strip() or None)

    @on(DemoView.Changed)
    def _view_changed(self, event: DemoView.Changed) -> None:
        event.stop()
        self.panel.refresh_panel()

    def action_leave(self) -> None:
        box = self.query_one("#sentence-input", Input)
        if box.has_class("-visible"):
            self._close_input()
            return
        if self._left:
            return
        self._left = True
        if isinstance(self.view, QKVView):
            self.view.stop()
        self.workers.cancel_node(self.view)
        self.dismiss(self.result())
