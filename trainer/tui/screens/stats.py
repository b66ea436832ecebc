"""Deck statistics: reviews per day, retention, the due forecast and mastery by tag, as charts and numbers."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane
from textual_plotext import PlotextPlot

from trainer import stats
from trainer.opendeck import OpenDeck
from trainer.tui.text import fit_cells, one_line
from trainer.tui.widgets.fact_line import FactLine
from trainer.tui.widgets.mastery_bar import mastery_bar

DAYS = 30
MAX_TAG_BARS = 12
NUMBER_HEADERS = ("cards", "to study", "due", "new")
"""The tag table's count columns, between the tag and its mastery."""
TAG_MIN_CELLS = 12
"""The tag column keeps this many cells before the mastery bar gets any beyond its smallest."""
TAG_MAX_CELLS = 30
MASTERY_BAR_CELLS = (2, 8)
"""The tag table's mastery bar: 2 cells (the width of its header) up to 8."""


def interview_coverage(log) -> Text:
    """Key-point coverage over past mock interviews (#13): the last one and the mean, oldest first;
    nothing when there has been none (``trainer interview`` starts one)."""
    if log is None:
        return Text()
    from trainer.interview import store

    try:
        covered = [t.coverage for _, t in store.history(log) if t.coverage is not None]
    except Exception:  # noqa: BLE001 - a damaged interview table must not close the stats screen
        return Text()
    if not covered:
        return Text()
    text = Text()
    text.append("interviews ", style="dim")
    text.append(f"{len(covered)}", style="bold")
    text.append(" · coverage last ", style="dim")
    text.append(f"{covered[-1]:.0%}", style="bold")
    text.append(" mean ", style="dim")
    text.append(f"{sum(covered) / len(covered):.0%}", style="bold")
    text.append("  ")
    return text


