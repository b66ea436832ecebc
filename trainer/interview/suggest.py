"""The suggested grade: a stated function of coverage and time, nothing cleverer.

    grade = round_half_up(5 × covered / points) − (1 if overtime else 0), clamped to 0…5

All points in time → 5; all points overtime → 4; half the points → 3 (2 overtime); nothing → 0.
A note with no key points has no suggestion: the user grades by self-assessment.
"""

from __future__ import annotations

import math

OVERTIME_PENALTY = 1


def suggested_grade(covered: int, points: int, overtime: bool) -> int | None:
    if points <= 0:
        return None
    grade = math.floor(5 * covered / points + 0.5) - (OVERTIME_PENALTY if overtime else 0)
    return max(0, min(5, grade))
