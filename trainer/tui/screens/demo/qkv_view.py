"""The qkv-symmetry view: shared vs separate projections, the blend, and the experiment."""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from trainer.demos import qkv
from trainer.tui.screens.demo.base import DemoView, ok_mark
from trainer.tui.widgets.demo_predict import Prediction
from trainer.tui.widgets.heatmap import Heatmap

__all__ = ["QKVView"]

MAX_TOKENS = 14


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
        super().__init__(seed, autoplay=autoplay, id="qkv-view")
        self.sentence = sentence
        self.demo = self._build()
        self.experiment_result: qkv.ExperimentResult | None = None
        self.experiment_running = False
        self._timer: Timer | None = None

    def _build(self) -> qkv.QKVDemo:
        sentence = None
        if self.sentence:
            tokens = qkv.tokenize(self.sentence)[:MAX_TOKENS]
            sentence = " ".join(tokens) if len(tokens) >= 2 else None
        self.sentence_mode = sentence is not None
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
                f"held-out accuracy: separate {r.separate_acc:.1%} vs shared {r.shared_acc:.1%} "
                f"(chance {r.chance_acc:.1%})"
            )

        def q4_truth() -> bool | None:
            r = self.experiment_result
            return None if r is None else r.shared_loss < 0.9 * r.uniform_loss

        def q4_evidence() -> str:
            r = self.experiment_result
            if r is None:
                return "measuring…"
            a = r.shared_attention
            return (
                f"shared loss {r.shared_loss:.2f} vs uniform {r.uniform_loss:.2f}: it learned a symmetric "
                f"window ({a.self:.2f} self, {a.prev:.2f} i−1, {a.next:.2f} i+1), accuracy {r.shared_acc:.1%}"
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
            Prediction(
                "And the shared W: will its held-out loss still be clearly below uniform attention's "
                "(log 8 ≈ 2.08), i.e. does it learn something?",
                q4_truth,
                q4_evidence,
            ),
        ]

    def prediction_answered(self, index: int) -> None:
        if index >= 2 and self.experiment_result is None and not self.experiment_running:
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

    def play(self) -> None:
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
        if self.sentence_mode:
            checks.append(
                "Sentence mode: each word gets a random embedding (a hash of the word), so the "
                "pattern means nothing linguistically — only repeated words share a row.\n",
                style="yellow",
            )
        checks.append(
            f"Shared projection, seed {demo.seed}, n={demo.n}, d_model={demo.d_model}, d_k={demo.d_k}:\n",
            style="bold",
        )
        checks.append_text(ok_mark(c.symmetric))
        checks.append(f"symmetric        max|S−Sᵀ| = {c.max_abs_asym:.1e}\n")
        checks.append_text(ok_mark(c.psd))
        checks.append(f"PSD              min eigenvalue = {c.min_eig:+.2e} (max {c.max_eig:.2f})\n")
        checks.append_text(ok_mark(c.cauchy_schwarz))
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
    def experiment(self) -> None:
        if not self.experiment_running:
            self.start_experiment()

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
            "to the previous token; content is random and positions start at a random offset. "
            "It supervises attention rows directly (no W_V): it tests what the scores can express."
        )
        r = self.experiment_result
        if self.experiment_running:
            head.append("  Running…", style="yellow")
        elif r is None:
            head.append("  Press x to run it.", style="dim")
        self.query_one("#exp-head", Static).update(head)
        self.query_one("#exp-result", Static).update(experiment_text(r) if r is not None else Text())


def experiment_text(r: qkv.ExperimentResult) -> Text:
    """Accuracy beside loss for every model, what shared W learned, and the controls."""
    res = Text()
    res.append(f"Seed {r.seed}, {r.config.steps} steps, {r.config.eval_sequences} fresh sequences "
               f"(chance {r.chance_acc:.1%}, uniform loss {r.uniform_loss:.2f}):\n")
    res.append(f"  separate W_Q, W_K     acc {r.separate_acc:6.1%}  loss {r.separate_loss:.3f}\n", style="cyan")
    res.append(f"  shared W              acc {r.shared_acc:6.1%}  loss {r.shared_loss:.3f}\n", style="red")
    for name, label in (("shared_causal", "shared + causal mask"), ("shared_causal_no_self", "shared + causal − self")):
        c = r.controls[name]
        res.append(f"  {label:<21} acc {c.acc:6.1%}  loss {c.loss:.3f}  (chance {c.chance_acc:.0%})\n")
    a = r.shared_attention
    res.append("Shared W did learn something: ", style="bold")
    res.append(
        f"a symmetric local window (weight {a.self:.2f} on itself, {a.prev:.2f} on i−1, {a.next:.2f} on i+1), "
        "so its loss is far below uniform while its accuracy is below chance. "
    )
    res.append(
        "Symmetric scores over translation-invariant positions cannot tell i−1 from i+1, and self-scores "
        "dominate. A causal mask removes i+1 but the token still scores itself highest; masking self too "
        "breaks the tie — which is why shared-QK layers (Reformer) mask self.",
        style="dim",
    )
    return res
