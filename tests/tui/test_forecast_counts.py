"""The overview's forecast keeps a blank cell between two days' counts on a large deck."""

from __future__ import annotations

import pytest

from trainer.tui.widgets.forecast import _count


@pytest.mark.parametrize("n, width, shown", [
    (7781, 5, "7781"), (44561, 5, "45k"), (44561, 6, "44561"), (123456, 5, "123k"), (1234567, 5, "1.2M"),
    (1500, 4, "2k"), (999, 4, "999"),
])
def test_a_count_fits_its_column_with_a_blank_cell_to_spare(n, width, shown):
    assert _count(n, width) == shown
    assert len(shown) < width
