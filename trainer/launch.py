"""The `trainer` command's entry point: for ``due --json`` and ``stats`` the deck's walk starts on
the other core (``trainer.walk.start_early``) before the CLI, argparse and the rest are imported."""

from __future__ import annotations

import sys


def main() -> int:
    from trainer.walk import start_early

    start_early(sys.argv[1:])
    from trainer.cli import main as cli_main

    return cli_main()
