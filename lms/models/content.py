"""Content operations: every published version of a course (its package) and the pairing of its two languages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .course import Course
from .user import User


class CourseVersion(db.Model):
    """One publish of a course: the package (a zip of its folder in the courses/ format), who, when, from where.

    The number is unique per course, so two admins publishing at once cannot both make version n + 1."""

    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(10))  # "cli", "upload" or "rollback"
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sha256: Mapped[str] = mapped_column(String(64))
    # {"counts": {...}, "changes": {...}} (lms/content/diff.py)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    package: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    course: Mapped[Course] = relationship()
    user: Mapped[User | None] = relationship()


class TranslationState(db.Model):
    """The pairing of one unit's two languages (a lesson, a question, a quiz, an assignment, the course or a module).

    ``hash_ja``/``hash_en``: the texts as last imported; ``synced_ja``/``synced_en``: as they were when both languages
    were last in step. ``stale`` names the language that is behind (None: in step); ``changed_at`` is when the other
    language changed."""

    __table_args__ = (UniqueConstraint("course_id", "unit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    unit: Mapped[str] = mapped_column(String(200))  # "lesson:<slug>", "question:<module>/<id>", ...
    label: Mapped[str] = mapped_column(String(300), default="")  # the English title, for lists
    paths: Mapped[dict] = mapped_column(JSON, default=dict)  # {"ja": "course/module/01-x.ja.md", "en": ...}
    hash_ja: Mapped[str] = mapped_column(String(64))
    hash_en: Mapped[str] = mapped_column(String(64))
    synced_ja: Mapped[str] = mapped_column(String(64))
    synced_en: Mapped[str] = mapped_column(String(64))
    stale: Mapped[str | None] = mapped_column(String(2))
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)  # the unit is no longer in the course

    course: Mapped[Course] = relationship()
