"""A footer that leaves out the keys it has no room for, instead of cutting the last one (``? Hel``).

Textual's Footer lays its keys in a row and docks the command palette's key over the right
end: with many keys (a demo's Play, step, Sentence, Seed, Experiment) the app's ``? Help``
ended half hidden. This one drops whole keys, the screen's last first, until the row fits;
the first key, the way out (``q`` / ``esc``) and ``?`` always stay. A dropped key still works and is listed by
``?`` and the command palette.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

KEEP = frozenset({"question_mark", "q", "escape"})
"""Keys never dropped (besides the first one): help and the way out."""

PALETTE_EXTRA = 2
"""Cells the palette key takes beyond its (compact) text: its left border and right padding."""


class FittingFooter(Footer):
    """:class:`Footer` without the keys that do not fit its width (recomposed when it changes)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._fitted_width = 0

    def key_cells(self, binding: Binding) -> int:
        """A key's width as FooterKey draws it (not compact): `` key `` then ``description ``."""
        cells = cell_len(self.app.get_key_display(binding)) + 2
        return cells + (cell_len(binding.description) + 1 if binding.description else 0)

    def dropped_actions(self, width: int) -> set[str]:
        """The actions whose keys are left out at ``width`` cells."""
        if width <= 0:
            return set()
        active = self.screen.active_bindings
        first: dict[str, Binding] = {}  # Footer shows one key an action, the first
        for _node, binding, _enabled, _tooltip in active.values():
            if binding.show:
                first.setdefault(binding.action, binding)
        keys = list(first.values())
        total = sum(map(self.key_cells, keys))
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE and palette is not None:
            binding = palette[1]  # drawn compact: ``^p palette``
            total += cell_len(self.app.get_key_display(binding)) + 1 + cell_len(binding.description) + PALETTE_EXTRA
        dropped: set[str] = set()
        for binding in reversed(keys[1:]):
            if total <= width:
                break
            if not KEEP & {k.strip() for k in binding.key.split(",")}:
                dropped.add(binding.action)
                total -= self.key_cells(binding)
        return dropped

    def compose(self) -> ComposeResult:
        self._fitted_width = width = self.size.width
        dropped = self.dropped_actions(width) if self._bindings_ready else set()
        for widget in super().compose():
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette") and widget.action in dropped:
                continue
            yield widget

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._fitted_width:
            self.call_after_refresh(self.recompose)
