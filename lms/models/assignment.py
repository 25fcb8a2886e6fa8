"""Assignments (imported from courses/), trainees' submissions in versions, attachments, reviews, the timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .course import Course, Module
from .user import User


class Assignment(db.Model):
    # Identity: the slug within the course (from assignment-<slug>.toml), so it may move between modules.
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title_ja: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    prompt_html_ja: Mapped[str] = mapped_column(Text, default="")
    prompt_html_en: Mapped[str] = mapped_column(Text, default="")
    due_days: Mapped[int | None] = mapped_column(Integer)  # after the cohort's start
    attachment_types: Mapped[list] = mapped_column(JSON, default=list)  # empty: no attachments
    max_files: Mapped[int] = mapped_column(Integer, default=0)
    max_bytes: Mapped[int] = mapped_column(Integer, default=0)
    # [{"id", "title": {ja, en}, "guidance_html": {ja, en}}] in order
    sections: Mapped[list] = mapped_column(JSON)
    # [{"id", "title": {..}, "description_html": {..}, "levels": [{"points", "descriptor": {..}}],
    #   "min_level": points or None (a gate: approval needs at least this)}]
    criteria: Mapped[list] = mapped_column(JSON)
    pass_points: Mapped[int] = mapped_column(Integer)
    # The calibration exemplar, for mentors and admins only (never shown to trainees), or None:
    # {"answer_html": {ja, en}, "note_html": {ja, en}, "scores": [{"criterion", "points", "why_html": {ja, en}}]}
    exemplar: Mapped[dict | None] = mapped_column(JSON)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course: Mapped[Course] = relationship()
    module: Mapped[Module] = relationship()

    @property
    def allows_attachments(self) -> bool:
        return bool(self.attachment_types) and self.max_files > 0


class Submission(db.Model):
    """A trainee's work on one assignment, across all its versions."""

    __table_args__ = (UniqueConstraint("assignment_id", "user_id"),
                      Index("ix_submission_state_waiting", "state", "waiting_since"),
                      # A trainee's work in a course (outlines, standings): without it the planner walks the
                      # whole course's submissions.
                      Index("ix_submission_user_course", "user_id", "course_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    # When the current version was handed in: the queue shows the oldest first.
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Optimistic lock: every write bumps it; a write from a stale page is refused.
    lock: Mapped[int] = mapped_column(Integer, default=1)

    assignment: Mapped[Assignment] = relationship()
    user: Mapped[User] = relationship()


class SubmissionVersion(db.Model):
    """One version of the work. The latest one is editable while it is a draft; a submitted one is frozen."""

    __table_args__ = (UniqueConstraint("submission_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    sections: Mapped[dict] = mapped_column(JSON, default=dict)  # section id -> Markdown as typed
    # Sanitized HTML per section, rendered once when the version is saved.
    sections_html: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(Boolean, default=False)


class Attachment(db.Model):
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("submission_version.id", ondelete="CASCADE"), index=True)
    # The random name under instance/uploads/; several versions may share one stored file.
    stored_name: Mapped[str] = mapped_column(String(64), index=True)
    original_name: Mapped[str] = mapped_column(String(200))  # data only: shown escaped, sent quoted
    file_type: Mapped[str] = mapped_column(String(10))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Review(db.Model):
    """The review of one submitted version: a draft until released to the trainee."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("submission_version.id", ondelete="CASCADE"), unique=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    scores: Mapped[dict] = mapped_column(JSON, default=dict)  # criterion id -> points
    total: Mapped[int] = mapped_column(Integer, default=0)
    comment: Mapped[str] = mapped_column(Text, default="")  # Markdown as typed
    comment_html: Mapped[str] = mapped_column(Text, default="")
    section_comments: Mapped[dict] = mapped_column(JSON, default=dict)  # section id -> Markdown
    section_comments_html: Mapped[dict] = mapped_column(JSON, default=dict)
    decision: Mapped[str | None] = mapped_column(String(20))  # "approve" or "revise", set on release
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    reviewer: Mapped[User | None] = relationship()


class SubmissionEvent(db.Model):
    """The timeline: every transition, who made it and when."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    version_number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()


class MentorAllocation(db.Model):
    """A mentor allocated to one trainee directly (besides sharing a cohort that has the course)."""

    __table_args__ = (UniqueConstraint("mentor_id", "trainee_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(db.Model):
    """An in-app notice; its text is rendered from ``kind`` and ``params`` in the reader's language."""

    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
