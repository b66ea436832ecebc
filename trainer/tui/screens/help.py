"""Every key binding of every screen, generated from the bindings themselves."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

_KEY_NAMES = {"question_mark": "?", "escape": "esc"}


def key_text(binding: Binding) -> str:
    return " / ".join(_KEY_NAMES.get(k.strip(), k.strip()) for k in binding.key.split(","))


def help_sections() -> list[tuple[str, list[tuple[str, str]]]]:
    """(screen, [(keys, what they do)]) for every screen, from the classes' BINDINGS."""
    from trainer.tui.app import TrainerApp
    from trainer.tui.screens.overview import OverviewScreen, TagTree
    from trainer.tui.screens.stats import StatsScreen
    from trainer.tui.screens.study import StudyScreen
    from trainer.tui.screens.summary import SummaryScreen
    from trainer.tui.screens.demo import DemoScreen

    everywhere = [
        *TrainerApp.BINDINGS,
        Binding("ctrl+p", "command_palette", "Command palette: every action by name"),
        Binding("ctrl+q", "quit", "Quit"),
    ]
    sections = [
        ("Everywhere", everywhere),
        ("Deck overview", [*TagTree.BINDINGS, *OverviewScreen.BINDINGS[1:], Binding("space", "", "Fold or unfold a tag")]),
        ("Study", StudyScreen.BINDINGS),
        ("Session summary", SummaryScreen.BINDINGS),
        ("Stats", StatsScreen.BINDINGS),
        ("Live demo", [b for b in DemoScreen.BINDINGS if isinstance(b, Binding)]),
    ]
    out = []
    for title, bindings in sections:
        rows: list[tuple[str, str]] = []
        grades_done = False
        for b in bindings:
            if not isinstance(b, Binding):
                continue
            if b.action.startswith("grade("):
                if not grades_done:
                    rows.append(("0 – 5", "grade: 0 blackout · 1 wrong · 2 almost · 3 hard · 4 hesitated · 5 perfect"))
                    grades_done = True
                continue
            rows.append((key_text(b), b.tooltip or b.description))
        out.append((title, rows))
    return out


def help_text() -> Group:
    """One two-column grid per screen: long descriptions wrap beside their keys."""
    parts: list = []
    for title, rows in help_sections():
        parts.append(Text(title, style="bold underline"))
        grid = Table.grid(padding=(0, 2), pad_edge=True)
        grid.add_column(style="bold", no_wrap=True, min_width=12)
        grid.add_column(ratio=1)
        for keys, what in rows:
            grid.add_row(f" {keys}", what)
        parts.extend([grid, Text("")])
    parts.append(Text("Mouse: click a tag, the buttons and the grades.", style="dim"))
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    """A modal list of the keys; escape, ``?`` or ``q`` closes it."""

    BINDINGS = [Binding("escape,question_mark,q", "close", "Close help")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(help_text(), id="help-text")

    def on_mount(self) -> None:
        box = self.query_one("#help-box")
        box.border_title = "Keys"
        box.border_subtitle = "esc closes · ↑↓ scroll"
        box.focus()

    def action_close(self) -> None:
        self.dismiss(None)
