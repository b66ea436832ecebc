"""After a session: cards graded, re-drills, accuracy, mastery before → after, time, what is due next."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from trainer import stats
from trainer.scheduler import format_interval
from trainer.session import StudySession
from trainer.tui.text import one_line
from trainer.tui.widgets.forecast import ForecastStrip
from trainer.tui.widgets.mastery_bar import mastery_bar, mastery_style

if TYPE_CHECKING:
    from trainer.tui.app import TrainerApp

FORECAST_DAYS = 7


def format_duration(seconds: float) -> str:
    """Whole minutes (a session's time is not worth seconds, and snapshots stay stable)."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class SummaryScreen(Screen):
    """What the session did; any key of the bindings goes back to the overview."""

    BINDINGS = [
        Binding("escape,q,enter", "close", "Back to the deck"),
        Binding("t", "app.stats", "Stats"),
    ]

    app: "TrainerApp"

    def __init__(self, session: StudySession, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session

    def compose(self) -> ComposeResult:
        s = self.session.stats()
        accuracy = f"{s.correct / s.graded:.0%}" if s.graded else "–"
        yield Header()
        with Vertical(id="summary-body"):
            with Horizontal(id="summary-counts"):
                for key, title, value in (
                    ("graded", "Graded", str(s.graded)),
                    ("redrills", "Re-drills", str(s.redrills)),
                    ("accuracy", "Accuracy", accuracy),
                    ("time", "Time", format_duration(s.seconds)),
                ):
                    box = Static(Text(value), id=f"sum-{key}", classes="count")
                    box.border_title = title
                    yield box
            table: DataTable = DataTable(id="mastery", cursor_type="row", zebra_stripes=True)
            table.border_title = "Mastery before → after"
            yield table
            strip = ForecastStrip(id="summary-forecast")
            strip.border_title = f"Due in the next {FORECAST_DAYS} days"
            yield strip
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "session summary"
        table = self.query_one("#mastery", DataTable)
        table.add_column("Card", key="card", width=28)
        table.add_column("Grades", key="grades")
        table.add_column("Before", key="before")
        table.add_column("After", key="after")
        table.add_column("Next", key="next")
        grades: dict[str, list[str]] = {}
        for g in self.session.history:
            grades.setdefault(g.note.rel, []).append(str(g.grade))
        for note, before, after in self.session.mastery_changes():
            delta = after - before
            after_text = mastery_bar(after, 6)
            after_text.append(f" {delta:+.2f}", style=mastery_style(after) if delta >= 0 else "red")
            table.add_row(
                Text(one_line(note.question, 60), no_wrap=True, overflow="ellipsis"),
                Text(" ".join(grades.get(note.rel, []))),
                mastery_bar(before, 6),
                after_text,
                Text(f"in {format_interval((note.schedule.next_review - self.app.today).days)}"),
                key=note.rel,
            )
        good = [n for n in self.app.notes if not n.fatal]
        self.query_one("#summary-forecast", ForecastStrip).set_days(stats.forecast(good, self.app.today, FORECAST_DAYS))
        table.focus()

    def action_close(self) -> None:
        self.app.pop_screen()
