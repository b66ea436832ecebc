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


def _grade_text(q) -> str:
    if q.grade is None:
        return "–"
    if q.suggested_grade is not None and q.suggested_grade != q.grade:
        return f"{q.grade} (suggested {q.suggested_grade})"
    return str(q.grade)


class InterviewReportScreen(Screen[None]):
    """The transcript is already saved; any of the bindings closes the report."""

    CSS_PATH = "../styles/interview.tcss"
    HELP_TITLE = "Interview report"

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
                    ("coverage", "Coverage", _percent(t.coverage)),  # a title of 9 cells fits a box at 60 columns
                    ("time", "Time", _clock(sum(q.seconds for q in t.questions))),
                    ("grade", "Avg grade", f"{sum(graded) / len(graded):.1f}" if graded else "–"),
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
        table.add_column("Question", key="question", width=self._question_width())
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
                _grade_text(q),
            )
        table.focus()

    def _question_width(self) -> int:
        """34 cells, less what the other columns need at this width (at 60 columns "Grade" was cut)."""
        qs = self.transcript.questions
        grade = max([5, *(len(_grade_text(q)) for q in qs)])
        time = max([4, *(len(_clock(q.seconds)) + (5 if q.overtime else 0) for q in qs)])
        others = len(str(len(qs))) + time + len("Points") + grade + 2 * 5  # a cell's padding each side
        return max(12, min(34, self.app.size.width - 2 - 1 - others))  # the border, the scrollbar's cell

    def action_close(self) -> None:
        self.dismiss(None)
