"""DemoScreen tests: a tiny host app pushes the screen and captures the DemoResult."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Input, ProgressBar, Static

import trainer.tui
from trainer.demos import qkv, registry, rope
from trainer.demos.registry import DemoResult, UnknownDemo
from trainer.tui.screens.demo import (
    DemoScreen,
    DemoView,
    DPOView,
    KVCacheView,
    PosEncView,
    PrecisionView,
    QKVView,
    RopeView,
    ScalingView,
    SpeculativeView,
    view_class,
)
from trainer.tui.widgets.demo_predict import PredictPanel
from trainer.tui.widgets.heatmap import Heatmap

QUESTION = "为什么要用 Q、K、V 三个矩阵？Why not one projection?"


DEMO_TCSS = Path(trainer.tui.__file__).parent / "styles" / "demo.tcss"


class Host(App[None]):
    """A bare app with only the demo's stylesheet (TrainerApp and DemoApp list it with their others)."""

    CSS_PATH = DEMO_TCSS

    def __init__(self, demo_id: str, seed: int = 0, question: str = QUESTION) -> None:
        super().__init__()
        self.demo_id = demo_id
        self.seed = seed
        self.question = question
        self.results: list[DemoResult | None] = []

    def on_mount(self) -> None:
        self.push_screen(DemoScreen(self.demo_id, question=self.question, seed=self.seed), self.results.append)


def text_of(widget: Static) -> str:
    return str(widget.content)


async def answer(pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    # the experiment's last frames arrive as messages after its worker ends: let them land
    view = getattr(pilot.app.screen, "view", None)
    for _ in range(50):
        if not getattr(view, "experiment_running", False):
            break
        await pilot.pause(0.02)
    await pilot.pause()
    await pilot.pause()


async def test_qkv_predict_play_step_experiment_and_grade():
    app = Host("qkv-symmetry")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DemoScreen)
        view = screen.view
        assert isinstance(view, QKVView)
        panel = screen.query_one(PredictPanel)
        assert not view.display  # results hidden until predictions are in
        # blend keys do nothing before the predictions are answered
        await pilot.press("right")
        assert view.t == 0.0

        # Q1 shared S symmetric? yes (right); Q2 softmax symmetric? no (right);
        # Q3 separate beats shared? no (wrong) -> the experiment is measured
        # Q4 shared W still beats uniform loss? yes (right)
        await answer(pilot, "y", "n", "n", "y")
        assert panel.finished and view.display
        assert view.experiment_result is not None
        assert view.experiment_result.separate_wins
        assert panel.score() == (3, 4)
        assert "3/4 predictions right" in text_of(panel)
        assert "✗" in text_of(panel) and "measured: yes" in text_of(panel)

        status = screen.query_one("#qkv-status", Static)
        before = text_of(status)
        assert "t = 0.00" in before and "= 0.000" in before
        checks = text_of(screen.query_one("#qkv-checks", Static))
        assert checks.count("✓") == 3 and "✗" not in checks
        soft = text_of(screen.query_one("#qkv-softmax", Static))
        pair = view.demo.softmax_pair()
        assert f"({pair.i},{pair.j})" in soft and f"{pair.ratio:.10g}" in soft

        # step
        await pilot.press("right")
        assert view.t == pytest.approx(0.05)
        after = text_of(status)
        assert "t = 0.05" in after and after != before
        expected = view.demo.frame(0.05).asymmetry
        assert f"{expected:.3f}" in after
        blend = screen.query_one("#hm-blend", Heatmap)
        assert blend.matrix is not None and not (blend.matrix == blend.matrix.T).all()
        await pilot.press("full_stop", "full_stop")
        assert view.t == pytest.approx(0.15)
        await pilot.press("left")
        assert view.t == pytest.approx(0.10)

        # play / pause: the timer advances t; pausing stops it
        await pilot.press("p")
        assert view.playing
        t0 = view.t
        for _ in range(50):
            await pilot.pause(0.02)
            if view.t > t0:
                break
        assert view.t > t0
        await pilot.press("space")
        assert not view.playing
        t_paused = view.t
        await pilot.pause(0.15)
        assert view.t == t_paused
        assert "paused" in text_of(status)

        # run the experiment again from the key
        await pilot.press("x")
        await app.workers.wait_for_complete()
        await pilot.pause()
        bar = screen.query_one("#exp-progress", ProgressBar)
        assert bar.progress == bar.total == qkv.ExperimentConfig().steps
        result_text = text_of(screen.query_one("#exp-result", Static))
        r = view.experiment_result
        assert r is not None and f"acc {r.separate_acc:6.1%}  loss {r.separate_loss:.3f}" in result_text
        assert f"acc {r.shared_acc:6.1%}  loss {r.shared_loss:.3f}" in result_text
        for c in r.controls.values():  # both controls, accuracy beside loss
            assert f"acc {c.acc:6.1%}  loss {c.loss:.3f}" in result_text
        a = r.shared_attention
        assert f"{a.self:.2f} on itself, {a.prev:.2f} on i−1, {a.next:.2f} on i+1" in result_text
        assert "no W_V" in text_of(screen.query_one("#exp-head", Static))
        assert r.separate_acc > r.shared_acc

        await pilot.press("g")
        await pilot.pause()
    assert app.results == [DemoResult("qkv-symmetry", 3, 4, 3)]


