"""DemoScreen: the live view of a registered NumPy demo.

Pushed by the app from a card::

    app.push_screen(DemoScreen("qkv-symmetry", question=card.question, seed=0), callback)

and dismissed with a :class:`trainer.demos.registry.DemoResult` on ``escape`` /
``g`` (back to grading).  All numbers come from ``trainer.demos``; the views
only draw.  The registry names each demo's view (``Demo.view``), so this
screen never special-cases a demo.

Every demo starts with a *predict first* step: y/n questions whose right
answers are computed, never typed in.  The suggested grade follows
:func:`trainer.demos.registry.suggest_grade` over the answered predictions
whose measurement is known: all right -> 5, one wrong -> 3, more -> 2, none
answered -> ``None``.
"""

from __future__ import annotations

import importlib
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input, Static

from trainer.demos.registry import Demo, DemoResult, get, suggest_grade
from trainer.tui.math import plain_math
from trainer.tui.screens.demo.base import DemoBody, DemoView
from trainer.tui.text import one_line
from trainer.tui.widgets.demo_predict import PredictPanel
from trainer.tui.widgets.fitting_footer import FittingFooter

RESULT_ROWS_SHOWN = 6
"""Rows of a demo's results brought on screen when the last prediction is answered."""

__all__ = ["DemoScreen", "view_class"]


def view_class(demo: Demo) -> type[DemoView]:
    """The view the registry names for ``demo`` (``"module.Class"`` under this package)."""
    module, _, cls = demo.view.rpartition(".")
    mod = importlib.import_module(f"trainer.tui.screens.demo.{module}")
    view = getattr(mod, cls)
    if not (isinstance(view, type) and issubclass(view, DemoView)):
        raise TypeError(f"{demo.id}: {demo.view} is not a DemoView")
    return view


class DemoScreen(Screen[DemoResult | None]):
    """The live view of one demo; dismisses with a :class:`DemoResult`."""

    HELP_TITLE = "Live demo"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Back", tooltip="Leave the demo (opened from a card: back to it, with the grade your predictions suggest)"),
        Binding("g", "leave", "Grade", tooltip="Back to the card to grade it"),
        Binding("y", "answer(True)", "Yes", tooltip="Predict yes"),
        Binding("n", "answer(False)", "No", tooltip="Predict no"),
        Binding("p,space", "toggle_play", "Play", tooltip="Play or pause the animation"),
        Binding("left,comma", "step(-1)", "−", tooltip="The live parameter one step down"),
        Binding("right,full_stop", "step(1)", "+", tooltip="The live parameter one step up"),
        Binding("s", "sentence", "Sentence", tooltip="Type your own sentence: its words become the tokens"),
        Binding("r", "reseed", "Seed", tooltip="Draw new random inputs"),
        Binding("x", "experiment", "Experiment", tooltip="Run the demo's experiment"),
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
        self.view: DemoView = view_class(self.demo)(self.seed, autoplay=autoplay)
        self.predictions = self.view.make_predictions()
        self.panel = PredictPanel(self.predictions, id="predict")
        self._left = False
        self._results_to_show = False
        """The last prediction is in and the results' first rows are not on screen yet."""

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
        yield FittingFooter()

    def on_mount(self) -> None:
        self.view.display = self.panel.finished
        self.query_one("#demo-body").focus()
        self.watch(self.query_one("#demo-body"), "virtual_size", self._body_grew, init=False)

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

    def help_hides(self, action: str) -> bool:
        """The help lists only the keys this demo has (``−``, ``+`` and ``Sentence`` for a demo
        without a sentence read as nothing), and no y/n once every prediction is in."""
        if action == "answer":
            return self.panel.finished
        view = self.view
        supported = {"toggle_play": view.supports_play, "sentence": view.supports_sentence,
                     "reseed": view.supports_reseed, "experiment": view.supports_experiment}
        return not supported.get(action, True)

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
            self.call_after_refresh(self._bring_results_into_view)
        self.refresh_bindings()

    def _bring_results_into_view(self) -> None:
        """The results appear below the predictions: at 60x20 wholly below the screen, so the keys
        that now drive them (play, ←/→) changed nothing one could see. Scrolled just enough to show
        their first rows; the predictions' evidence stays above them as far as there is room. A view
        fills in after it is shown: scrolled again as the body grows, until those rows are there."""
        region = self.view.virtual_region_with_margin
        self._results_to_show = region.height < RESULT_ROWS_SHOWN
        self.query_one("#demo-body", DemoBody).scroll_to_region(
            region._replace(height=min(region.height, RESULT_ROWS_SHOWN)), animate=False, immediate=True)

    def _body_grew(self) -> None:
        if self._results_to_show:
            self.call_after_refresh(self._bring_results_into_view)

    def action_toggle_play(self) -> None:
        self.view.play()

    def action_step(self, direction: int) -> None:
        self.view.step(int(direction))

    def action_reseed(self) -> None:
        self.view.reseed()
        self.seed = self.view.seed

    def action_experiment(self) -> None:
        self.view.experiment()

    def action_sentence(self) -> None:
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
        self.view.stop()
        self.workers.cancel_node(self.view)
        self.dismiss(self.result())
