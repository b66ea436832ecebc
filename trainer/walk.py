"""The deck walk: one stat per note, the floor of every correct answer about a deck of files (#17).

Kept apart from ``trainer.deck`` and light to import (os, stat, hashlib, array): the ``trainer``
command starts the walk of ``due``/``stats`` in a forked child on the other core before the rest
of the CLI is even imported (:func:`start_early`), as git's ``core.preloadIndex`` stats in
parallel. The child compares the walk's digest with the one the deck's columns were built from
and sends back only "unchanged" when they match.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import signal
import threading
import time
from array import array
from stat import S_IFREG as _S_IFREG
from stat import S_ISLNK

_S_IFMT = 0o170000  # stat.S_IFMT as a mask: the file-type bits of st_mode
_TEMP_GRACE_S = 3600
STATE_DIR = ".trainer"
COLUMNS_FILE = "scan-columns.bin"
COLUMNS_VERSION = 9
"""The format of ``trainer.columns``' file (kept here so a walk started early can read its first line)."""
COLUMNS_HEADER = b"trainer scan columns %d" % COLUMNS_VERSION

Stamp = tuple  # (rel, size, mtime_ns, ctime_ns, inode)


def walk_tree(root: str, *, clean_temp: bool = True) -> tuple[list[Stamp], list[tuple[str, str, str]], int]:
    """(stamps, problems as (path, key, message), temp files removed); see ``Deck.walk``."""
    columns, problems, removed = walk_columns(root, clean_temp=clean_temp)
    return list(zip(*columns)), problems, removed


def walk_columns(root: str, *, clean_temp: bool = True) -> tuple[tuple[list, ...], list[tuple[str, str, str]], int]:
    """:func:`walk_tree` with the stamps as five lists (paths, sizes, mtimes, ctimes, inodes):
    appending to them costs less than a tuple per note, and the digest is made from them."""
    root_sep = root + os.sep
    rels: list[str] = []
    sizes: list[int] = []
    mtimes: list[int] = []
    ctimes: list[int] = []
    inodes: list[int] = []
    add_rel, add_size, add_mtime, add_ctime, add_inode = rels.append, sizes.append, mtimes.append, ctimes.append, inodes.append
    problems: list[tuple[str, str, str]] = []
    removed = 0
    stack = [(root, "")]  # (folder, its deck-relative prefix)
    now = time.time()
    while stack:
        folder, prefix = stack.pop()
        try:
            it = os.scandir(folder)
        except OSError as exc:
            problems.append((prefix.rstrip("/") or ".", "folder", f"cannot be read: {exc.strerror}"))
            continue
        with it:
            for entry in it:
                name = entry.name
                if name[0] == ".":
                    if clean_temp and _is_temp_name(name):
                        removed += _remove_leftover(entry, now)
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append((entry.path, prefix + name + "/"))
                        continue
                    if not name.endswith(".md") and name[-3:].lower() != ".md":
                        continue
                    st = entry.stat(follow_symlinks=False)
                    if st.st_mode & _S_IFMT != _S_IFREG:
                        if not S_ISLNK(st.st_mode):
                            continue
                        real = os.path.realpath(entry.path)
                        if not (real.startswith(root_sep)) or not os.path.isfile(real):
                            problems.append((prefix + name, "file", "symlink points outside the deck; skipped"))
                            continue
                        if not _is_note_rel(real[len(root_sep):]):
                            problems.append((prefix + name, "file", "symlink points to a file that is not a note of this deck; skipped"))
                        continue  # an alias of a note the walk lists itself: one card, not two
                except OSError as exc:
                    problems.append((prefix + name, "file", f"cannot be read: {exc.strerror}"))
                    continue
                # ctime and inode too: an edit that keeps size and mtime (a tool restoring the
                # mtime, two same-size saves in one tick) still changes one of them
                add_rel(prefix + name)
                add_size(st.st_size)
                add_mtime(st.st_mtime_ns)
                add_ctime(st.st_ctime_ns)
                add_inode(st.st_ino)
    if clean_temp:  # a crash while the cache was being written leaves its temp file here
        try:
            with os.scandir(os.path.join(root, STATE_DIR)) as it:
                for entry in it:
                    if _is_temp_name(entry.name):
                        removed += _remove_leftover(entry, now)
        except OSError:
            pass
    return (rels, sizes, mtimes, ctimes, inodes), problems, removed


