"""The six grade buttons, each with its label and the interval it would give (as Anki shows)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button

from trainer.scheduler import format_interval
from trainer.tui.messages import GradeChosen

SHORT_LABELS = {
    0: "blackout",
    1: "wrong",
    2: "almost",
    3: "hard",
    4: "hesitated",
    5: "perfect",
}
"""Short forms of :data:`trainer.scheduler.GRADE_LABELS` that fit a button at 80 columns."""

NARROW_LABELS = {0: "blank", 1: "wrong", 2: "almost", 3: "hard", 4: "good", 5: "easy"}
"""Shorter still, for a button of 8 cells (60 columns): the interval under it must stay visible."""


class GradeButton(Button, can_focus=False):
    """A grade button; never takes focus, so keys always reach the study screen."""


class GradeBar(Horizontal):
    """Buttons 0–5; ``show_intervals`` puts the next interval under each label."""

    DEFAULT_CSS = """
    GradeBar { height: auto; }
    GradeBar GradeButton { width: 1fr; min-width: 8; height: 4; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[dict[int, int] | None, int | None] = (None, None)

    def compose(self) -> ComposeResult:
        for g in range(6):
            yield GradeButton(f"{g} {SHORT_LABELS[g]}", id=f"grade-{g}", classes=f"grade grade{g}")

    def label_for(self, g: int) -> str:
        """The label that fits the buttons' width (a label that wrapped would push the interval out)."""
        inner = self.size.width // 6 - 2 if self.size.width else 10  # a button's padding: one cell each side
        for label in (f"{g} {SHORT_LABELS[g]}", f"{g} {NARROW_LABELS[g]}"):
            if len(label) <= inner:
                return label
        return str(g)

    def on_resize(self) -> None:
        self.show(*self._shown)

    def show(self, intervals: dict[int, int] | None, suggested: int | None = None) -> None:
        """Relabel: ``4 hesitated`` over ``6d`` (or ``re-drill`` when the grade changes no schedule)."""
        self._shown = (intervals, suggested)
        for g in range(6):
            button = self.query_one(f"#grade-{g}", GradeButton)
            below = format_interval(intervals[g]) if intervals is not None else "re-drill"
            button.label = f"{self.label_for(g)}\n{below}"
            button.set_class(g == suggested, "suggested")
            button.variant = "warning" if g == suggested else ("error" if g < 3 else "success" if g >= 4 else "default")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id and event.button.id.startswith("grade-"):
            self.post_message(GradeChosen(int(event.button.id.removeprefix("grade-"))))