async def test_qkv_all_right_sentence_and_reseed():
    app = Host("qkv-symmetry", seed=4)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        view = screen.view
        assert isinstance(view, QKVView)
        await answer(pilot, "y", "n", "y", "y")
        assert screen.query_one(PredictPanel).score() == (4, 4)

        # type a sentence: words become tokens (CJK ok)
        await pilot.press("s")
        box = screen.query_one("#sentence-input", Input)
        assert box.display and box.has_focus
        await pilot.press("a", "space", "b", "y")  # typed into the input, not bindings
        assert box.value == "a by"
        assert view.playing is False
        box.value = "注意力 is all you need 注意力"
        await pilot.press("enter")
        await pilot.pause()
        assert not box.display
        assert view.demo.labels == ("注意力", "is", "all", "you", "need", "注意力")
        assert (view.demo.X[0] == view.demo.X[5]).all()
        assert "means nothing linguistically" in text_of(screen.query_one("#qkv-checks", Static))
        hm = screen.query_one("#hm-shared", Heatmap)
        assert "注意力"[:2] in str(hm.content)

        # escape closes the input without leaving the screen
        await pilot.press("s")
        await pilot.press("escape")
        await pilot.pause()
        assert not box.display and app.results == []

        await pilot.press("r")
        assert view.seed == 5 and view.demo.seed == 5
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [DemoResult("qkv-symmetry", 4, 4, 5)]


async def test_leaving_without_predictions_suggests_nothing():
    app = Host("qkv-symmetry")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [DemoResult("qkv-symmetry", 0, 0, None)]


async def test_scaling_view_live_parameter_and_grade():
    app = Host("sqrt-dk-scaling", question="Why divide by sqrt(d_k)?")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.screen.view
        assert isinstance(view, ScalingView)
        # unscaled softmax at d_k=1024 saturates: right; unscaled Jacobian smaller at d_k=4: no, right
        await answer(pilot, "y", "n")
        live = app.screen.query_one("#scaling-live", Static)
        assert "d_k = 64" in text_of(live)
        await pilot.press("right")
        assert "d_k = 128" in text_of(live)
        await pilot.press("left", "left")
        assert "d_k = 32" in text_of(live)
        table = app.screen.query_one("#scaling-table", Static)
        assert table.content is not None
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [DemoResult("sqrt-dk-scaling", 2, 2, 5)]


async def test_posenc_view_live_parameter_and_grade():
    app = Host("positional-encoding", question="位置编码为什么用正弦函数？")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.screen.view
        assert isinstance(view, PosEncView)
        await answer(pilot, "y", "n")  # wrong: the dot product depends only on k; right: not after projection
        live = app.screen.query_one("#posenc-live", Static)
        assert "k = 1" in text_of(live)
        await pilot.press("right", "right")
        assert view.k == 3 and "k = 3" in text_of(live)
        assert "PE(p)·PE(p+3)" in text_of(live)
        assert "Even in k" in text_of(live) and "no longer relative" in text_of(live)
        await pilot.press("g")
        await pilot.pause()
    assert app.results == [DemoResult("positional-encoding", 1, 2, 3)]


def test_registry_names_a_view_for_every_demo():
    expected = {
        "qkv-symmetry": QKVView,
        "sqrt-dk-scaling": ScalingView,
        "positional-encoding": PosEncView,
        "kv-cache-budget": KVCacheView,
        "rope-relative": RopeView,
        "speculative-sampling": SpeculativeView,
        "mixed-precision": PrecisionView,
        "dpo-bandit": DPOView,
    }
    assert {d.id: view_class(d) for d in registry.all_demos()} == expected
    assert all(issubclass(v, DemoView) for v in expected.values())


