"""``trainer import``: markdown folders, Obsidian vaults and Anki text exports into a deck (SPEC §7).

Core code: no Textual here. The entry point is :func:`run_import`; it returns an
:class:`ImportReport` (``render_lines()`` for people, ``to_json()`` for scripts).
"""

from trainer.importers.names import ImportRefused
from trainer.importers.report import Entry, ImportReport, SourceInfo
from trainer.importers.run import ON_CONFLICT, run_import

__all__ = ["ImportRefused", "ImportReport", "Entry", "SourceInfo", "ON_CONFLICT", "run_import"]
