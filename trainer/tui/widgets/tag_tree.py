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


def node_depth(node: TreeNode) -> int:
    """Levels above ``node`` (the root's children: 1)."""
    depth, parent = 0, node._parent
    while parent is not None:
        depth, parent = depth + 1, parent._parent
    return depth


class TagTree(Tree):
    """The tag tree; Enter studies the highlighted tag (moving the cursor filters)."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Study",
                tooltip="Study the cards to study (due + new today) under the highlighted tag, in the difficulty chosen with f"),
        Binding("space", "toggle_node", "Fold", show=False, tooltip="Fold or unfold a tag"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        self._widths: dict[int, list] = {}
        """Each node's [whole label, its width in cells, the node's depth, room, width fitted to that
        room] (the label's identity says it is current)."""
        self._room: int | None = None
        """Cells for guides and label on a row, as laid out last (``None``: to measure again)."""
        self._guide_cells, self._root_shown = 4, True
        """``guide_depth`` and ``show_root``, read with the room (reactives are slow to read 20k times)."""
        self._icon_widths = (cell_len(self.ICON_NODE), cell_len(self.ICON_NODE_EXPANDED))
        super().__init__(*args, **kwargs)  # (it measures the root's label)

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
        """Cells for guides and label on a row: the width but the vertical scrollbar's, if the lines
        laid out need it (measured once a layout: Textual asks each line's width)."""
        if self._room is None:
            width, height = self.size
            if width <= 0:
                return UNLIMITED
            styles = self.styles
            lines = self._tree_lines_cached or ()
            scrollbar = styles.overflow_y == "scroll" or styles.overflow_y == "auto" and (
                styles.scrollbar_gutter == "stable" or len(lines) > height)
            self._room = width - (styles.scrollbar_size_vertical if scrollbar else 0)
            self._guide_cells = self.guide_depth
            self._root_shown = self.show_root
        return self._room

    def _label_room(self, node: TreeNode, depth: int | None = None) -> int:
        """Cells left for ``node``'s label after its guides (as Textual draws them) and its icon."""
        room = self._row_room()
        if depth is None:
            depth = node_depth(node)
        guides = (depth if self._root_shown else max(0, depth - 1)) * self._guide_cells
        return room - guides - self._icon_cells(node)

    def _icon(self, node: TreeNode) -> str:
        return (self.ICON_NODE_EXPANDED if node._expanded else self.ICON_NODE) if node._allow_expand else ""

    def _icon_cells(self, node: TreeNode) -> int:
        if not node._allow_expand:
            return 0
        return self._icon_widths[node._expanded]

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
        line of the tree after each change of its nodes (20k lines for a topic's tags, again for
        each chunk added: a fitted width is kept with the room it was fitted to)."""
        label = node._label
        known = self._widths.get(node._id)
        if known is None or known[0] is not label:
            known = self._widths[node._id] = [label, label.cell_len, node_depth(node), None, 0]
        icon = self._icon_widths[node._expanded] if node._allow_expand else 0
        depth = known[2] if self._root_shown else max(0, known[2] - 1)
        room = (self._room if self._room is not None else self._row_room()) - depth * self._guide_cells - icon
        if known[1] <= room or not isinstance(label, TagLabel):  # (inlined: 20k lines a layout)
            return known[1] + icon
        if known[3] != room:
            known[3], known[4] = room, label.fitted_cells(room, known[1])
        return known[4] + icon

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
