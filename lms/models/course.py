"""Course content, imported from courses/ (see lms/content)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class Course(db.Model):
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    program: Mapped[str] = mapped_column(String(20))  # "entrepreneur" or "regulatory"
    enrolment_mode: Mapped[str] = mapped_column(String(10), default="open")  # "open" or "assigned"
    position: Mapped[int] = mapped_column(Integer, default=0)
    # A named cover colour from course.toml (lms.content.loader.COVERS); "" means the program's default.
    cover: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # An optional cover image from the course folder (course.toml cover_image), loaded only when served; the
    # digest names it in its URL so that it can be cached for good.
    cover_image: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))
    cover_image_type: Mapped[str] = mapped_column(String(20), default="", server_default="")
    cover_image_digest: Mapped[str] = mapped_column(String(16), default="", server_default="")
    title_ja: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    # Sanitized HTML, rendered once at import.
    description_html_ja: Mapped[str] = mapped_column(Text, default="")
    description_html_en: Mapped[str] = mapped_column(Text, default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # From course.toml [completion]: {"lessons"/"quizzes"/"assignments": "all" or a list of slugs,
    # "min_quiz_score": float | None, "issue": "automatic" | "admin", "valid_months": int | None}
    completion_rules: Mapped[dict] = mapped_column(JSON, default=dict)
    # From course.toml [certificate]: {"issuer": {ja, en}, "issuer_url", "signer": {ja, en}, "signer_title": {ja, en}}
    certificate_info: Mapped[dict] = mapped_column(JSON, default=dict)

    modules: Mapped[list["Module"]] = relationship(
        back_populates="course", order_by="Module.position", cascade="all, delete-orphan"
    )

    @property
    def self_enrolment(self) -> bool:
        return self.enrolment_mode == "open"


class Module(db.Model):
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title_ja: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    summary_ja: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    # Set when the module disappears from course.toml; kept because progress may refer to it.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list["Lesson"]] = relationship(
        back_populates="module", order_by="Lesson.position", cascade="all, delete-orphan"
    )


class Lesson(db.Model):
    # A lesson's identity is its slug within the course, so it may move between modules.
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    title_ja: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    # Deferred: outlines and dashboards list many lessons and never need their text.
    body_html_ja: Mapped[str] = mapped_column(Text, default="", deferred=True)
    body_html_en: Mapped[str] = mapped_column(Text, default="", deferred=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    module: Mapped[Module] = relationship(back_populates="lessons")


class ContentVersion(db.Model):
    """One row: a number raised by every change to course content (an import, a publish, any write to a course,
    module, lesson, quiz, question or assignment), in the same transaction. Each process caches course outlines
    under this number (``services/outline_cache.py``), so no process serves an outline older than the database's."""

    __tablename__ = "content_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


# create_all (tests, the bench) gets the one row the migration inserts.
event.listen(ContentVersion.__table__, "after_create",
             DDL("INSERT INTO content_version (id, version) VALUES (1, 1)"))
