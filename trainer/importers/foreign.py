"""Frontmatter in formats other than YAML, read on import with python-frontmatter's handlers.

Hugo, Zola and some publishing plugins write TOML between ``+++`` lines or a JSON object as the
first lines of a note. The deck reads YAML only (SPEC §1), so an imported note's foreign block
becomes a YAML frontmatter with the same keys (values the deck can write: strings, numbers,
dates, lists); the body after the block is kept byte for byte, and the source file is never
touched. A block that does not parse stays in the body, as before, with a warning.
"""

from __future__ import annotations

import re
import tomllib

import frontmatter
from frontmatter.default_handlers import BaseHandler, JSONHandler

from trainer.notes.parse import NoteError
from trainer.notes.write import edit_frontmatter, format_value


class TomlHandler(BaseHandler):
    """TOML between ``+++`` lines, read with the standard library's ``tomllib``.

    python-frontmatter's own TOML handler needs the third-party ``toml`` package (it is None
    without it); the handler interface is the library's, only the parser is the stdlib's.
    """

    FM_BOUNDARY = re.compile(r"^\+{3,}[ \t]*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs: object) -> object:
        return tomllib.loads(fm)

    def export(self, metadata: dict[str, object], **kwargs: object) -> str:  # pragma: no cover - never written
        raise NotImplementedError("the deck writes YAML frontmatter only")


_HANDLERS = ((TomlHandler(), "TOML"), (JSONHandler(), "JSON"))


def _writable(value: object) -> bool:
    try:
        format_value(value)
    except TypeError:
        return False
    return True


def to_yaml(text: str) -> tuple[str, list[str]] | None:
    """``text`` with a leading TOML/JSON frontmatter turned into YAML, and warnings; None if it has none."""
    for handler, kind in _HANDLERS:
        if frontmatter.detect_format(text, [handler]) is None:
            continue
        try:
            fm, content = handler.split(text)
            data = handler.load(fm)
        except (ValueError, tomllib.TOMLDecodeError) as exc:
            return _kept(text, kind, exc)
        if not isinstance(data, dict):
            return None
        if content.startswith("\r\n"):
            content = content[2:]
        elif content.startswith("\n"):
            content = content[1:]
        keep = {k: v for k, v in data.items() if isinstance(k, str) and _writable(v)}
        warnings = [f"{kind} frontmatter turned into YAML ({len(keep)} key{'s' if len(keep) != 1 else ''})"]
        warnings += [f"{kind} key {k!r} holds a table or value YAML here cannot keep; left out" for k in data
                     if k not in keep]
        try:
            return edit_frontmatter(content, keep).text, warnings
        except NoteError as exc:
            return _kept(text, kind, exc)
    return None


def _kept(text: str, kind: str, exc: Exception) -> tuple[str, list[str]]:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text, [f"its {kind} frontmatter does not parse ({reason}); kept as part of the body"]
