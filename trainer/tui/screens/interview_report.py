"""The end of a mock interview: time, coverage and grade per question, and the points missed most."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from trainer.interview.transcript import Transcript
from trainer.textsafe import strip_controls
from trainer.tui.math import plain_math
from trainer.tui.widgets.hanging import Hanging


def _line(text: str) -> str:
    return " ".join(strip_controls(text).split())


def _percent(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 60}:{s % 60:02d}"


class InterviewReportScreen(Screen[None]):
    """The transcript is already saved; any of the bindings closes the report."""

    CSS_PATH = "../styles/interview.tcss"

    BINDINGS = [Binding("escape,q,enter", "close", "Close", priority=True, tooltip="Close the report (it is saved in the review log)")]

    def __init__(self, transcript: Transcript, missed: list[tuple[str, int]], **kwargs) -> None:
        super().__init__(**kwargs)
        self.transcript = transcript
        """The interview just finished."""
        self.missed = missed
        """Key points missed most over the stored interviews, with counts."""

    def compose(self) -> ComposeResult:
        t = self.transcript
        graded = [q.grade for q in t.questions if q.grade is not None]
        yield Header()
        with Vertical(id="report-body"):
            with Horizontal(id="report-counts"):
                for key, title, value in (
                    ("questions", "Questions", str(len(t.questions))),
                    ("coverage", "Key points", _percent(t.coverage)),
                    ("time", "Time", _clock(sum(q.seconds for q in t.questions))),
                    ("grade", "Mean grade", f"{sum(graded) / len(graded):.1f}" if graded else "–"),
                ):
                    box = Static(Text(value), id=f"report-{key}", classes="count")
                    box.border_title = title
                    yield box
            table: DataTable = DataTable(id="report-table", cursor_type="row", zebra_stripes=True)
            table.border_title = "Per question"
            yield table
            missed = Static(self._missed_text(), id="report-missed")
            missed.border_title = "Key points missed most (all interviews)"
            yield missed
        yield Footer()

    def _missed_text(self) -> Text | Hanging:
        if not self.missed:
            return Text("None missed.", style="dim")
        width = max(len(f"×{n} ") for _, n in self.missed)  # ×12 and ×3 start their points in one column
        return Hanging([(Text(f"×{n} ".ljust(width), style="bold red"), Text(_line(plain_math(point))))
                        for point, n in self.missed])  # TeX as Unicode, as in the feedback

    def on_mount(self) -> None:
        self.sub_title = "interview report"
        table = self.query_one("#report-table", DataTable)
        table.add_column("#", key="n")
        table.add_column("Question", key="question", width=34)
        table.add_column("Time", key="time")
        table.add_column("Points", key="points")
        table.add_column("Grade", key="grade")
        for i, q in enumerate(self.transcript.questions, 1):
            points = f"{q.covered}/{len(q.key_points)}" if q.key_points else "–"
            time_text = Text(_clock(q.seconds), style="red" if q.overtime else "")
            if q.overtime:
                time_text.append(" late", style="red")
            table.add_row(
                str(i),
                Text(_line(plain_math(q.question)), no_wrap=True, overflow="ellipsis"),
                time_text,
                points,
                "–" if q.grade is None else f"{q.grade} (suggested {q.suggested_grade})" if q.suggested_grade is not None
                and q.suggested_grade != q.grade else str(q.grade),
            )
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
