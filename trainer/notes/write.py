"""Writing back into a note: only the changed values, atomically, never over someone else's edit.

The frontmatter is never re-dumped. The YAML composer gives each value's exact character
span; a new value replaces that span and nothing else, so comments, key order, quoting of
other keys, CRLF, BOM and the body survive byte for byte (SPEC §2). After every edit the
new frontmatter is loaded again and compared with what was meant, before anything is written
(read token by token when the edit only swapped one-line values for numbers or quoted dates).
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from trainer.notes.parse import BOM, NoteError, compose, decode, detect_newline, load_yaml, split_frontmatter

TEMP_MARK = ".trainer-tmp-"


class _Remove:
    def __repr__(self) -> str:
        return "REMOVE"


REMOVE = _Remove()
"""An update value that deletes the key's line (undo of a key a review added)."""


class WriteError(OSError):
    """A note could not be written; the file on disk is unchanged."""

    def __str__(self) -> str:
        return str(self.strerror)


def format_value(value: object) -> str:
    """A value in the seed note's style: ``'2025-10-19'``, ``null``, ``0.43``, ``3``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return f"'{value.isoformat()}'"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ".nan" if value != value else (".inf" if value > 0 else "-.inf")
        text = repr(round(value, 2))
        mantissa, e, exponent = text.partition("e")
        # YAML 1.1 reads `1e+306` as a string: a float's exponent needs a dot before it
        return f"{mantissa}.0e{exponent}" if e and "." not in mantissa else text
    if isinstance(value, str):
        return value if _plain_str(value) else "'" + value.replace("'", "''") + "'"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    raise TypeError(f"cannot write a {type(value).__name__} to a note")


_PLAIN = re.compile(r"^[^\W\d_][\w/.+-]*(?: [\w/.+-]+)*$")
_YAML_WORDS = {"null", "true", "false", "yes", "no", "on", "off", "y", "n", "nan", "inf", "~"}


def _plain_str(s: str) -> bool:
    """Whether a string reads back as itself unquoted (``medium``, ``Transformer/Attention``)."""
    if not _PLAIN.match(s) or s.lower() in _YAML_WORDS:
        return False
    loaded = load_yaml(f"v: {s}")[0]
    return isinstance(loaded, dict) and loaded.get("v") == s


def _same(a: object, b: object) -> bool:
    kind = type(a)
    if kind is type(b) and kind is not float and kind is not dt.datetime:
        return a == b  # the usual case (a grade compares ~14 values): what the last line below says
    if isinstance(a, dt.datetime):
        a = a.date()
    if isinstance(b, dt.datetime):
        b = b.date()
    if isinstance(a, str) and isinstance(b, dt.date):
        a, b = b, a
    if isinstance(a, dt.date) and isinstance(b, str):
        try:
            return a == dt.date.fromisoformat(b.strip())
        except ValueError:
            return False
    if isinstance(a, float) and isinstance(b, float) and (a == b or (a != a and b != b)):
        return True  # NaN is NaN and inf is inf: an untouched `.nan` or `.inf` must not look changed
    if isinstance(a, float) or isinstance(b, float):
        try:
            return not isinstance(a, bool) and not isinstance(b, bool) and abs(float(a) - float(b)) < 1e-9  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
    return type(a) is type(b) and a == b


@dataclass(frozen=True, slots=True)
class Raw:
    """A value as its source text after the colon, written as is (undo puts back the exact original)."""

    text: str


@dataclass(frozen=True, slots=True)
class Edit:
    text: str
    old_raw: dict[str, str]
    """Source text of each replaced value before the edit, for an exact undo."""
    created_frontmatter: bool = False
    added: tuple[str, ...] = ()
    """Keys appended (not replaced): an undo removes their lines."""


def _expected(value: object) -> object:
    if isinstance(value, Raw):
        loaded = load_yaml(f"v:{value.text}\n")[0]
        return loaded["v"] if isinstance(loaded, dict) else _Missing
    return value


def _source(value: object) -> str:
    return value.text.strip() if isinstance(value, Raw) else format_value(value)


def edit_frontmatter(text: str, updates: dict[str, object], *, drop_empty: bool = False, split=False) -> Edit:
    """``text`` (BOM already removed) with ``updates`` set in its frontmatter.

    Keys whose value is already equal are left alone; a missing key is appended at the end
    of the block (inside the braces of a flow mapping); a note without frontmatter gets one.
    ``drop_empty`` removes a frontmatter left empty (undo of the first grade of a bare note).
    Raises NoteError when the frontmatter cannot be edited safely. ``split`` is
    ``split_frontmatter(text)`` when the caller has it.
    """
    if split is False:
        split = split_frontmatter(text)
    if split is None:
        adds = {k: v for k, v in updates.items() if v is not REMOVE}
        if not adds:
            return Edit(text, {})
        if text.lstrip(" \t\r\n" + BOM).startswith("---"):
            # a block that is not on the first line: ours would be a second frontmatter above it
            raise NoteError("the note starts with a '---' block that is not on its first line; not changed "
                            "(move the frontmatter to the very first line)")
        nl = detect_newline(text)
        block = "".join(f"{k}: {_source(v)}{nl}" for k, v in adds.items())
        return Edit(f"---{nl}{block}---{nl}{text}", {}, created_frontmatter=True, added=tuple(adds))

    before, _ = load_yaml(split.yaml)
    if before is None:
        before = {}
    if not isinstance(before, dict):
        raise NoteError("frontmatter is not a mapping; it cannot be edited")
    wanted = {}
    for k, v in updates.items():
        if v is REMOVE:
            if k in before:
                wanted[k] = v
        elif isinstance(v, Raw) or k not in before or not _same(before[k], v):
            wanted[k] = v
    if not wanted:
        return Edit(text, {})

    import yaml

    node = compose(split.yaml)
    fm = split.yaml
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in fm coordinates
    old_raw: dict[str, str] = {}
    missing = dict(wanted)
    flow_removed: set[int] = set()
    # Values swapped in (key -> what its new one-line token reads as) while every edit is such a
    # swap; None once one is not (see "the edit's check, token by token" below).
    swapped: dict[str, object] | None = {} if _swappable(fm, node) else None
    if node is not None and not isinstance(node, yaml.MappingNode):
        raise NoteError("frontmatter is not a mapping of keys to values; it cannot be edited")
    if node is not None:
        pairs = node.value
        last = {(k.value if isinstance(k, yaml.ScalarNode) else None): i for i, (k, _) in enumerate(pairs)}
        if swapped is not None and len(last) != len(pairs):
            swapped = None  # a key given twice
        for i, (key_node, value_node) in enumerate(pairs):
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key not in wanted or last[key] != i:
                continue  # a key given twice: only the last counts (YAML), so only it is edited
            missing.pop(key, None)
            v0, v1 = value_node.start_mark.index, value_node.end_mark.index
            # A block value's end mark lies past its line break (even at the next line's start):
            # the span ends at its last character, so the line break and what follows stay put.
            while v1 > v0 and fm[v1 - 1] in " \t\r\n":
                v1 -= 1
            k0, k1 = key_node.start_mark.index, key_node.end_mark.index
            colon = fm.find(":", k1)
            if colon < 0 or colon > v0:
                raise NoteError(f"key {key!r} has no value to edit (complex key?); not changed")
            old_raw[key] = fm[colon + 1 : v1]
            if wanted[key] is REMOVE or isinstance(wanted[key], Raw):
                swapped = None
            if wanted[key] is REMOVE:
                if node.flow_style:
                    flow_removed.add(i)
                else:
                    line_start = fm.rfind("\n", 0, k0) + 1
                    line_end = fm.find("\n", v1)
                    edits.append((line_start, len(fm) if line_end < 0 else line_end + 1, ""))
                continue
            if isinstance(wanted[key], Raw):
                if fm[colon + 1 : v1] != wanted[key].text:
                    edits.append((colon + 1, v1, wanted[key].text))
                continue
            new = format_value(wanted[key])
            one_line = (
                isinstance(value_node, yaml.ScalarNode)
                and value_node.start_mark.line == key_node.start_mark.line
                and value_node.end_mark.line == value_node.start_mark.line
            )
            if one_line and v1 > v0:
                if fm[v0:v1] == new:
                    continue
                edits.append((v0, v1, new))
                if swapped is not None:
                    swapped = _swap(swapped, key, value_node.style, new)
                continue
            swapped = None
            if one_line:  # empty value (`key:`): fill it in after the colon
                if new:
                    edits.append((v0, v1, new if fm[v0 - 1 : v0] in (" ", "\t") else " " + new))
            else:  # a value spread over lines: replace from the colon on
                edits.append((colon, v1, ": " + new))

    if flow_removed:
        edits.extend(_flow_removals(fm, node.value, flow_removed))
    missing = {k: v for k, v in missing.items() if v is not REMOVE}
    if flow_removed or missing and (node is None or node.flow_style):
        swapped = None
    if missing and swapped is not None:  # keys appended at the end of a block mapping, one a line
        swapped = _appended(swapped, missing)
    if missing:
        if node is not None and node.flow_style:
            close = node.end_mark.index - 1
            if fm[close] != "}":
                raise NoteError("frontmatter flow mapping has no closing brace")
            inner = fm[node.start_mark.index + 1 : close].strip()
            sep = ", " if inner else ""
            added = ", ".join(f"{k}: {_source(v)}" for k, v in missing.items())
            edits.append((close, close, sep + added))
        else:
            indent = " " * node.value[0][0].start_mark.column if node is not None and node.value else ""
            nl = split.newline
            block = "".join(f"{indent}{k}: {_source(v)}{nl}" for k, v in missing.items())
            pos = len(fm)
            if fm and not fm.endswith("\n"):
                block = nl + block
            edits.append((pos, pos, block))

    if not edits:
        return Edit(text, old_raw)
    new_fm = fm
    for start, end, repl in sorted(edits, reverse=True):
        new_fm = new_fm[:start] + repl + new_fm[end:]

    if swapped:  # only one-line tokens swapped for a grade's numbers and dates: the rest reads as before
        after = {**before, **swapped}
    else:
        after = load_yaml(new_fm)[0] if new_fm.strip() else {}
    if after is None:
        after = {}
    if not isinstance(after, dict):
        raise NoteError("edit would break the frontmatter; nothing written")
    for key, value in before.items() if not swapped else ():  # (swapped: the others are the values read)
        if key not in wanted and not _same(after.get(key, _Missing), value):
            raise NoteError(f"edit would change key {key!r}; nothing written")
    for key, value in wanted.items():
        if value is REMOVE:
            if key in _direct_keys(new_fm):
                raise NoteError(f"removal of key {key!r} did not read back; nothing written")
        elif not _same(after.get(key, _Missing), _expected(value)):
            raise NoteError(f"edit of key {key!r} did not read back; nothing written")
    added = tuple(missing)
    if drop_empty and not new_fm.strip():
        return Edit(text[split.body_start :], old_raw, added=added)
    new_text = text[: split.yaml_start] + new_fm + text[split.yaml_end :]
    # The whole file, read again, must cut at the same place: same frontmatter, same body.
    check = split_frontmatter(new_text)
    if check is None or check.yaml != new_fm or new_text[check.body_start :] != text[split.body_start :]:
        raise NoteError("edit would move the end of the frontmatter; nothing written")
    return Edit(new_text, old_raw, added=added)


# ---------------------------------------------------------------- the edit's check, token by token
#
# After an edit the new frontmatter is loaded again and each key compared with what was meant
# (#17: that second YAML parse was a sixth of a grade). When every change is one scalar token on
# its key's line swapped for a number or a date in single quotes — what a grade writes — or
# such a line appended, in a block mapping without anchors, aliases, merge keys, tags or a key
# given twice, the rest of the text is the same tokens in the same places: YAML reads every
# other key as before, and each new token as YAML 1.1 reads that number or quoted text (a
# one-line flow scalar ends its line but for a comment, and no line after it continues it: a
# plain one would then span lines, a quoted one would not parse). Anything else is loaded again
# whole. tests/core/test_edit_check_tokens.py holds both ways to PyYAML's own reading.

_INT_TOKEN = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_FLOAT_TOKEN = re.compile(r"-?[0-9]+\.[0-9]*(?:[eE][-+][0-9]+)?\Z")
_QUOTED_TOKEN = re.compile(r"'[0-9-]*'\Z")


def _swappable(fm: str, node) -> bool:
    import yaml

    return (type(node) is yaml.MappingNode and not node.flow_style
            and "&" not in fm and "*" not in fm and "<<" not in fm and "!" not in fm)


def _token_value(token: str) -> object:
    """What YAML reads ``token`` as, for the tokens a grade writes; ``_Missing`` for any other."""
    if _QUOTED_TOKEN.match(token):
        return token[1:-1]
    if _INT_TOKEN.match(token):
        return int(token)
    if _FLOAT_TOKEN.match(token):
        return float(token)
    return _Missing


def _swap(swapped: dict[str, object], key: str, style: str | None, new: str) -> dict[str, object] | None:
    """``swapped`` with ``key``'s new value, or None when either token is not a flow scalar of the
    kinds above (a plain old one, style None or "" as libyaml gives it, or a quoted one)."""
    value = _token_value(new) if style in (None, "", "'", '"') else _Missing
    if value is _Missing:
        return None
    swapped[key] = value
    return swapped


_KEY_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _appended(swapped: dict[str, object], missing: dict[str, object]) -> dict[str, object] | None:
    """``swapped`` with the values of keys appended as lines ``key: token`` at the block's end (at
    its keys' indentation: a line there ends whatever value came last, a block scalar, a
    sequence or a plain scalar spread over lines, without changing it), or None when a key or a
    token is not one of the plain kinds above."""
    for key, value in missing.items():
        token = _token_value(format_value(value)) if not isinstance(value, Raw) else _Missing
        if token is _Missing or not _KEY_TOKEN.match(key) or key.lower() in _YAML_WORDS:
            return None
        swapped[key] = token
    return swapped


def _flow_removals(fm: str, pairs: list, removed: set[int]) -> list[tuple[int, int, str]]:
    """Non-overlapping cuts that take the removed items out of a flow mapping ``{a: 1, b: 2}``.

    An item goes with the separator after it; a removed run at the end goes with the
    separator before it, so ``{a: 1}`` plus an appended ``b`` minus ``b`` is ``{a: 1}`` again.
    """
    def value_end(i: int) -> int:
        v0, v1 = pairs[i][1].start_mark.index, pairs[i][1].end_mark.index
        while v1 > v0 and fm[v1 - 1] in " \t\r\n":
            v1 -= 1
        return v1

    n = len(pairs)
    kept = [i for i in range(n) if i not in removed]
    last_kept = kept[-1] if kept else -1
    cuts = []
    for i in sorted(removed):
        if i < last_kept:
            cuts.append((pairs[i][0].start_mark.index, pairs[i + 1][0].start_mark.index, ""))
    if last_kept < n - 1:  # the removed tail, with the separator before it (a comment before that stays)
        if last_kept >= 0:
            start = _flow_comma(fm, value_end(last_kept), pairs[last_kept + 1][0].start_mark.index)
        else:
            start = pairs[0][0].start_mark.index
        cuts.append((start, value_end(n - 1), ""))
    return cuts


def _flow_comma(fm: str, start: int, stop: int) -> int:
    """The comma that separates two flow-mapping items (comments before it are kept)."""
    i = start
    while i < stop:
        c = fm[i]
        if c == "#" and (i == 0 or fm[i - 1] in " \t\r\n"):
            nl = fm.find("\n", i)
            i = stop if nl < 0 else nl + 1
            continue
        if c == ",":
            return i
        i += 1
    return start


def _direct_keys(fm: str) -> set[object]:
    """Keys written in the block itself (not those a ``<<`` merge key brings in)."""
    import yaml

    node = compose(fm) if fm.strip() else None
    if not isinstance(node, yaml.MappingNode):
        return set()
    return {k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode) and k.value != "<<"}


class _MissingType:
    pass


_Missing = _MissingType()


class Moved(Exception):
    """The file changed between the read and the replace; nothing was written (read again)."""


def atomic_write(
    path: Path,
    data: bytes | list,
    *,
    mode: int | None = None,
    durable: bool = True,
    follow_symlinks: bool = True,
    before_replace: Callable[[], bool] | None = None,
    real: str | None = None,
    old_stat: os.stat_result | None = None,
) -> os.stat_result | None:
    """Temp file in the same folder, fsync, ``os.replace``: the note is wholly old or wholly new.

    The temp name is hidden and does not end in ``.md`` so no scan takes it for a note. ``data``
    may be a list of buffers, written in turn (:func:`write_all`).
    ``durable=False`` skips the fsyncs: for the scan cache, which is rebuilt if ever lost.
    ``follow_symlinks=False`` replaces a symlink itself, never what it points to (state files).
    ``before_replace`` is asked last, after the fsync: False means the file changed meanwhile,
    and :class:`Moved` is raised with nothing written. Owner and group are kept where allowed.
    ``real`` is ``os.path.realpath(path)`` when the caller has just resolved it (a note's update,
    from the descriptor it read through): not resolved again, folder by folder; ``old_stat`` the
    stat of the file there, when the caller has it (its owner and mode are kept). Returns the
    written file's stat as the write left it (None when ``durable=False``).
    """
    if real is not None and follow_symlinks:
        target = real
    else:
        target = os.path.realpath(path) if follow_symlinks else os.fspath(path)
    folder, name = os.path.split(target)  # (text, not Path objects: a grade made five of them, #17)
    folder = folder or os.curdir
    old: os.stat_result | None
    if old_stat is not None:
        old = old_stat
    else:
        try:
            old = os.stat(target, follow_symlinks=follow_symlinks)
        except FileNotFoundError:
            old = None
    if old is not None and not stat.S_ISREG(old.st_mode):
        old = None  # a symlink replaced as such, or something odd: no mode or owner to keep
    if mode is None:
        mode = stat.S_IMODE(old.st_mode) if old is not None else new_file_mode()
    try:
        tmp, fd = open_temp(folder, name)
    except OSError as exc:
        raise WriteError(exc.errno, f"cannot write in {folder}: {exc.strerror}") from None
    try:
        try:
            write_all(fd, data)
            os.fchmod(fd, mode)
            if old is not None and (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
                _keep_owner(fd, old)
            if old is not None:
                _keep_user_xattrs(target, fd)
            if durable:
                os.fsync(fd)
                written = os.fstat(fd)
        finally:
            os.close(fd)
        if before_replace is not None and not before_replace():
            os.unlink(tmp)
            raise Moved(str(path))
        os.replace(tmp, target)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        reason = "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror
        raise WriteError(exc.errno, f"cannot write {path}: {reason}") from None
    if not durable:
        return None
    try:
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
    return written


def _keep_owner(fd: int, old: os.stat_result) -> None:
    """A shared deck stays shared: the new file gets the old owner and group (best effort)."""
    try:
        os.fchown(fd, old.st_uid, old.st_gid)
    except OSError:
        try:
            os.fchown(fd, -1, old.st_gid)
        except OSError:
            pass


def _keep_user_xattrs(source: Path | str, fd: int) -> None:
    """``user.*`` extended attributes (tags, a Finder colour, a sync tool's id) move to the new
    file with the content (best effort: a file system without them has none to keep)."""
    listxattr = getattr(os, "listxattr", None)
    if listxattr is None:  # pragma: no cover - not Linux
        return
    try:
        names = [n for n in listxattr(source) if n.startswith("user.")]
        for name in names:
            os.setxattr(fd, name, os.getxattr(source, name))
    except OSError:
        pass


def new_file_mode() -> int:
    """The mode a file made now gets (``0o666`` less the umask), set on a temp file before it takes a note's place."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def temp_path(folder: Path | str, name: str) -> str:
    """A hidden temp name beside ``name``: no scan takes it for a note, and its pid tells a leftover
    (:func:`temp_owner_alive`). The name is cut to 40 characters so the whole stays under NAME_MAX."""
    return os.path.join(folder, f".{name[:40]}{TEMP_MARK}{os.getpid()}-{os.urandom(4).hex()}")


def open_temp(folder: Path | str, name: str) -> tuple[str, int]:
    """A new temp file (:func:`temp_path`) opened for writing, only by us (``O_EXCL``, mode 0600)."""
    tmp = temp_path(folder, name)
    return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)


