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
