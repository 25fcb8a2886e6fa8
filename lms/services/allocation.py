"""Mentor allocation: which mentors may review which trainees' work, in one place.

A mentor is allocated to a trainee for a course when they share a cohort that has the course and the cohort
lets every mentor see every trainee (mentor_mode "all") or names this mentor for this trainee ("named"), or when
an admin allocated the mentor to the trainee directly (any course).

The rule has two SQL forms that must agree (a test compares them): ``allocation_clause``, a correlated clause for
a permission check or a column of an outer query, and ``allocated_to``, uncorrelated IN lists for one known mentor
(the review queue). Whoever reviews, it is never the author of the work: ``lms.services.assignments.can_review``
and the queues add that condition.
"""

from __future__ import annotations

from sqlalchemy import and_, exists, or_, select, tuple_
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Cohort, CohortCourse, CohortMember, CohortPairing, MentorAllocation, User


def allocation_clause(mentor_id: int, trainee_column, course_column):
    """SQL: the mentor is allocated to this trainee for this course, through a cohort or one by one.

    Through a cohort: both are in a cohort that has the course, and the cohort lets every mentor see every
    trainee or names this mentor for this trainee.
    """
    as_trainee, as_mentor = aliased(CohortMember), aliased(CohortMember)
    # correlate_except: when mentor_id is a column of the outer query (User.id), the pairing must refer to that
    # outer row two levels up; automatic correlation only looks one level up.
    named = exists(select(CohortPairing.id).where(CohortPairing.cohort_id == as_trainee.cohort_id,
                                                  CohortPairing.trainee_id == as_trainee.user_id,
                                                  CohortPairing.mentor_id == mentor_id)
                   .correlate_except(CohortPairing))
    through_cohort = exists(
        select(as_trainee.id)
        .join(Cohort, Cohort.id == as_trainee.cohort_id)
        .join(as_mentor, and_(as_mentor.cohort_id == as_trainee.cohort_id, as_mentor.role == "mentor",
                              as_mentor.user_id == mentor_id))
        .join(CohortCourse, and_(CohortCourse.cohort_id == as_trainee.cohort_id, CohortCourse.course_id == course_column))
        .where(as_trainee.user_id == trainee_column, as_trainee.role == "trainee",
               or_(Cohort.mentor_mode == "all", named))
    )
    directly = exists(select(MentorAllocation.id).where(MentorAllocation.mentor_id == mentor_id,
                                                        MentorAllocation.trainee_id == trainee_column))
    return or_(through_cohort, directly)


def allocated_to(mentor_id: int, trainee_column, course_column):
    """The rule of ``allocation_clause`` for one known mentor, as uncorrelated IN lists.

    For the queue: the database builds the mentor's (trainee, course) pairs once and looks each submission
    up in them, instead of running a correlated EXISTS per submission of the whole program.
    """
    as_trainee, as_mentor = aliased(CohortMember), aliased(CohortMember)
    through_cohort = (
        select(as_trainee.user_id, CohortCourse.course_id)
        .join(Cohort, Cohort.id == as_trainee.cohort_id)
        .join(as_mentor, and_(as_mentor.cohort_id == as_trainee.cohort_id, as_mentor.role == "mentor",
                              as_mentor.user_id == mentor_id))
        .join(CohortCourse, CohortCourse.cohort_id == as_trainee.cohort_id)
        .outerjoin(CohortPairing, and_(CohortPairing.cohort_id == as_trainee.cohort_id,
                                       CohortPairing.trainee_id == as_trainee.user_id,
                                       CohortPairing.mentor_id == mentor_id))
        .where(as_trainee.role == "trainee", or_(Cohort.mentor_mode == "all", CohortPairing.id.is_not(None)))
    )
    directly = select(MentorAllocation.trainee_id).where(MentorAllocation.mentor_id == mentor_id)
    return or_(tuple_(trainee_column, course_column).in_(through_cohort), trainee_column.in_(directly))


def is_allocated(mentor: User, trainee_id: int, course_id: int) -> bool:
    return bool(mentor.is_mentor and db.session.scalar(select(allocation_clause(mentor.id, trainee_id, course_id))))


def allocated_mentors(trainee_id: int, course_id: int) -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.is_mentor.is_(True), User.active.is_(True), allocation_clause(User.id, trainee_id, course_id))))