def stamp_parts(found: list[Stamp]) -> tuple[bytes, array]:
    """The walk's stamps as two flat values: the paths NUL-joined, and the sizes, then mtimes,
    ctimes and inodes as 64-bit integers (an inode past 2^63 wrapped as two's complement: the
    same bits); OverflowError for a value past 64 bits."""
    from operator import itemgetter

    return _parts(*(list(map(itemgetter(col), found)) for col in range(5)))


def _parts(rels: list[str], sizes: list[int], mtimes: list[int], ctimes: list[int], inodes: list[int]) -> tuple[bytes, array]:
    nums = array("q", sizes)
    nums.extend(mtimes)
    nums.extend(ctimes)
    try:
        nums.extend(inodes)
    except OverflowError:  # (extend keeps what it took before the error: start the column again)
        del nums[3 * len(rels):]
        nums.extend(i - 2**64 if i >= 2**63 else i for i in inodes)
    return "\0".join(rels).encode("utf-8", "surrogateescape"), nums


def stamp_digest(found: list[Stamp], parts: tuple[bytes, array] | None = None, count: int | None = None) -> bytes:
    """A digest of the walk's stamps: equal exactly when the walk found the same notes unchanged.

    Made of the values only (``stamp_parts``): marshal's bytes also say whether a string is
    interned, which a scan may change."""
    try:
        rels, nums = parts if parts is not None else stamp_parts(found)
    except OverflowError:  # a value beyond 64 bits (a strange file system): their text instead
        return hashlib.sha256(repr(found).encode("utf-8", "surrogateescape")).digest()
    h = hashlib.sha256(rels)
    h.update((len(found) if count is None else count).to_bytes(8, "little"))
    h.update(nums.tobytes())
    return h.digest()


def columns_digest(line: bytes) -> bytes | None:
    """The stamp digest named on the first line of a columns file (``trainer.columns``), unchecked."""
    words = line.split()
    if not line.startswith(COLUMNS_HEADER + b" digest ") or len(words) != 8:
        return None
    try:
        return bytes.fromhex(words[5].decode("ascii"))
    except ValueError:
        return None


def peek_digest(root: str) -> bytes | None:
    try:
        with open_state_file(os.path.join(root, STATE_DIR, COLUMNS_FILE)) as fh:
            return columns_digest(fh.readline(300))
    except OSError:
        return None


