"""Cohorts (trainees, mentors and courses with a start date) and mentor allocation.

A mentor is allocated to a trainee for a course when they share a cohort that has the course and the cohort
lets every mentor see every trainee (mentor_mode "all") or names this mentor for this trainee ("named"),
or when an admin allocated the mentor to the trainee directly (any course). The SQL forms of the rule live in
``lms.services.allocation``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Cohort, CohortMember, CohortPairing, Course, Enrolment, MentorAllocation, User
from ..pagination import clamp_page
from . import audit
from .accounts import normalize_email
from .people import Page

ROLES = ("trainee", "mentor")
MENTOR_MODES = ("all", "named")
MEMBERS_PER_PAGE = 50


class CohortError(Exception):
    def __init__(self, message):
        # Plain text: a lazy string carrying typed text would be flashed (and shown) as trusted markup.
        super().__init__(str(message))
        self.message = str(message)


@dataclass
class CohortSummary:
    cohort: Cohort
    trainees: int
    mentors: int


def list_cohorts(page: int, per_page: int) -> Page:
    """Cohorts, latest start first, with member counts: three queries per page."""
    total = db.session.scalar(select(func.count(Cohort.id)))
    page, _pages = clamp_page(page, total, per_page)
    cohorts = list(db.session.scalars(select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.id.desc())
                                      .limit(per_page).offset((page - 1) * per_page)))
    counts = {}
    if cohorts:
        counts = {(cohort_id, role): n for cohort_id, role, n in db.session.execute(
            select(CohortMember.cohort_id, CohortMember.role, func.count(CohortMember.id))
            .where(CohortMember.cohort_id.in_([c.id for c in cohorts]))
            .group_by(CohortMember.cohort_id, CohortMember.role))}
    summaries = [CohortSummary(c, counts.get((c.id, "trainee"), 0), counts.get((c.id, "mentor"), 0)) for c in cohorts]
    return Page(items=summaries, page=page, per_page=per_page, total=total)


def _check_dates(starts_on: date, ends_on: date | None) -> None:
    if ends_on is not None and ends_on < starts_on:
        raise CohortError(_l("The end date is before the start date."))


def create_cohort(name_ja: str, name_en: str, program: str, starts_on: date, ends_on: date | None) -> Cohort:
    _check_dates(starts_on, ends_on)
    cohort = Cohort(name_ja=name_ja.strip(), name_en=name_en.strip(), program=program, starts_on=starts_on,
                    ends_on=ends_on)
    db.session.add(cohort)
    db.session.flush()
    return cohort


def update_cohort(cohort: Cohort, name_ja: str, name_en: str, program: str, starts_on: date,
                  ends_on: date | None) -> None:
    """Rename or move a cohort. Due dates count from the start date, so moving it moves them too."""
    _check_dates(starts_on, ends_on)
    before = {"starts_on": cohort.starts_on.isoformat(), "ends_on": cohort.ends_on.isoformat() if cohort.ends_on else ""}
    cohort.name_ja, cohort.name_en, cohort.program = name_ja.strip(), name_en.strip(), program
    cohort.starts_on, cohort.ends_on = starts_on, ends_on
    after = {"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat() if ends_on else ""}
    if before != after:
        audit.record("cohort.dates", "cohort", cohort.id, {"cohort": cohort.name_en, "before": before, "after": after})


@dataclass
class Members:
    """One page of a cohort's people: mentors first, then trainees, with each trainee's named mentors."""

    page: Page  # items: (CohortMember, User)
    mentors: list[User]  # all the cohort's mentors (for the allocation table)
    trainees: int
    pairings: dict[int, set[int]]  # trainee id -> named mentor ids, for the trainees on this page
    unpaired: int  # trainees of the whole cohort without a named mentor (nobody reviews them in "named" mode)


def members(cohort: Cohort, page: int = 1, per_page: int = MEMBERS_PER_PAGE) -> Members:
    """Five queries, whatever the size of the cohort."""
    counts = dict(db.session.execute(select(CohortMember.role, func.count(CohortMember.id))
                                     .where(CohortMember.cohort_id == cohort.id).group_by(CohortMember.role)).all())
    total = sum(counts.values())
    page, _pages = clamp_page(page, total, per_page)
    rows = list(db.session.execute(
        select(CohortMember, User).join(User, User.id == CohortMember.user_id)
        .where(CohortMember.cohort_id == cohort.id)
        .order_by(CohortMember.role, User.name_latin, User.email, User.id)  # "mentor" before "trainee"
        .limit(per_page).offset((page - 1) * per_page)).all())
    mentors = list(db.session.scalars(
        select(User).join(CohortMember, CohortMember.user_id == User.id)
        .where(CohortMember.cohort_id == cohort.id, CohortMember.role == "mentor")
        .order_by(User.name_latin, User.email, User.id)))
    trainee_ids = [user.id for member, user in rows if member.role == "trainee"]
    pairings: dict[int, set[int]] = {}
    if trainee_ids:
        for trainee_id, mentor_id in db.session.execute(
                select(CohortPairing.trainee_id, CohortPairing.mentor_id)
                .where(CohortPairing.cohort_id == cohort.id, CohortPairing.trainee_id.in_(trainee_ids))):
            pairings.setdefault(trainee_id, set()).add(mentor_id)
    paired = select(CohortPairing.trainee_id).join(
        CohortMember, and_(CohortMember.cohort_id == CohortPairing.cohort_id, CohortMember.user_id == CohortPairing.mentor_id,
                           CohortMember.role == "mentor")).where(CohortPairing.cohort_id == cohort.id)
    unpaired = db.session.scalar(select(func.count(CohortMember.id)).where(
        CohortMember.cohort_id == cohort.id, CohortMember.role == "trainee", CohortMember.user_id.not_in(paired)))
    return Members(Page(rows, page, per_page, total), mentors, counts.get("trainee", 0), pairings, unpaired)


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
    try:
        with db.session.begin_nested():
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, role=role))
    except IntegrityError:
        raise CohortError(_l("%(email)s is already in this cohort.", email=user.email)) from None
    if role == "trainee":
        _enrol([user.id], [c.id for c in cohort.courses])
    audit.record("cohort.add", "cohort", cohort.id, {"cohort": cohort.name_en, "email": user.email, "role": role})
    return user


def get_member(cohort: Cohort, member_id: int) -> CohortMember | None:
    """A member of this cohort (with their account), for the confirmation before removing them."""
    return db.session.scalar(select(CohortMember).where(CohortMember.id == member_id,
                                                        CohortMember.cohort_id == cohort.id))


def remove_member(cohort: Cohort, member_id: int) -> None:
    """Take someone out of the cohort; enrolments and work stay (the trainee keeps their progress)."""
    member = db.session.scalar(select(CohortMember).where(CohortMember.id == member_id,
                                                          CohortMember.cohort_id == cohort.id))
    if member is None:
        return  # removed already (a second click, or another admin)
    column = CohortPairing.trainee_id if member.role == "trainee" else CohortPairing.mentor_id
    db.session.execute(delete(CohortPairing).where(CohortPairing.cohort_id == cohort.id, column == member.user_id))
    audit.record("cohort.remove", "cohort", cohort.id, {"cohort": cohort.name_en, "email": member.user.email,
                                                        "role": member.role})
    db.session.delete(member)


def set_courses(cohort: Cohort, course_ids: set[int]) -> None:
    """The cohort's courses; its trainees are enrolled in any course added."""
    courses = list(db.session.scalars(select(Course).where(Course.id.in_(course_ids)))) if course_ids else []
    before = {c.id for c in cohort.courses}
    added = {c.id for c in courses} - before
    if before != {c.id for c in courses}:
        audit.record("cohort.courses", "cohort", cohort.id, {"cohort": cohort.name_en,
                                                             "courses": sorted(c.slug for c in courses)})
    cohort.courses = courses
    trainees = list(db.session.scalars(select(CohortMember.user_id).where(
        CohortMember.cohort_id == cohort.id, CohortMember.role == "trainee")))
    _enrol(trainees, list(added))


