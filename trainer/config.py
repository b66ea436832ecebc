"""Deck settings: ``trainer.toml`` at the deck root, committed with the notes so two machines agree.

Read with :mod:`tomllib`; a wrong value is reported as ``trainer.toml: key: problem``. The only
write is ``trainer optimize`` replacing ``parameters``, done on the text so comments survive.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

FILE_NAME = "trainer.toml"
ALGORITHMS = ("sm2", "fsrs")
DEFAULT_NEW_PER_DAY = 20
DEFAULT_MAX_INTERVAL = 36500
N_PARAMETERS = 21


class ConfigError(ValueError):
    """``trainer.toml`` cannot be used; the message reads ``trainer.toml: key: problem``."""


@lru_cache(maxsize=1)
def default_parameters() -> tuple[float, ...]:
    """fsrs-rs's own defaults (FSRS-6), used while a deck has not been optimised."""
    from fsrs_rs_python import DEFAULT_PARAMETERS

    return tuple(float(w) for w in DEFAULT_PARAMETERS)


@dataclass(frozen=True, slots=True)
class Settings:
    algorithm: str = "sm2"
    desired_retention: float = 0.9
    parameters: tuple[float, ...] | None = None
    """``None``: fsrs-rs defaults (see :attr:`weights`)."""
    new_per_day: int = DEFAULT_NEW_PER_DAY
    max_interval: int = DEFAULT_MAX_INTERVAL
    interview: dt.date | None = None
    source: Path | None = field(default=None, compare=False)
    """The file read (``None``: no ``trainer.toml``, all defaults)."""

    @property
    def weights(self) -> tuple[float, ...]:
        return self.parameters if self.parameters is not None else default_parameters()

    def to_json(self) -> dict:
        d = asdict(self)
        d["parameters"] = [round(w, 6) for w in self.weights]
        d["parameters_source"] = "trainer.toml" if self.parameters is not None else "fsrs-rs defaults"
        d["interview"] = self.interview.isoformat() if self.interview else None
        d["source"] = str(self.source) if self.source else None
        return d


def path_of(deck_root: Path) -> Path:
    return Path(deck_root) / FILE_NAME


def load(deck_root: Path) -> Settings:
    """The deck's settings (defaults when there is no ``trainer.toml``); raises ConfigError."""
    path = path_of(deck_root)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise ConfigError(f"{FILE_NAME}: file: cannot read it ({exc.strerror})") from None
    return parse(raw, source=path)


_cache: dict[str, tuple[tuple[int, int], Settings]] = {}


