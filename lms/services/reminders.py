"""Reminders and weekly digests, each a notification and a mail in the recipient's language.

Every occasion has a key (the mail's): ``due3:<user>:<assignment>:<due day>``, ``revision7:<review>``,
``mentor_digest:<mentor>:<Monday>``, ``admin_digest:<cohort>:<admin>:<Monday>``. ``notifications.notify_once``
adds the notification only when the key is new, so running a task twice sends nothing twice; a kind someone
switched off on their profile page is not sent to them at all. The periodic tasks in ``lms.tasks`` call these
with the clock's time; the tests call them with a time of their own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from ..extensions import db
from ..models import (Assignment, Cohort, CohortCourse, CohortMember, Course, Review, Submission, SubmissionVersion,
                      User)
from ..rules import reminders as rules
from ..rules import review
from ..urls import site_path
from . import attention, notifications
from .assignments import allocated_to

DIGEST_ITEMS = 30  # a digest lists this many items per section; the counts say how many there are in all


def kinds_for(user: User) -> list[str]:
    """What this person may switch off (the kinds of their roles)."""
    return rules.kinds_for(role.value for role in user.roles)


def set_muted(user: User, wanted: set[str]) -> None:
    """Keep the kinds ``wanted`` on and switch off the other kinds this person's roles have."""
    relevant = set(kinds_for(user))
    kept = [kind for kind in (user.muted or []) if kind not in relevant]  # kinds of a role they no longer hold
    user.muted = sorted(set(kept) | (relevant - set(wanted)))


def _name(user: User) -> dict:
    return {"ja": user.name_ja or user.name_latin or user.email, "en": user.name_latin or user.name_ja or user.email}


def _titles(row) -> dict:
    return {"ja": row.title_ja, "en": row.title_en}


def _assignment_link(course: Course, assignment: Assignment) -> str:
    return site_path("assignments.assignment_page", slug=course.slug, assignment_slug=assignment.slug)


# --- trainees


def due_reminders(now: datetime) -> int:
    """Assignments due in 3 and in 1 Tokyo days that the trainee has not submitted: four queries, then the mails."""
    starts = db.session.execute(
        select(CohortMember.user_id, Assignment.id, func.min(Cohort.starts_on))
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .join(CohortCourse, CohortCourse.cohort_id == Cohort.id)
        .join(Assignment, Assignment.course_id == CohortCourse.course_id)
        .where(CohortMember.role == "trainee", Assignment.due_days.is_not(None), Assignment.archived_at.is_(None))
        .group_by(CohortMember.user_id, Assignment.id)).all()
    if not starts:
        return 0
    assignments = {a.id: a for a in db.session.scalars(select(Assignment).where(
        Assignment.id.in_({assignment_id for _, assignment_id, _ in starts})))}
    due = []  # (user id, assignment, due moment, days)
    for user_id, assignment_id, start in starts:
        assignment = assignments[assignment_id]
        moment = review.due_at(start, assignment.due_days)  # the rule of assignments.due_for
        days = rules.due_reminder(now, moment)
        if days is not None:
            due.append((user_id, assignment, moment, days))
    if not due:
        return 0
    user_ids = {user_id for user_id, *_ in due}
    handed_in = set(db.session.execute(select(Submission.user_id, Submission.assignment_id).where(
        Submission.user_id.in_(user_ids), Submission.state != review.DRAFT)).all())
    users = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_(user_ids), User.active.is_(True), User.is_trainee.is_(True)))}
    courses = {c.id: c for c in db.session.scalars(select(Course).where(
        Course.id.in_({a.course_id for _, a, _, _ in due})))}
    sent = 0
    for user_id, assignment, moment, days in due:
        user = users.get(user_id)
        if user is None or (user_id, assignment.id) in handed_in:
            continue
        course = courses[assignment.course_id]
        key = f"due{days}:{user_id}:{assignment.id}:{moment.astimezone(rules.TOKYO).date().isoformat()}"
        params = {"assignment_ja": assignment.title_ja, "assignment_en": assignment.title_en,
                  "course_ja": course.title_ja, "course_en": course.title_en, "days": days,
                  "due": moment.isoformat()}
        if notifications.notify_once(user, rules.DUE_SOON, params, _assignment_link(course, assignment), key):
            sent += 1
    return sent


