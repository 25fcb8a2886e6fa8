"""In-app notifications and their mails, each in the recipient's language.

A notification stores a kind and parameters, not text: the list renders it in the reader's language
when it is read. ``notify`` adds the rows and their mails to the caller's transaction; the mails are sent
by the job queue after that transaction committed.
"""

from __future__ import annotations

import logging

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..extensions import db
from ..i18n import current_language
from ..models import Notification, User, utcnow
from ..urls import external_url
from . import mail

log = logging.getLogger(__name__)
PAGE_SIZE = 30


def notify(recipients: list[User], kind: str, params: dict, link: str) -> list[Notification]:
    """Add one notification per recipient, and its mail in their language, to the caller's transaction.

    The mails go out after the commit (``mail.queue``): a mail server that is down never undoes the work.
    People who switched this kind off (profile page) get neither.
    """
    recipients = [user for user in recipients if user.wants(kind)]
    added = []
    for user in recipients:
        notification = Notification(user_id=user.id, kind=kind, params=params, link=link)
        db.session.add(notification)
        added.append(notification)
    db.session.flush()
    for user, notification in zip(recipients, added):
        if user.active and user.email:
            mail.queue(user, f"notify_{kind}", key=f"notification:{notification.id}", params=params, link=link,
                       url=_base() + link, base=_base())
    return added


def notify_once(user: User, kind: str, params: dict, link: str, key: str, **mail_context) -> Notification | None:
    """A notification and its mail for one occasion (``key``, the mail's key): at most once, ever.

    Nothing when the person switched the kind off, is deactivated, or the occasion was mailed already.
    ``mail_context`` goes to the mail's template only (e.g. a long text the notification need not keep).
    """
    if not user.active or not user.email or not user.wants(kind):
        return None
    message = mail.queue(user, f"notify_{kind}", key=key, params=params, link=link, url=_base() + link,
                         base=_base(), **mail_context)
    if message is None:
        return None
    notification = Notification(user_id=user.id, kind=kind, params=params, link=link)
    db.session.add(notification)
    return notification


def _base() -> str:
    """The site's address without the trailing slash: mails join it with site-relative links."""
    return external_url("main.index").rstrip("/")


def unread_count(user: User) -> int:
    if not user.is_authenticated:
        return 0
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))


def recent(user: User, limit: int = PAGE_SIZE) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def open_notification(user: User, notification_id: int) -> Notification | None:
    """Mark one of the user's notifications read and return it (None for another person's)."""
    notification = db.session.scalar(select(Notification).where(
        Notification.id == notification_id, Notification.user_id == user.id))
    if notification is not None and notification.read_at is None:
        notification.read_at = utcnow()
    return notification


def mark_read_for(submission_link: str) -> None:
    """The review is released: every mentor's "submitted" notice for that submission is done, not new."""
    db.session.execute(update(Notification).where(
        Notification.link == submission_link, Notification.kind.in_(("submitted", "resubmitted")),
        Notification.read_at.is_(None)).values(read_at=utcnow()).execution_options(synchronize_session=False))


def mark_all_read(user: User) -> None:
    db.session.execute(update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
                       .values(read_at=utcnow()))


def text(notification: Notification) -> str:
    """The notification in the current language."""
    params = notification.params
    lang = current_language()
    assignment = params.get(f"assignment_{lang}") or params.get("assignment_en", "")
    trainee = params.get(f"trainee_{lang}") or params.get("trainee_en", "")
    if notification.kind == "submitted":
        return _("%(trainee)s submitted “%(assignment)s” (version %(n)d).",
                 trainee=trainee, assignment=assignment, n=params.get("version", 1))
    if notification.kind == "resubmitted":
        return _("%(trainee)s resubmitted “%(assignment)s” (version %(n)d).",
                 trainee=trainee, assignment=assignment, n=params.get("version", 1))
    if notification.kind == "review_released" and params.get("decision") == "approve":
        return _("Your mentor approved “%(assignment)s”.", assignment=assignment)
    if notification.kind == "review_released":
        return _("Your mentor asked for a revision of “%(assignment)s”.", assignment=assignment)
    course = params.get(f"course_{lang}") or params.get("course_en", "")
    if notification.kind == "certificate_issued":
        return _("Your certificate for “%(course)s” has been issued.", course=course)
    if notification.kind == "certificate_revoked":
        return _("Your certificate for “%(course)s” was revoked. Reason: %(reason)s",
                 course=course, reason=params.get("reason", ""))
    if notification.kind == "due_soon":
        if params.get("days") == 1:
            return _("“%(assignment)s” is due tomorrow.", assignment=assignment)
        return _("“%(assignment)s” is due in %(days)d days.", assignment=assignment, days=params.get("days", 3))
    if notification.kind == "revision_waiting":
        return _("Your mentor asked for a revision of “%(assignment)s” %(days)d days ago; it is waiting for you.",
                 assignment=assignment, days=params.get("days", 7))
    if notification.kind == "mentor_digest":
        return _("Weekly summary: %(n)d submissions are waiting for your review.", n=params.get("count", 0))
    cohort = params.get(f"cohort_{lang}") or params.get("cohort_en", "")
    if notification.kind == "admin_digest":
        return _("Weekly summary for %(cohort)s: %(stuck)d stuck trainees, %(eligible)d eligible for a certificate, "
                 "%(waiting)d reviews waiting long.", cohort=cohort, stuck=params.get("stuck_count", 0),
                 eligible=params.get("eligible_count", 0), waiting=params.get("waiting_count", 0))
    if notification.kind == "announcement":
        return _("Announcement to %(cohort)s: %(title)s", cohort=cohort,
                 title=params.get(f"title_{lang}") or params.get("title_en", ""))
    return notification.kind
