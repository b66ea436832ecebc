"""The deck walk: one stat per note, the floor of every correct answer about a deck of files (#17).

Kept apart from ``trainer.deck`` and light to import (os, array, xxhash): the ``trainer``
command starts the walk of ``due``/``stats`` in a forked child on the other core before the rest
of the CLI is even imported (:func:`start_early`), as git's ``core.preloadIndex`` stats in
parallel. The child compares the walk's digest with the one the deck's columns were built from
and sends back only "unchanged" when they match.
"""

from __future__ import annotations

import marshal
import os
import sys
import time
from array import array
from stat import S_IFREG as _S_IFREG

from _signal import SIG_IGN, SIGINT  # (`signal` wraps these in enums: a 5 ms import before the fork)
from _signal import signal as _set_signal
from xxhash import xxh3_128

_S_IFMT = 0o170000  # stat.S_IFMT as a mask: the file-type bits of st_mode
_S_IFDIR, _S_IFLNK = 0o040000, 0o120000
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_TEMP_GRACE_S = 3600
STATE_DIR = ".trainer"
COLUMNS_FILE = "scan-columns.bin"
COLUMNS_VERSION = 15
"""The format of ``trainer.columns``' file (kept here so a walk started early can read its first line)."""
COLUMNS_HEADER = b"trainer scan columns %d" % COLUMNS_VERSION

Stamp = tuple  # (rel, size, mtime_ns, ctime_ns, inode)


def walk_tree(root: str, *, clean_temp: bool = True) -> tuple[list[Stamp], list[tuple[str, str, str]], int]:
    """(stamps, problems as (path, key, message), temp files removed); see ``Deck.walk``."""
    columns, problems, removed = walk_columns(root, clean_temp=clean_temp)
    return list(zip(*columns)), problems, removed


SPLIT_FROM = 4000
"""From this many note files found at the top of the tree (or :data:`FRONTIER` folders left
below it) on, a walk is shared with a forked child."""


def walk_columns(root: str, *, clean_temp: bool = True, split: bool | None = None) -> tuple[tuple[list, ...], list[tuple[str, str, str]], int]:
    """:func:`walk_tree` with the stamps as five lists (paths, sizes, mtimes, ctimes, inodes):
    appending to them costs less than a tuple per note, and the digest is made from them.

    A folder is listed (``os.listdir``: names only; a folder is told by the lstat of a name that
    is not a note's), then its notes are stat'ed through its descriptor. On a large deck
    (``split`` None: when forking is safe here and a core is idle) the walk is shared with a
    forked child, a folder or a chunk of notes at a time (see :func:`_top_items`): the other
    core would be idle. Either way the result is the same, in the same order."""
    got, problems, removed = _walk(root, clean_temp, split, packed=False)
    return got, problems, removed


def walk_packed(root: str, *, clean_temp: bool = True, split: bool | None = None) -> tuple[tuple[bytes, array, int] | tuple[list, ...], list, int]:
    """:func:`walk_columns` for a forked walk that sends its stamps on: as :func:`stamp_parts`
    gives them with their count, ``(paths, numbers, n)``, when they fit (each half of a split
    walk packs its own, in parallel), else as the five lists."""
    return _walk(root, clean_temp, split, packed=True)


def _walk(root: str, clean_temp: bool, split: bool | None, packed: bool):
    if split is None:
        split = hasattr(os, "fork") and not _threaded() and _spare_core()
    root_sep = root + os.sep
    started_ns = time.time_ns()
    now = started_ns / 1e9
    items, known, unlisted, removed = _top_items(root, clean_temp, now)
    got = _items_shared(root_sep, items, clean_temp, now, packed) \
        if split and (known >= SPLIT_FROM or unlisted >= FRONTIER) else None
    if got is None:
        got = _merged([_item_result(root_sep, item, clean_temp, now, packed) for item in items], packed)
    stamps, problems, stack, removed_here = got  # (stack: folders named like notes, walked after the rest)
    removed += removed_here
    if type(stamps[0]) is bytes:
        if not stack:  # as good as always: the packed stamps are the walk's
            n = stamps[2]
            _mark_racy(memoryview(stamps[1])[2 * n:3 * n], started_ns)
            return stamps, problems, _clean_state_dir(root, clean_temp, now, removed)
        stamps = _unpacked(stamps)
    columns = stamps
    while stack:
        folders, total, removed_here = _list_folders(stack, problems, clean_temp, now)
        removed += removed_here
        more, found_problems, stack = _stat_notes(root_sep, folders, 0, total)
        problems.extend(found_problems)
        for mine, theirs in zip(columns, more):
            mine.extend(theirs)
    _mark_racy(columns[3], started_ns)
    return columns, problems, _clean_state_dir(root, clean_temp, now, removed)


