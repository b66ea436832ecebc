"""The `trainer` command's entry point: for ``due --json`` and ``stats`` the deck's walk starts on
the other core (``trainer.walk.start_early``) before the CLI, argparse and the rest are imported."""

from __future__ import annotations

import os
import sys


def main() -> int:
    from trainer.walk import start_early

    start_early(sys.argv[1:])
    from trainer.cli import main as cli_main

    code = cli_main()
    leave(code)
    return code


def leave(code: int) -> None:
    """Exit now that the answer is written, as the interpreter would but without freeing the
    heap object by object (~15 ms after a 100k-note ``due``, #17): the output is flushed and the
    exit handlers run first. Not after the study app (Textual restores the terminal on its own
    way out) nor while a thread the interpreter would wait for runs (a daemon thread, such as the
    one that closes replaced notes' descriptors, it would not); a flush that fails also leaves it
    to the interpreter, which reports it."""
    import atexit

    threading = sys.modules.get("threading")
    if "textual" in sys.modules or (threading is not None and _waited_for(threading)):
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    run_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_handlers is None or type(code) is not int or not 0 <= code <= 255:
        return
    run_handlers()
    os._exit(code)


def _waited_for(threading) -> bool:
    """Whether a thread other than this one runs that the interpreter waits for at its exit."""
    main = threading.main_thread()
    return any(t is not main and not t.daemon and t.is_alive() for t in threading.enumerate())
