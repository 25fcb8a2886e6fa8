"""What needs the program office's attention: one computation for the admin home and the weekly admin digest.

- submissions waiting for a review longer than ``REVIEW_WAITING_DAYS`` days;
- stuck trainees of the running cohorts (the progress report's own rule, ``reports``: no activity for
  ``STUCK_DAYS_DEFAULT`` days and not finished), per cohort and course;
- trainees eligible for a certificate that has not been issued (the certificate rule, ``certificates.standings``);
- cohorts starting or ending within ``SOON_DAYS`` days;
- mails that failed for good.

A fixed number of queries however many trainees, submissions and cohorts there are: the stuck and eligibility
rules run once per course (content, a handful), over every trainee of every running cohort at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select

from ..extensions import db
from ..models import (Assignment, Cohort, CohortCourse, CohortMember, Course, Enrolment, OutgoingMail, Submission,
                      User)
from ..rules import review
from ..rules.reminders import TOKYO, within_days
from . import certificates, mail, reports

SOON_DAYS = 14
OLDEST_SHOWN = 5


def waiting_days() -> int:
    return int(current_app.config["REVIEW_WAITING_DAYS"])


@dataclass
class WaitingRow:
    submission: Submission
    trainee: User
    assignment: Assignment
    course: Course
    days: int  # whole days since it was handed in


@dataclass
class StuckRow:
    cohort: Cohort
    course: Course
    trainee: User
    days_idle: int


@dataclass
class EligibleRow:
    course: Course
    trainee: User
    cohort_ids: set[int] = field(default_factory=set)


@dataclass
class CourseEligible:
    course: Course
    trainees: list[User]


@dataclass
class CohortStuck:
    cohort: Cohort
    rows: list[StuckRow]


@dataclass
class CohortDate:
    cohort: Cohort
    event: str  # "starts" or "ends"
    day: date
    days: int  # from today


@dataclass
class Attention:
    now: datetime
    waiting_days: int
    waiting_count: int
    waiting_oldest: list[WaitingRow]
    stuck: list[CohortStuck]
    eligible: list[CourseEligible]
    soon: list[CohortDate]
    failed_mails: list[OutgoingMail]
    failed_count: int


# --- the parts


def running_cohorts(today: date) -> list[Cohort]:
    """Cohorts that have started and not ended: one query."""
    return list(db.session.scalars(select(Cohort).where(
        Cohort.starts_on <= today, or_(Cohort.ends_on.is_(None), Cohort.ends_on >= today))
        .order_by(Cohort.starts_on, Cohort.id)))


def _waiting_scope(now: datetime, days: int):
    return (Submission.state.in_(review.WAITING), Submission.waiting_since <= now - timedelta(days=days))


def _days(now: datetime, since: datetime | None) -> int:
    return (now - since) // timedelta(days=1) if since is not None else 0


def waiting_reviews(now: datetime, days: int, limit: int = OLDEST_SHOWN) -> tuple[int, list[WaitingRow]]:
    """How many submissions wait longer than ``days`` days, and the oldest ``limit``: two queries."""
    scope = _waiting_scope(now, days)
    count = db.session.scalar(select(func.count(Submission.id)).where(*scope))
    rows = db.session.execute(
        select(Submission, User, Assignment, Course)
        .join(User, User.id == Submission.user_id)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .join(Course, Course.id == Submission.course_id)
        .where(*scope).order_by(Submission.waiting_since, Submission.id).limit(limit)).all()
    return count, [WaitingRow(s, u, a, c, _days(now, s.waiting_since)) for s, u, a, c in rows]


def waiting_by_cohort(now: datetime, days: int, cohort_ids: list[int]) -> dict[int, list[WaitingRow]]:
    """The long-waiting submissions of each cohort's trainees in the cohort's courses, oldest first: one query."""
    if not cohort_ids:
        return {}
    found = defaultdict(list)
    for cohort_id, s, u, a, c in db.session.execute(
            select(CohortMember.cohort_id, Submission, User, Assignment, Course)
            .join(CohortMember, and_(CohortMember.user_id == Submission.user_id, CohortMember.role == "trainee"))
            .join(CohortCourse, and_(CohortCourse.cohort_id == CohortMember.cohort_id,
                                     CohortCourse.course_id == Submission.course_id))
            .join(User, User.id == Submission.user_id)
            .join(Assignment, Assignment.id == Submission.assignment_id)
            .join(Course, Course.id == Submission.course_id)
            .where(*_waiting_scope(now, days), CohortMember.cohort_id.in_(cohort_ids))
            .order_by(Submission.waiting_since, Submission.id)):
        found[cohort_id].append(WaitingRow(s, u, a, c, _days(now, s.waiting_since)))
    return dict(found)


def stuck_by_cohort(now: datetime, cohorts: list[Cohort],
                    stuck_days: int = reports.STUCK_DAYS_DEFAULT) -> dict[int, list[StuckRow]]:
    """Stuck trainees per cohort, by the progress report's rule, longest idle first.

    Two queries, then eleven per course of the running cohorts (the report's loaders, over all their trainees).
    """
    if not cohorts:
        return {}
    by_id = {cohort.id: cohort for cohort in cohorts}
    pairs = db.session.execute(select(CohortCourse.cohort_id, CohortCourse.course_id)
                               .where(CohortCourse.cohort_id.in_(by_id))).all()
    course_ids = sorted({course_id for _, course_id in pairs})
    courses = {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_(course_ids)))} if course_ids else {}
    found = defaultdict(list)
    for course_id in course_ids:
        course = courses[course_id]
        cohort_ids = [cohort_id for cohort_id, c in pairs if c == course_id]
        members = (CohortMember.cohort_id.in_(cohort_ids), CohortMember.role == "trainee")
        modules = reports._modules(course)
        facts = reports._Facts.load(course.id, select(CohortMember.user_id).where(*members))
        frames = {cohort_id: reports.CohortReport(by_id[cohort_id], [], course, stuck_days, now, modules=modules)
                  for cohort_id in cohort_ids}
        for cohort_id, user, enrolled_at in db.session.execute(
                select(CohortMember.cohort_id, User, Enrolment.created_at)
                .join(User, User.id == CohortMember.user_id)
                .outerjoin(Enrolment, and_(Enrolment.user_id == User.id, Enrolment.course_id == course.id))
                .where(*members)):
            row = reports._row(frames[cohort_id], facts, user, enrolled_at)
            if row.stuck:
                found[cohort_id].append(StuckRow(by_id[cohort_id], course, user, row.days_idle))
    for rows in found.values():
        rows.sort(key=lambda row: (-row.days_idle, row.trainee.name_latin.lower(), row.trainee.id))
    return dict(found)


def eligible_uncertified() -> list[EligibleRow]:
    """Active trainees who meet a course's requirements and hold no certificate in force for it, with their
    cohorts: per course that offers certificates, the certificate rule's own queries; one more for the cohorts."""
    found = []
    for course in certificates.courses_with_certificates():
        users = list(db.session.scalars(
            select(User).join(Enrolment, Enrolment.user_id == User.id)
            .where(Enrolment.course_id == course.id, User.is_trainee.is_(True), User.active.is_(True))
            .order_by(User.name_latin, User.id)))
        for standing in certificates.standings(course, users).values():
            if standing.eligible and standing.current is None:
                found.append(EligibleRow(course, standing.user))
    if found:
        cohorts_of = defaultdict(set)
        for user_id, cohort_id in db.session.execute(select(CohortMember.user_id, CohortMember.cohort_id).where(
                CohortMember.user_id.in_({row.trainee.id for row in found}), CohortMember.role == "trainee")):
            cohorts_of[user_id].add(cohort_id)
        for row in found:
            row.cohort_ids = cohorts_of[row.trainee.id]
    return found


def cohorts_soon(today: date, days: int = SOON_DAYS) -> list[CohortDate]:
    """Cohorts starting or ending today or in the next ``days`` days, soonest first: one query."""
    horizon = today + timedelta(days=days)
    dates = []
    for cohort in db.session.scalars(select(Cohort).where(or_(
            Cohort.starts_on.between(today, horizon), Cohort.ends_on.between(today, horizon)))):
        for event, day in (("starts", cohort.starts_on), ("ends", cohort.ends_on)):
            if within_days(day, today, days):
                dates.append(CohortDate(cohort, event, day, (day - today).days))
    return sorted(dates, key=lambda d: (d.day, d.event != "ends", d.cohort.id))


# --- the admin home


def admin_home(now: datetime) -> Attention:
    """Everything the admin home shows, in a fixed number of queries."""
    today = now.astimezone(TOKYO).date()
    days = waiting_days()
    count, oldest = waiting_reviews(now, days)
    cohorts = running_cohorts(today)
    stuck = stuck_by_cohort(now, cohorts)
    by_course: dict[int, CourseEligible] = {}
    for row in eligible_uncertified():
        by_course.setdefault(row.course.id, CourseEligible(row.course, [])).trainees.append(row.trainee)
    return Attention(
        now=now, waiting_days=days, waiting_count=count, waiting_oldest=oldest,
        stuck=[CohortStuck(cohort, stuck[cohort.id]) for cohort in cohorts if stuck.get(cohort.id)],
        eligible=list(by_course.values()), soon=cohorts_soon(today),
        failed_mails=mail.failed(limit=20), failed_count=mail.failed_count())


# --- per cohort, for the weekly digest


@dataclass
class CohortDigest:
    cohort: Cohort
    stuck: list[StuckRow]
    eligible: list[EligibleRow]
    waiting: list[WaitingRow]

    @property
    def empty(self) -> bool:
        return not (self.stuck or self.eligible or self.waiting)


def cohort_digests(now: datetime) -> list[CohortDigest]:
    """The same facts as the admin home, per running cohort."""
    today = now.astimezone(TOKYO).date()
    cohorts = running_cohorts(today)
    ids = [cohort.id for cohort in cohorts]
    stuck = stuck_by_cohort(now, cohorts)
    waiting = waiting_by_cohort(now, waiting_days(), ids)
    eligible = eligible_uncertified()
    courses_of = defaultdict(set)
    if ids:
        for cohort_id, course_id in db.session.execute(select(CohortCourse.cohort_id, CohortCourse.course_id)
                                                       .where(CohortCourse.cohort_id.in_(ids))):
            courses_of[cohort_id].add(course_id)
    return [CohortDigest(cohort, stuck.get(cohort.id, []),
                         [row for row in eligible
                          if cohort.id in row.cohort_ids and row.course.id in courses_of[cohort.id]],
                         waiting.get(cohort.id, []))
            for cohort in cohorts]
