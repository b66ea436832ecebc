"""The keys of the screen the help was opened from, and the app's own, read from their bindings.

Nothing here imports a screen or the app: the help shows whatever the opening screen declares
(its ``BINDINGS`` and those of its focused widgets), so a new screen documents itself.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

PALETTE_HELP = "Command palette: every action by name"
PALETTE_DECK_HELP = "Command palette: every action by name, and the deck's tags and cards by a few letters of them"
"""The palette's line where it searches the deck too: a screen with ``select_tag`` (the overview;
trainer.tui.commands asks the same)."""
GRADE_ROW = ("0 – 5", "grade: 0 blackout · 1 wrong · 2 almost · 3 hard · 4 hesitated · 5 perfect")


def _bindings(node: DOMNode) -> list[Binding]:
    return [b for b in getattr(type(node), "BINDINGS", []) if isinstance(b, Binding)]


def key_text(node: DOMNode, binding: Binding) -> str:
    """``left / ,`` as the footer shows keys (``,`` not ``comma``)."""
    return " / ".join(node.app.get_key_display(Binding(k.strip(), binding.action, binding.description))
                      for k in binding.key.split(","))


def help_rows(node: DOMNode, bindings: list[Binding]) -> list[tuple[str, str]]:
    """(keys, what they do); the six grade bindings become one row. A key bound twice (the tag
    tree's Enter and the overview's) shows once, with the first binding: the one Textual runs
    (``bindings`` lists the focused widget's first)."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    keys_seen: set[str] = set()
    for b in bindings:
        if b.action.startswith("grade("):
            if GRADE_ROW not in rows:
                rows.append(GRADE_ROW)
            continue
        what = b.tooltip or b.description
        keys = {k.strip() for k in b.key.split(",")}
        if not what or b.action in seen or keys <= keys_seen:
            continue
        seen.add(b.action)
        keys_seen |= keys
        rows.append((key_text(node, b), what))
    return rows


def help_sections(screen: Screen) -> list[tuple[str, list[tuple[str, str]]]]:
    """(title, rows): the screen's keys (its focused widget's first), then the app's."""
    own: list[Binding] = []
    focused = screen.focused
    if focused is not None:
        for node in focused.ancestors_with_self:
            if node is screen:
                break
            if type(node).__module__.startswith("trainer."):  # ours (the tag tree); not Textual's scrolling keys
                own.extend(_bindings(node))
    own.extend(_bindings(screen))
    hides = getattr(screen, "help_hides", None)  # a screen may leave out keys that do nothing there (a demo's)
    if hides is not None:
        own = [b for b in own if not hides(b.action.partition("(")[0])]
    title = getattr(screen, "HELP_TITLE", "")
    palette = PALETTE_DECK_HELP if hasattr(screen, "select_tag") else PALETTE_HELP
    everywhere = _bindings(screen.app)
    if screen.is_modal:  # Textual gives a modal screen only the app's priority keys (and its palette)
        everywhere = [b for b in everywhere if b.priority]
    app_rows = help_rows(screen, [*everywhere, Binding("ctrl+p", "command_palette", palette)])
    return [(f"This screen: {title}" if title else "This screen", help_rows(screen, own)), ("Everywhere", app_rows)]


def help_text(screen: Screen) -> Group:
    """One two-column grid per section: long descriptions wrap beside their keys."""
    parts: list = []
    for title, rows in help_sections(screen):
        parts.append(Text(title, style="bold underline"))
        grid = Table.grid(padding=(0, 2), pad_edge=True)
        grid.add_column(style="bold", no_wrap=True, min_width=8)
        grid.add_column(ratio=1)
        for keys, what in rows:
            grid.add_row(f" {keys}", what)
        parts.extend([grid, Text("")])
    parts.append(Text("Mouse: click a tag, the buttons and the grades.", style="dim"))
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    """A modal list of the keys; escape, ``?`` or ``q`` closes it."""

    BINDINGS = [Binding("escape,question_mark,q", "close", "Close help")]

    def __init__(self, opened_from: Screen, **kwargs) -> None:
        super().__init__(**kwargs)
        self.opened_from = opened_from

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(help_text(self.opened_from), id="help-text")

    def on_mount(self) -> None:
        box = self.query_one("#help-box")
        box.border_title = "Keys"
        box.border_subtitle = "esc closes · ↑↓ scroll"
        box.focus()

    def action_close(self) -> None:
        self.dismiss(None)