_RACY_FINE_NS = 20_000_000
"""A file system's clock may lag the walk's by a tick: up to 10 ms (a coarse kernel clock at HZ=100)."""
_RACY_COARSE_NS = 2_000_000_000
"""Stamps in whole seconds (FAT's 2 s, HFS+, ext3): a tick of up to 2 s."""


def _mark_racy(ctimes, started_ns: int) -> None:
    """Git's "racy clean" rule: a note whose ctime falls in the file system's current tick when
    the walk starts could be written again in that same tick, same size, mtime put back, and no
    stamp would show it. Its ctime is set to minus the walk's start, a value no other walk gives
    (racy again in the next walk, it gets that walk's): every cache built from these stamps takes
    the note as changed next time and reads it again. ``ctimes``: a list, or a memoryview of
    int64s, changed in place."""
    if not len(ctimes) or max(ctimes) < started_ns - _RACY_COARSE_NS:  # (the usual case: one pass in C)
        return
    fine, coarse = started_ns - _RACY_FINE_NS, started_ns - _RACY_COARSE_NS
    for i, c in enumerate(ctimes):
        if c >= fine or (c >= coarse and c % 1_000_000_000 == 0):
            ctimes[i] = -started_ns


def _clean_state_dir(root: str, clean_temp: bool, now: float, removed: int) -> int:
    """``removed`` plus the temp files a crash left in ``.trainer`` while writing a cache."""
    if clean_temp:
        try:
            for name in os.listdir(os.path.join(root, STATE_DIR)):
                if _is_temp_name(name):
                    removed += _remove_leftover(os.path.join(root, STATE_DIR, name), name, now)
        except OSError:
            pass
    return removed


def _threaded() -> bool:
    """Whether this process runs other threads (then a fork is unsafe); ``threading`` not imported
    yet means none (its import is left to the commands that use it). Our own closer of replaced
    notes (``trainer.notes.closer``, after a grade) does not count: :func:`_fork` ends it first."""
    threading = sys.modules.get("threading")
    if threading is None:
        return False
    others = threading.active_count() - 1
    closer = sys.modules.get("trainer.notes.closer")
    if others and closer is not None and closer.running():
        others -= 1
    return others > 0


def _fork() -> int:
    """``os.fork``, made only when no other thread runs: the closer thread is ended first (what it
    holds closed), the rest is :func:`_threaded`'s to say. Python 3.12+ warns when it counts other
    threads, and a thread that has just ended may still be counted for a moment: that warning is
    not raised here."""
    import warnings

    closer = sys.modules.get("trainer.notes.closer")
    if closer is not None:
        closer.stop()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"This process .* is multi-threaded", category=DeprecationWarning)
        return os.fork()


def _spare_core() -> bool:
    """Whether a core is idle on average (the 1-minute load under the CPUs we may run on, less half
    of one; a command run after another counts about 1 itself): a split walk pays only then; on a
    busy machine its third process costs more than it saves."""
    try:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return cpus >= 2 and os.getloadavg()[0] < cpus - 0.5
    except OSError:
        return False


Folder = tuple  # (path, deck-relative prefix, the names of its note files)


def _list_folders(stack: list[tuple[str, str]], problems: list, clean_temp: bool, now: float) -> tuple[list[Folder], int, int]:
    """Every folder under those on ``stack`` (hidden ones skipped) with its note files' names,
    depth first; (folders, how many note names, temp files removed)."""
    folders: list[Folder] = []
    total = removed = 0
    while stack:
        folder, prefix = stack.pop()
        try:
            notes, removed_here = _list_one(folder, prefix, stack, clean_temp, now)
        except OSError as exc:
            problems.append(_folder_problem(prefix, exc))
            continue
        removed += removed_here
        if notes:
            folders.append((folder, prefix, notes))
            total += len(notes)
    return folders, total, removed


def _folder_problem(prefix: str, exc: OSError) -> tuple[str, str, str]:
    return (prefix.rstrip("/") or ".", "folder", f"cannot be read: {exc.strerror}")


