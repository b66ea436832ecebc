"""The overview's tag tree: labels measured without rendering them, children added in one layout,
and each row fitted to the tree's width when drawn (no row cut at the edge, no horizontal scrollbar)."""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets._tree import TOGGLE_STYLE  # (textual is pinned: its own style for the icon)
from textual.widgets.tree import TreeNode

from trainer.tui.widgets.tag_label import TagLabel

UNLIMITED = 1 << 30
"""The room of a tree not laid out yet (its labels whole until it has a width)."""


class TagTree(Tree):
    """The tag tree; Enter studies the highlighted tag (moving the cursor filters)."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Study",
                tooltip="Study the cards to study (due + new today) under the highlighted tag, in the difficulty chosen with f"),
        Binding("space", "toggle_node", "Fold", show=False, tooltip="Fold or unfold a tag"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._widths: dict[int, tuple[Text, int]] = {}
        """Each node's whole label with its width in cells (the label's identity says it is current)."""
        self._room: int | None = None
        """Cells for guides and label on a row, as laid out last (``None``: to measure again)."""

    def process_label(self, label: str | Text) -> Text:
        """A label made one line (``one_line``) is taken as it is: Textual splits each label into
        lines, twice for every node added (a topic of 20k tags spent ~1 s there)."""
        if isinstance(label, Text) and "\n" not in label.plain:
            return label
        return super().process_label(label)

    # ------------------------------------------------------------ fitting rows to the width

    def _build(self) -> None:
        """Textual's layout of the lines; the room is measured again for it (the line count says
        whether the vertical scrollbar takes its cells)."""
        self._room = None
        super()._build()

    def _row_room(self) -> int:
        if self._room is None:
            width, height = self.size
            if width <= 0:
                return UNLIMITED
            styles = self.styles
            lines = self._tree_lines_cached or ()
            scrollbar = styles.overflow_y == "scroll" or styles.overflow_y == "auto" and (
                styles.scrollbar_gutter == "stable" or len(lines) > height)
            self._room = width - (styles.scrollbar_size_vertical if scrollbar else 0)
        return self._room

    def _label_room(self, node: TreeNode) -> int:
        """Cells left for ``node``'s label after its guides (as Textual draws them) and its icon."""
        depth, parent = 0, node._parent
        while parent is not None:
            depth, parent = depth + 1, parent._parent
        guides = (depth if self.show_root else max(0, depth - 1)) * self.guide_depth
        return self._row_room() - guides - cell_len(self._icon(node))

    def _icon(self, node: TreeNode) -> str:
        return (self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE) if node._allow_expand else ""

    def render_label(self, node: TreeNode, base_style: Style, style: Style) -> Text:
        """Textual's label (icon, then label) with a tag label fitted to the row's room."""
        label = node._label
        if isinstance(label, TagLabel):
            label = label.fit(self._label_room(node))
        label = label.copy()
        label.stylize(style)
        icon = self._icon(node)
        prefix = (icon, base_style + TOGGLE_STYLE) if icon else ("", base_style)
        return Text.assemble(prefix, label)

    def get_label_width(self, node: TreeNode[str | None]) -> int:
        """The width ``render_label`` gives, without rendering the label: Textual asks it of every
        line of the tree after each change of its nodes."""
        label = node.label
        known = self._widths.get(node.id)
        if known is None or known[0] is not label:
            known = self._widths[node.id] = (label, label.cell_len)
        icon = cell_len(self._icon(node))
        if not isinstance(label, TagLabel):
            return known[1] + icon
        room = self._label_room(node)
        return (known[1] if known[1] <= room else label.fitted_cells(room)) + icon

    # ------------------------------------------------------------ adding nodes

    def clear(self):
        self._widths.clear()
        return super().clear()

    def add_children(self, parent: TreeNode[str | None], children: list[tuple[Text, str, bool]]) -> list[TreeNode[str | None]]:
        """``parent.add(label, data, allow_expand=...)`` for each child, the tree laid out once after
        them, not after each (TreeNode.add asks a layout of the whole screen every node: ~1 s for
        20k). Textual's own steps of ``add``, through its private names: textual is pinned (==)."""
        added = []
        for label, data, allow_expand in children:
            node = self._add_node(parent, label, data)
            node._allow_expand = allow_expand
            parent._children.append(node)
            added.append(node)
        parent._updates += 1
        self._invalidate()
        return added
