"""A second look at the #17 write path (one grade made fast): the descriptor-named path, the one
pread a read, the pending row under the note's lock. Each test makes something happen at the
moment the diff made newly reachable -- a folder renamed or swapped for a link between the read
and the write, a note swapped for a link out while the grade waits for its lock, no /proc, a file
that grows or shrinks around the read, an editor's save right after our read or our rename, a
SIGKILL on either side of the rename -- with real files, the real log and real child processes.
The moments are found with the grade's own ``before_write`` hook or a profile hook on a real
call; nothing of ours is replaced."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from trainer import grading
from trainer.deck import Deck
from trainer.notes import store
from trainer.notes.store import NoteGone, WriteError, read_settled, update_note
from trainer.reviewlog import ReviewLog

TODAY = dt.date(2026, 11, 25)
SRC = str(Path(grading.__file__).parents[1])

NOTE = (
    "---\n"
    "created: 2026-03-09\n"
    "last_reviewed: 2026-11-10   # by hand\n"
    "next_review: '2026-11-20'\n"
    "review_count: 3\n"
    "ease_factor: 2.50\n"
    "interval: 10\n"
    "repetitions: 3\n"
    "tags: [a, b]  # mine\n"
    "---\n"
    "# 为什么要缩放点积？\n\nBody line.\n"
)
CRLF_BOM = b"\xef\xbb\xbf" + NOTE.replace("\n", "\r\n").encode()



@contextmanager
def profiled(hook):
    """``hook`` as the profile function (sys.setprofile) for the block: it places a save or a crash
    at an exact call inside a real grade."""
    sys.setprofile(hook)
    try:
        yield
    finally:
        sys.setprofile(None)

def rows(log: ReviewLog) -> list[tuple[str, str]]:
    return [tuple(r) for r in log.conn.execute("SELECT note, state FROM reviews ORDER BY id")]


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".trainer" not in p.parts)


@pytest.fixture
def deck(tmp_path, write_note):
    root = tmp_path / "deck"
    write_note(root / "sub" / "n.md", NOTE)
    write_note(root / "crlf.md", CRLF_BOM)
    return Deck(root)


# ---------------------------------------------------------------- folders moved between read and write


def test_a_folder_renamed_between_the_read_and_the_write_writes_nothing_anywhere(deck, log):
    note = deck.load("sub/n.md", TODAY)
    root = deck.root

    def rename_folder(edit):
        if (root / "sub").exists():
            os.rename(root / "sub", root / "moved")

    with pytest.raises((NoteGone, WriteError, OSError)):
        update_note(note.path, grading._updates(note.schedule), root=root, before_write=rename_folder)
    assert (root / "moved" / "n.md").read_bytes() == NOTE.encode()
    assert files_under(root) == ["crlf.md", "moved", "moved/n.md"]  # no temp file, no re-made folder


def test_a_grade_whose_folder_is_renamed_under_it_adds_no_row_and_keeps_the_note(deck, log):
    note = deck.load("sub/n.md", TODAY)
    root = deck.root

    # the folder goes away just as the grade takes the note's lock (its first look at the file)
    def hook(frame, event, arg):
        if event == "call" and frame.f_code.co_name == "_update_once" and (root / "sub").exists():
            os.rename(root / "sub", root / "moved")

    with profiled(hook):
        with pytest.raises((NoteGone, WriteError, OSError)):
            grading.grade(deck, log, note, 4, TODAY)
    assert rows(log) == []
    assert (root / "moved" / "n.md").read_bytes() == NOTE.encode()


def test_a_folder_swapped_for_a_link_out_of_the_deck_before_the_rename_is_not_written_through(deck, log, tmp_path):
    """The folder is moved out of the deck and a link put in its place after the path was checked:
    the last look before the replace sees the note is no longer where it was checked."""
    root = deck.root
    outside = tmp_path / "outside"
    note = deck.load("sub/n.md", TODAY)

    def swap(edit):
        if not (root / "sub").is_symlink():
            os.rename(root / "sub", outside)
            os.symlink(outside, root / "sub")

    with pytest.raises(WriteError, match="outside"):
        update_note(note.path, grading._updates(note.schedule), root=root, before_write=swap)
    assert (outside / "n.md").read_bytes() == NOTE.encode()
    assert sorted(p.name for p in outside.iterdir()) == ["n.md"]  # no temp file left there


def test_a_folder_swapped_for_a_link_inside_the_deck_is_written_where_the_note_now_lives(deck, log):
    root = deck.root
    note = deck.load("sub/n.md", TODAY)

    def swap(edit):
        if not (root / "sub").is_symlink():
            os.rename(root / "sub", root / "real")
            os.symlink(root / "real", root / "sub")

    update_note(note.path, {"interval": 11}, expect=note.schedule, root=root, before_write=swap)
    assert (root / "sub").is_symlink() and not (root / "real" / "n.md").is_symlink()
    got = (root / "real" / "n.md").read_bytes()
    assert got == NOTE.replace("interval: 10", "interval: 11").encode() and got.endswith("# 为什么要缩放点积？\n\nBody line.\n".encode())
    assert files_under(root) == ["crlf.md", "real", "real/n.md", "sub"]


# ---------------------------------------------------------------- a link out while the grade waits


def _until_a_lock_waits_on(path, timeout: float = 30) -> None:
    """Until a lock request on ``path``'s file waits (a ``->`` line of /proc/locks): the moment
    the test is about, reached for certain however loaded the machine (a fixed sleep was not)."""
    if not os.path.exists("/proc/locks"):  # (no procfs: a pause, as the test once had)
        time.sleep(0.3)
        return
    inode = os.stat(path).st_ino
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open("/proc/locks") as fh:
            for line in fh:
                words = line.split()
                if len(words) > 6 and words[1] == "->" and words[6].rsplit(":", 1)[-1] == str(inode):
                    return
        time.sleep(0.002)
    raise AssertionError(f"no lock request waited on {path} within {timeout} s")


def test_a_note_swapped_for_a_link_out_while_the_grade_waits_for_its_lock_is_refused(deck, log, tmp_path):
    root = deck.root
    secret = tmp_path / "secret.md"
    secret.write_bytes(NOTE.encode())
    note = deck.load("sub/n.md", TODAY)
    holder = os.open(note.path, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    out: list[BaseException | object] = []

    def grade():
        try:
            out.append(grading.grade(deck, ReviewLog.open(root), note, 4, TODAY))
        except BaseException as exc:  # noqa: BLE001 - reported below
            out.append(exc)

    t = threading.Thread(target=grade)
    t.start()
    _until_a_lock_waits_on(note.path)  # the grade has opened the note and waits on its lock
    os.unlink(note.path)
    os.symlink(secret, note.path)
    fcntl.flock(holder, fcntl.LOCK_UN)
    os.close(holder)
    t.join(30)
    assert len(out) == 1 and isinstance(out[0], WriteError) and "outside" in str(out[0])
    assert secret.read_bytes() == NOTE.encode()
    assert rows(log) == []


# ---------------------------------------------------------------- no /proc: realpath decides, as before

NO_PROC = """
import datetime as dt, os, sys
from trainer import grading
from trainer.notes import store
from trainer.deck import Deck
from trainer.reviewlog import ReviewLog
assert not store._proc_fd_works, "this child was to run without /proc"
root = sys.argv[1]
deck = Deck(root)
log = ReviewLog.open(deck.root)
today = dt.date(2026, 11, 25)
for rel in ("inside-link.md", "out-link.md", "hidden-link.md"):
    try:
        grading.grade(deck, log, deck.load(rel, today), 4, today)
        print(rel, "graded")
    except OSError as exc:
        print(rel, "refused:", exc)
