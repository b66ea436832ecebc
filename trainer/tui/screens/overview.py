"""The home screen: counts, a 14-day forecast, the tag tree with mastery, filters, problems."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, LoadingIndicator, Static, Tree
from textual.widgets.tree import TreeNode

from trainer.errors import TrainerError

from trainer.figures import Figures, TagFigures
from trainer.notes.model import DIFFICULTIES
from trainer.opendeck import UNTAGGED, OpenDeck
from trainer.tui.text import one_line, plural
from trainer.tui.widgets.forecast import ForecastStrip
from trainer.tui.widgets.tag_label import tag_label
from trainer.tui.widgets.tag_tree import TagTree

if TYPE_CHECKING:
    from trainer.readiness import Readiness  # (imported when first shown: planning is not needed for the first frame)

FORECAST_DAYS = 14
"""Days the overview's forecast shows."""
MAX_PROBLEMS_SHOWN = 200
STUDY_BUTTON_ROWS = 3
"""The Study button's height with its border."""
PROBLEM_BOX_ROWS = 3
"""The problems box's border and its first problem line."""
WRAPPED_PROBLEM_ROWS = 3
"""With fewer rows than this for its text, the problems box shows each problem on one line, cut with
``…`` (the path and key first), not the first problem wrapped and the rest out of view."""
TAG_CHUNK = 250
"""A tag's children added at once; the rest after the next frame, in chunks twice as large each
time (a topic of 20k tags shows its first ones at once; each chunk lays out the whole tree again)."""


NO_NOTES_YET = ("No notes in this deck yet: i imports markdown folders, Obsidian vaults and Anki exports; "
                "a note is a *.md file with a `# ` question.")
"""Said by Enter on a deck with no notes at all ("Nothing to study today" left a newcomer guessing)."""


