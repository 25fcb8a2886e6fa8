"""The progress report's rules (lms/rules/reports.py): states, stages, idle days, stuck, bands, weekly counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pytest

from lms.rules import reports
from lms.rules.progress import Progress


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@dataclass
class Quiz:
    state: str


@dataclass
class Item:
    status: str


@dataclass
class Cell:
    lessons: Progress
    quizzes: list
    assignments: list


def cell(done=2, total=2, quizzes=(), assignments=()):
    return Cell(Progress(done, total), [Quiz(q) for q in quizzes], [Item(a) for a in assignments])


@pytest.mark.parametrize("passed, attempts, state", [
    (None, 0, "not_attempted"), (None, 1, "in_progress"), (False, 2, "failed"), (True, 1, "passed"),
    (False, 0, "failed"), (True, 0, "passed")])  # the grade that stands decides, whatever the attempts
def test_quiz_state(passed, attempts, state):
    assert reports.quiz_state(passed, attempts) == state


@pytest.mark.parametrize("state, status", [
    (None, "not_started"), ("draft", "draft"), ("submitted", "waiting"), ("resubmitted", "waiting"),
    ("in_review", "waiting"), ("revision_requested", "revision"), ("approved", "approved")])
def test_assignment_status(state, status):
    assert reports.assignment_status(state) == status


@pytest.mark.parametrize("cells, started, certified, stage", [
    ([cell(0)], False, False, "not_started"),
    ([cell(0)], True, False, "studying"),
    ([cell(2, quizzes=["failed"])], True, False, "studying"),
    ([cell(1, quizzes=["passed"])], True, False, "studying"),
    ([cell(quizzes=["passed"], assignments=["draft"])], True, False, "study_done"),
    ([cell(quizzes=["passed"], assignments=["waiting", "revision"])], True, False, "study_done"),
    ([cell(quizzes=["passed"], assignments=["waiting", "approved"])], True, False, "handed_in"),
    ([cell(quizzes=["passed"], assignments=["approved"]), cell()], True, False, "approved"),
    ([cell(), cell()], True, False, "approved"),  # no quizzes, no assignments
    ([cell(0)], False, True, "certified"),  # a valid certificate decides on its own
    ([cell(3, 2)], True, False, "approved"),  # more lessons done than required still counts as done
])
def test_stage_of(cells, started, certified, stage):
    assert reports.stage_of(cells, started=started, certified=certified) == stage


def test_course_progress_counts_lessons_passed_quizzes_and_approved_assignments():
    cells = [cell(1, 3, quizzes=["passed", "failed"], assignments=["approved", "waiting"]), cell(0, 2)]
    assert reports.course_progress(cells) == Progress(1 + 1 + 1, 3 + 2 + 2 + 2)
    assert reports.course_progress([]) == Progress(0, 0)


@pytest.mark.parametrize("raw, days", [
    (None, 14), ("", 14), ("30", 30), ("0", 1), ("-5", 14), ("1000", 365), ("abc", 14), ("٣", 14), ("9" * 20, 14),
    (" 7 ", 7), ("1", 1), ("365", 365), ("366", 365), ("999999", 365), ("0000001", 14)])
def test_stuck_days_parameter(raw, days):
    assert reports.clamp_stuck_days(raw) == days


def test_weekly_counts_widen_to_take_in_every_review():
    counts = reports.weekly_counts([date(2026, 3, 30), date(2026, 4, 9)], date(2026, 4, 1), date(2026, 4, 3))
    assert counts == [(date(2026, 3, 30), 1), (date(2026, 4, 6), 1)]
    assert len(reports.weekly_counts([], date(2020, 1, 1), date(2026, 1, 1))) == reports.REVIEW_WEEKS_SHOWN
    # A week is seven days from the first: day 6 is still the first week, day 7 starts the second.
    assert reports.weekly_counts([date(2026, 4, 7), date(2026, 4, 8)], date(2026, 4, 1), date(2026, 4, 8)) == [
        (date(2026, 4, 1), 1), (date(2026, 4, 8), 1)]
    assert reports.weekly_counts([], date(2026, 4, 1), date(2026, 3, 1)) == [(date(2026, 4, 1), 0)]


def test_idle_days_and_median():
    assert reports.idle_days(utc(2026, 5, 1), utc(2026, 5, 3)) == 0  # a cohort that has not begun
    assert reports.idle_days(utc(2026, 5, 15, 1), utc(2026, 5, 1, 2)) == 13
    assert reports.idle_days(utc(2026, 5, 15, 2), utc(2026, 5, 1, 2)) == 14  # exactly 14 days
    assert reports.median_duration([]) is None
    assert reports.median_duration([timedelta(hours=h) for h in (1, 3, 10, 20)]) == timedelta(hours=6.5)


@pytest.mark.parametrize("stage, days_idle, stuck_days, stuck", [
    ("studying", 14, 14, True),  # exactly N days idle is stuck
    ("studying", 13, 14, False),  # N - 1 is not
    ("studying", 15, 14, True),
    ("not_started", 1, 1, True),
    ("study_done", 0, 1, False),
    ("handed_in", 400, 14, True),
    ("approved", 400, 14, False),  # nothing left to do: never stuck
    ("certified", 400, 14, False),
])
def test_is_stuck_boundary(stage, days_idle, stuck_days, stuck):
    assert reports.is_stuck(stage, days_idle, stuck_days) is stuck


def test_band_counts_edges():
    assert reports.band_counts([0, 1, 24, 25, 99, 100]) == [((0, 0), 1), ((1, 24), 2), ((25, 49), 1),
                                                            ((50, 74), 0), ((75, 99), 1), ((100, 100), 1)]
    assert reports.band_counts([49, 50, 74, 75]) == [((0, 0), 0), ((1, 24), 0), ((25, 49), 1),
                                                     ((50, 74), 2), ((75, 99), 1), ((100, 100), 0)]