def _list_one(folder: str, prefix: str, subfolders: list, clean_temp: bool, now: float) -> tuple[list[str], int]:
    """(the names of ``folder``'s note files, temp files removed); its folders are appended to
    ``subfolders`` in the listing's order. OSError when it cannot be listed."""
    names = os.listdir(folder)
    notes = [name for name in names if name[-3:] == ".md" and name[0] != "."]
    removed = 0
    if len(notes) != len(names):  # not only notes here: the rest looked at one by one
        notes = []
        lstat = os.lstat
        for name in names:
            if name[0] == ".":
                if clean_temp and _is_temp_name(name):
                    removed += _remove_leftover(folder + os.sep + name, name, now)
                continue
            if name[-3:].lower() == ".md":
                notes.append(name)  # (a folder named so is found by its stat, and walked after)
                continue
            try:
                if lstat(folder + os.sep + name).st_mode & _S_IFMT == _S_IFDIR:
                    subfolders.append((folder + os.sep + name, prefix + name + "/"))
            except OSError:
                pass  # gone since the listing: not a note either way
    return notes, removed


# ------------------------------------------------------------- the walk shared with a forked child
#
# The top of the tree is listed here, a level at a time, until a level has FRONTIER folders or
# more (left unlisted: a level's folders are alike more often than folders of different levels);
# the walk is then a list of items in the order a walk in one process takes them (depth first):
# a listed folder's notes (in chunks of CHUNK), a folder left unlisted (listed and walked whole
# by whoever takes it), a folder that could not be read. This process and a forked child take
# the items one at a time from a shared pipe, so both stay busy to the end whatever the tree's
# shape; each packs the stamps of its items where it found them, and the child writes each
# item's to a memory file as it goes. Put back in the items' order they are the walk in one process: the
# same stamps, problems and order.

FRONTIER = 64
"""Folders left unlisted by the top of the walk (then a deck this wide is walked by two)."""
CHUNK = 1024
"""The notes of a listed folder are stat'ed in items of this many."""


def _top_items(root: str, clean_temp: bool, now: float) -> tuple[list[tuple], int, int, int]:
    """(the walk's items in its order, notes found, folders left unlisted, temp files removed)."""
    listed: dict[str, tuple] = {}
    level = [(root, "")]
    known = removed = 0
    while level and len(level) < FRONTIER:
        below: list = []
        for folder, prefix in level:
            subfolders: list = []
            try:
                notes, removed_here = _list_one(folder, prefix, subfolders, clean_temp, now)
            except OSError as exc:
                listed[folder] = (None, [], _folder_problem(prefix, exc))
                continue
            removed += removed_here
            known += len(notes)
            listed[folder] = (notes, subfolders, None)
            below.extend(subfolders)
        level = below
    items: list[tuple] = []
    stack = [(root, "")]
    while stack:  # depth first, as _list_folders goes
        folder, prefix = stack.pop()
        entry = listed.get(folder)
        if entry is None:
            items.append(("tree", folder, prefix))
            continue
        notes, subfolders, problem = entry
        if problem is not None:
            items.append(("problem", problem))
        elif notes:
            items.extend(("notes", folder, prefix, notes, lo, lo + CHUNK) for lo in range(0, len(notes), CHUNK))
        stack.extend(subfolders)
    return items, known, len(level), removed


def _item_result(root_sep: str, item: tuple, clean_temp: bool, now: float, packed: bool) -> tuple:
    """(stamps, listing problems, stat problems, folders named like notes, temp files removed) of
    one item; the stamps packed (:func:`_packed`) when ``packed`` and they fit."""
    listing: list = []
    removed = 0
    if item[0] == "notes":
        _, folder, prefix, notes, lo, hi = item
        folders, total = [(folder, prefix, notes[lo:hi])], len(notes[lo:hi])
    elif item[0] == "tree":
        folders, total, removed = _list_folders([item[1:]], listing, clean_temp, now)
    else:
        return ((b"", array("q"), 0) if packed else ([], [], [], [], [])), [item[1]], [], [], 0
    got = _stat_notes(root_sep, folders, 0, total)
    if packed:
        got = _packed(got)
    stamps, problems, dirs = got
    return stamps, listing, problems, dirs, removed


