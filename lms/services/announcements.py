"""Program office announcements to a cohort: written in both languages, shown in-app, mailed to each member.

An announcement is readable by the cohort's members (trainees and mentors) and by staff (mentors and admins);
each active member gets a notification and a mail in their language, once (key ``announcement:<id>:<user>``),
unless they switched announcements off. Posting one is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from ..extensions import db
from ..models import Announcement, Cohort, CohortMember, User
from ..rules.reminders import ANNOUNCEMENT
from ..sanitize import render_markdown
from ..urls import site_path
from . import audit, notifications

MAX_TITLE, MAX_BODY = 200, 20_000
DASHBOARD_LIMIT = 5


class AnnouncementError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class Draft:
    title_ja: str
    title_en: str
    body_ja: str
    body_en: str


def post(cohort: Cohort, author: User, draft: Draft) -> Announcement:
    """Save the announcement, notify and mail every active member of the cohort, record it in the audit log."""
    texts = {name: (getattr(draft, name) or "").replace("\r\n", "\n").strip() for name in
             ("title_ja", "title_en", "body_ja", "body_en")}
    if not all(texts.values()):
        raise AnnouncementError(_l("Write the title and the text in both languages."))
    if max(len(texts["title_ja"]), len(texts["title_en"])) > MAX_TITLE or \
            max(len(texts["body_ja"]), len(texts["body_en"])) > MAX_BODY:
        raise AnnouncementError(_l("The title or the text is too long."))
    announcement = Announcement(cohort_id=cohort.id, author_id=author.id, **texts,
                                body_html_ja=render_markdown(texts["body_ja"]),
                                body_html_en=render_markdown(texts["body_en"]))
    db.session.add(announcement)
    db.session.flush()
    members = list(db.session.scalars(
        select(User).where(exists(select(CohortMember.id).where(CohortMember.cohort_id == cohort.id,
                                                                CohortMember.user_id == User.id)),
                           User.active.is_(True)).order_by(User.id)))
    params = {"announcement": announcement.id, "title_ja": announcement.title_ja, "title_en": announcement.title_en,
              "cohort_ja": cohort.name_ja, "cohort_en": cohort.name_en}
    link = site_path("announcements.show", announcement_id=announcement.id)
    body = {"ja": announcement.body_ja, "en": announcement.body_en}
    notified = 0
    for member in members:
        if notifications.notify_once(member, ANNOUNCEMENT, params, link,
                                     f"announcement:{announcement.id}:{member.id}", body=body):
            notified += 1
    audit.record("announcement.post", "cohort", cohort.id,
                 {"announcement": announcement.id, "title_en": announcement.title_en, "recipients": notified},
                 actor=author)
    return announcement


def is_member(user: User, cohort_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(CohortMember.cohort_id == cohort_id,
                                                        CohortMember.user_id == user.id))))


def readable(user: User, announcement_id: int) -> Announcement | None:
    """The announcement if ``user`` may read it (a member of its cohort, or staff); None otherwise."""
    announcement = db.session.get(Announcement, announcement_id)
    if announcement is None or not user.is_authenticated:
        return None
    if user.is_staff or is_member(user, announcement.cohort_id):
        return announcement
    return None


def of_cohort(cohort: Cohort) -> list[Announcement]:
    return list(db.session.scalars(select(Announcement).where(Announcement.cohort_id == cohort.id)
                                   .order_by(Announcement.created_at.desc(), Announcement.id.desc())))


def for_member(user: User, limit: int = DASHBOARD_LIMIT) -> list[Announcement]:
    """The latest announcements to the cohorts this person belongs to: one query."""
    return list(db.session.scalars(
        select(Announcement).where(Announcement.cohort_id.in_(
            select(CohortMember.cohort_id).where(CohortMember.user_id == user.id)))
        .order_by(Announcement.created_at.desc(), Announcement.id.desc()).limit(limit)))
