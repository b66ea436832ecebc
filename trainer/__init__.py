"""trainer: spaced repetition over interview notes kept as markdown."""

__version__ = "0.1.0"
