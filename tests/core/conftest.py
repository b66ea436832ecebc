"""Core fixtures: the review log of whatever ``deck`` fixture the test module defines."""

import pytest

from trainer.reviewlog import ReviewLog


@pytest.fixture
def log(deck):
    log = ReviewLog.open(deck.root)
    yield log
    log.close()
