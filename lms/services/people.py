"""Listing people for the admin pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select, true

from ..extensions import db
from ..models import Course, Enrolment, User
from ..pagination import clamp_page, page_count


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def search_users(query: str, page: int, per_page: int) -> Page:
    """Users whose address or names contain ``query``, newest first: two queries per page."""
    condition = true()
    if query.strip():
        # Escape LIKE's wildcards: a search for "_" means the character, not "anything".
        term = query.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like, like_lower = f"%{term}%", f"%{term.lower()}%"
        condition = or_(*(column.like(pattern, escape="\\") for column, pattern in (
            (func.lower(User.email), like_lower), (func.lower(User.name_latin), like_lower),
            (User.name_ja, like), (func.lower(User.organisation), like_lower))))
    total = db.session.scalar(select(func.count(User.id)).where(condition))
    page, _pages = clamp_page(page, total, per_page)
    items = list(db.session.scalars(
        select(User).where(condition).order_by(User.created_at.desc(), User.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ))
    return Page(items=items, page=page, per_page=per_page, total=total)


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def enrolments_of(user: User) -> list[tuple[Enrolment, Course]]:
    return list(db.session.execute(
        select(Enrolment, Course).join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.user_id == user.id).order_by(Course.program, Course.position)
    ).all())


def landing_endpoint(user: User) -> str:
    """Where a person lands after login and at "/": admins on the admin home, mentors (who are not also
    trainees with enrolments) on their review queue, everyone else on the dashboard."""
    if user.is_admin:
        return "admin.home"
    if user.is_mentor and not (user.is_trainee and db.session.scalar(
            select(Enrolment.id).where(Enrolment.user_id == user.id).limit(1)) is not None):
        return "assignments.queue"
    return "learn.dashboard"
