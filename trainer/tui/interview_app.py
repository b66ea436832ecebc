"""``trainer interview``: the interview screen as an app of its own, over cards the CLI chose.

Kept apart from the deck app so the CLI can check its input (and exit 2) before Textual starts,
and so a test can hand the screen its own clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.app import App

from trainer.interview.session import InterviewSession
from trainer.interview.transcript import Transcript
from trainer.tui import cjk

cjk.install()  # Chinese wraps at any character here too, as in the deck app


def _trainer_commands():
    from trainer.tui.commands import TrainerCommands

    return TrainerCommands


class InterviewApp(App[int]):
    """One mock interview, then its report; the app ends when the report is closed."""

    TITLE = "trainer"
    COMMANDS = App.COMMANDS | {lambda: _trainer_commands()}

    def __init__(self, session: InterviewSession, *, now: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.session = session
        """The interview (its cards are already chosen)."""
        self.now = now
        self.transcript: Transcript | None = None
        """The finished interview's transcript, once the report is closed."""
        self.sub_title = session.deck.root.name

    def on_mount(self) -> None:
        from trainer.tui.screens.interview import InterviewScreen

        self.push_screen(InterviewScreen(self.session, now=self.now), callback=self._done)

    def _done(self, transcript: Transcript | None) -> None:
        self.transcript = transcript
        self.exit(0)
