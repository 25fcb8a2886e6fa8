"""The assignment workflow and rubric arithmetic: one small state machine, plain functions.

draft → submitted → in_review → revision_requested → resubmitted → in_review → … → approved.
Trainees move their own work forward (submit, resubmit); reviewers (allocated mentors, admins) take it
into review and decide. Anything else is refused here, so no view or service can invent a transition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from .. import clock

DRAFT, SUBMITTED, IN_REVIEW = "draft", "submitted", "in_review"
REVISION_REQUESTED, RESUBMITTED, APPROVED = "revision_requested", "resubmitted", "approved"
STATES = (DRAFT, SUBMITTED, IN_REVIEW, REVISION_REQUESTED, RESUBMITTED, APPROVED)
TRAINEE, REVIEWER = "trainee", "reviewer"

TRANSITIONS: dict[tuple[str, str], str] = {
    (DRAFT, SUBMITTED): TRAINEE,
    (REVISION_REQUESTED, RESUBMITTED): TRAINEE,
    (SUBMITTED, IN_REVIEW): REVIEWER,
    (RESUBMITTED, IN_REVIEW): REVIEWER,
    (IN_REVIEW, REVISION_REQUESTED): REVIEWER,
    (IN_REVIEW, APPROVED): REVIEWER,
}
# Work waiting for a reviewer, in the order a queue shows it.
WAITING = (SUBMITTED, RESUBMITTED, IN_REVIEW)
# States in which the trainee may edit the current draft version.
EDITABLE = (DRAFT, REVISION_REQUESTED)
PROGRAM_TIMEZONE = clock.TOKYO


class TransitionRefused(Exception):
    def __init__(self, current: str, target: str, actor: str):
        super().__init__(f"{actor} may not move a submission from {current} to {target}")
        self.current, self.target, self.actor = current, target, actor


def check_transition(current: str, target: str, actor: str) -> None:
    if TRANSITIONS.get((current, target)) != actor:
        raise TransitionRefused(current, target, actor)


def allowed_targets(current: str, actor: str) -> list[str]:
    return [to for (frm, to), who in TRANSITIONS.items() if frm == current and who == actor]


# --- rubric


def max_points(criteria: Sequence[Mapping]) -> int:
    return sum(max(level["points"] for level in c["levels"]) for c in criteria)


def clean_scores(criteria: Sequence[Mapping], chosen: Mapping[str, object]) -> dict[str, int]:
    """Keep only a level's points that exist for a criterion of this rubric; anything else is dropped."""
    scores = {}
    for criterion in criteria:
        value = chosen.get(criterion["id"])
        try:
            points = int(value) if value is not None and str(value).strip() != "" else None
        except (TypeError, ValueError):
            points = None
        if points is not None and points in {level["points"] for level in criterion["levels"]}:
            scores[criterion["id"]] = points
    return scores


def total(scores: Mapping[str, int]) -> int:
    return sum(scores.values())


def unscored(criteria: Sequence[Mapping], scores: Mapping[str, int]) -> list[str]:
    return [c["id"] for c in criteria if c["id"] not in scores]


def min_level(criterion: Mapping) -> int | None:
    """The lowest points at which this criterion may be approved (its ``min_level``), or None when it does not gate."""
    value = criterion.get("min_level")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def gating(criteria: Sequence[Mapping]) -> list[str]:
    """The criteria that gate approval (they set a ``min_level``), in rubric order."""
    return [c["id"] for c in criteria if min_level(c) is not None]


def below_minimum(criteria: Sequence[Mapping], scores: Mapping[str, int]) -> list[str]:
    """Scored criteria whose points are below their ``min_level``, in rubric order (unscored ones are not listed)."""
    return [c["id"] for c in criteria
            if (floor := min_level(c)) is not None and c["id"] in scores and scores[c["id"]] < floor]


def approval_problem(criteria: Sequence[Mapping], scores: Mapping[str, int], pass_points: int) -> str | None:
    """Why this scoring cannot approve the work, or None.

    "unscored" (a criterion has no score), "below_minimum" (a gating criterion is below its ``min_level``, whatever
    the total) or "below_pass" (the total is below ``pass_points``), checked in that order.
    """
    if unscored(criteria, scores):
        return "unscored"
    if below_minimum(criteria, scores):
        return "below_minimum"
    if total(scores) < pass_points:
        return "below_pass"
    return None


@dataclass(frozen=True)
class RunningTotal:
    total: int
    max: int
    problem: str | None  # what approval_problem() says: "unscored", "below_minimum", "below_pass" or None


def running_total(criteria: Sequence[Mapping], chosen: Mapping[str, object], pass_points: int) -> RunningTotal:
    """The total the grading view shows for the levels picked so far (the same arithmetic as saving)."""
    scores = clean_scores(criteria, chosen)
    return RunningTotal(total(scores), max_points(criteria), approval_problem(criteria, scores, pass_points))


# --- due dates


def due_at(cohort_start: date | None, due_days: int | None) -> datetime | None:
    """The end of the due day in Asia/Tokyo (23:59:59 local), as an aware UTC datetime."""
    if cohort_start is None or due_days is None:
        return None
    local = datetime.combine(cohort_start + timedelta(days=due_days), time(23, 59, 59), PROGRAM_TIMEZONE)
    return local.astimezone(timezone.utc)


def is_late(submitted_at: datetime, due: datetime | None) -> bool:
    return due is not None and submitted_at > due
