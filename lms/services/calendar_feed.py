"""The personal calendar feed: assignment due dates and cohort dates as iCalendar, at a secret URL per person.

The URL is ``/calendar/<user id>/<token>.ics`` where the token is an HMAC (SHA-256) of
``calendar:<user id>:<calendar nonce>`` with the app's secret key: nothing secret is stored, and a new nonce
(the profile page's reset) makes the old URL a 404. The feed is read without login (calendar programs have
no session); it never writes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, func, select

from ..extensions import db
from ..i18n import localized
from ..models import Assignment, Cohort, CohortCourse, CohortMember, Course, Enrolment, User
from ..rules import ical, review
from ..urls import external_url

TOKEN_LENGTH = 40  # hex characters of the HMAC: 160 bits


def token_for(user: User) -> str:
    message = f"calendar:{user.id}:{user.calendar_nonce}".encode()
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:TOKEN_LENGTH]


def feed_url(user: User) -> str:
    return external_url("calendar.feed", user_id=user.id, token=token_for(user))


def user_for(user_id: int, token: str) -> User | None:
    """The active person this token belongs to, or None (a wrong, old or someone else's token)."""
    user = db.session.get(User, user_id)
    if user is None or not user.active or not user.calendar_nonce:
        return None
    return user if hmac.compare_digest(token_for(user), token or "") else None


def reset(user: User) -> None:
    """A new nonce: the old URL stops working."""
    user.calendar_nonce = secrets.token_urlsafe(16)


def events(user: User) -> tuple[list[ical.Event], str]:
    """Due dates of the assignments of the person's courses (from their cohorts' start) and their cohorts'
    first and last days, in their language, and the calendar's name: three queries."""
    host = "skyfront-lms"
    found = []
    with force_locale(user.locale or "ja"):
        # The earliest start of a cohort that has this trainee and the course (as assignments.due_for).
        starts = dict(db.session.execute(
            select(CohortCourse.course_id, func.min(Cohort.starts_on))
            .join(Cohort, Cohort.id == CohortCourse.cohort_id)
            .join(CohortMember, and_(CohortMember.cohort_id == Cohort.id, CohortMember.role == "trainee"))
            .where(CohortMember.user_id == user.id)
            .group_by(CohortCourse.course_id)).all())
        rows = db.session.execute(
            select(Assignment, Course)
            .join(Course, Course.id == Assignment.course_id)
            .join(Enrolment, and_(Enrolment.course_id == Course.id, Enrolment.user_id == user.id))
            .where(Assignment.due_days.is_not(None), Assignment.archived_at.is_(None))
            .order_by(Course.position, Assignment.position, Assignment.id)).all()
        for assignment, course in rows:
            due = review.due_at(starts.get(course.id), assignment.due_days)
            if due is None:
                continue
            found.append(ical.Event(
                uid=f"assignment-{assignment.id}-{user.id}@{host}",
                summary=_("Due: %(assignment)s", assignment=localized(assignment, "title")),
                start=due, description=localized(course, "title"),
                url=external_url("assignments.assignment_page", slug=course.slug, assignment_slug=assignment.slug)))
        for cohort in db.session.scalars(select(Cohort).where(Cohort.id.in_(
                select(CohortMember.cohort_id).where(CohortMember.user_id == user.id))).order_by(Cohort.starts_on)):
            name = localized(cohort, "name")
            found.append(ical.Event(uid=f"cohort-{cohort.id}-start-{user.id}@{host}",
                                    summary=_("%(cohort)s starts", cohort=name), start=cohort.starts_on))
            if cohort.ends_on:
                found.append(ical.Event(uid=f"cohort-{cohort.id}-end-{user.id}@{host}",
                                        summary=_("%(cohort)s ends", cohort=name), start=cohort.ends_on))
        name = _("Skyfront LMS: %(name)s", name=user.display_name)
    return found, name


def feed(user: User, now: datetime) -> str:
    found, name = events(user)
    return ical.calendar(found, name=name, stamp=now)
