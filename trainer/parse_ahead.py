"""Many notes parsed on two cores: a first open of a big deck, or a rebuild after many edits.

Parsing is YAML in C under the GIL (a thread gains nothing), about 0.16 ms a note: 16 s for a
100k deck on one core. A worker process (this module's :func:`main` in a new, isolated
interpreter: the study app scans in a thread, and a threaded process is never forked here) takes the notes from the
end of the list while this process takes them from the start, a chunk at a time; they meet
wherever their speeds put the middle (one of them may share its core with the app's screen).
The worker hands back each note as the scan cache keeps it (a record of plain values, read back
by the cache's own unpickler, which refuses anything else); whatever it did not hand back,
because it could not start, died or hung, is parsed here. The result is the same records, in
the same order, as one process gives.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path

PARALLEL_FROM = 3000
"""Fewer notes than this to parse, and they are parsed here alone (a worker's start, ~0.1-0.2 s,
would cost more than it saves)."""
CHUNK = 64
"""Notes a side parses before it looks at how far the other one is."""
WORKER_WAIT_S = 30.0
"""How long the worker may take over the chunk it is in once this side is done; then it is
stopped and the rest parsed here."""

Job = tuple[str, int, int]  # (deck-relative path, size, mtime_ns)
Result = tuple  # ("ok", record) or ("error", message)

_HEADER = struct.Struct("<I")


def worth_it(count: int) -> bool:
    """Whether ``count`` notes are worth a worker: enough of them and a second core to run it on."""
    if count < PARALLEL_FROM or os.name != "posix" or not sys.executable:  # (select on pipes: POSIX only)
        return False
    try:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    except OSError:
        return False
    return cores >= 2


def parse_one(root: Path, root_s: str, job: Job) -> Result:
    """One note as the scan parses it (``root_s``: ``root`` with a trailing separator), as the cache keeps it."""
    from trainer.records import _record_of
    from trainer.notes.parse import parse_note

    rel, size, mtime_ns = job
    try:
        with open(root_s + rel, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        return ("error", f"cannot be read: {exc.strerror}")
    return ("ok", _record_of(parse_note(raw, rel, mtime_ns=mtime_ns, size=size, root=root, remember=False)))


def parse_many(root: Path, jobs: list[Job], progress: Callable[[int, int], None] | None = None) -> list[Result]:
    """Every job's result, in order, for the deck at ``root``.
    ``progress(done, total)`` is told as chunks are done, on both sides (never the end: the caller says that)."""
    n = len(jobs)
    root_s = str(root) + os.sep
    results: list[Result | None] = [None] * n
    worker = _Worker.start(str(root), jobs) if n else None
    front, back, told = 0, n, 0
    try:
        while True:
            # not into the chunk the worker is parsing now (it hands back whole chunks, from the end)
            stop = back - CHUNK if worker is not None and worker.alive else back
            if front >= stop:
                break
            end = min(front + CHUNK, stop)
            for i in range(front, end):
                results[i] = parse_one(root, root_s, jobs[i])
            front = end
            if worker is not None:
                back = min(back, worker.take(results, front, wait=0.0))
            if progress is not None and front + (n - back) - told >= 500:
                told = front + (n - back)
                progress(told, n)
        if worker is not None and back == n:  # nothing handed back yet (a slow start): the rest is parsed here
            worker.close()
        elif worker is not None:
            worker.stop_at(front)
            deadline = time.monotonic() + WORKER_WAIT_S
            while worker.alive and time.monotonic() < deadline:
                back = min(back, worker.take(results, front, wait=min(0.5, max(0.0, deadline - time.monotonic()))))
    finally:
        if worker is not None:
            worker.close()
    for i in range(front, n):  # what the worker did not hand back (it could not start, died or hung)
        if results[i] is None:
            results[i] = parse_one(root, root_s, jobs[i])
    return results  # type: ignore[return-value]


class _Worker:
    """The worker process, seen from here: its pipe of chunks, read as they come."""

    def __init__(self, proc) -> None:
        self.proc = proc
        self.alive = True
        self._buf = bytearray()
        self._out = proc.stdout.fileno()  # type: ignore[union-attr]
        os.set_blocking(self._out, False)

    @classmethod
    def start(cls, root_text: str, jobs: list[Job]) -> _Worker | None:
        """The worker, started on the jobs (in a file with no name, handed over as an open
        descriptor: written to a pipe they would wait for the worker's start-up, ~0.1-0.2 s; a file
        in the temp folder would be left there by a Ctrl-C at the wrong moment, and a read-only
        one would stop it); None if it cannot be."""
        import subprocess

        proc = None
        try:
            with _nameless_file() as fh:
                # the file system's encoding goes along: a worker that would name the notes' files
                # otherwise (PYTHONUTF8, which -I ignores, in a locale that is not UTF-8) does not parse
                pickle.dump(((root_text, sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()), jobs), fh,
                            protocol=pickle.HIGHEST_PROTOCOL)
                fh.flush()
                fd = fh.fileno()
                proc = subprocess.Popen(
                    [sys.executable, "-I", "-X", f"utf8={sys.flags.utf8_mode}", "-c", _WORKER_SRC, _package_dir(),
                     str(fd)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                    close_fds=True, pass_fds=(fd,),
                )
                return cls(proc)
        except (OSError, ValueError, TypeError, pickle.PicklingError):
            return None
        except BaseException:  # Ctrl-C while it starts: no worker is left behind
            if proc is not None:
                proc.kill()
                proc.wait()
            raise

    def take(self, results: list, front: int, *, wait: float) -> int:
        """Chunks the worker has handed back, put in ``results`` (those below ``front`` are this
        side's already); the lowest index it has reached (``len(results)`` before any)."""
        import select

        low = len(results)
        if not self.alive:
            return low
        poll = select.poll()  # (not select.select: it refuses a descriptor numbered 1024 or more)
        poll.register(self._out, select.POLLIN)
        ready = poll.poll(wait * 1000)
        while ready:
            try:
                chunk = os.read(self._out, 1 << 20)
            except BlockingIOError:
                break
            except OSError:
                chunk = b""
            if not chunk:
                self.alive = False
                break
            self._buf += chunk
            if len(chunk) < 1 << 20:
                break
        for start, got in self._frames():
            if start < 0 or start + len(got) > len(results):
                self.alive = False  # not ours: the rest is parsed here
                break
            for offset, result in enumerate(got):
                i = start + offset
                if i >= front and results[i] is None and _result_ok(result):
                    results[i] = result
            low = min(low, start)
        return low

    def _frames(self):
        buf = self._buf
        while len(buf) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(buf)
            if len(buf) < _HEADER.size + size:
                return
            body = bytes(buf[_HEADER.size:_HEADER.size + size])
            del buf[:_HEADER.size + size]
            try:
                start, got = _load(body)
            except Exception:  # noqa: BLE001 - a frame that is not a chunk: the worker is not trusted further
                self.alive = False
                return
            if type(start) is not int or type(got) is not list:
                self.alive = False
                return
            yield start, got

    def stop_at(self, front: int) -> None:
        """Tell the worker this side has parsed everything below ``front``: it ends after its chunk."""
        try:
            _send(self.proc.stdin, front)
            self.proc.stdin.close()  # type: ignore[union-attr]
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        import subprocess

        proc = self.proc
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()  # type: ignore[union-attr]
            except OSError:
                pass
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.alive = False


_WORKER_SRC = (
    "import sys, os, importlib.util as u; d = sys.argv.pop(1); sys.path.append(os.path.dirname(d)); "
    "s = u.spec_from_file_location('trainer', d + '/__init__.py', submodule_search_locations=[d]); "
    "m = sys.modules['trainer'] = u.module_from_spec(s); s.loader.exec_module(m); "
    "from trainer.parse_ahead import main; sys.exit(main())"
)
"""The worker's start: isolated (``-I``: neither the current folder, where a folder named
``trainer`` could stand, nor ``PYTHON*`` variables choose the code it runs), importing this very
package from where this process has it, by that folder. The folder around it comes last on the
path (where the libraries may also be: a ``pip install --user``, which -I leaves off the path),
never first, where anything beside the package, a ``yaml.py`` or a ``select.py``, came before the
libraries and the standard library themselves."""


def _package_dir() -> str:
    return os.path.dirname(os.path.abspath(__file__))


def _nameless_file():
    """A file no other process can open by name and that goes when its last descriptor closes:
    in memory where Linux has it, else an unlinked file in the temp folder."""
    if hasattr(os, "memfd_create"):
        try:
            return os.fdopen(os.memfd_create("trainer-parse-jobs"), "w+b")
        except OSError:
            pass
    import tempfile

    return tempfile.TemporaryFile()


def _result_ok(result: object) -> bool:
    from trainer.records import _record_ok

    if type(result) is not tuple or len(result) != 2:
        return False
    kind, value = result
    # (a note the worker could not read is read again here: one process would say why it cannot,
    # or read it; the worker's word alone never turns a note into a problem)
    return kind == "ok" and type(value) is tuple and _record_ok(value)


def _send(stream, value: object) -> None:
    body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(body)) + body)
    stream.flush()


