"""Deck statistics: reviews per day, retention, the due forecast and mastery by tag, as charts and numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane
from textual_plotext import PlotextPlot

from trainer import stats
from trainer.tui.text import one_line
from trainer.tui.widgets.mastery_bar import mastery_bar

if TYPE_CHECKING:
    from trainer.tui.app import TrainerApp

DAYS = 30
MAX_TAG_BARS = 12


class StatsScreen(Screen):
    """Three tabs, each a chart over a table of the same numbers."""

    BINDINGS = [
        Binding("escape,q", "close", "Back"),
        Binding("1", "tab('reviews')", "Reviews"),
        Binding("2", "tab('forecast')", "Forecast"),
        Binding("3", "tab('tags')", "Tags"),
    ]

    app: "TrainerApp"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="stats-summary")
        with TabbedContent(id="stats-tabs", initial="reviews"):
            with TabPane(f"Reviews ({DAYS} days)", id="reviews"):
                yield PlotextPlot(id="reviews-plot", classes="plot")
                yield DataTable(id="reviews-table", classes="numbers", cursor_type="row")
            with TabPane(f"Due forecast ({DAYS} days)", id="forecast"):
                yield PlotextPlot(id="forecast-plot", classes="plot")
                yield DataTable(id="forecast-table", classes="numbers", cursor_type="row")
            with TabPane("Mastery by tag", id="tags"):
                yield PlotextPlot(id="tags-plot", classes="plot")
                yield DataTable(id="tags-table", classes="numbers", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "stats"
        app = self.app
        log = app.review_log
        if log is None:
            from trainer.reviewlog import ReviewLog

            log = ReviewLog.memory()
        data = stats.compute(app.notes, log, app.today, days=DAYS, history=DAYS)
        self.data = data
        c = data.counts
        retention = f"{data.retention:.1%}" if data.retention is not None else "–"
        summary = Text()
        for label, value in (
            ("retention", f"{retention} of {data.reviews_total}" if data.retention is not None else "– (no reviews yet)"),
            ("cards", str(c["total"])),
            ("due", str(c["due"])),
            ("overdue", str(c["overdue"])),
            ("new", str(c["new"])),
            ("mastery", f"{data.mean_mastery:.2f}"),
        ):
            summary.append(f"{label} ", style="dim")
            summary.append(value, style="bold")
            summary.append("  ")
        self.query_one("#stats-summary", Static).update(summary)
        self._reviews(data)
        self._forecast(data)
        self._tags(data)

    def _bar_chart(self, plot_id: str, title: str, days: list, values: list[int], color: str) -> None:
        plt = self.query_one(plot_id, PlotextPlot).plt
        plt.clear_figure()
        xs = list(range(len(values)))
        plt.bar(xs, values, color=color, width=0.6)
        step = max(1, len(values) // 6)
        ticks = xs[::step]
        plt.xticks(ticks, [f"{days[i]:%m-%d}" for i in ticks])
        plt.title(title)
        top = max(values) if values else 0
        plt.yticks(sorted({0, top // 2, top}) if top else [0, 1])

    def _reviews(self, data: stats.DeckStats) -> None:
        days = [d for d, _ in data.reviews_per_day]
        values = [n for _, n in data.reviews_per_day]
        self._bar_chart("#reviews-plot", f"reviews per day · total {sum(values)}", days, values, "blue")
        table = self.query_one("#reviews-table", DataTable)
        table.add_columns("day", "reviews")
        for day, n in reversed(data.reviews_per_day):
            if n:
                table.add_row(day.isoformat(), Text(str(n), justify="right"))
        if not table.row_count:
            table.add_row("–", Text("no reviews yet"))

    def _forecast(self, data: stats.DeckStats) -> None:
        days = [d for d, _ in data.forecast]
        values = [n for _, n in data.forecast]
        self._bar_chart("#forecast-plot", f"cards due per day (today includes overdue) · {sum(values)}", days, values, "orange")
        table = self.query_one("#forecast-table", DataTable)
        table.add_columns("day", "due")
        for day, n in data.forecast:
            if n:
                table.add_row(day.isoformat(), Text(str(n), justify="right"))

    def _tags(self, data: stats.DeckStats) -> None:
        top_level = [t for t in data.tags if "/" not in t.tag] or data.tags
        shown = sorted(top_level, key=lambda t: -t.cards)[:MAX_TAG_BARS]
        plt = self.query_one("#tags-plot", PlotextPlot).plt
        plt.clear_figure()
        if shown:
            plt.bar([one_line(t.tag, 16) for t in shown], [t.mastery for t in shown], orientation="horizontal", color="green", width=0.5)
            plt.xlim(0, 1)
        plt.title("mean mastery by top-level tag")
        table = self.query_one("#tags-table", DataTable)
        table.add_columns("tag", "cards", "due", "mastery")
        for t in data.tags:
            depth = t.tag.count("/")
            name = "  " * depth + one_line(t.tag.rsplit("/", 1)[-1], 30)
            table.add_row(Text(name), Text(str(t.cards), justify="right"), Text(str(t.due), justify="right"), mastery_bar(t.mastery, 8))

    def action_tab(self, tab: str) -> None:
        self.query_one("#stats-tabs", TabbedContent).active = tab

    def action_close(self) -> None:
        self.app.pop_screen()