def _merged(results: list[tuple], packed: bool) -> tuple:
    """The items' results, in the items' order, as one walk's: (stamps, problems, folders named
    like notes, temp files removed); the stamps packed when every item's are."""
    problems = [p for r in results for p in r[1]] + [p for r in results for p in r[2]]
    dirs = [d for r in results for d in r[3]]
    removed = sum(r[4] for r in results)
    parts = [r[0] for r in results]
    if packed and all(type(p[0]) is bytes for p in parts):
        blob = b"\0".join(p[0] for p in parts if p[2])
        nums = array("q")
        for col in range(4):
            for _, a, n in parts:
                if n:
                    nums.extend(a[col * n:(col + 1) * n])
        return (blob, nums, sum(p[2] for p in parts)), problems, dirs, removed
    columns: tuple[list, ...] = ([], [], [], [], [])
    for p in parts:
        for mine, theirs in zip(columns, _unpacked(p) if type(p[0]) is bytes else p):
            mine.extend(theirs)
    return columns, problems, dirs, removed


def _items_shared(root_sep: str, items: list[tuple], clean_temp: bool, now: float, packed: bool) -> tuple | None:
    """The items' results (:func:`_merged`), taken one at a time from a pipe by this process and a
    forked child; None when no pipe can be made (the caller walks alone)."""
    try:
        take, give = os.pipe()
    except OSError:
        return None
    try:
        fd = os.memfd_create("trainer-walk", os.MFD_CLOEXEC) if hasattr(os, "memfd_create") else _temp_fd()
    except OSError:
        fd = -1
    results: dict[int, tuple] = {}
    pid = -1
    try:
        queue = array("i", range(len(items))).tobytes()
        if len(queue) > 32768:  # (more than a pipe surely holds: the items left are taken here after)
            queue = queue[:32768]
        os.write(give, queue)
        os.close(give)
        give = -1
        try:
            pid = _fork() if fd >= 0 else -1
        except OSError:
            pid = -1
        if pid == 0:  # the child: items until the pipe is empty, handed over, gone without any cleanup
            code = 1
            try:
                _set_signal(SIGINT, SIG_IGN)  # Ctrl-C is the command's to handle

                def hand_over(i: int, r: tuple) -> None:
                    stamps = (r[0][0], r[0][1].tobytes(), r[0][2]) if type(r[0][0]) is bytes else r[0]
                    record = marshal.dumps((i, stamps) + r[1:])
                    view = memoryview(len(record).to_bytes(8, "little") + record)
                    while view:
                        view = view[os.write(fd, view):]

                _take_items(take, root_sep, items, clean_temp, now, packed, hand_over)
                code = 0
            finally:
                os._exit(code)
        results = _take_items(take, root_sep, items, clean_temp, now, packed)
        if pid > 0:
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) == 0:
                try:
                    for i, stamps, *rest in _records(os.pread(fd, os.fstat(fd).st_size, 0)):
                        if type(stamps[0]) is bytes:
                            nums = array("q")
                            nums.frombytes(stamps[1])
                            stamps = (stamps[0], nums, stamps[2])
                        results[i] = (stamps, *map(_tuples, rest[:3]), rest[3])
                except (OSError, ValueError, EOFError, TypeError):
                    pass  # (its items are walked again here)
    finally:
        for f in (take, give, fd):
            if f >= 0:
                os.close(f)
    for i, item in enumerate(items):  # no child, or it failed: its items here
        if i not in results:
            results[i] = _item_result(root_sep, item, clean_temp, now, packed)
    return _merged([results[i] for i in range(len(items))], packed)


def _tuples(values: list) -> list:
    return [tuple(v) for v in values]


def _take_items(take: int, root_sep: str, items: list[tuple], clean_temp: bool, now: float, packed: bool,
                hand_over=None) -> dict[int, tuple]:
    """The items taken from the pipe until it is empty, walked; each result kept, or handed over
    as soon as it is made (the child's, so that nothing is left to send at the end)."""
    results: dict[int, tuple] = {}
    while True:
        got = os.read(take, 4)
        if len(got) < 4:
            return results
        i = int.from_bytes(got, sys.byteorder)  # (written as native ints)
        result = _item_result(root_sep, items[i], clean_temp, now, packed)
        if hand_over is None:
            results[i] = result
        else:
            hand_over(i, result)


def _records(data: bytes) -> list:
    """The marshalled values written one after another into ``data``, each after its length."""
    view, at, out = memoryview(data), 0, []
    while at < len(data):
        size = int.from_bytes(view[at:at + 8], "little")
        if size > len(data) - at - 8:
            raise EOFError("a record cut short")
        out.append(marshal.loads(view[at + 8:at + 8 + size]))
        at += 8 + size
    return out


