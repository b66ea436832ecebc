"""The one error base class: anything the user can act on is a ``TrainerError``.

The CLI catches it once (exit 2 for bad usage, 1 otherwise) and the app once (a notification);
neither ever shows a traceback for it.
"""

from __future__ import annotations


class TrainerError(Exception):
    """A problem the user can fix, with a message that says what and where."""

    exit_code = 1


class UsageError(TrainerError):
    """Bad usage of a command (a missing deck, a wrong option value): exit 2."""

    exit_code = 2