def revision_reminders(now: datetime) -> int:
    """Revisions requested at least 7 days ago with nothing saved since: two queries, then the mails."""
    released = (select(Review.version_id, Review.id.label("review_id"), Review.released_at)
                .where(Review.decision == "revise", Review.released_at.is_not(None)).subquery())
    rows = db.session.execute(
        select(Submission, func.max(released.c.released_at), func.max(released.c.review_id),
               func.max(SubmissionVersion.saved_at))
        .join(SubmissionVersion, SubmissionVersion.submission_id == Submission.id)
        .outerjoin(released, released.c.version_id == SubmissionVersion.id)
        .where(Submission.state == review.REVISION_REQUESTED)
        .group_by(Submission.id)).all()
    waiting = [(s, review_id, released_at) for s, released_at, review_id, saved_at in rows
               if rules.revision_untouched(now, released_at, saved_at)]
    if not waiting:
        return 0
    users = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({s.user_id for s, *_ in waiting}), User.active.is_(True)))}
    sent = 0
    for submission, review_id, released_at in waiting:
        user = users.get(submission.user_id)
        if user is None:
            continue
        assignment, course = submission.assignment, submission.assignment.course
        params = {"assignment_ja": assignment.title_ja, "assignment_en": assignment.title_en,
                  "course_ja": course.title_ja, "course_en": course.title_en,
                  "days": rules.REVISION_WAITING_DAYS, "requested": released_at.isoformat()}
        if notifications.notify_once(user, rules.REVISION_WAITING, params, _assignment_link(course, assignment),
                                     f"revision7:{review_id}"):
            sent += 1
    return sent


def send_reminders(now: datetime) -> int:
    """Everything the hourly task sends; idempotent (keys)."""
    return due_reminders(now) + revision_reminders(now)


# --- mentors


def mentor_digests(now: datetime) -> int:
    """To each active mentor with work waiting: the submissions they may review, oldest first, with links."""
    week = rules.week_of(now).isoformat()
    sent = 0
    for mentor in db.session.scalars(select(User).where(User.is_mentor.is_(True), User.active.is_(True))
                                     .order_by(User.id)):
        if not mentor.wants(rules.MENTOR_DIGEST):
            continue
        scope = (Submission.state.in_(review.WAITING), Submission.user_id != mentor.id,
                 allocated_to(mentor.id, Submission.user_id, Submission.course_id))
        count = db.session.scalar(select(func.count(Submission.id)).where(*scope))
        if not count:
            continue
        rows = db.session.execute(
            select(Submission, User, Assignment, Course)
            .join(User, User.id == Submission.user_id)
            .join(Assignment, Assignment.id == Submission.assignment_id)
            .join(Course, Course.id == Submission.course_id)
            .where(*scope)
            .order_by(Submission.waiting_since.is_(None), Submission.waiting_since, Submission.id)
            .limit(DIGEST_ITEMS)).all()
        items = [{"trainee": _name(u), "assignment": _titles(a), "course": _titles(c),
                  "since": s.waiting_since.isoformat() if s.waiting_since else None,
                  "link": site_path("assignments.review_page", submission_id=s.id)} for s, u, a, c in rows]
        params = {"count": count, "items": items, "week": week}
        if notifications.notify_once(mentor, rules.MENTOR_DIGEST, params, site_path("assignments.queue"),
                                     f"mentor_digest:{mentor.id}:{week}"):
            sent += 1
    return sent


# --- the program office


def admin_digests(now: datetime) -> int:
    """To each active admin, per running cohort with something to act on: stuck trainees, eligible trainees
    without a certificate, reviews waiting longer than REVIEW_WAITING_DAYS days."""
    admins = [a for a in db.session.scalars(select(User).where(User.is_admin.is_(True), User.active.is_(True))
                                            .order_by(User.id)) if a.wants(rules.ADMIN_DIGEST)]
    if not admins:
        return 0
    week = rules.week_of(now).isoformat()
    sent = 0
    for digest in attention.cohort_digests(now):
        if digest.empty:
            continue
        cohort = digest.cohort
        params = {
            "cohort_ja": cohort.name_ja, "cohort_en": cohort.name_en, "week": week,
            "waiting_days": attention.waiting_days(),
            "stuck_count": len(digest.stuck), "eligible_count": len(digest.eligible),
            "waiting_count": len(digest.waiting),
            "stuck": [{"trainee": _name(r.trainee), "course": _titles(r.course), "days": r.days_idle}
                      for r in digest.stuck[:DIGEST_ITEMS]],
            "eligible": [{"trainee": _name(r.trainee), "course": _titles(r.course),
                          "link": site_path("certificates.admin_index", course=r.course.slug, cohort=cohort.id,
                                            show="eligible")} for r in digest.eligible[:DIGEST_ITEMS]],
            "waiting": [{"trainee": _name(r.trainee), "assignment": _titles(r.assignment), "days": r.days,
                         "link": site_path("assignments.review_page", submission_id=r.submission.id)}
                        for r in digest.waiting[:DIGEST_ITEMS]],
            "report": site_path("reports.report", cohort_id=cohort.id),
        }
        for admin in admins:
            if notifications.notify_once(admin, rules.ADMIN_DIGEST, params,
                                         site_path("admin.cohort", cohort_id=cohort.id),
                                         f"admin_digest:{cohort.id}:{admin.id}:{week}"):
                sent += 1
    return sent


def send_digests(now: datetime) -> int:
    return mentor_digests(now) + admin_digests(now)