def write_all(fd: int, data: bytes | list) -> None:
    """All of ``data`` (``os.write`` may write less than asked); a list of buffers is written one
    after the other, never joined (the columns' 60 MB at 100k notes, #17)."""
    for part in data if isinstance(data, list) else (data,):
        view = memoryview(part).cast("B")
        while view:
            view = view[os.write(fd, view):]


def is_temp_name(name: str) -> bool:
    return name.startswith(".") and TEMP_MARK in name


def temp_owner_alive(name: str) -> bool:
    """Whether the process that made this temp file still runs (so it is not a leftover)."""
    try:
        pid = int(name.rsplit(TEMP_MARK, 1)[1].split("-", 1)[0])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def encode(text: str, bom: bool) -> bytes:
    return ((BOM if bom else "") + text).encode("utf-8")


def check_writable(path: Path) -> os.stat_result:
    """Refuse to replace a note the user made read-only (root could, but should not)."""
    st = os.stat(path)
    refuse_read_only(path, st)
    return st


def refuse_read_only(path: Path, st: os.stat_result) -> None:
    """:func:`check_writable` for a stat the caller has (of the file at ``path``)."""
    if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise WriteError(errno.EACCES, "read-only (no one may write it); not changed")  # (callers name the note)


def read_text(path: Path) -> tuple[bytes, str, bool]:
    raw = path.read_bytes()
    text, bom = decode(raw)
    return raw, text, bom