def _stat_notes(root_sep: str, folders: list[Folder], lo: int, hi: int) -> tuple[tuple[list, ...], list, list]:
    """The stamps of the note names ``lo`` to ``hi`` (counted across ``folders`` in order):
    (five columns, problems, folders named like notes)."""
    rels: list[str] = []
    sizes: list[int] = []
    mtimes: list[int] = []
    ctimes: list[int] = []
    inodes: list[int] = []
    add_rel, add_size, add_mtime, add_ctime, add_inode = rels.append, sizes.append, mtimes.append, ctimes.append, inodes.append
    problems: list[tuple[str, str, str]] = []
    dirs: list[tuple[str, str]] = []
    stat = os.stat
    at = 0
    for folder, prefix, names in folders:
        if at + len(names) <= lo:
            at += len(names)
            continue
        if at >= hi:
            break
        mine = names[max(0, lo - at):hi - at]
        at += len(names)
        try:
            fd = os.open(folder, _DIR_FLAGS)
        except OSError as exc:  # gone, or closed to us, since the listing
            problems.append((prefix.rstrip("/") or ".", "folder", f"cannot be read: {exc.strerror}"))
            continue
        try:
            for name in mine:
                try:
                    st = stat(name, dir_fd=fd, follow_symlinks=False)
                except OSError as exc:
                    problems.append((prefix + name, "file", f"cannot be read: {exc.strerror}"))
                    continue
                kind = st.st_mode & _S_IFMT
                if kind != _S_IFREG:
                    if kind == _S_IFDIR:
                        dirs.append((folder + os.sep + name, prefix + name + "/"))
                    elif kind == _S_IFLNK:
                        problem = _symlink_problem(root_sep, folder + os.sep + name)
                        if problem:
                            problems.append((prefix + name, "file", problem))
                    continue
                # ctime and inode too: an edit that keeps size and mtime (a tool restoring the
                # mtime, two same-size saves in one tick) still changes one of them
                add_rel(prefix + name)
                add_size(st.st_size)
                add_mtime(st.st_mtime_ns)
                add_ctime(st.st_ctime_ns)
                add_inode(st.st_ino)
        finally:
            os.close(fd)
    return (rels, sizes, mtimes, ctimes, inodes), problems, dirs


def _symlink_problem(root_sep: str, path: str) -> str | None:
    """What is wrong with a symlink named like a note; None for an alias of a note the walk lists
    itself (one card, not two)."""
    real = os.path.realpath(path)
    if not real.startswith(root_sep):
        return "symlink points outside the deck; skipped"
    if not os.path.isfile(real):  # (a broken link inside the deck said "outside the deck")
        return "symlink points to a folder, not a note; skipped" if os.path.isdir(real) else \
            "symlink points to a missing file; skipped"
    if not _is_note_rel(real[len(root_sep):]):
        return "symlink points to a file that is not a note of this deck; skipped"
    return None


def _packed(got: tuple) -> tuple:
    """:func:`_stat_notes`' result with its stamps as ``(paths, numbers, n)``, if they fit."""
    columns, problems, dirs = got
    try:
        blob, nums = _parts(*columns)
    except OverflowError:
        return got
    return (blob, nums, len(columns[0])), problems, dirs


def _unpacked(stamps: tuple) -> tuple[list, ...]:
    blob, nums, n = stamps
    return tuple(map(list, zip(*_stamps_of(blob, nums)))) if n else ([], [], [], [], [])