def _load(body: bytes) -> object:
    """A frame's value, by the scan cache's unpickler: plain values and dates, nothing that runs code."""
    import io

    from trainer.records import _CacheUnpickler

    return _CacheUnpickler(io.BytesIO(body)).load()


def _read_exact(fd: int, size: int) -> bytes | None:
    """``size`` bytes from the descriptor itself (no buffer: a frame read ahead into one would hide
    from the look at the descriptor that tells the worker to stop); None at the end."""
    parts, left = [], size
    while left:
        part = os.read(fd, left)
        if not part:
            return None
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _read_frame(fd: int) -> object | None:
    head = _read_exact(fd, _HEADER.size)
    if head is None:
        return None
    body = _read_exact(fd, _HEADER.unpack(head)[0])
    return None if body is None else _load(body)


def main() -> int:
    """The worker: the jobs from the descriptor given, chunks from the end back to standard output,
    until the other side says on standard input where it got to (or goes away)."""
    import gc
    import select

    gc.disable()  # (short-lived; its records all live to the end)
    stdout = sys.stdout.buffer
    fd = sys.stdin.fileno()
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        print("trainer.parse_ahead: a worker of trainer's scan, started by it (one argument: its jobs' descriptor)",
              file=sys.stderr)
        return 2
    try:
        with open(int(sys.argv[1]), "rb") as fh:
            fh.seek(0)
            (root_text, encoding, errors), jobs = _load(fh.read())  # type: ignore[misc]
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError):
        return 1
    if (encoding, errors) != (sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()):
        return 1  # it would open other files than the names say: the other side parses them all
    root, root_s = Path(root_text), root_text + os.sep
    limit = 0
    back = len(jobs)
    while back > limit:
        start = max(limit, back - CHUNK)
        got = [parse_one(root, root_s, tuple(job)) for job in jobs[start:back]]
        try:
            _send(stdout, (start, got))
        except (BrokenPipeError, OSError):
            return 0
        back = start
        if select.select([fd], [], [], 0)[0]:
            told = _read_frame(fd)
            if told is None:  # the other side is gone: nothing more is wanted
                return 0
            if type(told) is int:
                limit = max(limit, told)
    return 0


if __name__ == "__main__":
    sys.exit(main())