class OverviewScreen(Screen):
    """Pick what to study: a tag in the tree (Enter starts), a difficulty (``f``)."""

    HELP_TITLE = "Deck overview"

    BINDINGS = [
        Binding("enter", "study", "Study", tooltip="Study the cards to study in the selection (due + new today)"),
        Binding("f", "cycle_difficulty", "Difficulty", show=False, tooltip="Filter by difficulty: any, easy, medium, hard"),
        Binding("t", "stats", "Stats", tooltip="Reviews, retention, forecast, mastery by tag"),
        Binding("a", "select_all", "All tags", show=False, tooltip="Clear the tag filter"),
        Binding("r", "reload", "Reload", show=False, tooltip="Scan the deck again"),
        Binding("i", "import_notes", "Import", show=False, tooltip="Import notes: markdown folders, Obsidian vaults, Anki text exports and packages (.apkg, .colpkg)"),
        Binding("m", "interview", "Interview", tooltip="Mock interview: 5 questions from the selection against the clock"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, book: OpenDeck, **kwargs) -> None:
        super().__init__(**kwargs)
        self.book = book
        self.tag: str | None = None
        """The selected tag (``None``: the whole deck; ``""``: untagged notes)."""
        self.difficulty: str | None = None
        """The selected difficulty (``None``: any)."""
        self._tag_nodes: dict[str, TreeNode[str | None]] = {}
        """The tag nodes built so far (a tag's children are built when it is first expanded)."""
        self._tag_order: list[str] = []
        """The tags of the tree as last built, in order (a change of tags rebuilds the tree)."""
        self._tag_figures: dict[str, TagFigures] = {}
        self._tag_kids: dict[str | None, list[str]] | None = {}
        """Tags whose nodes are not built yet, by parent tag (``None``: the root; ``None`` itself:
        not indexed yet, only the top level is built)."""
        self._tree_generation = 0
        """Counts the tree's rebuilds (children still being added to a tree built again are dropped)."""
        self._readiness: tuple[int, Readiness] | None = None
        """The last readiness computed, with the deck version it was computed from (issue #12)."""
        self._planning = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="counts"):
            for key, title in (("study", "To study"), ("due", "Due"), ("new", "New today"), ("total", "Cards")):
                box = Static("…", id=f"count-{key}", classes="count")
                box.border_title = title
                yield box
        strip = ForecastStrip(id="forecast")
        strip.border_title = f"To study today · due the next {FORECAST_DAYS - 1} days"
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
            if not self.book.counted and not getattr(self.app, "first_scan_pending", False):
                yield LoadingIndicator(id="loading")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#tags", Tree).focus()
        if getattr(self.app, "first_scan_pending", False):  # made while the deck is walked, drawn with it
            self.app.take_first_scan()
            if not self.book.counted:
                self.query_one("#main").mount(LoadingIndicator(id="loading"))

    def on_screen_resume(self) -> None:
        """Drawn here, not in on_mount: a screen is resumed when first pushed too."""
        if self.book.counted:
            self.show_deck()

    # ------------------------------------------------------------ drawing

    def show_progress(self, done: int, total: int) -> None:
        """How far a long reading of the notes is (a deck's first open: 100k notes take seconds),
        where the forecast will be: a count and a bar, until the deck's figures are in."""
        strip = next(self.query("#forecast").results(ForecastStrip), None)
        if self.book.counted or strip is None:  # (counted meanwhile, or the app is closing)
            return
        done = min(done, total)
        share = done / total if total else 1.0
        width = max(10, (strip.content_size.width or 40))
        filled = round(share * width)
        head = f"Reading {total:,} notes: {done:,} ({share:.0%})" if done < total else f"Read {total:,} notes; counting them …"
        strip.waiting = "\n".join((head, "█" * filled + "░" * (width - filled),
                                   "read once; next time only the changed notes"[:width]))

    def show_deck(self) -> None:
        """Draw counts, forecast, tags and problems from the open deck's figures (called again
        when the notes arrive after the figures: the same counts, and readiness then)."""
        for loading in self.query("#loading"):
            loading.remove()
        strips = self.query("#forecast").results(ForecastStrip)
        strip = next(strips, None)
        if strip is None:  # (the app is closing: its screens' widgets are gone when a scan ends)
            return
        strip.waiting = ""
        if not self.book.counted:
            return
        f = self.book.figures()
        self._set_count("study", str(f.to_study), "due + new")
        self._set_count("due", str(f.due), f"{f.overdue} overdue")
        self._set_count("new", str(f.new_today), f"limit {f.new_per_day}")
        self._set_count("total", str(f.total), f"{f.broken} broken" if f.broken else "")
        self.query_one(ForecastStrip).set_days(list(f.forecast[:FORECAST_DAYS]))
        self._build_tree(f)
        self._show_problems()
        self._show_selection()
        self._show_readiness()

    def _set_count(self, key: str, text: str, note: str) -> None:
        box = self.query_one(f"#count-{key}", Static)
        box.update(Text(text))
        box.border_subtitle = note

    def _build_tree(self, summary: Figures) -> None:
        """Relabel the tag tree in place (the cursor stays); rebuild it only when the tags changed.

        Only the top level is built at first; a tag's children when it is first expanded, and a
        label only for a node built (#17: a deck shaped like the seed has a tag per note, and
        indexing, building or labelling every tag up front delayed the first frame)."""
        tree: TagTree = self.query_one("#tags", TagTree)
        tags = summary.tags
        tree.root.set_label(self._label("All cards", summary.all_cards))
        if tags is self._tag_figures:  # the same figures drawn again (the notes came after them): as they are
            return
        order = list(tags)
        same = order == self._tag_order
        self._tag_figures = tags
        if same:
            for tag, node in self._tag_nodes.items():
                node.set_label(self._tag_label(tag))
            return
        self._tag_order = order
        tree.clear()
        self._tree_generation += 1
        self.tag = None
        self._tag_nodes = {}
        if len(order) <= 60:
            self._tag_kids = tag_children(order)
            self._add_tag_nodes(tree.root, None, deep=True)
            tree.root.expand()
            tree.root.expand_all()
            return
        self._tag_kids = None
        nested = top_level_with_children(order)
        top = [tag for tag in order if "/" not in tag]  # (each tag's parent is a tag too: figures count every prefix)
        for tag, added in zip(top, tree.add_children(tree.root, [(self._tag_label(t), t, t in nested) for t in top])):
            self._tag_nodes[tag] = added
        tree.root.expand()

    def _tag_label(self, tag: str) -> Text:
        return self._label(tag.rpartition("/")[2] if tag else "(untagged)", self._tag_figures[tag])

    def _add_tag_nodes(self, node: TreeNode[str | None], tag: str | None, *, deep: bool = False) -> None:
        kids = self._kids_index()
        children = [child for child in kids.pop(tag, ()) if child not in self._tag_nodes]
        self._add_children(node, children, deep, self._tree_generation)

    def _add_children(self, node: TreeNode[str | None], children: list[str], deep: bool, generation: int,
                      chunk: int = 0) -> None:
        """The first ``chunk`` (``TAG_CHUNK``) of these children now, the rest after the next frame
        (unless the tree was built again meanwhile)."""
        if generation != self._tree_generation:
            return
        chunk = chunk or TAG_CHUNK
        kids = self._kids_index()
        now = children[:chunk]
        tree: TagTree = self.query_one("#tags", TagTree)
        for child, added in zip(now, tree.add_children(node, [(self._tag_label(c), c, c in kids) for c in now])):
            self._tag_nodes[child] = added
            if deep:
                self._add_tag_nodes(added, child, deep=True)
        if len(children) > chunk:
            self.call_after_refresh(self._add_children, node, children[chunk:], deep, generation, 2 * chunk)

    def _kids_index(self) -> dict[str | None, list[str]]:
        """Tags whose nodes are not built yet, by parent tag: made when a tag is first expanded."""
        if self._tag_kids is None:
            self._tag_kids = tag_children(self._tag_order)
            tree: Tree[str | None] = self.query_one("#tags", Tree)
            self._add_tag_nodes(tree.root, None)  # (a tag whose parent is no tag: none from figures)
        return self._tag_kids

    @on(Tree.NodeExpanded, "#tags")
    def _tag_expanded(self, event: Tree.NodeExpanded) -> None:
        if event.node.data is not None and event.node.data in self._kids_index():
            self._add_tag_nodes(event.node, event.node.data)

    @staticmethod
    def _label(name: str, fig: TagFigures) -> Text:
        """``name  to study/cards ▇▇▁ 0.43``, fitted to the tree's width when drawn (``TagLabel``)."""
        return tag_label(name, fig)

    def _show_problems(self) -> None:
        problems = self.book.problems
        box = self.query_one("#problems")
        box.border_title = f"Problems ({len(problems)})"
        box.display = bool(problems)
        lines = [one_line(str(p)) for p in problems[:MAX_PROBLEMS_SHOWN]]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            lines.append(f"… and {len(problems) - MAX_PROBLEMS_SHOWN} more (trainer check lists them all)")
        self.query_one("#problems-text", Static).update(Text("\n".join(lines)))
        self.call_after_refresh(self._fit_side)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit_side)

    def _fit_side(self) -> None:
        """The Study button drawn without its border (one row, not three) when the problems box would
        otherwise have no row for a problem (at 60x20 only its title showed); a problem a line when
        the box is short."""
        if not self.is_mounted:
            return
        side = self.query_one("#side")
        used = sum(self.query_one(part).outer_size.height for part in ("#difficulty", "#selection"))
        room = side.content_size.height - used - STUDY_BUTTON_ROWS
        problems = self.query_one("#problems")
        compact = problems.display and room < PROBLEM_BOX_ROWS
        self.query_one("#study", Button).compact = compact
        lines = room + (STUDY_BUTTON_ROWS - 1 if compact else 0) - 2  # (the box's border: 2 rows)
        problems.set_class(lines < WRAPPED_PROBLEM_ROWS, "-one-line-each")

    def _selection_name(self) -> str:
        tag = "all tags" if self.tag is None else "(untagged)" if self.tag == UNTAGGED else one_line(self.tag, 40)
        return f"{tag} · {self.difficulty or 'any difficulty'}"

    def _show_selection(self) -> None:
        if not self.book.counted:
            return
        f = self.book.selection_counts(self.tag, self.difficulty)
        text = Text(self._selection_name(), style="bold")
        if f is None:  # a difficulty is chosen while the notes are still being built
            self.query_one("#selection", Static).update(text + Text("\ncounting …"))
            return
        text.append(f"\n{f.to_study} to study: {f.due} due + {f.new_today} new")
        text.append(f"\n{plural(f.cards, 'card')}", style="dim")
        self.query_one("#selection", Static).update(text)
        self.query_one("#study", Button).disabled = f.to_study == 0
        self.call_after_refresh(self._fit_side)  # (a long tag's name takes more rows)

    # ------------------------------------------------------------ interview readiness (issue #12)

    def _settings(self):
        """The deck's trainer.toml as the open deck read it (``None`` if it cannot be read: the CLI's
        ``config`` says why)."""
        return self.book.settings

    def _show_readiness(self) -> None:
        """The countdown at once (from trainer.toml); readiness and recall from a thread when ready.
        Shown under the forecast strip (its bottom border): it costs the screen no row at 60x20."""
        strip = self.query_one(ForecastStrip)
        settings = self._settings()
        book = self.book
        if settings is None or settings.interview is None or settings.interview < book.today:
            strip.border_subtitle = None
            return
        cached = self._readiness
        if cached is not None and cached[0] == book.version and cached[1].interview == settings.interview:
            strip.border_subtitle = readiness_text(cached[1])
            return
        from trainer.readiness import Readiness

        strip.border_subtitle = readiness_text(Readiness(book.today, settings.algorithm, None, 0, settings.interview), pending=True)
        if not book.loaded:  # the figures came first: readiness when the notes arrive (show_deck again)
            return
        # After the frame is drawn: the planning thread holds the GIL most of its half second, and
        # started at once it would slow the first frame (bench_tui measured +0.4 s at 10k notes).
        self.call_after_refresh(self._compute_readiness, list(book.notes), book.today, settings, book.version)

    @work(thread=True, exclusive=True, exit_on_error=False, group="readiness")
    def _compute_readiness(self, notes, today, settings, version: int) -> None:
        """trainer.planning over a snapshot of the notes (~0.5 s at 10k), off the UI thread."""
        from trainer import readiness

        result = readiness.compute(notes, today, settings)
        self.app.call_from_thread(self._readiness_ready, version, result)

    def _readiness_ready(self, version: int, result: Readiness) -> None:
        self._readiness = (version, result)
        if version == self.book.version and self.is_mounted:
            self.query_one(ForecastStrip).border_subtitle = readiness_text(result)

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan-session")
    def _plan_then_study(self, notes, settings, version: int, tag, difficulty) -> None:
        """Today's plan for the selection in a thread; the session starts on the UI thread."""
        from trainer import planning

        try:
            planned = tuple(planning.todays_plan(notes, self.book.today, settings))
        except Exception as exc:  # noqa: BLE001 - the session still starts, in its usual order
            self.app.call_from_thread(self.notify, f"The interview plan failed: {exc}", severity="error")
            planned = ()
        self.app.call_from_thread(self._planned, notes, planned, version, tag, difficulty)

    def _planned(self, notes, planned, version: int, tag, difficulty) -> None:
        self._planning = False
        if version != self.book.version:  # the deck changed while planning: the notes as they are now
            notes = self.book.selection(tag, difficulty)
        self._study(notes, planned)

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
        book = self.book
        if not book.loaded:
            self.notify("The deck is still loading.")
            return
        if self._planning:
            return
        notes = book.selection(self.tag, self.difficulty)
        settings = self._settings()
        planned: tuple[str, ...] | None = None
        if settings is not None and settings.interview is not None and settings.interview > book.today:
            cached = self._readiness
            if cached is not None and cached[0] == book.version and self.tag is None and self.difficulty is None:
                planned = cached[1].todays_plan  # the overview's plan covers the whole deck
            else:
                self._planning = True
                self._plan_then_study(notes, settings, book.version, self.tag, self.difficulty)
                return
        self._study(notes, planned)

    def _study(self, notes, planned) -> None:
        book = self.book
        try:
            session = book.start_session(notes, planned=planned)
        except TrainerError as exc:
            self.notify(f"Cards cannot be graded: {exc}", severity="error")
            return
        if session.finished:
            if book.counted and book.figures().total == 0:  # a newcomer's first start on a new folder
                self.notify(NO_NOTES_YET)
            else:
                self.notify(f"Nothing to study in {self._selection_name()} today.")
            return
        from trainer.tui.screens.study import StudyScreen

        self.app.push_screen(StudyScreen(book, session, self._selection_name()))

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

    def select_tag(self, tag: str, _tries: int = 0) -> None:
        """Highlight ``tag`` in the tree (the palette's tag search), so Enter studies it: its parents
        unfolded, their children built as unfolding them by hand builds them. A tag whose parent's
        children are still being added (in chunks: ``TAG_CHUNK``) is highlighted once it is in."""
        if tag not in self._tag_figures:
            return
        self.tag = tag
        self._show_selection()
        tree: TagTree = self.query_one("#tags", TagTree)
        parts = tag.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            node = self._tag_nodes.get(parent)
            if node is None:
                continue  # (not a tag, or still to be added)
            if parent in self._kids_index():
                self._add_tag_nodes(node, parent)
            node.expand()
        target = self._tag_nodes.get(tag)
        if target is None:
            if _tries < 40:  # (chunks double: a topic of 100k tags is in after ~10 frames)
                self.call_after_refresh(self.select_tag, tag, _tries + 1)
            return
        _ = tree.last_line  # (lays the lines out now: the node's line is then known)
        tree.move_cursor(target)
        tree.focus()

    def action_stats(self) -> None:
        self.app.action_stats()

    def action_reload(self) -> None:
        self.app.reload_deck()

    def action_import_notes(self) -> None:
        app = self.app
        from trainer.tui.screens.import_screen import ImportScreen

        def done(report) -> None:
            if report is not None and (report.imported or report.updated):
                self.notify(f"Imported {plural(len(report.imported), 'note')}, updated {len(report.updated)}.")
                app.reload_deck()

        app.push_screen(ImportScreen(self.book.deck, self.book.today), done)