async def test_kvcache_view_context_steps_and_grade():
    app = Host("kv-cache-budget", question="How big is the KV cache?")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.screen.view
        assert isinstance(view, KVCacheView)
        await answer(pilot, "y", "y", "y")  # 2 GiB: right; a quarter: right; an approximation: wrong
        table = app.screen.query_one("#kv-table", Static)
        assert view.context == 4096
        await pilot.press("right")
        assert view.context == 8192 and "8,192 tokens" in text_of(app.screen.query_one("#kv-live", Static))
        # the table's totals follow the context: Llama-2-7B at 8k is 4 GiB
        from rich.console import Console

        console = Console(width=78, record=True)
        console.print(table.content)
        assert "4 GiB" in console.export_text()
        assert "e-15" in text_of(app.screen.query_one("#kv-exact", Static)) or "e-16" in text_of(
            app.screen.query_one("#kv-exact", Static)
        )
        await pilot.press("g")
        await pilot.pause()
    assert app.results == [DemoResult("kv-cache-budget", 2, 3, 3)]


async def test_rope_view_scale_steps():
    app = Host("rope-relative", question="Why is RoPE relative?")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.screen.view
        assert isinstance(view, RopeView)
        await answer(pilot, "n", "n", "y")
        live = app.screen.query_one("#rope-live", Static)
        assert "4× past" in text_of(live)
        await pilot.press("right")
        assert view.scale == 8 and "8× past" in text_of(live)
        share = rope.out_of_range_share(128, 4096, 8, "none")
        assert f"{share:7.2%}" in text_of(live) and share > 0
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [DemoResult("rope-relative", 3, 3, 5)]


async def test_speculative_view_gamma_and_reseed():
    app = Host("speculative-sampling", question="Does speculative decoding change the output?")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.screen.view
        assert isinstance(view, SpeculativeView)
        await answer(pilot, "y", "y")  # follows q: wrong; acceptance = sum min: right
        live = app.screen.query_one("#spec-live", Static)
        await pilot.press("left")
        assert view.gamma == 3 and "γ = 3" in text_of(live)
        before = view.result.tv_draft_only
        await pilot.press("r")
        assert view.seed == 1 and view.result.tv_draft_only != before
        await pilot.press("g")
        await pilot.pause()
    assert app.results == [DemoResult("speculative-sampling", 1, 2, 3)]


async def test_precision_view_update_steps():
    app = Host("mixed-precision", question="Why fp32 master weights?")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.screen.view
        assert isinstance(view, PrecisionView)
        await answer(pilot, "n", "n", "y")
        live = app.screen.query_one("#prec-live", Static)
        assert "bf16(1 + 0.0001) = 1.0" in text_of(live)
        await pilot.press("left", "left", "left", "left", "left")  # 1e-4 -> 1e-1
        assert view.update == 0.1 and "kept" in text_of(live)
        await pilot.press("g")
        await pilot.pause()
    assert app.results == [DemoResult("mixed-precision", 3, 3, 5)]


async def test_dpo_view_beta_steps():
    app = Host("dpo-bandit", question="What does DPO optimise?")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.screen.view
        assert isinstance(view, DPOView)
        await answer(pilot, "y", "y")  # tracks r: right; smaller beta closer: wrong
        live = app.screen.query_one("#dpo-live", Static)
        assert view.beta == 0.1
        await pilot.press("right", "right")
        assert view.beta == 0.5
        from rich.console import Console

        console = Console(width=78, record=True)
        console.print(live.content)
        assert "β = 0.5" in console.export_text()
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [DemoResult("dpo-bandit", 1, 2, 3)]


def test_unknown_demo_id():
    with pytest.raises(UnknownDemo):
        DemoScreen("no-such-demo")


# --------------------------------------------------------------------------
# snapshots (baseline in tests/tui/__snapshots__/)