grading.grade(deck, log, deck.load("sub/n.md", today), 4, today)
print("sub/n.md graded")
"""


def _links_out(root, tmp_path) -> None:
    """Two links no grade may write through: out-link.md to a note outside the deck, hidden-link.md
    to one in a hidden folder of it."""
    (tmp_path / "out.md").write_bytes(NOTE.encode())
    (root / ".hid").mkdir()
    (root / ".hid" / "h.md").write_bytes(NOTE.encode())
    os.symlink(tmp_path / "out.md", root / "out-link.md")
    os.symlink(root / ".hid" / "h.md", root / "hidden-link.md")


def test_without_proc_the_path_is_checked_by_realpath_and_refusals_stand(deck, tmp_path):
    if shutil.which("unshare") is None:
        pytest.skip("no unshare here")
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs none /proc"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("cannot make a mount namespace here")
    root = deck.root
    _links_out(root, tmp_path)
    (root / "target.md").write_bytes(NOTE.encode())
    os.symlink(root / "target.md", root / "inside-link.md")
    script = tmp_path / "child.py"
    script.write_text(NO_PROC)
    env = {**os.environ, "PYTHONPATH": SRC}
    child = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f'mount -t tmpfs none /proc && exec "{sys.executable}" "{script}" "{root}"'],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert child.returncode == 0, child.stderr
    lines = child.stdout.splitlines()
    assert lines[0] == "inside-link.md graded"
    assert lines[1].startswith("out-link.md refused:") and "outside" in lines[1]
    assert lines[2].startswith("hidden-link.md refused:") and "not a note" in lines[2]
    assert lines[3] == "sub/n.md graded"
    assert (tmp_path / "out.md").read_bytes() == NOTE.encode()
    assert (root / ".hid" / "h.md").read_bytes() == NOTE.encode()
    assert (root / "inside-link.md").is_symlink() and b"review_count: 4" in (root / "target.md").read_bytes()


def test_the_descriptor_route_and_realpath_refuse_the_same_links(deck, log, tmp_path):
    root = deck.root
    _links_out(root, tmp_path)
    (root / "notmd.txt").write_bytes(NOTE.encode())
    os.symlink(root / "notmd.txt", root / "txt-link.md")
    os.symlink(tmp_path, root / "outdir")
    for rel in ("out-link.md", "hidden-link.md", "txt-link.md", "outdir/out.md"):
        expected = store.not_a_note(root, root / rel)
        assert expected, rel
        with pytest.raises(WriteError) as exc:
            update_note(root / rel, {"interval": 11}, root=root)
        assert str(exc.value).endswith(expected), rel
    assert (tmp_path / "out.md").read_bytes() == NOTE.encode()
    assert (root / ".hid" / "h.md").read_bytes() == NOTE.encode()
    assert (root / "notmd.txt").read_bytes() == NOTE.encode()


# ---------------------------------------------------------------- one pread, a byte more than the stat


def test_one_pread_reads_the_whole_file_whatever_size_the_stat_said(tmp_path):
    path = tmp_path / "f.md"
    for n in (0, 1, 4095, 4096, 4097, (1 << 20) + 3):
        data = bytes(range(256)) * (n // 256) + b"x" * (n % 256)
        path.write_bytes(data)
        fd = os.open(path, os.O_RDONLY)
        try:
            for said in {0, max(n - 1, 0), n, n + 1, n + 100, 2 * n}:
                assert store._pread_all(fd, size=said) == data, (n, said)
        finally:
            os.close(fd)


def _of_the_writes(raw: bytes, short: bytes, long: bytes) -> bool:
    """Whether every byte of ``raw`` is one the writer put at that place, at one of its sizes."""
    if len(raw) not in (len(short), len(long)):
        return False
    return all(b == long[i] or (i < len(short) and b == short[i]) for i, b in enumerate(raw))


def test_a_note_growing_and_shrinking_in_place_is_read_at_one_of_its_sizes(tmp_path):
    """A program rewriting a note in place (pwrite, then ftruncate) while we read it: every read
    that :func:`read_settled` accepts has one of the note's sizes and only bytes the writer put
    there. It can be a write caught half way: Linux sets the new mtime before it copies the bytes
    and the new size after, so two equal stats can frame a read of the long text cut at the short
    one's size (it happened in one of three runs of the whole suite in session 10). No grade is built on
    such a read: the look before the rename (same size, same bytes) and the replaced file looked
    at after it put the writer's bytes back and grade them again
    (``test_concurrent_saves.test_inplace_hammer_bounded_loses_nothing``)."""
    path = tmp_path / "n.md"
    short = NOTE.encode()
    long = NOTE.replace("Body line.", "Body line, a longer one " + "x" * 300).encode()
    path.write_bytes(short)
    stop = threading.Event()

    def flip():
        fd = os.open(path, os.O_WRONLY)
        try:
            i = 0
            while not stop.is_set():
                data = long if i % 2 else short
                os.pwrite(fd, data, 0)
                os.ftruncate(fd, len(data))
                i += 1
        finally:
            os.close(fd)

    t = threading.Thread(target=flip)
    t.start()
    seen = set()
    try:
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            try:
                raw, st = read_settled(path, wait=0.05)
            except store.BeingSaved:
                continue
            # each pwrite then ftruncate: the long text, the short one, the short over the long's
            # tail, or one of them caught half way (above)
            assert _of_the_writes(raw, short, long), raw[-60:]
            assert len(raw) == st.st_size
            seen.add(raw)
    finally:
        stop.set()
        t.join()
    assert seen & {short, long, short + long[len(short):]}  # read something whole at least once


# ---------------------------------------------------------------- an editor's save around our write


def test_an_editor_saving_in_place_same_size_right_after_our_read_is_kept_and_reapplied(deck, log):
    root = deck.root
    path = root / "sub" / "n.md"
    note = deck.load("sub/n.md", TODAY)
    theirs = NOTE.replace("Body line.", "Body LINE!").encode()
    assert len(theirs) == len(NOTE.encode())
    st0 = path.stat()
    saved = []

    def editor(frame, event, arg):
        # just after our settled read under the lock returns, before anything is written
        if event == "return" and frame.f_code.co_name == "_read_fd_settled" and not saved:
            with open(path, "r+b") as f:
                f.write(theirs)
            os.utime(path, ns=(st0.st_atime_ns, st0.st_mtime_ns))  # and keeps the old mtime
            saved.append(True)

    with profiled(editor):
        g = grading.grade(deck, log, note, 4, TODAY)
    assert saved
    got = path.read_bytes()
    assert got.endswith("# 为什么要缩放点积？\n\nBody LINE!\n".encode()) and b"review_count: 4" in got
    assert g.reapplied
    assert rows(log) == [("sub/n.md", "done")]
    grading.undo_last(deck, log, TODAY)
    assert path.read_bytes() == theirs


def test_an_editor_saving_into_the_replaced_file_right_after_our_rename_is_put_back(deck, log):
    root = deck.root
    path = root / "sub" / "n.md"
    note = deck.load("sub/n.md", TODAY)
    theirs = NOTE.replace("Body line.", "Saved by the editor, longer.").encode()
    old = os.open(path, os.O_WRONLY)  # the editor's open file
    saved = []

    def editor(frame, event, arg):
        if event == "call" and frame.f_code.co_name == "_saved_into_replaced" and not saved:
            os.ftruncate(old, 0)
            os.pwrite(old, theirs, 0)
            saved.append(True)

    sys.setprofile(editor)
    try:
        g = grading.grade(deck, log, note, 4, TODAY)
    finally:
        sys.setprofile(None)
        os.close(old)
    assert saved
    got = path.read_bytes()
    assert got.endswith(b"Saved by the editor, longer.\n") and b"review_count: 4" in got
    assert g.reapplied and rows(log) == [("sub/n.md", "done")]
    assert g.note.size == path.stat().st_size and g.note.mtime_ns == path.stat().st_mtime_ns
    grading.undo_last(deck, log, TODAY)
    assert path.read_bytes() == theirs


def test_an_interrupt_right_after_the_rename_leaves_no_written_note_without_its_row(deck, log):
    """Ctrl-C (or any error) once the note is replaced: the row must not be dropped, or the note
    holds a grade the log never heard of and undo cannot take it back."""
    root = deck.root
    path = root / "sub" / "n.md"
    note = deck.load("sub/n.md", TODAY)

    def interrupt(frame, event, arg):
        if event == "call" and frame.f_code.co_name == "_saved_into_replaced":
            sys.setprofile(None)
            raise KeyboardInterrupt

    with profiled(interrupt):
        with pytest.raises(KeyboardInterrupt):
            grading.grade(deck, log, note, 4, TODAY)
    assert b"review_count: 4" in path.read_bytes()  # the note was written
    grading.repair(deck, log, TODAY)
    assert [s for _, s in rows(log)] == ["done"]
    grading.undo_last(deck, log, TODAY)
    assert path.read_bytes() == NOTE.encode()


# ---------------------------------------------------------------- CRLF + BOM, exact undo


def test_a_crlf_bom_note_is_graded_and_undone_byte_exact(deck, log):
    path = deck.root / "crlf.md"
    g = grading.grade(deck, log, deck.load("crlf.md", TODAY), 3, TODAY)
    got = path.read_bytes()
    assert got.startswith(b"\xef\xbb\xbf---\r\n") and b"\n" not in got.replace(b"\r\n", b"")
    assert b"review_count: 4\r\n" in got and b"tags: [a, b]  # mine\r\n" in got
    assert g.note.size == len(got)
    grading.undo_last(deck, log, TODAY)
    assert path.read_bytes() == CRLF_BOM


# ---------------------------------------------------------------- SIGKILL either side of the rename

KILL_AT = """
import datetime as dt, os, signal, sys
from trainer import grading
from trainer.deck import Deck
from trainer.reviewlog import ReviewLog

