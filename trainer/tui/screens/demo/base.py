"""The interface every demo view implements, and small drawing helpers.

The screen never asks which view it holds: it calls the interface below and
gates its key bindings on the ``supports_*`` flags.  A view that has no live
animation, sentence or experiment simply leaves those methods as no-ops.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive

from trainer.tui.widgets.demo_predict import Prediction

__all__ = ["DemoBody", "DemoView", "LadderView", "hbar", "ok_mark"]


def ok_mark(flag: bool) -> Text:
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
    """Base class of a demo's results view (hidden until predictions are done).

    Interface used by :class:`~trainer.tui.screens.demo.screen.DemoScreen`:
    ``make_predictions``, ``step`` (the live parameter), ``play``, ``reseed``,
    ``sentence`` / ``set_sentence``, ``experiment`` and ``stop``; each optional
    feature is announced by its ``supports_*`` flag.
    """

    class Changed(Message):
        """Something that predictions depend on was (re)measured."""

    supports_play: ClassVar[bool] = False
    supports_sentence: ClassVar[bool] = False
    supports_reseed: ClassVar[bool] = False
    supports_experiment: ClassVar[bool] = False

    #: the sentence in use, to pre-fill the input (``supports_sentence``)
    sentence: str | None = None
    #: True while the view's experiment runs in a worker
    experiment_running: bool = False

    def __init__(self, seed: int = 0, *, autoplay: bool = False, id: str | None = None) -> None:
        super().__init__(id=id, classes="demo-view")
        self.seed = int(seed)
        self.autoplay = autoplay
        self._ready = False  # set once mounted (redraws before that are skipped)

    def on_mount(self) -> None:
        # Textual calls every class's on_mount: a view with its own (timers, two redraws) runs it too.
        self._ready = True
        self.redraw()

    def redraw(self) -> None:
        """Draw the view from its result; called once mounted and whenever the result or parameter changes."""

    # -- predict first ---------------------------------------------------------
    def make_predictions(self) -> list[Prediction]:
        return []

    def prediction_answered(self, index: int) -> None:
        """Hook: the user answered prediction ``index``."""

    def revealed(self) -> None:
        """Called once the predictions are answered and the view is shown."""

    # -- controls (no-ops unless the view supports them) -------------------------
    def step(self, direction: int) -> None:
        """The live parameter, one step left (-1) or right (+1)."""

    def play(self) -> None:
        """Start or pause the animation (``supports_play``)."""

    def reseed(self) -> None:
        """Draw new random inputs (``supports_reseed``)."""

    def set_sentence(self, sentence: str | None) -> None:
        """Use the words of ``sentence`` as tokens (``supports_sentence``)."""

    def experiment(self) -> None:
        """Run the view's experiment (``supports_experiment``)."""

    def stop(self) -> None:
        """The screen is closing: stop timers (workers are cancelled by the screen)."""


class LadderView(DemoView):
    """A view whose live parameter is one value of a fixed ladder (``β``, a context length, a
    scale factor): ←/→ move along it and stop at its ends, and only the live part is drawn again.

    A view names its ladder (``LADDER``) and where it starts (``index = reactive(LADDER.index(x),
    init=False)``), and draws in :meth:`redraw_static` (what the ladder does not change) and
    :meth:`redraw_live` (what it does)."""

    LADDER: ClassVar[Sequence[Any]] = ()
    index: reactive[int] = reactive(0, init=False)

    @property
    def rung(self) -> Any:
        """The live parameter's value: ``LADDER[index]``."""
        return self.LADDER[self.index]

    def step(self, direction: int) -> None:
        self.index = max(0, min(len(self.LADDER) - 1, self.index + direction))

    def watch_index(self, _old: int, _new: int) -> None:
        self.redraw_live()

    def redraw(self) -> None:
        self.redraw_static()
        self.redraw_live()

    def redraw_static(self) -> None:
        """Draw what does not depend on the live parameter."""

    def redraw_live(self) -> None:
        """Draw what does (skipped until the view is mounted: check ``self._ready``)."""


_EIGHTHS = " ▏▎▍▌▋▊▉█"


def hbar(value: float, vmax: float, width: int = 20, style: str = "cyan") -> Text:
    """A horizontal bar of ``width`` cells for ``value`` on [0, vmax] (eighth-cell steps)."""
    frac = 0.0 if vmax <= 0 else max(0.0, min(1.0, value / vmax))
    eighths = int(round(frac * width * 8))
    if value > 0 and eighths == 0:
        eighths = 1
    full, part = divmod(eighths, 8)
    bar = "█" * full + (_EIGHTHS[part] if part else "")
    return Text(bar.ljust(width), style=style, no_wrap=True)
