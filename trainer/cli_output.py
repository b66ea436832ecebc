"""What every command prints through: JSON for scripts, aligned tables that count CJK as two
cells, problems on stderr, and the exit codes (SPEC §5). Shared by ``trainer.cli`` and the
commands kept in modules of their own (``trainer.cli_interview``), which import it, not the CLI.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from typing import Sequence

from trainer.errors import UsageError
from trainer.textsafe import clean, fit_cells, json_safe_bytes

OK, PROBLEMS, USAGE = 0, 1, 2


def emit_json(data: object) -> None:
    """JSON for scripts, always UTF-8 (RFC 8259), whatever the terminal's encoding.

    orjson encodes a large deck's 16 MB in a tenth of the time of the standard library, which
    stays the fallback for what orjson refuses (integers past 64 bits in a hand-edited note).
    """
    import orjson

    option = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
    try:
        blob = orjson.dumps(data, default=_json_default, option=option | orjson.OPT_INDENT_2) + b"\n"
    except TypeError:  # orjson.JSONEncodeError
        text = json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)
        blob = (text + "\n").encode("utf-8", "backslashreplace")  # a lone surrogate: a valid \\udcxx escape
    write_bytes(json_safe_bytes(blob))


def write_bytes(blob: bytes | list[bytes]) -> None:
    """``blob``, or its parts one after the other (a large answer is not copied into one first)."""
    parts = blob if isinstance(blob, list) else [blob]
    sys.stdout.flush()
    out = getattr(sys.stdout, "buffer", None)
    if out is None:  # a text-only stream (an embedding program's)
        sys.stdout.write(b"".join(parts).decode("utf-8", "replace"))
    else:
        out.writelines(parts)
        out.flush()


def _json_default(o: object) -> object:
    if isinstance(o, (dt.date, dt.datetime)):
        return o.isoformat()
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def report_problems(problems: Sequence[object]) -> None:
    for p in problems:
        print(clean(str(p)), file=sys.stderr)


def table(headers: list[str], rows: list[list[object]], *, right: set[int] = frozenset(),  # type: ignore[assignment]
          give_way: tuple[int, ...] | None = None) -> None:
    """A plain aligned table; widths count CJK as two cells (rich.cells).

    On a narrow terminal the columns in ``give_way`` (default: the last two, last first) shrink,
    each down to 12 cells, in that order.
    """
    from rich.cells import cell_len

    cells = [[clean(str(c)) for c in r] for r in rows]
    widths = [cell_len(h) for h in headers]
    for r in cells:
        for i, c in enumerate(r):
            widths[i] = max(widths[i], cell_len(c))
    term = _terminal_width()
    # on a narrow terminal the last columns (paths, titles) give way, down to 12 cells each
    for i in give_way if give_way is not None else (len(widths) - 1, len(widths) - 2):
        over = sum(widths) + 2 * (len(widths) - 1) - term
        if over <= 0 or i < 0:
            break
        widths[i] = max(12, widths[i] - over)

    def line(values: list[str]) -> str:
        out = []
        for i, v in enumerate(values):
            v = fit_cells(v, widths[i], cell_len)
            pad = " " * (widths[i] - cell_len(v))
            out.append(pad + v if i in right else v + pad)
        return "  ".join(out).rstrip()

    print(line(headers))
    print(line(["─" * w for w in widths]))
    for r in cells:
        print(line(r))


def _terminal_width() -> int:
    if not sys.stdout.isatty():
        return 10_000
    try:
        return os.get_terminal_size().columns
    except OSError:
        return 100


def _need_terminal(what: str) -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            f"{what} needs a terminal (stdin and stdout are not one); "
            "for scripts use `trainer due`, `review`, `stats` or `demo ID --json`"
        )