where, rel = sys.argv[2], sys.argv[3]

def hook(frame, event, arg):
    if where == "before-rename" and event == "c_call" and arg is os.replace:
        os.kill(os.getpid(), signal.SIGKILL)
    if where == "after-rename" and event == "c_return" and arg is os.replace:
        os.kill(os.getpid(), signal.SIGKILL)
    if where == "at-done" and event == "call" and frame.f_code.co_name == "finish":
        os.kill(os.getpid(), signal.SIGKILL)

deck = Deck(sys.argv[1])
today = dt.date(2026, 11, 25)
log = ReviewLog.open(deck.root)
note = deck.load(rel, today)
sys.setprofile(hook)
grading.grade(deck, log, note, 4, today)
sys.setprofile(None)
print("not killed")
"""


BARE = b"\xef\xbb\xbf# A note with no frontmatter yet\r\n\r\nbody\r\n"  # its first grade makes one


@pytest.mark.parametrize("rel, original", [("sub/n.md", NOTE.encode()), ("crlf.md", CRLF_BOM), ("bare.md", BARE)],
                         ids=["lf", "crlf-bom", "bare-crlf-bom"])
@pytest.mark.parametrize("where", ["before-rename", "after-rename", "at-done"])
def test_a_grade_killed_either_side_of_the_rename_is_settled_and_undone_exactly(deck, tmp_path, where, rel, original):
    if rel == "bare.md":
        (deck.root / rel).write_bytes(BARE)
    script = tmp_path / "kill.py"
    script.write_text(KILL_AT)
    env = {**os.environ, "PYTHONPATH": SRC}
    child = subprocess.run([sys.executable, str(script), str(deck.root), where, rel],
                           capture_output=True, text=True, env=env, timeout=60)
    assert child.returncode == -9, child.stdout + child.stderr
    path = deck.root / rel
    written = b"review_count: " in path.read_bytes() and path.read_bytes() != original
    assert written == (where != "before-rename")
    if not written:
        assert path.read_bytes() == original
    log = ReviewLog.open(deck.root)
    try:
        assert [r.note for r in log.pending()] == [rel]  # committed before the rename
        msgs = grading.repair(deck, log, TODAY)
        assert len(msgs) == 1
        assert msgs[0].startswith(f"{rel}: log: {'completed' if written else 'dropped'} an interrupted review")
        assert log.pending() == []
        if written:
            assert grading.undo_last(deck, log, TODAY) is not None
        else:
            assert grading.undo_last(deck, log, TODAY) is None
        assert path.read_bytes() == original
    finally:
        log.close()
    assert [n for n in files_under(deck.root) if n.endswith(".md")] == sorted({"crlf.md", "sub/n.md", rel})


@pytest.mark.slow
def test_many_grades_killed_at_random_moments_are_settled_and_undone_exactly(deck, tmp_path):
    import random

    rng = random.Random(17)
    script = tmp_path / "kill.py"
    script.write_text(KILL_AT)
    env = {**os.environ, "PYTHONPATH": SRC}
    for i in range(40):
        where = rng.choice(["before-rename", "after-rename", "at-done"])
        rel, original = rng.choice([("sub/n.md", NOTE.encode()), ("crlf.md", CRLF_BOM)])
        child = subprocess.run([sys.executable, str(script), str(deck.root), where, rel],
                               capture_output=True, text=True, env=env, timeout=60)
        assert child.returncode == -9, child.stderr
        log = ReviewLog.open(deck.root)
        try:
            grading.repair(deck, log, TODAY)
            assert log.pending() == []
            if where != "before-rename":
                grading.undo_last(deck, log, TODAY)
        finally:
            log.close()
        assert (deck.root / rel).read_bytes() == original, (i, where, rel)


# ---------------------------------------------------------------- changes made under the pending row


def test_a_hard_link_made_between_the_read_and_the_write_is_not_split(deck, log, tmp_path):
    root = deck.root
    path = root / "sub" / "n.md"
    other = tmp_path / "other-name.md"

    def link(edit):
        if not other.exists():
            os.link(path, other)

    with pytest.raises(OSError, match="hard links"):
        update_note(path, {"interval": 11}, root=root, before_write=link)
    assert os.path.samefile(path, other) and path.read_bytes() == NOTE.encode()


def test_a_schedule_edited_after_the_pending_row_is_kept_and_the_row_dropped(deck, log):
    """The pending row is written, then another program reschedules the note before our replace:
    the last look sees it, the re-read finds the conflict, their text stands and no row is left."""
    root = deck.root
    path = root / "sub" / "n.md"
    note = deck.load("sub/n.md", TODAY)
    theirs = NOTE.replace("review_count: 3", "review_count: 7").encode()

    def reschedule(frame, event, arg):
        if event == "call" and frame.f_code.co_name == "atomic_write" and path.read_bytes() != theirs:
            assert [s for _, s in rows(log)] == ["pending"]
            with open(path, "r+b") as f:
                f.write(theirs)

    with profiled(reschedule):
        with pytest.raises(grading.Conflict):
            grading.grade(deck, log, note, 4, TODAY)
    assert path.read_bytes() == theirs
    assert rows(log) == []
    assert [p.name for p in path.parent.iterdir()] == ["n.md"]


def test_a_note_renamed_after_the_pending_row_is_not_recreated_and_leaves_no_row(deck, log):
    root = deck.root
    path = root / "sub" / "n.md"
    note = deck.load("sub/n.md", TODAY)

    def rename(frame, event, arg):
        if event == "call" and frame.f_code.co_name == "atomic_write" and path.exists():
            os.rename(path, root / "sub" / "renamed.md")

    with profiled(rename):
        with pytest.raises(NoteGone):
            grading.grade(deck, log, note, 4, TODAY)
    assert (root / "sub" / "renamed.md").read_bytes() == NOTE.encode()
    assert sorted(p.name for p in (root / "sub").iterdir()) == ["renamed.md"]
    assert rows(log) == []