class StatsScreen(Screen):
    """Three tabs, each a chart over a table of the same numbers."""

    HELP_TITLE = "Stats"

    BINDINGS = [
        Binding("escape,q", "close", "Back"),
        Binding("1", "tab('reviews')", "Reviews"),
        Binding("2", "tab('forecast')", "Forecast"),
        Binding("3", "tab('tags')", "Tags"),
    ]

    def __init__(self, book: OpenDeck, **kwargs) -> None:
        super().__init__(**kwargs)
        self.book = book
        self._tag_rows: list[tuple[str, str, str, object]] = []
        """(tag, indent, name, figures) of each row of the tag table, in its order."""
        self._recall: dict[str, Text] = {}
        """Each tag's expected recall as shown (kept when the table is filled again for a new width)."""
        self._tag_layout: TagColumns | None = None
        self._number_cells: list[int] | None = None
        """The widths of the count columns (their headers or their widest figures)."""
        self._natural_tag_cells = 0
        """The widest tag name with its indent, in cells."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield FactLine(id="stats-summary")
        with TabbedContent(id="stats-tabs", initial="reviews"):
            with TabPane(f"Reviews ({DAYS} days)", id="reviews"):
                yield PlotextPlot(id="reviews-plot", classes="plot")
                yield DataTable(id="reviews-table", classes="numbers", cursor_type="row")
            with TabPane(f"Forecast ({DAYS} days)", id="forecast"):
                yield PlotextPlot(id="forecast-plot", classes="plot")
                yield DataTable(id="forecast-table", classes="numbers", cursor_type="row")
            with TabPane("Mastery by tag", id="tags"):
                yield Static(id="tags-chart", classes="plot")
                yield DataTable(id="tags-table", classes="numbers", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "stats"
        book = self.book
        log = book.log
        if log is None:
            from trainer.reviewlog import ReviewLog

            log = ReviewLog.memory()
        data = stats.compute(book.notes, book.figures(), log, history_days=DAYS)
        self.data = data
        f, h = data.figures, data.history
        facts = []
        for label, value in (
            ("to study", f"{f.to_study} ({f.due} due + {f.new_today} new)"),
            ("overdue", str(f.overdue)),
            ("cards", str(f.total)),
            ("mastery", f"{f.mastery:.2f}"),
            ("retention", f"{h.retention:.0%} of {h.reviews_total}" if h.retention is not None else "– (no reviews yet)"),
        ):
            fact = Text().append(f"{label} ", style="dim")
            fact.append(value, style="bold")
            facts.append(fact)
        interviews = interview_coverage(book.log)
        interviews.rstrip()
        facts.append(interviews)
        self._summary = facts
        self.query_one("#stats-summary", FactLine).show([*facts, Text().append("recall today …", style="dim")])
        self._reviews(data)
        self._forecast(data)
        self._tags(data)
        self._compute_recall(list(book.notes), book.today)

    # ------------------------------------------------------------ expected recall (issue #12)

    @work(thread=True, exclusive=True, exit_on_error=False, group="recall")
    def _compute_recall(self, notes, today) -> None:
        """trainer.memory's expected recall today, deck and tags (~0.1 s at 10k with FSRS), off the UI thread."""
        from trainer import memory

        settings = self.book.settings
        if settings is None:
            self.app.call_from_thread(self._show_recall, None, self.book.settings_error or "trainer.toml cannot be read")
            return
        self.app.call_from_thread(self._show_recall, memory.recall_summary(notes, today, settings), "")

    def _show_recall(self, summary: dict | None, error: str) -> None:
        if not self.is_mounted:  # closed before the worker finished
            return
        text = Text().append("recall today ", style="dim")
        if summary is None:
            text.append(f"– ({one_line(error, 60)})", style="dim")
        else:
            model = "FSRS" if summary["model"] == "fsrs" else "SM-2"
            text.append("–" if summary["deck"] is None else f"{summary['deck']:.0%}", style="bold")
            text.append(f" ({model})", style="dim")
        self.query_one("#stats-summary", FactLine).show([*self._summary, text])
        table = self.query_one("#tags-table", DataTable)
        tags = summary["tags"] if summary is not None else {}
        for tag in self.data.figures.tags:
            r = tags.get(tag)
            self._recall[tag] = Text("–" if r is None else f"{r['recall']:.0%}", justify="right")
            table.update_cell(tag, "recall", self._recall[tag])

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
        per_day = data.history.reviews_per_day
        days = [d for d, _ in per_day]
        values = [n for _, n in per_day]
        self._bar_chart("#reviews-plot", f"grades per day · total {sum(values)}", days, values, "blue")
        table = self.query_one("#reviews-table", DataTable)
        table.add_columns("day", "grades")
        for day, n in reversed(per_day):
            if n:
                table.add_row(day.isoformat(), Text(str(n), justify="right"))
        if not table.row_count:
            table.add_row("–", Text("no reviews yet"))

    def _forecast(self, data: stats.DeckStats) -> None:
        forecast = data.figures.forecast[:DAYS]
        days = [d for d, _ in forecast]
        values = [n for _, n in forecast]
        self._bar_chart("#forecast-plot", "cards per day (today: to study)", days, values, "orange")
        table = self.query_one("#forecast-table", DataTable)
        table.add_columns("day", "cards")
        for i, (day, n) in enumerate(forecast):
            if n:
                table.add_row("today (to study)" if i == 0 else day.isoformat(), Text(str(n), justify="right"))

    def _tags(self, data: stats.DeckStats) -> None:
        tags = data.figures.tags
        top_level = [t for t in tags if "/" not in t] or list(tags)
        largest = set(sorted(top_level, key=lambda t: -tags[t].cards)[:MAX_TAG_BARS])
        shown = [t for t in top_level if t in largest]  # the largest tags, in the table's order below
        self.query_one("#tags-chart", Static).update(mastery_chart([(t or "(untagged)", tags[t].mastery) for t in shown]))
        self._tag_rows = [(tag, "  " * tag.count("/"), one_line(tag.rsplit("/", 1)[-1] or "(untagged)"), g)
                          for tag, g in tags.items()]
        counts = [(g.cards, g.to_study, g.due, g.new) for *_, g in self._tag_rows]
        self._number_cells = [max([len(h), *(len(str(c[i])) for c in counts)]) for i, h in enumerate(NUMBER_HEADERS)]
        self._natural_tag_cells = max((cell_len(indent + name) for _, indent, name, _ in self._tag_rows), default=3)
        self._fit_tags_table(self.app.size.width)

    def on_resize(self, event: events.Resize) -> None:
        self._fit_tags_table(event.size.width)

    def _fit_tags_table(self, width: int) -> None:
        """Fill the tag table for a screen ``width`` cells wide: every column in view without scrolling
        sideways (the tag names cut with ``…``, the mastery bar shorter); filled again only when the
        widths change."""
        if self._number_cells is None:  # (resized before the figures were drawn)
            return
        table = self.query_one("#tags-table", DataTable)
        room = width - table.styles.scrollbar_size_vertical  # (reserved whether or not the rows scroll)
        layout = tag_columns(room, self._number_cells, min(self._natural_tag_cells, TAG_MAX_CELLS), table.cell_padding)
        if layout == self._tag_layout:
            return
        self._tag_layout = layout
        row = table.cursor_row
        table.clear(columns=True)
        table.add_columns("tag", *NUMBER_HEADERS, "mastery")
        table.add_column("recall", key="recall")
        for tag, indent, name, g in self._tag_rows:
            shown = indent + name if cell_len(indent + name) <= layout.tag else indent + fit_cells(name, max(1, layout.tag - len(indent)))
            table.add_row(Text(shown), *(Text(str(v), justify="right") for v in (g.cards, g.to_study, g.due, g.new)),
                          mastery_bar(g.mastery, layout.bar), self._recall.get(tag, Text("…", justify="right")), key=tag)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))

    def action_tab(self, tab: str) -> None:
        self.query_one("#stats-tabs", TabbedContent).active = tab

    def action_close(self) -> None:
        self.app.pop_screen()


