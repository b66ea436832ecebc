"""Import notes from the TUI: a path, a dry-run preview, then the import with a progress bar.

``ImportScreen(deck, today)`` is a modal; it dismisses with the :class:`ImportReport` of the
import it ran (``None`` when closed without importing). Both the preview and the import run
in thread workers that never touch widgets: they post messages. Its keys (preview, import,
close, the next field) are in a footer, in ``?`` (``f1`` from a box, where ``?`` is typed) and in
the command palette: before, they were reachable only by Tab and the mouse, and ``?`` did nothing
(a modal screen leaves the app's keys out).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from rich.cells import cell_len
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, ProgressBar, Select, Static
from textual.worker import Worker, WorkerState

from trainer.deck import Deck
from trainer.importers import ImportRefused, ImportReport, run_import
from trainer.importers.report import printable
from trainer.reviewlog import ReviewLog
from trainer.tui.widgets.fitting_footer import FittingFooter

ROOMY_HEIGHT = 24
"""Rows from which the import form's boxes keep their borders."""
_STYLES = {"import": "green", "imported": "green", "update": "yellow", "updated": "yellow", "skipped": "dim",
           "failed": "bold red", "flagged": "magenta", "warning": "yellow"}


class ImportScreen(ModalScreen[ImportReport | None]):
    """Path → preview (dry run) → import → summary."""

    DEFAULT_CSS = """
    ImportScreen { align: center middle; }
    ImportScreen > #import-box {
        width: 100%; height: 100%; max-width: 120; padding: 0 1;
        border: thick $primary; background: $surface;
    }
    ImportScreen #import-title { width: 100%; }  /* wraps: at 80 columns it was cut mid-word */
    ImportScreen #import-form { height: auto; }
    ImportScreen #import-path { width: 100%; }  /* a row of its own: beside the options it had 14 cells at 60 */
    ImportScreen #import-options { height: auto; }
    ImportScreen #import-into { width: 1fr; min-width: 21; }  /* its placeholder whole */
    ImportScreen #import-conflict { width: 21; }
    /* short screens: borderless boxes (a row each), told from the box's background by a tint */
    ImportScreen #import-form Input.-textual-compact,
    ImportScreen #import-form Select.-textual-compact > SelectCurrent { background-tint: $foreground 10%; }
    ImportScreen #import-form Input.-textual-compact:focus,
    ImportScreen #import-form Select.-textual-compact:focus > SelectCurrent { background-tint: $foreground 18%; }
    ImportScreen #import-path.-textual-compact { margin-bottom: 1; }
    ImportScreen #import-into.-textual-compact { margin-right: 2; }
    ImportScreen #import-plan { height: 1fr; min-height: 3; }
    ImportScreen #import-progress { height: 1; }
    ImportScreen #import-summary { height: auto; max-height: 6; }
    /* the buttons a row each (the footer names their keys): the footer costs the plan no row */
    ImportScreen #import-buttons { height: 1; margin-top: 1; align-horizontal: right; }
    ImportScreen #import-buttons Button { margin-left: 2; min-width: 10; }
    """

    BINDINGS = [
        Binding("escape", "close", "Close", tooltip="Close (after an import: with its report)"),
        Binding("ctrl+r", "preview", "Preview", tooltip="Preview: what the import would do (nothing is written)"),
        Binding("ctrl+s", "import", "Import", tooltip="Import what the preview shows (after a preview of these options)"),
        Binding("tab", "app.focus_next", "Next field", tooltip="The next box or button (shift+tab: the previous)"),
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False, tooltip="The previous box or button"),
        # A modal screen leaves the app's keys out, so ? is the screen's own; in a box ? is typed: f1 then
        Binding("question_mark", "app.help", "Help", key_display="?", tooltip="Every key of this screen (f1 in a box, where ? is typed)"),
        Binding("f1", "app.help", "Help", show=False, tooltip="Every key of this screen"),
    ]
    HELP_TITLE = "Import"

    @dataclass
    class Planned(Message):
        report: ImportReport

    @dataclass
    class Progressed(Message):
        done: int
        total: int

    @dataclass
    class Finished(Message):
        report: ImportReport

    @dataclass
    class Failed(Message):
        reason: str

    def __init__(self, deck: Deck, today: dt.date, **kwargs) -> None:
        super().__init__(**kwargs)
        self.deck = deck
        self.today = today
        self.plan: ImportReport | None = None
        """The last preview, for the path/options it was made with."""
        self.planned_for: tuple[str, str, str] | None = None
        self.report: ImportReport | None = None
        """The import that ran (what the screen dismisses with)."""
        self.busy = False
        self.writing = False
        """Whether an import (not a preview) is writing notes: it cannot stop halfway (ctrl+q waits, said)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="import-box"):
            yield Label(Text("Import notes: a folder, an Obsidian vault, a .md file, an Anki .txt export"
                             " or an Anki package (.apkg, .colpkg)", style="bold"), id="import-title")
            with Vertical(id="import-form"):
                yield Input(placeholder="path to import", id="import-path")
                with Horizontal(id="import-options"):
                    yield Input(placeholder="into (optional)", id="import-into")
                    yield Select(
                        [("skip existing", "skip"), ("update existing", "update"), ("rename new", "rename")],
                        value="skip",
                        allow_blank=False,
                        id="import-conflict",
                    )
            table: DataTable = DataTable(id="import-plan", cursor_type="row", zebra_stripes=True)
            yield table
            yield ProgressBar(id="import-progress", show_eta=False)
            yield Static("Type a path and press Enter for a preview; nothing is written until Import.", id="import-summary")
            with Horizontal(id="import-buttons"):
                yield Button("Preview", id="import-preview", compact=True)
                yield Button("Import", id="import-run", variant="primary", disabled=True, compact=True)
                yield Button("Close", id="import-close", compact=True)
        yield FittingFooter()

    def _add_columns(self, table: DataTable, width: int, paths: int = 24, reasons: int = 24) -> None:
        """The reason gets what the paths leave and wraps in it: auto-sized, it ran off the right
        edge ("frontmatter:" and nothing after it at 80 columns, nothing at all at 60). Given the
        widest path and reason shown, the paths take the room short reasons leave (at 80 columns a
        clean preview cut ``What is 注意力.md`` beside an empty reason column)."""
        room = width - 9 - 2 * 4  # the action column; a cell's padding each side
        path = max(10, min(paths, (room - max(12, min(24, reasons))) // 2))
        table.add_column("action", key="action", width=9)
        table.add_column("source", key="source", width=path)
        table.add_column("target", key="target", width=path)
        table.add_column("reason", key="reason", width=max(12, room - 2 * path))

    def on_mount(self) -> None:
        table = self.query_one("#import-plan", DataTable)
        self._add_columns(table, self.app.size.width - 6)  # until the first plan: the modal's frame
        self.query_one("#import-progress", ProgressBar).display = False
        self.query_one("#import-path", Input).focus()
        self._fit_form(self.app.size.height)

    def on_resize(self, event: events.Resize) -> None:
        self._fit_form(event.size.height)

    def _fit_form(self, height: int) -> None:
        """Below :data:`ROOMY_HEIGHT` rows the form's boxes are drawn without borders (a row each, not
        three): the path's row of its own then costs the plan no row (at 60x20 it showed one)."""
        compact = height < ROOMY_HEIGHT
        for box in self.query("#import-form Input, #import-form Select"):
            box.compact = compact

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Import is greyed out (and out of the palette) until a preview of these options allows it;
        Preview while one runs."""
        if action == "import":
            runs = self.query("#import-run")
            return None if self.busy or not runs or runs.first(Button).disabled else True
        if action == "preview":
            return None if self.busy else True
        return True

    # ------------------------------------------------------------ inputs

    def _options(self) -> tuple[str, str, str]:
        path = self.query_one("#import-path", Input).value.strip()
        into = self.query_one("#import-into", Input).value.strip()
        conflict = self.query_one("#import-conflict", Select).value
        return path, into, str(conflict)

    def _say(self, text: str | Text) -> None:
        self.query_one("#import-summary", Static).update(text)

    @on(Input.Changed)
    @on(Select.Changed)
    def _options_changed(self) -> None:
        if not self.busy:
            self.query_one("#import-run", Button).disabled = self.plan is None or self.planned_for != self._options()
            self.refresh_bindings()

    @on(Input.Submitted)
    @on(Button.Pressed, "#import-preview")
    def action_preview(self) -> None:
        if self.busy:
            return
        path, into, conflict = self._options()
        if not path:
            self._say(Text("Type the path of a folder or file to import.", style="yellow"))
            return
        self.busy = True
        self._say("Reading the source and the deck…")
        self.refresh_bindings()
        self._preview(path, into, conflict)

    @on(Button.Pressed, "#import-run")
    def action_import(self) -> None:
        if self.busy or self.plan is None or self.planned_for != self._options():
            return
        path, into, conflict = self._options()
        self.busy = self.writing = True
        for wid in ("#import-run", "#import-preview"):
            self.query_one(wid, Button).disabled = True
        bar = self.query_one("#import-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self._say("Importing…")
        self.refresh_bindings()
        self._import(path, into, conflict)

    @on(Button.Pressed, "#import-close")
    def action_close(self) -> None:
        if self.busy:
            self._say(Text("Busy: wait for it to finish.", style="yellow"))
            return
        self.dismiss(self.report)

    # ------------------------------------------------------------ workers

    def _sources(self, path: str) -> list[Path]:
        return [Path(path).expanduser()]

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def _preview(self, path: str, into: str, conflict: str) -> None:
        try:
            report = run_import(
                self.deck, self._sources(path), into=into or None, dry_run=True, on_conflict=conflict,  # type: ignore[arg-type]
                drop_foreign_keys=False, today=self.today, log=None,
            )
        except ImportRefused as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Planned(report))

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def _import(self, path: str, into: str, conflict: str) -> None:
        log = ReviewLog.open(self.deck.root)

        def progress(done: int, total: int) -> None:  # about a hundred messages, not one per note
            if done == total or done % max(1, total // 100) == 0:
                self.post_message(self.Progressed(done, total))

        try:
            report = run_import(
                self.deck, self._sources(path), into=into or None, dry_run=False, on_conflict=conflict,  # type: ignore[arg-type]
                drop_foreign_keys=False, today=self.today, log=log,
                progress=progress,
            )
        except ImportRefused as exc:
            self.post_message(self.Failed(str(exc)))
            return
        finally:
            log.close()
        self.post_message(self.Finished(report))

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "import" and event.state == WorkerState.ERROR:
            event.stop()
            self.post_message(self.Failed(f"{type(event.worker.error).__name__}: {event.worker.error}"))

    # ------------------------------------------------------------ results

    def _fill(self, report: ImportReport) -> None:
        table = self.query_one("#import-plan", DataTable)
        table.clear(columns=True)
        rows = list(report.rows()) + [("flagged", e.source, e.target or "", e.reason) for e in report.flagged]
        rows += [("warning", e.source, e.target or "", e.reason) for e in report.warnings]  # a missing picture…
        base = self._options()[0].rstrip("/") + "/"
        single = str(self._sources(self._options()[0])[0])  # a file: its name stands for its path
        cells = []
        for action, source, target, reason in rows:
            shown = source[len(base) :] if source.startswith(base) else source
            if source == single or source.startswith(single + " "):  # ``export.txt row 3``, not ``/home/…``
                shown = Path(single).name + source[len(single) :]
            cells.append((action, printable(shown), printable(target), printable(reason)))
        paths = max((max(cell_len(shown), cell_len(target)) for _, shown, target, _ in cells), default=0)
        reasons = max((cell_len(reason) for *_, reason in cells), default=0)
        self._add_columns(table, table.scrollable_content_region.width - 2, paths, reasons)  # a scrollbar's cells
        for action, shown, target, reason in cells:
            table.add_row(
                Text(action, style=_STYLES.get(action, "")),
                Text(shown, overflow="ellipsis", no_wrap=True),
                Text(target, overflow="ellipsis", no_wrap=True),
                Text(reason),
                height=None,  # as many lines as the reason wraps to
            )

    def _summary(self, report: ImportReport) -> Text:
        lines = [ln for ln in report.render_lines() if not ln.startswith("  ")]
        if report.warnings:  # on the counts' line: the summary keeps its rows
            n = len(report.warnings)
            at = next((i for i, ln in enumerate(lines) if ln.startswith(("would import ", "imported "))), -1)
            lines[at] += f"; {n} warning{'s' if n != 1 else ''} (in the list)"
        return Text("\n".join(lines), style="bold red" if report.failed else "")

    def on_import_screen_planned(self, message: Planned) -> None:
        self.busy = False
        self.plan = message.report
        self.planned_for = self._options()
        self._fill(message.report)
        c = message.report.counts()
        summary = self._summary(message.report)
        if c["imported"] or c["updated"]:
            summary.append("\nPress Import (ctrl+s) to write these notes.", style="bold")
        self._say(summary)
        self.query_one("#import-run", Button).disabled = not (c["imported"] or c["updated"])
        self.refresh_bindings()

    def on_import_screen_progressed(self, message: Progressed) -> None:
        self.query_one("#import-progress", ProgressBar).update(total=max(message.total, 1), progress=message.done)

    def on_import_screen_finished(self, message: Finished) -> None:
        self.busy = self.writing = False
        self.report = message.report
        self.plan = None
        self._fill(message.report)
        self._say(self._summary(message.report))
        self.query_one("#import-preview", Button).disabled = False
        self.query_one("#import-run", Button).disabled = True
        self.query_one("#import-close", Button).focus()
        self.refresh_bindings()

    def on_import_screen_failed(self, message: Failed) -> None:
        self.busy = self.writing = False
        self.query_one("#import-progress", ProgressBar).display = False
        self.query_one("#import-preview", Button).disabled = False
        self._say(Text(printable(message.reason), style="bold red"))
        self.refresh_bindings()