def load_cached(deck_root: Path) -> Settings:
    """:func:`load`, read again only when the file changed (a grade asks on every card).

    While a long-running app is open, a file broken mid-session keeps the last good settings;
    a command started on a broken file fails at once with the error.
    """
    key = os.path.realpath(path_of(deck_root))
    try:
        st = os.stat(key)
        stamp = (st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = (0, -1)
    hit = _cache.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    try:
        settings = load(deck_root)
    except ConfigError:
        if hit is not None:
            return hit[1]
        raise
    _cache[key] = (stamp, settings)
    return settings


_KNOWN = {
    "scheduler": {"algorithm", "desired_retention", "parameters", "new_per_day", "max_interval"},
    "interview": {"date"},
}


def parse(raw: bytes, *, source: Path | None = None) -> Settings:
    import tomllib  # (here: a deck without a trainer.toml never needs it)

    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(f"{FILE_NAME}: file: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{FILE_NAME}: syntax: {exc}") from None
    for table, value in data.items():
        if table not in _KNOWN:
            raise ConfigError(f"{FILE_NAME}: {table}: unknown setting (known: [scheduler], [interview])")
        if not isinstance(value, dict):
            raise ConfigError(f"{FILE_NAME}: {table}: expected a [{table}] table")
        for key in value:
            if key not in _KNOWN[table]:
                raise ConfigError(f"{FILE_NAME}: {table}.{key}: unknown key (known: {', '.join(sorted(_KNOWN[table]))})")
    sch = data.get("scheduler", {})
    out: dict[str, object] = {}
    if "algorithm" in sch:
        a = sch["algorithm"]
        if a not in ALGORITHMS:
            raise ConfigError(f"{FILE_NAME}: scheduler.algorithm: expected \"sm2\" or \"fsrs\", got {_toml(a)}")
        out["algorithm"] = a
    if "desired_retention" in sch:
        r = sch["desired_retention"]
        if isinstance(r, bool) or not isinstance(r, (int, float)) or not 0.7 <= r <= 0.99:
            raise ConfigError(f"{FILE_NAME}: scheduler.desired_retention: expected a number from 0.7 to 0.99, got {_toml(r)}")
        out["desired_retention"] = float(r)
    if "parameters" in sch:
        out["parameters"] = check_parameters(sch["parameters"])
    for key, low, high in (("new_per_day", 0, 100_000), ("max_interval", 1, DEFAULT_MAX_INTERVAL)):
        if key in sch:
            n = sch[key]
            if isinstance(n, bool) or not isinstance(n, int) or not low <= n <= high:
                raise ConfigError(f"{FILE_NAME}: scheduler.{key}: expected a whole number from {low} to {high}, got {_toml(n)}")
            out[key] = n
    interview = data.get("interview", {})
    if "date" in interview:
        d = interview["date"]
        if isinstance(d, str):
            try:
                d = dt.date.fromisoformat(d)
            except ValueError:
                raise ConfigError(f"{FILE_NAME}: interview.date: expected a date like 2026-12-15, got {_toml(d)}") from None
        if isinstance(d, dt.datetime) or not isinstance(d, dt.date):
            raise ConfigError(f"{FILE_NAME}: interview.date: expected a date like 2026-12-15, got {_toml(d)}")
        out["interview"] = d
    return Settings(**out, source=source)  # type: ignore[arg-type]


def _toml(value: object) -> str:
    """A value as it is written in trainer.toml (true, "text", 2026-12-15T10:00:00), not as Python's repr."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string; control characters escaped
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return repr(value)  # int, float (nan, inf read as TOML writes them)


def check_parameters(value: object) -> tuple[float, ...]:
    if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value):
        raise ConfigError(f"{FILE_NAME}: scheduler.parameters: expected a list of {N_PARAMETERS} numbers")
    if len(value) != N_PARAMETERS:
        raise ConfigError(f"{FILE_NAME}: scheduler.parameters: expected {N_PARAMETERS} numbers (FSRS-6), got {len(value)}")
    import math

    w = [float(v) for v in value]
    if not all(math.isfinite(v) for v in w):
        raise ConfigError(f"{FILE_NAME}: scheduler.parameters: every number must be finite")
    if min(w[:4]) <= 0:
        raise ConfigError(f"{FILE_NAME}: scheduler.parameters: the first four (initial stabilities) must be > 0")
    if not 0.1 <= w[20] <= 0.8:
        raise ConfigError(f"{FILE_NAME}: scheduler.parameters: the last (decay) must be from 0.1 to 0.8, got {w[20]}")
    return tuple(float(v) for v in value)


# ---------------------------------------------------------------- surgical write of `parameters`

_TABLE = re.compile(r"^[ \t]*\[\[?[ \t]*([^\]]*?)[ \t]*\]\]?[ \t]*(?:#[^\n]*)?\r?$", re.M)
_PARAMS = re.compile(r"^[ \t]*parameters[ \t]*=[ \t]*", re.M)


def format_parameters(params: tuple[float, ...] | list[float]) -> str:
    return "[" + ", ".join(f"{p:.4f}" for p in params) + "]"


def with_parameters(text: str, params: list[float] | tuple[float, ...]) -> str:
    """``text`` with ``[scheduler] parameters`` set to ``params``; every other byte kept.

    The old value (one line or spread over several, comments inside included) is replaced; a
    missing key goes at the end of ``[scheduler]``; a missing table is appended. The result is
    parsed again and must differ from the old file in ``parameters`` only.
    """
    nl = "\r\n" if "\r\n" in text else "\n"
    value = format_parameters(params)
    tables = [(m.start(), m.end(), m.group(1).strip()) for m in _TABLE.finditer(text)]
    sched = next(((i, t) for i, t in enumerate(tables) if t[2] == "scheduler"), None)
    if sched is None:
        sep = "" if not text or text.endswith("\n") else nl
        new = f"{text}{sep}{nl if text.strip() else ''}[scheduler]{nl}parameters = {value}{nl}"
    else:
        i, (start, end, _) = sched
        stop = tables[i + 1][0] if i + 1 < len(tables) else len(text)
        m = _PARAMS.search(text, end, stop)
        if m is not None:
            close = _array_end(text, m.end())
            new = text[: m.end()] + value + text[close:]
        else:
            body = text[end:stop].rstrip(" \t\r\n")
            at = end + len(body)
            new = text[:at] + f"{nl}parameters = {value}" + text[at:]
            if at == len(text):
                new += nl
    _check_rewrite(text, new, params)
    return new


def _array_end(text: str, start: int) -> int:
    """Index just past the array that opens at ``start`` (numbers and comments only)."""
    if text[start : start + 1] != "[":
        raise ConfigError(f"{FILE_NAME}: scheduler.parameters: not a [list]; not changed")
    depth, i = 0, start
    while i < len(text):
        c = text[i]
        if c == "#":
            nl = text.find("\n", i)
            i = len(text) if nl < 0 else nl
            continue
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ConfigError(f"{FILE_NAME}: scheduler.parameters: list is not closed; not changed")


def _check_rewrite(old: str, new: str, params) -> None:
    import tomllib

    before = tomllib.loads(old) if old.strip() else {}
    try:
        after = tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:  # pragma: no cover - a bug, never written
        raise ConfigError(f"{FILE_NAME}: parameters: the edit would break the file ({exc}); not changed") from None
    got = after.get("scheduler", {}).pop("parameters", None)
    before.get("scheduler", {}).pop("parameters", None)
    if not before.get("scheduler", True):
        before.pop("scheduler")
    if not after.get("scheduler", True):
        after.pop("scheduler")
    if after != before or got is None or [round(p, 4) for p in params] != got:
        raise ConfigError(f"{FILE_NAME}: parameters: the edit did not read back as meant; not changed")


def write_parameters(deck_root: Path, params: list[float] | tuple[float, ...]) -> Path:
    """Store fitted parameters in the deck's ``trainer.toml`` (created if missing), atomically."""
    from trainer.notes.write import atomic_write

    path = path_of(deck_root)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raw = b""
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    new = with_parameters(text, params)
    parse(new.encode("utf-8"))  # what is written must load
    atomic_write(path, (b"\xef\xbb\xbf" if bom else b"") + new.encode("utf-8"))
    return path
