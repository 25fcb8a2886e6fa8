"""Cohorts (trainees, mentors and courses with a start date) and one-by-one mentor allocation.

A mentor is allocated to a trainee for a course when they share a cohort that has the course,
or when an admin allocated the mentor to the trainee directly (any course).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Cohort, CohortMember, Course, Enrolment, MentorAllocation, User
from .accounts import normalize_email

ROLES = ("trainee", "mentor")


class CohortError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class CohortSummary:
    cohort: Cohort
    trainees: int
    mentors: int


def list_cohorts() -> list[CohortSummary]:
    """Every cohort with member counts: two queries."""
    cohorts = list(db.session.scalars(select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.id.desc())))
    counts = {(cohort_id, role): n for cohort_id, role, n in db.session.execute(
        select(CohortMember.cohort_id, CohortMember.role, func.count(CohortMember.id))
        .group_by(CohortMember.cohort_id, CohortMember.role))}
    return [CohortSummary(c, counts.get((c.id, "trainee"), 0), counts.get((c.id, "mentor"), 0)) for c in cohorts]


def create_cohort(name_ja: str, name_en: str, program: str, starts_on: date, ends_on: date | None) -> Cohort:
    if ends_on is not None and ends_on < starts_on:
        raise CohortError(_l("The end date is before the start date."))
    cohort = Cohort(name_ja=name_ja.strip(), name_en=name_en.strip(), program=program, starts_on=starts_on,
                    ends_on=ends_on)
    db.session.add(cohort)
    db.session.commit()
    return cohort


def members(cohort: Cohort) -> list[tuple[CohortMember, User]]:
    return list(db.session.execute(select(CohortMember, User).join(User, User.id == CohortMember.user_id)
                                   .where(CohortMember.cohort_id == cohort.id)
                                   .order_by(CohortMember.role.desc(), User.name_latin, User.email)).all())


def add_member(cohort: Cohort, email: str, role: str) -> User:
    """Add a person by e-mail; a trainee is enrolled in the cohort's courses at once."""
    if role not in ROLES:
        raise CohortError(_l("Choose trainee or mentor."))
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise CohortError(_l("No account has the address %(email)s. Create it on the People page first.",
                             email=email))
    if not user.has_role(role):
        raise CohortError(_l("%(email)s does not have the %(role)s role.", email=user.email,
                             role=_l("trainee") if role == "trainee" else _l("mentor")))
    db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, role=role))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise CohortError(_l("%(email)s is already in this cohort.", email=user.email)) from None
    if role == "trainee":
        _enrol([user.id], [c.id for c in cohort.courses])
    db.session.commit()
    return user


def remove_member(cohort: Cohort, member_id: int) -> None:
    """Take someone out of the cohort; enrolments and work stay (the trainee keeps their progress)."""
    db.session.execute(delete(CohortMember).where(CohortMember.id == member_id, CohortMember.cohort_id == cohort.id))
    db.session.commit()


def set_courses(cohort: Cohort, course_ids: set[int]) -> None:
    """The cohort's courses; its trainees are enrolled in any course added."""
    courses = list(db.session.scalars(select(Course).where(Course.id.in_(course_ids)))) if course_ids else []
    added = {c.id for c in courses} - {c.id for c in cohort.courses}
    cohort.courses = courses
    trainees = list(db.session.scalars(select(CohortMember.user_id).where(
        CohortMember.cohort_id == cohort.id, CohortMember.role == "trainee")))
    _enrol(trainees, list(added))
    db.session.commit()


def _enrol(user_ids: list[int], course_ids: list[int]) -> None:
    if not user_ids or not course_ids:
        return
    existing = set(db.session.execute(select(Enrolment.user_id, Enrolment.course_id).where(
        Enrolment.user_id.in_(user_ids), Enrolment.course_id.in_(course_ids))).all())
    for user_id in user_ids:
        for course_id in course_ids:
            if (user_id, course_id) not in existing:
                db.session.add(Enrolment(user_id=user_id, course_id=course_id, source="cohort"))


# --- one by one


def mentors_of(trainee: User) -> list[tuple[MentorAllocation, User]]:
    return list(db.session.execute(select(MentorAllocation, User).join(User, User.id == MentorAllocation.mentor_id)
                                   .where(MentorAllocation.trainee_id == trainee.id)).all())


def all_mentors() -> list[User]:
    return list(db.session.scalars(select(User).where(User.is_mentor.is_(True), User.active.is_(True))
                                   .order_by(User.name_latin, User.email)))


def allocate(mentor_id: int, trainee: User) -> None:
    mentor = db.session.get(User, mentor_id)
    if mentor is None or not mentor.is_mentor:
        raise CohortError(_l("Choose a mentor."))
    if mentor.id == trainee.id:
        raise CohortError(_l("Nobody mentors their own work."))
    db.session.add(MentorAllocation(mentor_id=mentor.id, trainee_id=trainee.id))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # already allocated: nothing to do


def deallocate(allocation_id: int, trainee: User) -> None:
    db.session.execute(delete(MentorAllocation).where(MentorAllocation.id == allocation_id,
                                                      MentorAllocation.trainee_id == trainee.id))
    db.session.commit()
