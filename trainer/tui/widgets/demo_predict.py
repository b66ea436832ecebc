"""Predict-first panel: questions answered with y/n before results are shown.

The right answer of every question comes from a computation (a callable that
returns ``None`` while the evidence is still being measured); nothing is typed
in.  The panel only draws; the screen owns the key bindings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from rich.text import Text
from textual.widgets import Static

from trainer.tui.widgets.hanging import Hanging

__all__ = ["Prediction", "PredictPanel"]


@dataclass
class Prediction:
    prompt: str
    truth: Callable[[], bool | None]  # the measured answer (None: not measured yet)
    evidence: Callable[[], str]
    answer: bool | None = None

    @property
    def answered(self) -> bool:
        return self.answer is not None

    @property
    def verdict(self) -> bool | None:
        """True/False once answered and measured, else None."""
        if self.answer is None:
            return None
        truth = self.truth()
        if truth is None:
            return None
        return self.answer == truth


def _yn(v: bool) -> str:
    return "yes" if v else "no"


class PredictPanel(Static):
    """Shows answered predictions (✓/✗ with evidence) and the current question."""

    DEFAULT_CSS = """
    PredictPanel {
        height: auto;
    }
    """

    def __init__(self, predictions: list[Prediction], *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.predictions = predictions

    def on_mount(self) -> None:
        self.refresh_panel()

    @property
    def current(self) -> Prediction | None:
        for p in self.predictions:
            if not p.answered:
                return p
        return None

    @property
    def finished(self) -> bool:
        return self.current is None

    def answer(self, value: bool) -> Prediction | None:
        p = self.current
        if p is None:
            return None
        p.answer = value
        self.refresh_panel()
        return p

    def score(self) -> tuple[int, int]:
        """(correct, total) over answered predictions whose truth is known."""
        verdicts = [p.verdict for p in self.predictions]
        known = [v for v in verdicts if v is not None]
        return sum(known), len(known)

    def refresh_panel(self) -> None:
        total = len(self.predictions)
        head = Text("Predict first", style="bold")
        head.append(f"  ({sum(p.answered for p in self.predictions)}/{total} answered)", style="dim")
        rows: list[tuple[Text, Text]] = [(Text(), head)]
        for k, p in enumerate(self.predictions, 1):
            if not p.answered:
                continue
            v = p.verdict
            if v is None:
                mark = Text(" … ", style="bold yellow")
            elif v:
                mark = Text(" ✓ ", style="bold green")
            else:
                mark = Text(" ✗ ", style="bold red")
            rows.append((mark, Text(f"Q{k}. {p.prompt}")))
            assert p.answer is not None
            truth = p.truth()
            line = f"you: {_yn(p.answer)}"
            if truth is None:
                line += " · measuring…"
            else:
                line += f" · measured: {_yn(truth)} — {p.evidence()}"
            rows.append((Text(" " * 4), Text(line, style="dim" if truth is None else "")))
        cur = self.current
        if cur is not None:
            k = self.predictions.index(cur) + 1
            rows.append((Text(" ? ", style="bold cyan"), Text(f"Q{k}. {cur.prompt}", style="bold")))
            keys = Text("press ", style="dim").append("y", style="bold").append(" for yes, ", style="dim")
            rows.append((Text(" " * 4), keys.append("n", style="bold").append(" for no", style="dim")))
        else:
            correct, known = self.score()
            if known < total:
                rows.append((Text(" "), Text(f"{correct}/{known} right so far; waiting for a measurement…", style="yellow")))
            else:
                rows.append((Text(" "), Text(f"{correct}/{total} predictions right.", style="bold")))
        self.update(Hanging(rows))
