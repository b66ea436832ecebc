"""An Anki card about ``List<T>`` reads ``List<T>`` on the study card once imported (it read
"What does List mean?": markdown took ``<T>`` for an HTML tag and the card showed nothing of it),
and the session's summary lists it so, without the backslash the note keeps."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Markdown
from textual.widgets._markdown import MarkdownBlock

from trainer.tui.app import make_app, open_deck
from trainer.tui.screens.study import StudyScreen
from trainer.tui.screens.summary import SummaryScreen

from tuihelp import TODAY, start_session

EXPORT = "#separator:tab\n#html:true\nWhat does List&lt;T&gt; mean?\tThe &lt;div&gt; tag, not List.\n"


def _shown(markdown: Markdown) -> list[str]:
    return [str(block._content) for block in markdown.query(MarkdownBlock) if getattr(block, "_content", None)]


async def test_an_imported_generic_type_is_shown_whole(tmp_path: Path, cli):
    deck = tmp_path / "deck"
    deck.mkdir()
    (tmp_path / "export.txt").write_text(EXPORT, encoding="utf-8")
    assert cli(deck, "import", str(tmp_path / "export.txt"), "--into", "anki", today=TODAY.isoformat()).returncode == 0
    app = make_app(open_deck(deck, TODAY))
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot)
        assert isinstance(app.screen, StudyScreen)
        assert _shown(app.screen.query_one("#question", Markdown)) == ["What does List<T> mean?"]
        await pilot.press("space")
        await pilot.pause()
        shown = " ".join(text for md in app.screen.query(Markdown) for text in _shown(md))
        assert "The <div> tag, not List." in shown
        await pilot.press("4")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)  # its list of cards: the question as plain text
        table = app.screen.query_one(DataTable)
        assert str(table.get_row_at(0)[0]) == "What does List<T> mean?"
