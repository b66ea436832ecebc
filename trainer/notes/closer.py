"""The last close of a note a grade replaced, off the grade's path (#17).

After our rename the old file lives on only through the descriptor the note was read and locked
through; its last close makes the system free it there and then (0.02-0.14 ms here, a tenth of a
grade). The lock is released at once by the caller; from the process's second such close on, the
close itself is left to a daemon thread of this module (the first is made in line: a one-off
``trainer review`` would pay more to start the thread than the close costs). A descriptor still
queued when the process ends is closed by the system.

A fork is never made beside this thread: ``trainer.walk`` forks through :func:`stop` first, and a
child of a fork starts without it. If the thread cannot be started, the close is made in line.
"""

from __future__ import annotations

import os
import threading
from queue import SimpleQueue

_STOP = -1


class _Closer:
    def __init__(self) -> None:
        self.queue: SimpleQueue = SimpleQueue()
        self.thread: threading.Thread | None = None
        self.ending: threading.Thread | None = None
        """A thread told to stop and not yet joined: what it still holds is closed before it ends."""
        self.lock = threading.Lock()
        self.closes = 0

    def close_later(self, fd: int) -> None:
        with self.lock:
            self.closes += 1
            if self.thread is None and self.closes > 1:
                thread = threading.Thread(target=self._run, args=(self.queue,), name="trainer-closer", daemon=True)
                try:
                    thread.start()
                except RuntimeError:  # no thread to be had (a limit, the interpreter ending)
                    pass
                else:
                    self.thread = thread
            if self.thread is not None:
                self.queue.put(fd)
                return
        os.close(fd)

    def drain(self) -> None:
        with self.lock:
            thread, ending = self.thread, self.ending
            if thread is not None:
                done = threading.Lock()
                done.acquire()
                self.queue.put(done)
        if ending is not None:
            ending.join()
        if thread is not None:
            done.acquire()

    def stop(self) -> None:
        with self.lock:
            thread, self.thread = self.thread, None
            if thread is not None:
                self.queue.put(_STOP)
                self.queue = SimpleQueue()  # (a new thread, if one is needed again, takes a queue of its own)
                self.ending = thread
            ending = self.ending
        if ending is not None:
            ending.join()
            with self.lock:
                if self.ending is ending:
                    self.ending = None

    @staticmethod
    def _run(queue: SimpleQueue) -> None:
        while (item := queue.get()) != _STOP:
            if type(item) is not int:
                item.release()  # (drain: everything queued before it is closed)
                continue
            try:
                os.close(item)
            except OSError:
                pass

    def forked(self) -> None:
        self.__init__()  # type: ignore[misc]


_closer = _Closer()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_closer.forked)


def close_later(fd: int) -> None:
    """Close ``fd`` on the closer thread (its lock, if any, already released by the caller)."""
    _closer.close_later(fd)


def drain() -> None:
    """Wait until every descriptor queued so far is closed (the thread goes on). For tests, and
    for benchmarks that time something else right after a grade, as a person's pause would."""
    _closer.drain()


def stop() -> None:
    """Close every descriptor queued and end the thread (it starts again at the next close)."""
    _closer.stop()


def running() -> bool:
    thread = _closer.thread
    return thread is not None and thread.is_alive()
