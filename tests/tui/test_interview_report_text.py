"""What `trainer interview` shows a newcomer: the report's missed points read as the feedback
does (TeX as Unicode), and the interview's own app breaks Chinese lines like the deck app."""

from __future__ import annotations

import subprocess
import sys

from textual.app import App
from textual.widgets import Static

from trainer.interview.transcript import PointRecord, QuestionRecord, Transcript
from trainer.tui.screens.interview_report import InterviewReportScreen

POINT = r"打分对称：Q、K 共用一个 $W$ 时 $S=(XW)(XW)^\top/\sqrt{d_k}$ 是 Gram 矩阵"


class _ReportApp(App[None]):
    def __init__(self, transcript: Transcript, missed: list[tuple[str, int]]) -> None:
        super().__init__()
        self._args = (transcript, missed)

    def on_mount(self) -> None:
        self.push_screen(InterviewReportScreen(*self._args))


async def test_missed_points_show_tex_as_unicode():
    question = QuestionRecord(
        note="attention/qkv.md", question="为什么 Q、K、V 要用三个矩阵？", seconds=11.0, overtime=False,
        answer="", key_points=[PointRecord(POINT, covered=False)], suggested_grade=0, grade=3,
    )
    transcript = Transcript(started="2026-12-01T11:22:12+00:00", questions=[question])
    app = _ReportApp(transcript, [(POINT, 1)])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = str(app.screen.query_one("#report-missed", Static).content)
    assert "×1 打分对称" in shown
    assert "$" not in shown and "\\top" not in shown and "\\sqrt" not in shown, shown
    assert "ᵀ" in shown and "√" in shown, shown


def test_interview_app_alone_installs_the_cjk_line_breaks(tmp_path):
    """`trainer interview` starts InterviewApp without the deck app: it must set the rule itself."""
    code = (
        "import trainer.tui.interview_app\n"
        "from rich import _wrap\n"
        "from trainer.tui.cjk import WORD\n"
        "assert _wrap.re_word is WORD, _wrap.re_word\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )  # cwd: not the checkout, so the trainer this test runs against is imported
    assert done.returncode == 0, done.stderr


async def test_report_fits_60_columns():
    """At 60x20 the boxes' titles read "Key poin…" and "Mean gra…", and the table cut its last
    column ("Grad"); `?` titled the keys "This screen" only."""
    from textual.widgets import DataTable

    from trainer.tui.screens.help import help_sections

    questions = [QuestionRecord(note=f"n{i}.md", question="BERT 和 GPT 的预训练目标有什么不同？为什么？" * 2, seconds=6.0,
                                overtime=i == 1, answer="", key_points=[PointRecord(POINT, covered=False)],
                                suggested_grade=2, grade=g) for i, g in enumerate((2, 3))]
    app = _ReportApp(Transcript(started="2026-12-01T11:22:12+00:00", questions=questions), [])
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        screen = app.screen
        titles = [str(box.border_title) for box in screen.query("#report-counts .count")]
        assert titles == ["Questions", "Coverage", "Time", "Avg grade"]
        assert all(len(title) <= 9 for title in titles)  # a box is 15 cells at 60 columns
        table = screen.query_one("#report-table", DataTable)
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert help_sections(screen)[0][0] == "This screen: Interview report"
