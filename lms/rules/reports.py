"""The progress report's rules: facts in, states out (no database, no translations).

A quiz's state for a trainee, an assignment's status as the report groups it, the trainee's stage in the course,
the share of steps done, days without activity and when that makes a trainee "stuck", the progress bands of the
distribution chart and the weekly review counts. ``lms.services.reports`` loads the facts and labels the states.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from . import review
from .progress import Progress

STUCK_DAYS_DEFAULT, STUCK_DAYS_MIN, STUCK_DAYS_MAX = 14, 1, 365
REVIEW_WEEKS_SHOWN = 104  # two years of weekly bars at most

QUIZ_NOT_ATTEMPTED, QUIZ_IN_PROGRESS, QUIZ_FAILED, QUIZ_PASSED = "not_attempted", "in_progress", "failed", "passed"

NOT_STARTED, DRAFT, WAITING, REVISION, APPROVED = "not_started", "draft", "waiting", "revision", "approved"

# Stages, in order. A trainee is at the furthest stage whose condition holds together with every earlier one's,
# except "certified", which a valid certificate decides on its own.
STAGE_NOT_STARTED, STAGE_STUDYING, STAGE_STUDY_DONE = "not_started", "studying", "study_done"
STAGE_HANDED_IN, STAGE_APPROVED, STAGE_CERTIFIED = "handed_in", "approved", "certified"
STAGES = (STAGE_NOT_STARTED, STAGE_STUDYING, STAGE_STUDY_DONE, STAGE_HANDED_IN, STAGE_APPROVED, STAGE_CERTIFIED)
FINISHED_STAGES = (STAGE_APPROVED, STAGE_CERTIFIED)  # nothing left for the trainee to do: never "stuck"

# Trainees by the share of the course's steps done, in bands (the distribution chart).
PROGRESS_BANDS = ((0, 0), (1, 24), (25, 49), (50, 74), (75, 99), (100, 100))


def quiz_state(result_passed: bool | None, attempts: int) -> str:
    """A quiz for one trainee: the grade that stands decides; attempts without a grade are "in progress"."""
    if result_passed is not None:
        return QUIZ_PASSED if result_passed else QUIZ_FAILED
    return QUIZ_IN_PROGRESS if attempts else QUIZ_NOT_ATTEMPTED


def assignment_status(submission_state: str | None) -> str:
    """The submission's workflow state, as the report groups it."""
    if submission_state is None:
        return NOT_STARTED
    if submission_state in review.WAITING:
        return WAITING
    return {review.DRAFT: DRAFT, review.REVISION_REQUESTED: REVISION, review.APPROVED: APPROVED}[submission_state]


def stage_of(cells: Sequence, *, started: bool, certified: bool) -> str:
    """The trainee's stage in the course (the stage definitions are on the report page).

    ``cells``: one per module, each with ``lessons`` (a ``Progress``), ``quizzes`` (items with a ``state``) and
    ``assignments`` (items with a ``status``).
    """
    if certified:
        return STAGE_CERTIFIED
    if not started:
        return STAGE_NOT_STARTED
    if not all(cell.lessons.done >= cell.lessons.total for cell in cells) or not all(
            quiz.state == QUIZ_PASSED for cell in cells for quiz in cell.quizzes):
        return STAGE_STUDYING
    statuses = [item.status for cell in cells for item in cell.assignments]
    if not all(status in (WAITING, APPROVED) for status in statuses):
        return STAGE_STUDY_DONE
    if not all(status == APPROVED for status in statuses):
        return STAGE_HANDED_IN
    return STAGE_APPROVED


def course_progress(cells: Sequence) -> Progress:
    """Steps done over steps in the course: lessons completed, quizzes passed, assignments approved."""
    done = total = 0
    for cell in cells:
        done += cell.lessons.done + sum(q.state == QUIZ_PASSED for q in cell.quizzes) + sum(
            a.status == APPROVED for a in cell.assignments)
        total += cell.lessons.total + len(cell.quizzes) + len(cell.assignments)
    return Progress(done, total)


def idle_days(now: datetime, since: datetime) -> int:
    """Whole days from ``since`` to ``now``; 0 when ``since`` is still ahead (a cohort that has not begun)."""
    return max(0, (now - since) // timedelta(days=1))


def is_stuck(stage: str, days_idle: int, stuck_days: int) -> bool:
    return stage not in FINISHED_STAGES and days_idle >= stuck_days


def clamp_stuck_days(raw: str | None) -> int:
    """The "no activity for N days" parameter: digits only, bounded to 1..365, else the default."""
    raw = (raw or "").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        return STUCK_DAYS_DEFAULT
    return min(max(int(raw), STUCK_DAYS_MIN), STUCK_DAYS_MAX)


def band_counts(percents: Sequence[int]) -> list[tuple[tuple[int, int], int]]:
    """How many of ``percents`` fall in each of PROGRESS_BANDS."""
    return [((low, high), sum(low <= p <= high for p in percents)) for low, high in PROGRESS_BANDS]


def weekly_counts(days: Sequence[date], first: date, last: date, limit: int = REVIEW_WEEKS_SHOWN
                  ) -> list[tuple[date, int]]:
    """Counts per seven-day week from ``first`` (week starts), widened to take in every day; the last ``limit``."""
    if days:
        first, last = min(first, *days), max(last, *days)
    last = max(first, last)
    weeks = [0] * ((last - first).days // 7 + 1)
    for day in days:
        weeks[(day - first).days // 7] += 1
    counted = [(first + timedelta(days=7 * i), n) for i, n in enumerate(weeks)]
    return counted[-limit:]


def median_duration(durations: Sequence[timedelta]) -> timedelta | None:
    return timedelta(seconds=statistics.median(d.total_seconds() for d in durations)) if durations else None