def open_state_file(path: str):
    """``open(path, "rb")`` of a cache in ``.trainer/``, refusing (OSError) what is no regular file:
    a FIFO planted there would block the command for ever, a device never end."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # (no effect on a regular file's reads)
    try:
        if os.fstat(fd).st_mode & _S_IFMT != _S_IFREG:
            raise OSError(f"{path}: not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


class BackgroundWalk:
    """:func:`walk_tree` in a forked child; ``expect``: a stamp digest, when the walk's equals it
    the child sends back only "unchanged" (and the walk's problems), not the 100k stamps."""

    def __init__(self, root: str, expect: bytes | None = None) -> None:
        self.root = root
        self.expect = expect
        self._pid = 0
        self._out = None
        if not hasattr(os, "fork") or threading.active_count() > 1:  # forking a threaded process is unsafe
            return
        try:
            # the result goes through an unlinked temp file: read back in one call (a pipe would
            # take one read per 64 KB, each giving up the GIL to the app's start-up)
            import tempfile  # here: the commands that never walk in the background skip its import

            out = tempfile.TemporaryFile(prefix=".trainer-walk-")
            pid = os.fork()
        except OSError:
            return
        if pid == 0:  # the child: walk, hand the result over, leave without running any cleanup
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
                columns, problems, removed = walk_columns(root)
                try:
                    parts = _parts(*columns)
                except OverflowError:  # a number past 64 bits: the stamps themselves
                    sent = list(zip(*columns))
                else:  # unchanged, or the stamps as two flat values (no tuple per note to build and marshal)
                    same = expect is not None and stamp_digest([], parts, len(columns[0])) == expect
                    sent = None if same else (parts[0], parts[1].tobytes())
                out.write(marshal.dumps((sent, problems, removed)))
                out.flush()
                code = 0
            except BaseException:  # noqa: BLE001 - the parent walks again itself
                pass
            finally:
                os._exit(code)
        self._pid, self._out = pid, out

    parts: tuple[bytes, array] | None = None
    """After :meth:`result`: the stamps as :func:`stamp_parts` gives them, when the child sent them so."""

    def result(self) -> tuple[list[Stamp] | None, list[tuple[str, str, str]], int] | None:
        """The child's (stamps or None for "unchanged", problems, removed); None when there is no
        child or it failed (the caller walks itself)."""
        if not self._pid:
            return None
        pid, out = self._pid, self._out
        self._pid, self._out = 0, None
        try:
            with out:
                _, status = os.waitpid(pid, 0)
                if os.waitstatus_to_exitcode(status) != 0:
                    return None
                out.seek(0)
                found, problems, removed = marshal.loads(out.read())
            if type(found) is tuple:  # (paths, numbers): the stamps, built here
                rels_blob, nums_bytes = found
                nums = array("q")
                nums.frombytes(nums_bytes)
                found = _stamps_of(rels_blob, nums)
                self.parts = (rels_blob, nums)
        except (OSError, ValueError, EOFError, TypeError):
            return None
        if not (found is None or type(found) is list) or type(problems) is not list or type(removed) is not int:
            return None
        return found, [tuple(p) for p in problems], removed


def _stamps_of(rels_blob: bytes, nums: array) -> list[Stamp]:
    """:func:`stamp_parts` undone: the stamps again (an inode wrapped past 2^63 unwrapped)."""
    rels = rels_blob.decode("utf-8", "surrogateescape").split("\0") if rels_blob or len(nums) else []
    n = len(rels)
    if len(nums) != 4 * n:
        raise ValueError("stamps of the wrong length")
    values = nums.tolist()
    inodes = values[3 * n:]
    if inodes and min(inodes) < 0:
        inodes = [i + 2**64 if i < 0 else i for i in inodes]
    return list(zip(rels, values[:n], values[n:2 * n], values[2 * n:3 * n], inodes))


_early: BackgroundWalk | None = None


def start_early(argv: list[str]) -> None:
    """For ``trainer due``, ``trainer stats`` (without --tag/--difficulty) and the study app: fork the walk of the deck now, at start-up,
    when its columns exist (``trainer.columns`` takes it up, or walks again if the deck it finds
    from the parsed arguments is another one). A guess from argv: wrong, it only costs a fork."""
    global _early
    command, deck, rest = None, None, list(argv)
    while rest:  # the global options come before the command: --deck D --today T --no-cache
        a = rest.pop(0)
        if a in ("--deck", "--today", "--new-limit") and rest:
            value = rest.pop(0)
            deck = value if a == "--deck" else deck
        elif a.startswith("--deck="):
            deck = a[len("--deck="):]
        elif not a.startswith("-"):
            command = a
            break
        elif a in ("-h", "--help", "--version", "--no-cache"):
            return
    if command not in ("due", "stats", "study", None):  # (no command: the study app)
        return
    if any(a in ("-h", "--help", "--no-cache", "--tag", "--difficulty") or a.startswith(("--tag=", "--difficulty="))
           for a in rest):
        return
    for i, a in enumerate(rest):
        if a == "--deck" and i + 1 < len(rest):
            deck = rest[i + 1]
        elif a.startswith("--deck="):
            deck = a[len("--deck="):]
    if deck is None:
        deck = os.environ.get("TRAINER_DECK") or "cards"
    try:
        root = os.path.realpath(deck)
    except (OSError, ValueError):
        return
    expect = peek_digest(root)
    if expect is not None:
        _early = BackgroundWalk(root, expect)


def take_early(root: str, expect: bytes | None) -> BackgroundWalk | None:
    """The walk :func:`start_early` started, if it is of this deck and expects this digest."""
    global _early
    w, _early = _early, None
    if w is not None and w.root == root and w.expect == expect:
        return w
    if w is not None:
        w.result()  # reap it
    return None


def _is_note_rel(rel: str) -> bool:
    """The walk's rule for a note: ``*.md``, in no hidden folder."""
    parts = rel.split(os.sep)
    return parts[-1].lower().endswith(".md") and not any(p.startswith(".") for p in parts)


_TEMP_MARK = ".trainer-tmp-"
"""``notes.write.TEMP_MARK`` (a test keeps them equal; that module is not imported by a walk)."""


def _is_temp_name(name: str) -> bool:
    return name.startswith(".") and _TEMP_MARK in name


def _remove_leftover(entry: os.DirEntry, now: float) -> int:
    """A temp file from a crashed write: remove it unless its writer is still running."""
    from trainer.notes.write import temp_owner_alive

    try:
        if temp_owner_alive(entry.name) and now - entry.stat(follow_symlinks=False).st_mtime < _TEMP_GRACE_S:
            return 0
        os.unlink(entry.path)
        return 1
    except OSError:
        return 0
