"""Course completion: has a trainee done what the course requires for a certificate?

One pure function, ``missing``, compares what a course requires with what a trainee has done and
returns the reasons they are not yet eligible (none: eligible). Reasons carry codes and titles in
both languages, so the same answer reads right to the trainee in Japanese and to an admin in English.
The words for each reason are presentation: ``lms.presenters.explain``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import review

LESSON, QUIZ, ASSIGNMENT = "lesson", "quiz", "assignment"


@dataclass(frozen=True)
class Requirement:
    kind: str  # LESSON, QUIZ or ASSIGNMENT
    id: int
    title: dict  # {"ja": ..., "en": ...}


@dataclass(frozen=True)
class QuizStanding:
    percent: float  # the score that stands, by the quiz's grading policy
    passed: bool
    used_up: bool  # failed with every attempt used


@dataclass
class Record:
    """What one trainee has done in one course."""

    enrolled: bool = True
    named: bool = True  # has a name in Latin script, which the certificate must show
    unprintable: str = ""  # characters of the name the certificate's fonts cannot draw
    lessons_done: set[int] = field(default_factory=set)
    quizzes: dict[int, QuizStanding] = field(default_factory=dict)  # quiz id ->
    submissions: dict[int, str] = field(default_factory=dict)  # assignment id -> workflow state


@dataclass(frozen=True)
class Reason:
    code: str
    title: dict | None = None  # the step it is about
    numbers: tuple = ()  # e.g. (average, minimum) for the quiz average


def missing(requirements: list[Requirement], min_quiz_score: float | None, record: Record) -> list[Reason]:
    """Why ``record`` does not complete the course, in course order; an empty list means it does."""
    if not record.enrolled:
        return [Reason("not_enrolled")]
    # First, because only the trainee can fix it and a long list would hide it.
    reasons = [] if record.named else [Reason("name_missing")]
    if record.unprintable:
        reasons.append(Reason("name_unprintable", numbers=(record.unprintable,)))
    for item in requirements:
        reason = _step_reason(item, record)
        if reason is not None:
            reasons.append(reason)
    average = quiz_average(requirements, record)
    if min_quiz_score is not None and average is not None and average < min_quiz_score:
        reasons.append(Reason("quiz_average", numbers=(average, min_quiz_score)))
    return reasons


def quiz_average(requirements: list[Requirement], record: Record) -> float | None:
    """The mean standing score over the required quizzes; a quiz not taken counts as 0."""
    quiz_ids = [item.id for item in requirements if item.kind == QUIZ]
    if not quiz_ids:
        return None
    return sum(record.quizzes[q].percent if q in record.quizzes else 0.0 for q in quiz_ids) / len(quiz_ids)


def _step_reason(item: Requirement, record: Record) -> Reason | None:
    if item.kind == LESSON:
        return None if item.id in record.lessons_done else Reason("lesson_not_done", item.title)
    if item.kind == QUIZ:
        standing = record.quizzes.get(item.id)
        if standing is None:
            return Reason("quiz_not_taken", item.title)
        if standing.passed:
            return None
        return Reason("quiz_used_up" if standing.used_up else "quiz_not_passed", item.title)
    state = record.submissions.get(item.id, review.DRAFT)
    if state == review.APPROVED:
        return None
    if state in review.WAITING:
        return Reason("assignment_waiting", item.title)
    if state == review.REVISION_REQUESTED:
        return Reason("assignment_revision", item.title)
    return Reason("assignment_not_submitted", item.title)
