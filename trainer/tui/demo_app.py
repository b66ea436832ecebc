"""``trainer demo ID``: one live demo in an app of its own, which needs no deck."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from trainer.tui import cjk

cjk.install()


class DemoApp(App[int]):
    """Opens the demo's screen and quits when it closes."""

    CSS_PATH = ["styles/app.tcss", "styles/help.tcss", "styles/demo.tcss"]
    TITLE = "trainer demo"
    BINDINGS = [Binding("question_mark", "help", "Help", tooltip="Every key of the demo")]

    def __init__(self, demo_id: str) -> None:
        super().__init__()
        self.demo_id = demo_id

    def on_mount(self) -> None:
        try:
            from trainer.tui.screens.demo import DemoScreen
        except ImportError as exc:
            self.exit(2, return_code=2, message=f"demos are not available: {exc}")
            return
        self.push_screen(DemoScreen(self.demo_id), callback=lambda _result: self.exit(0))

    def action_help(self) -> None:
        from trainer.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))
