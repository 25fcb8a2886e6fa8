"""Completion certificates (snapshots, never recomputed) and the audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .course import Course
from .user import User


IN_FORCE = "revoked_at IS NULL AND replaced_at IS NULL"


class Certificate(db.Model):
    """What was certified, copied at issue time: later edits to the course or the profile change nothing here."""

    __table_args__ = (
        # At most one certificate in force per trainee and course; a revoked one, or an expired one replaced by
        # a renewal, makes room for the next. Partial unique indexes exist on both SQLite and PostgreSQL.
        Index("uq_certificate_in_force", "user_id", "course_id", unique=True,
              sqlite_where=text(IN_FORCE), postgresql_where=text(IN_FORCE)),
        Index("ix_certificate_user_course", "user_id", "course_id"),  # a trainee's certificates of a course, any state
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # URL-safe, 144 random bits: the only handle the public ever sees.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)

    holder_name_ja: Mapped[str] = mapped_column(String(120))
    holder_name_latin: Mapped[str] = mapped_column(String(120))
    course_slug: Mapped[str] = mapped_column(String(80))
    course_title_ja: Mapped[str] = mapped_column(String(200))
    course_title_en: Mapped[str] = mapped_column(String(200))
    program: Mapped[str] = mapped_column(String(20))
    # {"issuer": {"ja", "en"}, "issuer_url", "signer": {"ja", "en"}, "signer_title": {"ja", "en"},
    #  "description": {"ja", "en"}, "criteria": {"ja", "en"}}
    issuer: Mapped[dict] = mapped_column(JSON)
    # The record that earned it: {"lessons": n, "quizzes": [{"title", "percent"}], "quiz_average",
    #  "assignments": [{"title", "approved_at"}], "completed_at"}
    completion: Mapped[dict] = mapped_column(JSON)

    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # None: issued automatically

    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    # Set when an expired certificate is renewed by a new one (it stays on record as expired).
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The rendered PDF's stored name (see lms/storage.py), once rendered.
    pdf_name: Mapped[str | None] = mapped_column(String(32))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course: Mapped[Course] = relationship()

    def status(self, now: datetime) -> str:
        """"valid", "expired" or "revoked" (revocation wins)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "valid"


class AuditEvent(db.Model):
    """An append-only record of a security- or grade-relevant action; the app never edits or deletes one."""

    # The login throttles count recent failures per account, per address and per both (lms.services.throttles).
    __table_args__ = (Index("ix_audit_event_created", "created_at"),
                      Index("ix_audit_event_login_email_created", "login_email", "created_at"),
                      Index("ix_audit_event_ip_created", "ip", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)  # None: the system
    action: Mapped[str] = mapped_column(String(40), index=True)  # e.g. "certificate.issue"
    # What it acted on, e.g. ("certificate", "<public id>") or ("user", "12").
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(45), default="")
    # Login events only: the e-mail address typed, trimmed and lower-cased (the account the throttles count for).
    login_email: Mapped[str] = mapped_column(String(254), default="", server_default="")

    actor: Mapped[User | None] = relationship()