async def _answer_qkv_and_scroll(pilot) -> None:
    await answer(pilot, "y", "n", "y", "y")
    view = pilot.app.screen.view
    for _ in range(200):  # the third answer runs the experiment; its result lands as messages
        if view.experiment_result is not None and not view.experiment_running:
            break
        await pilot.pause(0.02)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.2)
    screen = pilot.app.screen
    # Scrolled until the position holds: on a loaded machine the experiment's last plots can
    # still change the layout (and so the scroll bar) after the first scroll.
    body, target = screen.query_one("#demo-body"), screen.query_one("#heatmaps")
    last = None
    for _ in range(20):
        body.scroll_to_widget(target, animate=False, top=True)
        await pilot.pause(0.1)
        state = (body.scroll_offset, body.virtual_size, target.region)
        if state == last:
            break
        last = state


async def _answer_yes_no(pilot) -> None:
    await answer(pilot, "y", "n")


async def _answer_no_and_scroll(pilot) -> None:
    await answer(pilot, "n", "n")
    screen = pilot.app.screen
    screen.query_one("#demo-body").scroll_to_widget(screen.query_one(".demo-view"), animate=False, top=True)
    await pilot.pause()


async def _answer_two_qkv(pilot) -> None:
    await answer(pilot, "y", "n")  # the third answer would start the experiment (timing-dependent frames)


def test_snapshot_qkv_after_predictions(snap_compare):
    assert snap_compare(Host("qkv-symmetry"), terminal_size=(80, 24), run_before=_answer_two_qkv)


def test_snapshot_qkv_heatmaps(snap_compare):
    assert snap_compare(Host("qkv-symmetry"), terminal_size=(80, 24), run_before=_answer_qkv_and_scroll)


def test_snapshot_scaling(snap_compare):
    assert snap_compare(
        Host("sqrt-dk-scaling", question="Why divide by sqrt(d_k)?"),
        terminal_size=(80, 24),
        run_before=_answer_yes_no,
    )


def test_snapshot_posenc(snap_compare):
    assert snap_compare(
        Host("positional-encoding", question="位置编码为什么用正弦函数？"),
        terminal_size=(80, 24),
        run_before=_answer_no_and_scroll,
    )


@pytest.mark.parametrize(
    "demo_id, keys",
    [
        ("kv-cache-budget", ("y", "y", "n")),
        ("rope-relative", ("n", "n", "y")),
        ("speculative-sampling", ("n", "y")),
        ("mixed-precision", ("n", "n", "y")),
        ("dpo-bandit", ("y", "n")),
    ],
)
def test_snapshot_new_demo(snap_compare, demo_id, keys):
    async def run_before(pilot) -> None:
        await answer(pilot, *keys)
        screen = pilot.app.screen
        screen.query_one("#demo-body").scroll_to_widget(screen.query_one(".demo-view"), animate=False, top=True)
        await pilot.pause()

    assert snap_compare(Host(demo_id, question=""), terminal_size=(80, 24), run_before=run_before)


async def test_help_lists_only_the_keys_this_demo_has_with_what_they_do():
    """`?` on a demo listed every demo's keys as bare names ("← / ,  −", "s  Sentence", "x  Experiment")
    even on sqrt-dk-scaling, which has no sentence, animation or experiment."""
    from trainer.tui.screens.help import help_sections

    app = Host("sqrt-dk-scaling")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        title, rows = help_sections(app.screen)[0]
        what = dict(rows)
        assert title == "This screen: Live demo"
        assert what["y"] == "Predict yes" and what["← / ,"] == "The live parameter one step down"
        assert "r" in what and not {"s", "x", "p / space"} & set(what)
        assert what["esc"].startswith("Leave the demo")  # `trainer demo ID` has no card to go back to
        await answer(pilot, "y", "y")
        assert not {"y", "n"} & set(dict(help_sections(app.screen)[0][1]))
    app = Host("qkv-symmetry")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert {"s", "x", "p / space", "r"} <= set(dict(help_sections(app.screen)[0][1]))


async def test_kv_cache_table_keeps_model_names_whole_at_60_columns():
    """At 60x20 Rich cut every column of the table: llama-2-7b and llama-2-70b both read "llama-2-…"."""
    from rich.console import Console

    app = Host("kv-cache-budget")
    async with app.run_test(size=(60, 20)) as pilot:
        await answer(pilot, "y", "y", "y")
        table = app.screen.query_one("#kv-table", Static)
        console = Console(width=table.content_region.width, color_system=None, legacy_windows=False)
        with console.capture() as cap:
            console.print(table.content)
        lines = cap.get().splitlines()
    assert any(line.strip().startswith("llama-2-70b") for line in lines), lines
    assert any(line.strip().startswith("llama-2-7b ") for line in lines), lines
    assert not any("…" in line for line in lines), lines
