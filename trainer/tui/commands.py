"""Command palette entries for every action of the current screen (and the app's own)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.actions import parse
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode


@dataclass(frozen=True)
class PaletteCommand:
    """One palette entry: a bound action of a screen or of the app."""

    title: str
    help: str
    target: DOMNode
    action: str


def _bindings(node: DOMNode) -> list[Binding]:
    out = []
    for b in getattr(type(node), "BINDINGS", []):
        if isinstance(b, Binding) and b.description:
            out.append(b)
    return out


def palette_commands(screen: DOMNode) -> list[PaletteCommand]:
    """Commands for the screen's bindings that are enabled right now, then the app's."""
    commands: list[PaletteCommand] = []
    seen: set[str] = set()
    titles: set[str] = set()
    for node in (screen, screen.app):
        for b in _bindings(node):
            if b.action in seen or b.description in titles:
                continue
            try:
                namespace, name, params = parse(b.action)
                target = node.app if namespace == "app" else node
                if not target.check_action(name, params):
                    continue
            except Exception:
                continue
            seen.add(b.action)
            titles.add(b.description)
            key = b.key_display or b.key.split(",")[0]
            commands.append(PaletteCommand(b.description, f"key: {key} — {b.tooltip or b.description}", target, name if target is not node else b.action))
    extra = [
        ("Stats", "Reviews per day, retention, forecast, mastery by tag", "stats"),
        ("Help", "Every key binding", "help"),
    ]
    for title, help_text, action in extra:
        if action not in seen and title not in titles:
            commands.append(PaletteCommand(title, help_text, screen.app, action))
    return commands


class TrainerCommands(Provider):
    """``trainer``: study, grade, reveal, undo, edit, skip, demo, stats, help — whatever the screen offers."""

    def _commands(self) -> list[PaletteCommand]:
        return palette_commands(self.screen)

    async def discover(self) -> Hits:
        for c in self._commands():
            yield DiscoveryHit(c.title, partial(c.target.run_action, c.action), help=c.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for c in self._commands():
            score = matcher.match(c.title)
            if score > 0:
                yield Hit(score, matcher.highlight(c.title), partial(c.target.run_action, c.action), text=c.title, help=c.help)