def _temp_fd() -> int:
    """An unlinked temp file's descriptor, where there is no ``memfd_create``."""
    import tempfile

    fd, path = tempfile.mkstemp(prefix=".trainer-walk-")
    os.unlink(path)
    return fd


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
    interned, which a scan may change. XXH3-128: it tells a change from no change (nobody gains by
    forging a collision of their own files' stamps) at memory speed, where SHA-256 took 17 ms of
    the walk's 100k stamps (#17)."""
    try:
        rels, nums = parts if parts is not None else stamp_parts(found)
    except OverflowError:  # a value beyond 64 bits (a strange file system): their text instead
        return xxh3_128(repr(found).encode("utf-8", "surrogateescape")).digest()
    h = xxh3_128(rels)
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
    the child sends back only "unchanged" (and the walk's problems), not the 100k stamps.
    ``split``: as :func:`walk_packed` takes it (None: split when a core is idle)."""

    def __init__(self, root: str, expect: bytes | None = None, *, split: bool | None = None) -> None:
        self.root = root
        self.expect = expect
        self.split = split
        self._pid = 0
        self._out = None
        if not hasattr(os, "fork") or _threaded():  # forking a threaded process is unsafe
            return
        try:
            # the result goes through a memory file: read back in one call (a pipe would take one
            # read per 64 KB, each giving up the GIL to the app's start-up); `tempfile` and the
            # `random` it imports would cost 5 ms before the fork
            fd = os.memfd_create("trainer-walk", os.MFD_CLOEXEC) if hasattr(os, "memfd_create") else _temp_fd()
            out = os.fdopen(fd, "w+b")
            pid = _fork()
        except OSError:
            return
        if pid == 0:  # the child: walk, hand the result over, leave without running any cleanup
            code = 1
            try:
                _set_signal(SIGINT, SIG_IGN)  # Ctrl-C is the parent's to handle
                stamps, problems, removed = walk_packed(root, split=split)
                if type(stamps[0]) is not bytes:  # a number past 64 bits: the stamps themselves
                    sent = list(zip(*stamps))
                else:  # unchanged, or the stamps as two flat values (no tuple per note to build and marshal)
                    same = expect is not None and stamp_digest([], stamps[:2], stamps[2]) == expect
                    sent = None if same else (stamps[0], stamps[1].tobytes())
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

    def result(self, *, lazy: bool = False) -> tuple[list[Stamp] | None, list[tuple[str, str, str]], int] | None:
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
                found = PackedStamps(rels_blob, nums) if lazy else _stamps_of(rels_blob, nums)
                self.parts = (rels_blob, nums)
        except (OSError, ValueError, EOFError, TypeError):
            return None
        if not (found is None or type(found) in (list, PackedStamps)) or type(problems) is not list or type(removed) is not int:
            return None
        return found, [tuple(p) for p in problems], removed


class PackedStamps:
    """The stamps as a forked walk sent them (:func:`stamp_parts`' two values), made into tuples
    only when asked for: a command that patches a few edited notes needs their count and those
    notes' stamps, and the 100k tuples took 80-130 ms to build (#17). Anything else
    (:meth:`tolist`, iterating, comparing) builds them all, once."""

    __slots__ = ("_blob", "_nums", "_n", "_rels", "_list")

    def __init__(self, rels_blob: bytes, nums: array) -> None:
        n = rels_blob.count(b"\0") + 1 if rels_blob or len(nums) else 0
        if len(nums) != 4 * n:
            raise ValueError("stamps of the wrong length")
        self._blob, self._nums, self._n = rels_blob, nums, n
        self._rels: list[str] | None = None
        self._list: list[Stamp] | None = None

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):
        if self._list is not None or isinstance(i, slice):
            return self.tolist()[i]
        i = range(self._n)[i]  # (a negative index counted from the end; IndexError past it)
        if self._rels is None:
            self._rels = self._blob.decode("utf-8", "surrogateescape").split("\0")
        n, nums = self._n, self._nums
        inode = nums[3 * n + i]
        return self._rels[i], nums[i], nums[n + i], nums[2 * n + i], inode + 2**64 if inode < 0 else inode

    def tolist(self) -> list[Stamp]:
        if self._list is None:
            self._list = _stamps_of(self._blob, self._nums)
        return self._list

    def __iter__(self):
        return iter(self.tolist())

    def __eq__(self, other: object) -> bool:
        return self.tolist() == (other.tolist() if isinstance(other, PackedStamps) else other)

    __hash__ = None  # type: ignore[assignment]


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
        # the study app's own start-up keeps a core busy until its first frame: a walk split in two
        # would take CPU from it (first frame at 100k: 0.82-0.99x of the split walk's in a paired run, #17)
        _early = BackgroundWalk(root, expect, split=False if command in (None, "study") else None)


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


def _remove_leftover(path: str, name: str, now: float) -> int:
    """A temp file from a crashed write: remove it unless its writer is still running."""
    from trainer.notes.write import temp_owner_alive

    try:
        if temp_owner_alive(name) and now - os.lstat(path).st_mtime < _TEMP_GRACE_S:
            return 0
        os.unlink(path)
        return 1
    except OSError:
        return 0
