"""The Textual TUI: deck overview, study session, summary, stats, help (``trainer`` with no command).

Everything that imports Textual lives under this package; the core never imports it.
"""