@dataclass(frozen=True)
class TagColumns:
    """Cells for the tag table's tag names (with their indent) and for its mastery bars."""

    tag: int
    bar: int


def tag_columns(room: int, number_cells: list[int], natural_tag: int, padding: int = 1) -> TagColumns:
    """The tag table's widths in ``room`` cells: the counts, mastery figure and recall whole; the tag
    column first gets :data:`TAG_MIN_CELLS` (or what its names need), then the bar grows to 8, then
    the tag column to ``natural_tag``. Below ~60 cells the tag column is cut to 4 and the table scrolls."""
    low, high = MASTERY_BAR_CELLS
    columns = 2 + len(number_cells) + 1  # tag, counts, mastery, recall
    fixed = columns * 2 * padding + sum(number_cells) + len("recall")
    left = room - fixed - (low + len(" 0.00"))
    tag = max(4, min(natural_tag, TAG_MIN_CELLS, left))
    bar = low + max(0, min(high - low, left - tag))
    tag = max(tag, min(natural_tag, left - (bar - low)))
    return TagColumns(tag, bar)


def mastery_chart(rows: list[tuple[str, float]], bar_cells: int = 20) -> Text:
    """Mean mastery by top-level tag as a bar per line; names padded by terminal cells (CJK is two)."""
    out = Text("mean mastery by top-level tag\n", style="bold")
    if not rows:
        out.append("no tags yet", style="dim")
        return out
    names = [one_line(name, 16) for name, _ in rows]
    width = max(cell_len(n) for n in names)
    for name, (_, value) in zip(names, rows):
        out.append(" " * (width - cell_len(name)) + name + " │", style="dim")
        out.append_text(mastery_bar(value, bar_cells))
        out.append("\n")
    out.rstrip()
    return out
