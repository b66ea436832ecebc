"""Reading a note: frontmatter cut out by position, YAML through a safe loader, values checked.

Nothing in a note is executed: YAML goes through libyaml's ``CSafeLoader`` when present
(else PyYAML's pure ``SafeLoader``), so tags such as ``!!python/object`` are refused.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from functools import cache

from trainer.notes.model import DEFAULT_DIFFICULTY, DIFFICULTIES, Body, Note, Problem, Schedule

BOM = "\ufeff"
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CLOSING = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.M)
_OPENING = re.compile(r"---[ \t]*(\r?\n|$)")
_CR_ONLY = re.compile(r"---[ \t]*\r(?!\n)")
#: Alias expansion budget: a note needs a handful; a billion-laughs bomb needs billions.
_MAX_ALIAS_EXPANSION = 100_000
_MAX_YAML_CHARS = 1_000_000


class NoteError(ValueError):
    """The note as a whole cannot be read (bad encoding, broken YAML, not a mapping)."""


@dataclass(frozen=True, slots=True)
class Split:
    """Where the frontmatter sits in the decoded text (indices into the text without BOM)."""

    yaml: str
    yaml_start: int
    yaml_end: int
    """Start of the closing ``---`` line."""
    body_start: int
    newline: str


def undecodable_part(raw: bytes) -> str:
    """Where the bytes that :func:`decode` refused sit, as a problem's key: ``frontmatter``,
    ``body``, or ``file`` (NUL bytes: not text at all)."""
    if b"\x00" in raw:
        return "file"
    try:
        raw.decode("utf-8")
        return "file"
    except UnicodeDecodeError as exc:
        at = exc.start
    text = raw.decode("utf-8", "surrogateescape")
    if text.startswith(BOM):
        text = text[1:]
        at -= len(BOM.encode("utf-8"))
    try:
        split = split_frontmatter(text)
    except NoteError:  # not closed: it is all frontmatter
        return "frontmatter"
    if split is None:
        return "body"
    return "frontmatter" if at < len(text[: split.body_start].encode("utf-8", "surrogateescape")) else "body"


def decode(raw: bytes) -> tuple[str, bool]:
    """Bytes to text; a BOM is remembered so a write can put it back."""
    if b"\x00" in raw:
        raise NoteError("binary file (contains NUL bytes), not a markdown note")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NoteError(f"not valid UTF-8 (byte {exc.start}); save the note as UTF-8") from None
    if text.startswith(BOM):
        return text[1:], True
    return text, False


def detect_newline(text: str) -> str:
    i = text.find("\n")
    return "\r\n" if i > 0 and text[i - 1] == "\r" else "\n"


def split_frontmatter(text: str) -> Split | None:
    """Find ``---`` … ``---``/``...``; ``None`` when the note has no frontmatter.

    Raises NoteError for an opening line with no closing one.
    """
    if not text.startswith("---"):
        if text.startswith(BOM) and text.lstrip(BOM).startswith("---"):
            raise NoteError("two byte-order marks before the frontmatter; remove the extra one (save as UTF-8)")
        return None
    if _CR_ONLY.match(text):
        raise NoteError("line endings are CR only (old Mac style); save the note with LF or CRLF line endings")
    m = _OPENING.match(text)
    if m is None:  # "----" or "--- title": a rule or text, not frontmatter
        return None
    start = m.end()
    if not m.group(1):
        raise NoteError("frontmatter is not closed (no line '---' after the first)")
    newline = m.group(1)
    close = _CLOSING.search(text, start)
    if close is None:
        raise NoteError("frontmatter is not closed (no line '---' after the first)")
    end = close.start()
    body_start = close.end()
    if text.startswith("\r\n", body_start):
        body_start += 2
    elif text.startswith("\n", body_start):
        body_start += 1
    return Split(text[start:end], start, end, body_start, newline)


@cache
def loader_class() -> type:
    """libyaml's CSafeLoader when PyYAML was built with it, else the pure-Python SafeLoader.

    A subclass, so nothing registered on PyYAML's own loaders reaches ours. Imported lazily:
    a warm scan never parses YAML and should not pay for importing it.
    """
    import yaml
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    base = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
    MAP, SEQ, STR = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:str"
    # Constructors that return a value directly (the collection ones are generators).
    scalar_tags = frozenset(f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float", "binary", "timestamp", "str"))
    scalar_tags &= frozenset(base.yaml_constructors)
    resolved: dict[tuple, str] = {}

    class Loader(base):  # type: ignore[misc, valid-type]
        # Speed only, same results: a scan composes ~20 scalars per note, mostly the same few
        # (dates, `medium`, tag names), and PyYAML resolves each with regexes in Python.
        def resolve(self, kind, value, implicit):
            if kind is ScalarNode and len(value) <= 64:
                key = (value, implicit)
                tag = resolved.get(key)
                if tag is None:
                    tag = base.resolve(self, kind, value, implicit)
                    if len(resolved) > 50_000:
                        resolved.clear()
                    resolved[key] = tag
                return tag
            return base.resolve(self, kind, value, implicit)

        def construct_document(self, node):
            """The usual frontmatter (a mapping of string keys to scalars or lists of scalars)
            built directly with the same constructors; anything else the usual way."""
            if type(node) is MappingNode and node.tag == MAP and not self.anchored:
                cons = self.yaml_constructors
                out = {}
                for k, v in node.value:
                    if type(k) is not ScalarNode or k.tag != STR:
                        break
                    tv = type(v)
                    if tv is ScalarNode and v.tag in scalar_tags:
                        out[k.value] = cons[v.tag](self, v)
                    elif tv is SequenceNode and v.tag == SEQ and all(
                        type(i) is ScalarNode and i.tag in scalar_tags for i in v.value
                    ):
                        out[k.value] = [cons[i.tag](self, i) for i in v.value]
                    else:
                        break
                else:
                    return out
            return base.construct_document(self, node)

        anchored = True

    def timestamp(loader, node):
        # `next_review: 2025-02-30` looks like a date but is none: keep the text, so the key
        # check reports it under its key (SPEC §1) instead of the whole note failing to load.
        try:
            return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
        except (ValueError, OverflowError):
            return loader.construct_scalar(node)

    Loader.add_constructor("tag:yaml.org,2002:timestamp", timestamp)
    return Loader


def _alias_expansion(node, budget: int) -> int:
    import yaml

    """Count nodes as if every alias were expanded, stopping once over budget."""
    stack = [node]
    seen = 0
    while stack:
        n = stack.pop()
        seen += 1
        if seen > budget:
            break
        if isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                stack.append(k)
                stack.append(v)
    return seen


def compose(yaml_text: str):
    """Compose (not construct) the frontmatter; positions are character indices."""
    hit = _recent.get(yaml_text)
    if hit is not None:
        return hit[2]  # read only by its callers (positions and values), never changed
    loader = loader_class()(yaml_text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


# ---------------------------------------------------------------- the last few texts parsed
#
# A grade reads the note (the caller's load), reads it again under the lock to check its
# schedule, and edits that text: the same frontmatter text parsed up to three times, composed
# once more (#17). The last few texts parsed are kept with what parsing gave, keyed by the whole
# text: a hit is exactly what parsing that text gives (the text is always read again first; no
# write is ever built from content that was not just read). Only plain frontmatter is kept (a
# mapping of scalars or lists of scalars, no anchors or merge keys), and each caller gets its own
# copy of the mapping.

_RECENT_MAX = 4
_recent: dict[str, tuple[dict, tuple[str, ...], object]] = {}
_recent_lock = threading.Lock()
_SCALARS = frozenset({str, int, float, bool, type(None), dt.date, dt.datetime, bytes})


def _plain(data: object) -> bool:
    return type(data) is dict and all(
        type(v) in _SCALARS or (type(v) is list and all(type(i) in _SCALARS for i in v)) for v in data.values())


def _copy(data: dict) -> dict:
    return {k: (v.copy() if type(v) is list else v) for k, v in data.items()}


def _remember(yaml_text: str, data: object, duplicates: list[str], node) -> None:
    if "&" in yaml_text or "<<" in yaml_text or not _plain(data):
        return
    with _recent_lock:
        while len(_recent) >= _RECENT_MAX:
            del _recent[next(iter(_recent))]
        _recent[yaml_text] = (_copy(data), tuple(duplicates), node)  # type: ignore[arg-type]


def load_yaml(yaml_text: str, *, remember: bool = True) -> tuple[object, list[str]]:
    """The frontmatter's data and the top-level keys given more than once.

    PyYAML keeps the last of a repeated key silently; SPEC §1 wants it reported.
    ``remember=False``: not kept among the last few texts parsed (a scan parses thousands once
    each; keeping them cost a cold scan 10 %, session 10).
    """
    hit = _recent.get(yaml_text)
    if hit is not None:
        return _copy(hit[0]), list(hit[1])
    return _load_yaml(yaml_text, remember)


def _load_yaml(yaml_text: str, remember: bool = True) -> tuple[object, list[str]]:
    import yaml

    if len(yaml_text) > _MAX_YAML_CHARS:
        raise NoteError(f"frontmatter is too large ({len(yaml_text)} characters)")
    loader = loader_class()(yaml_text)
    loader.anchored = "&" in yaml_text
    try:
        try:
            node = loader.get_single_node()
            if node is None:
                return None, []
            if "&" in yaml_text and _alias_expansion(node, _MAX_ALIAS_EXPANSION) > _MAX_ALIAS_EXPANSION:
                raise NoteError("YAML aliases expand too far (an alias bomb?); not loaded")
            duplicates: list[str] = []
            if isinstance(node, yaml.MappingNode):
                seen: set[object] = set()
                for key_node, _ in node.value:
                    key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                    if key is not None:
                        if key in seen and key not in duplicates:
                            duplicates.append(key)
                        seen.add(key)
            data = loader.construct_document(node)
            if remember:
                _remember(yaml_text, data, duplicates, node)
            return data, duplicates
        finally:
            loader.dispose()
    except NoteError:
        raise
    except yaml.constructor.ConstructorError as exc:
        raise NoteError(f"YAML not allowed: {_one_line(exc.problem or str(exc))}") from None
    except yaml.YAMLError as exc:
        raise NoteError(f"YAML does not parse: {_yaml_where(exc)}") from None
    except RecursionError:
        raise NoteError("YAML is nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:
        # e.g. a timestamp PyYAML accepts but datetime rejects (2025-02-30)
        raise NoteError(f"YAML value cannot be read: {_one_line(str(exc))}") from None


def _one_line(s: str) -> str:
    return " ".join(s.split())[:200]


def _yaml_where(exc) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    where = f" (frontmatter line {mark.line + 1}, column {mark.column + 1})" if mark else ""
    return _one_line(f"{problem}{where}")


# ---------------------------------------------------------------- values


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        s = value.strip()
        try:
            if len(s) > 10 and _ISO_DAY.match(s):
                return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).date()
            if _ISO_DAY.fullmatch(s):  # not `2026-W01-1` or `20260101`, which fromisoformat takes
                return dt.date.fromisoformat(s)
        except ValueError:
            pass
    raise ValueError(f"expected a date YYYY-MM-DD, got {_show(value)}")


def _show(value: object) -> str:
    text = repr(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


#: Past this a count or an interval is a typo (or an attack): 1 followed by 310 zeros
#: overflows every float it meets. (A billion times the largest ease is still a finite float.)
MAX_COUNT = 1_000_000_000
#: SM-2's ease grows 0.1 per perfect grade: 100 is far past any real card, and keeps
#: ``interval * ease`` a finite float.
MAX_EASE = 100.0


def _int(value: object, low: int = 0, high: int = MAX_COUNT) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number >= {low}, got {_show(value)}")
    if value < low:
        raise ValueError(f"must be >= {low}, got {_show(value)}")
    if value > high:
        raise ValueError(f"must be <= {high}, got {_show(value)}")
    return value


def _float(value: object, low: float, high: float | None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {_show(value)}")
    try:
        v = float(value)
    except OverflowError:  # an int past float's range
        v = float("inf")
    if v != v or v < low or (high is not None and v > high) or v in (float("inf"), float("-inf")):
        rng = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"must be a finite number {rng}, got {_show(value)}")
    return v


def _str_list(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError(f"expected a list of strings, got {_show(value)}")
    for item in value:
        if not isinstance(item, str):
            raise ValueError(f"expected a list of strings, found item {_show(item)}")
    return tuple(value)


def _list(value: object) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"expected a list, got {_show(value)}")
    return value


def _difficulty(value: object) -> str:
    if isinstance(value, str) and value.strip().lower() in DIFFICULTIES:
        return value.strip().lower()
    raise ValueError(f"expected one of easy/medium/hard, got {_show(value)}")


_NEW = Schedule(created=dt.date.min, last_reviewed=None, next_review=dt.date.min)
"""A never-studied card: the defaults of the keys a note leaves out (:class:`Schedule`'s own)."""


def read_fields(
    data: dict, rel: str, mtime_date: dt.date, today: dt.date | None = None
) -> tuple[dict[str, object], list[Problem]]:
    """Checked values for the SPEC §1 keys, defaults where missing or wrong, and the problems."""
    problems: list[Problem] = []
    out: dict[str, object] = {}

    def take(key: str, conv, default):
        if key not in data:
            out[key] = default
            return
        try:
            out[key] = conv(data[key])
        except ValueError as exc:
            problems.append(Problem(rel, key, str(exc)))
            out[key] = default

    take("created", _as_date, mtime_date)
    take("last_reviewed", lambda v: None if v is None else _as_date(v), None)
    take("next_review", _as_date, today or dt.date.today())
    take("review_count", _int, _NEW.review_count)
    take("difficulty", _difficulty, DEFAULT_DIFFICULTY)
    take("mastery_level", lambda v: _float(v, 0.0, 1.0), _NEW.mastery_level)
    take("tags", _str_list, ())
    take("related_outlines", _list, [])
    take("ease_factor", lambda v: _float(v, 1.3, MAX_EASE), _NEW.ease_factor)
    take("interval", _int, _NEW.interval)
    take("repetitions", _int, _NEW.repetitions)
    take("stability", lambda v: None if v is None else _float(v, 0.001, 36500.0), _NEW.stability)
    take("fsrs_difficulty", lambda v: None if v is None else _float(v, 1.0, 10.0), _NEW.fsrs_difficulty)
    take("demos", _str_list, ())
    return out, problems


from trainer.notes.model import NEW_CARD_DUE  # noqa: E402,F401 - here too, where it was first defined


_interned: dict = {}


def _intern(value):
    """One shared object for equal immutable values (dates, tag tuples, key sets): across a deck
    they repeat, so the scan keeps less memory and the pickled cache stores each once."""
    try:
        return _interned.setdefault(value, value)
    except TypeError:
        return value
    finally:
        if len(_interned) > 100_000:
            _interned.clear()


def parse_note(raw: bytes, rel: str, *, mtime_ns: int = 0, size: int = 0, root: Path | None = None,
               remember: bool = True) -> Note:
    """Everything the deck needs from one note's bytes; never raises for bad content.
    ``remember``: as :func:`load_yaml` (a scan passes False)."""
    stem = rel.rsplit("/", 1)[-1]
    stem = stem[:-3] if stem.lower().endswith(".md") else stem
    mtime_date = dt.date.fromtimestamp(mtime_ns / 1e9) if mtime_ns else dt.date.today()
    problems: list[Problem] = []
    fatal = False
    data: dict = {}
    body_text = ""
    key = ""  # (decoded: the frontmatter's problem from here on)
    try:
        text, _ = decode(raw)
        key = "frontmatter"
        split = split_frontmatter(text)
        if split is None:
            body_text = text
        else:
            body_text = text[split.body_start :]
            loaded, duplicates = load_yaml(split.yaml, remember=remember)
            if loaded is None:
                data = {}
            elif not isinstance(loaded, dict):
                raise NoteError(f"frontmatter must be a mapping of keys to values, not a {type(loaded).__name__}")
            else:
                data = loaded
            problems.extend(Problem(rel, str(k), "key is given more than once (only the last counts)") for k in duplicates)
    except NoteError as exc:
        problems.append(Problem(rel, key or undecodable_part(raw), str(exc)))
        fatal = True
        data = {}
    values, value_problems = read_fields(data, rel, mtime_date, NEW_CARD_DUE)
    problems.extend(value_problems)
    schedule = Schedule(
        created=_intern(values["created"]),  # type: ignore[arg-type]
        last_reviewed=_intern(values["last_reviewed"]),  # type: ignore[arg-type]
        next_review=_intern(values["next_review"]),  # type: ignore[arg-type]
        review_count=values["review_count"],  # type: ignore[arg-type]
        mastery_level=values["mastery_level"],  # type: ignore[arg-type]
        ease_factor=values["ease_factor"],  # type: ignore[arg-type]
        interval=values["interval"],  # type: ignore[arg-type]
        repetitions=values["repetitions"],  # type: ignore[arg-type]
        stability=values["stability"],  # type: ignore[arg-type]
        fsrs_difficulty=values["fsrs_difficulty"],  # type: ignore[arg-type]
    )
    present = _intern(frozenset(k for k in data if isinstance(k, str)))
    return Note(
        rel=rel,
        question=find_question(body_text) or stem,
        difficulty=_intern(values["difficulty"]),  # type: ignore[arg-type]
        tags=_intern(values["tags"]),  # type: ignore[arg-type]
        demos=_intern(values["demos"]),  # type: ignore[arg-type]
        schedule=schedule,
        present=present,
        problems=tuple(problems),
        fatal=fatal,
        size=size,
        mtime_ns=mtime_ns,
        root=root,
    )


def resolve_today(schedule: Schedule, today: dt.date) -> Schedule:
    """Replace the "missing next_review" marker by the day asked about."""
    if schedule.next_review == NEW_CARD_DUE:
        return replace(schedule, next_review=today)
    return schedule


# ---------------------------------------------------------------- body

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def _iter_lines(text: str, chunk: int = 1 << 16):
    """``text.splitlines(keepends=True)``, lazily: a 50 MB body whose question is on the first
    line is not cut into millions of strings. Chunks end just after a ``\n``, where splitlines
    always breaks, so the lines are exactly the same."""
    n = len(text)
    if n <= chunk:
        yield from text.splitlines(keepends=True)
        return
    start = 0
    while start < n:
        end = text.find("\n", start + chunk)
        end = n if end < 0 else end + 1
        yield from text[start:end].splitlines(keepends=True)
        start = end


def lines_outside_fences(body: str):
    """Yield (offset, line) for lines that are not inside fenced code blocks (the one fence rule:
    the importers' ``#tag`` reader uses it too)."""
    fence: str | None = None
    offset = 0
    for line in _iter_lines(body):
        m = _FENCE.match(line)
        if fence is None:
            if m:
                fence = m.group(1)
            else:
                yield offset, line
        elif m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip().strip(fence[0]):
            fence = None
        offset += len(line)


def _heading(line: str, level: int) -> str | None:
    mark = "#" * level + " "
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3 or not stripped.startswith(mark):
        return None
    title = stripped[len(mark) :].strip()
    title = re.sub(r"\s+#+\s*$", "", title)  # closing hashes of an ATX heading
    return title


def find_question(body: str) -> str | None:
    """The first ``# `` heading outside code fences."""
    if "# " not in body:
        return None
    for _, line in lines_outside_fences(body):
        title = _heading(line, 1)
        if title:
            return title
    return None


def split_body(body: str, fallback_question: str) -> Body:
    """Question, the first ``## `` section as the short answer, the rest as details."""
    question = None
    q_end = 0
    a_start = a_title = None
    a_end = None
    for offset, line in lines_outside_fences(body):
        if question is None and _heading(line, 1):
            question = _heading(line, 1)
            q_end = offset + len(line)
            continue
        h2 = _heading(line, 2)
        if h2 is not None and offset >= q_end:
            if a_start is None:
                a_start = offset + len(line)
                a_title = h2
            elif a_end is None:
                a_end = offset
                break
        elif a_start is not None and a_end is None and _heading(line, 1) is not None:
            a_end = offset
            break
    if a_start is None:
        return Body(question or fallback_question, "", body[q_end:].strip("\r\n"), "")
    answer = body[a_start : a_end if a_end is not None else len(body)]
    details = body[a_end:] if a_end is not None else ""
    return Body(question or fallback_question, a_title or "", answer.strip("\r\n"), details.strip("\r\n"))


def read_body(path: Path) -> Body:
    """Parse the body of a note file for display (the scan does not keep bodies)."""
    return _read_body(path, parse_frontmatter=False)


def read_card(path: Path) -> Body:
    """:func:`read_body` for the card about to be graded: its frontmatter is parsed on the same
    read, while the person reads the question (#17). The grade reads the note again under its
    lock and parses what it read; the same text then costs a look-up (``load_yaml``'s recent
    texts), a changed one is parsed afresh. Nothing is written from this read."""
    return _read_body(path, parse_frontmatter=True)


def _read_body(path: Path, *, parse_frontmatter: bool) -> Body:
    text, _ = decode(path.read_bytes())
    split = None
    try:
        split = split_frontmatter(text)
    except NoteError:
        pass
    if parse_frontmatter and split is not None:
        try:
            load_yaml(split.yaml)
        except NoteError:
            pass  # the grade reports it, from its own read
    body = text[split.body_start :] if split else text
    return split_body(body, path.stem)