def tag_children(order: list[str]) -> dict[str | None, list[str]]:
    """Each tag's child tags in ``order`` (``None``: the root's: tags whose parent is no tag)."""
    kids: dict[str | None, list[str]] = {}
    known = set(order)
    for tag in order:  # a parent sorts before its children
        parent_tag = tag.rpartition("/")[0] if tag else ""
        kids.setdefault(parent_tag if parent_tag and parent_tag in known else None, []).append(tag)
    return kids


def top_level_with_children(order: list[str]) -> set[str]:
    """The top-level tags (no ``/``) that have a child tag, without indexing every tag: a parent
    sorts before its children, and a topic's first child most often comes right after it (a
    seed-shaped deck: 100k tags under 5 topics); only a topic without one there asks every tag."""
    nested: set[str] = set()
    at, unsure = 0, False
    for tag in order:
        if "/" not in tag:
            at = order.index(tag, at) + 1
            if at < len(order) and order[at].startswith(tag + "/"):
                nested.add(tag)
            elif tag:
                unsure = True
    if unsure:
        nested |= {t.partition("/")[0] for t in order if "/" in t}
    return nested


def readiness_text(r: Readiness, *, pending: bool = False) -> Text:
    """``interview in 20 days · ready 41% → 63% · recall 78%``: readiness is the deck's mean
    predicted recall on the interview day without → with the plan (trainer.planning)."""
    days = r.days_left or 0
    when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
    text = Text()
    text.append(f"interview {when}", style="bold")
    if days > 0:
        text.append(" · ready ")
        if pending or r.without_plan is None or r.with_plan is None:
            text.append("…")
        else:
            text.append(f"{r.without_plan:.0%} → ")
            text.append(f"{r.with_plan:.0%}", style="bold")
    text.append(" · recall ")
    text.append("…" if pending else "–" if r.recall is None else f"{r.recall:.0%}")
    return text
