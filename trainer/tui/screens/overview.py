"""The home screen: counts, a 14-day forecast, the tag tree with mastery, filters, problems."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, LoadingIndicator, Static, Tree
from textual.widgets.tree import TreeNode

from trainer import scheduler
from trainer.notes.model import DIFFICULTIES, Note
from trainer.session import StudySession
from trainer.stats import tag_prefixes
from trainer.tui.figures import FORECAST_DAYS, DeckSummary, TagFigures, summarize
from trainer.tui.text import one_line
from trainer.tui.widgets.forecast import ForecastStrip
from trainer.tui.widgets.mastery_bar import mastery_bar

if TYPE_CHECKING:
    from trainer.tui.app import TrainerApp

UNTAGGED = ""
"""Tree node data for notes without tags."""
MAX_PROBLEMS_SHOWN = 200


def in_selection(note: Note, tag: str | None, difficulty: str | None) -> bool:
    """The note is under ``tag`` (nested tags count for their parents) and of ``difficulty``."""
    if difficulty is not None and note.difficulty != difficulty:
        return False
    if tag is None:
        return True
    if tag == UNTAGGED:
        return not note.tags
    return any(tag in tag_prefixes(t) for t in note.tags)


class TagTree(Tree):
    """The tag tree; Enter studies the highlighted tag (moving the cursor filters)."""

    BINDINGS = [Binding("enter", "select_cursor", "Study", tooltip="Study the due cards of the highlighted tag")]


class OverviewScreen(Screen):
    """Pick what to study: a tag in the tree (Enter starts), a difficulty (``f``)."""

    BINDINGS = [
        Binding("enter", "study", "Study", tooltip="Study the due cards of the selection"),
        Binding("f", "cycle_difficulty", "Difficulty", tooltip="Filter by difficulty: any, easy, medium, hard"),
        Binding("t", "stats", "Stats", tooltip="Reviews, retention, forecast, mastery by tag"),
        Binding("a", "select_all", "All tags", show=False, tooltip="Clear the tag filter"),
        Binding("r", "reload", "Reload", tooltip="Scan the deck again"),
        Binding("i", "import_notes", "Import", tooltip="Import notes: markdown folders, Obsidian vaults, Anki text exports"),
        Binding("m", "interview", "Interview", tooltip="Mock interview: 5 questions from the selection against the clock"),
        Binding("q", "app.quit", "Quit"),
    ]

    app: "TrainerApp"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.tag: str | None = None
        """The selected tag (``None``: the whole deck; ``""``: untagged notes)."""
        self.difficulty: str | None = None
        """The selected difficulty (``None``: any)."""
        self._tag_nodes: dict[str, TreeNode[str | None]] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="counts"):
            for key, title in (("due", "Due"), ("overdue", "Overdue"), ("new", "New today"), ("total", "Cards")):
                box = Static("…", id=f"count-{key}", classes="count")
                box.border_title = title
                yield box
        strip = ForecastStrip(id="forecast")
        strip.border_title = f"Due in the next {FORECAST_DAYS} days"
        yield strip
        with Horizontal(id="main"):
            tree: Tree[str | None] = TagTree(Text("All cards"), data=None, id="tags")
            tree.auto_expand = False
            tree.border_title = "Tags"
            yield tree
            with Vertical(id="side"):
                yield Button("Difficulty: any  (f)", id="difficulty", classes="compact-button", compact=True)
                yield Static("", id="selection")
                yield Button("Study ⏎", id="study", variant="primary")
                problems = VerticalScroll(Static("", id="problems-text"), id="problems")
                problems.border_title = "Problems"
                yield problems
            if not self.app.notes and self.app.scan is None:
                yield LoadingIndicator(id="loading")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#tags", Tree).focus()

    def on_screen_resume(self) -> None:
        """Drawn here, not in on_mount: a screen is resumed when first pushed too."""
        if self.app.scan is not None:
            self.show_deck(self.app.take_first_summary())

    # ------------------------------------------------------------ drawing

    def show_deck(self, summary: DeckSummary | None = None) -> None:
        """Draw counts, forecast, tags and problems (figures from the worker, else computed here)."""
        app = self.app
        for loading in self.query("#loading"):
            loading.remove()
        if summary is None:
            summary = summarize(app.notes, app.today)
        c = summary.counts
        room = self._new_room()
        self._set_count("due", f"{c['due']}")
        self._set_count("overdue", f"{c['overdue']}")
        self._set_count("new", f"{min(c['new'], room)} · limit {app.new_limit}")
        broken = f" · {c['problems']} broken" if c["problems"] else ""
        self._set_count("total", f"{c['total']}{broken}")
        self.query_one(ForecastStrip).set_days(summary.forecast)
        self._build_tree(summary)
        self._show_problems()
        self._show_selection()
        if app.exit_after_first_frame:  # benchmarks: leave once this frame is on the terminal
            # (in on_mount the app is still batching the screen's mount: a callback given now
            # would run before the first paint, so it is given once the mount is done)
            self.set_timer(0.001, lambda: self.call_after_refresh(app.exit, 0))

    def _new_room(self) -> int:
        log = self.app.review_log
        seen = log.new_cards_on(self.app.today) if log is not None else 0
        return max(0, self.app.new_limit - seen)

    def _set_count(self, key: str, text: str) -> None:
        self.query_one(f"#count-{key}", Static).update(Text(text))

    def _build_tree(self, summary: DeckSummary) -> None:
        """Relabel the tag tree in place (the cursor stays); rebuild it only when the tags changed."""
        tree: Tree[str | None] = self.query_one("#tags", Tree)
        labels: dict[str, Text] = {}
        for tag, fig in summary.tags.items():
            labels[tag] = self._label(tag.rpartition("/")[2] if tag else "(untagged)", fig)
        tree.root.set_label(self._label("All cards", summary.all_cards))
        if list(labels) == list(self._tag_nodes):
            for tag, label in labels.items():
                self._tag_nodes[tag].set_label(label)
            return
        tree.clear()
        self.tag = None
        nodes: dict[str, TreeNode[str | None]] = {}
        for tag, label in labels.items():
            parent_tag = tag.rpartition("/")[0] if tag else ""
            parent = nodes.get(parent_tag, tree.root) if parent_tag else tree.root
            nodes[tag] = parent.add(label, data=tag)
        tree.root.expand()
        if len(nodes) <= 60:
            tree.root.expand_all()
        for node in nodes.values():
            node.allow_expand = bool(node.children)
        self._tag_nodes = nodes

    @staticmethod
    def _label(name: str, fig: TagFigures) -> Text:
        text = Text(one_line(name, 40))
        text.append(f"  {fig.due}", style="bold" if fig.due else "dim")
        text.append(f"/{fig.cards} ", style="dim")
        text.append_text(mastery_bar(fig.mastery, 6))
        return text

    def _show_problems(self) -> None:
        scan = self.app.scan
        problems = scan.problems if scan is not None else []
        box = self.query_one("#problems")
        box.border_title = f"Problems ({len(problems)})"
        box.display = bool(problems)
        lines = [one_line(str(p)) for p in problems[:MAX_PROBLEMS_SHOWN]]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            lines.append(f"… and {len(problems) - MAX_PROBLEMS_SHOWN} more (trainer check lists them all)")
        self.query_one("#problems-text", Static).update(Text("\n".join(lines)))

    def selected_notes(self) -> list[Note]:
        return [n for n in self.app.notes if not n.fatal and in_selection(n, self.tag, self.difficulty)]

    def _selection_name(self) -> str:
        tag = "all tags" if self.tag is None else "(untagged)" if self.tag == UNTAGGED else one_line(self.tag, 40)
        return f"{tag} · {self.difficulty or 'any difficulty'}"

    def _show_selection(self) -> None:
        if self.app.scan is None:
            return
        today = self.app.today
        notes = self.selected_notes()
        c = scheduler.counts(notes, today)
        new = min(c["new"], self._new_room())
        text = Text(self._selection_name(), style="bold")
        text.append(f"\n{c['due']} due · {new} new · {c['total']} cards")
        self.query_one("#selection", Static).update(text)
        self.query_one("#study", Button).disabled = c["due"] + new == 0

    # ------------------------------------------------------------ events

    @on(Tree.NodeHighlighted, "#tags")
    def _tag_highlighted(self, event: Tree.NodeHighlighted) -> None:
        self.tag = event.node.data
        self._show_selection()

    @on(Tree.NodeSelected, "#tags")
    def _tag_selected(self, event: Tree.NodeSelected) -> None:
        self.tag = event.node.data
        self.action_study()

    @on(Button.Pressed, "#difficulty")
    def _difficulty_clicked(self) -> None:
        self.action_cycle_difficulty()

    @on(Button.Pressed, "#study")
    def _study_pressed(self) -> None:
        self.action_study()

    # ------------------------------------------------------------ actions

    def action_study(self) -> None:
        app = self.app
        if app.scan is None or app.deck is None:
            self.notify("The deck is still loading.")
            return
        if app.review_log is None:
            self.notify("The review log cannot be opened, so cards cannot be graded.", severity="error")
            return
        session = StudySession.start(app.deck, app.review_log, self.selected_notes(), app.today, new_limit=app.new_limit)
        if session.finished:
            self.notify(f"Nothing to study in {self._selection_name()} today.")
            return
        from trainer.tui.screens.study import StudyScreen

        app.push_screen(StudyScreen(session, self._selection_name()))

    def action_interview(self) -> None:
        from trainer.tui.screens.interview import start_from_overview

        start_from_overview(self, self.tag, self.difficulty)

    def action_cycle_difficulty(self) -> None:
        order: list[str | None] = [None, *DIFFICULTIES]
        nxt = order[(order.index(self.difficulty) + 1) % len(order)]
        self.difficulty = nxt
        self.query_one("#difficulty", Button).label = f"Difficulty: {nxt or 'any'}  (f)"
        self._show_selection()

    def action_select_all(self) -> None:
        self.query_one("#tags", Tree).move_cursor(self.query_one("#tags", Tree).root)

    def action_stats(self) -> None:
        self.app.action_stats()

    def action_reload(self) -> None:
        self.app.load_deck()

    def action_import_notes(self) -> None:
        app = self.app
        if app.deck is None:
            self.notify("There is no deck to import into.", severity="error")
            return
        from trainer.tui.screens.import_screen import ImportScreen

        def done(report) -> None:
            if report is not None and (report.imported or report.updated):
                self.notify(f"Imported {len(report.imported)}, updated {len(report.updated)}.")
                app.load_deck()

        app.push_screen(ImportScreen(app.deck, app.today), done)
