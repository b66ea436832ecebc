"""The mock interview (SPEC §9): key points from a note's short answer, matching a typed answer
against them, a suggested grade, the choice of cards, transcripts kept in the review-log database.

Core only: no Textual, no rich. The TUI screen (``trainer.tui.screens.interview``) drives
:class:`trainer.interview.session.InterviewSession`.
"""

DEFAULT_QUESTIONS = 5  # questions per mock interview
DEFAULT_MINUTES = 3.0  # minutes per question