def set_mentor_mode(cohort: Cohort, mode: str) -> None:
    if mode not in MENTOR_MODES:
        raise CohortError(_l("Choose how mentors are allocated."))
    if cohort.mentor_mode != mode:
        audit.record("cohort.mentor_mode", "cohort", cohort.id,
                     {"cohort": cohort.name_en, "before": cohort.mentor_mode, "after": mode})
        cohort.mentor_mode = mode


def set_pairings(cohort: Cohort, trainee_ids: set[int], chosen: set[tuple[int, int]]) -> None:
    """The named mentors of the listed trainees (one page of the table) become ``chosen`` (trainee, mentor) pairs.

    Pairs with people who are not (or no longer) this cohort's trainees and mentors are ignored: the table the
    admin saw may be older than the cohort.
    """
    roles = set(db.session.execute(select(CohortMember.user_id, CohortMember.role)
                                   .where(CohortMember.cohort_id == cohort.id)).all())
    trainee_ids = {t for t in trainee_ids if (t, "trainee") in roles}
    wanted = {(t, m) for t, m in chosen if t in trainee_ids and (m, "mentor") in roles and t != m}
    current = set()
    if trainee_ids:
        current = set(db.session.execute(select(CohortPairing.trainee_id, CohortPairing.mentor_id).where(
            CohortPairing.cohort_id == cohort.id, CohortPairing.trainee_id.in_(trainee_ids))).all())
    try:
        with db.session.begin_nested():  # all of it or nothing
            for trainee_id, mentor_id in current - wanted:
                db.session.execute(delete(CohortPairing).where(CohortPairing.cohort_id == cohort.id,
                                                               CohortPairing.trainee_id == trainee_id,
                                                               CohortPairing.mentor_id == mentor_id))
            for trainee_id, mentor_id in wanted - current:
                db.session.add(CohortPairing(cohort_id=cohort.id, trainee_id=trainee_id, mentor_id=mentor_id))
    except IntegrityError:
        raise CohortError(_l("Another admin changed these allocations at the same time. Check them and save again.")) from None
    if current != wanted:
        audit.record("cohort.pairings", "cohort", cohort.id, {
            "cohort": cohort.name_en, "added": len(wanted - current), "removed": len(current - wanted)})


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
    try:
        with db.session.begin_nested():
            db.session.add(MentorAllocation(mentor_id=mentor.id, trainee_id=trainee.id))
    except IntegrityError:
        return  # already allocated: nothing to do
    audit.record("mentor.allocate", "user", trainee.id, {"trainee": trainee.email, "mentor": mentor.email})


def deallocate(allocation_id: int, trainee: User) -> None:
    allocation = db.session.scalar(select(MentorAllocation).where(MentorAllocation.id == allocation_id,
                                                                  MentorAllocation.trainee_id == trainee.id))
    if allocation is None:
        return  # removed already
    mentor = db.session.get(User, allocation.mentor_id)
    audit.record("mentor.deallocate", "user", trainee.id, {"trainee": trainee.email, "mentor": mentor.email})
    db.session.delete(allocation)
