"""After a session: cards graded, re-drills, accuracy, mastery before → after, time, what is due next."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from trainer.opendeck import OpenDeck
from trainer.scheduler import format_interval
from trainer.session import StudySession
from trainer.tui.math import plain_math
from trainer.tui.text import one_line
from trainer.tui.widgets.forecast import ForecastStrip
from trainer.tui.widgets.mastery_bar import mastery_style

FORECAST_DAYS = 7


def format_duration(seconds: float) -> str:
    """Whole minutes (a session's time is not worth seconds, and snapshots stay stable)."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "< 1 min"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class SummaryScreen(Screen):
    """What the session did; any key of the bindings goes back to the overview."""

    HELP_TITLE = "Session summary"

    BINDINGS = [
        Binding("escape,q,enter", "close", "Back to the deck"),
        Binding("t", "app.stats", "Stats"),
    ]

    def __init__(self, book: OpenDeck, session: StudySession, **kwargs) -> None:
        super().__init__(**kwargs)
        self.book = book
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
            table.border_title = "Cards graded: mastery before → after"
            yield table
            strip = ForecastStrip(id="summary-forecast")
            strip.border_title = f"To study today · due the next {FORECAST_DAYS - 1} days"
            yield strip
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "session summary"
        table = self.query_one("#mastery", DataTable)
        rows = []
        grades: dict[str, list[str]] = {}
        for g in self.session.history:
            grades.setdefault(g.note.rel, []).append(str(g.grade))
        for note, before, after in self.session.mastery_changes():
            delta = after - before
            change = Text(f"{before:.2f} → ")
            change.append(f"{after:.2f}", style=mastery_style(after))
            change.append(f" {delta:+.2f}", style="green" if delta > 0 else "red" if delta < 0 else "dim")
            days = (note.schedule.next_review - self.book.today).days
            rows.append((one_line(plain_math(note.question)), " ".join(grades.get(note.rel, [])), change,
                         Text(f"in {format_interval(days)}"), note.rel))
        # the question takes what the other columns leave (each column has a cell of padding either side)
        others = [max([len("Grades"), *(len(r[1]) for r in rows)]), max([len("Mastery"), *(r[2].cell_len for r in rows)]),
                  max([len("Next"), *(r[3].cell_len for r in rows)])]
        card_width = max(12, self.app.size.width - 2 - 2 * 4 - sum(others) - 2)
        table.add_column("Card", key="card", width=card_width)
        table.add_column("Grades", key="grades")
        table.add_column("Mastery", key="mastery")
        table.add_column("Next", key="next")
        for question, grade_text, change, nxt, rel in rows:
            table.add_row(Text(question, no_wrap=True, overflow="ellipsis"), Text(grade_text), change, nxt, key=rel)
        forecast = self.book.figures().forecast[:FORECAST_DAYS]
        self.query_one("#summary-forecast", ForecastStrip).set_days(list(forecast))
        table.focus()

    def action_close(self) -> None:
        self.app.pop_screen()
