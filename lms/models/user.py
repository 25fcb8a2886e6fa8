"""People and the one-time tokens sent to them."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import UTCDateTime, utcnow


class Role(str, enum.Enum):
    TRAINEE = "trainee"
    MENTOR = "mentor"
    ADMIN = "admin"

    @property
    def label(self):
        return ROLE_LABELS[self]


ROLE_LABELS = {Role.TRAINEE: _l("Trainee"), Role.MENTOR: _l("Mentor"), Role.ADMIN: _l("Administrator")}


def new_session_nonce() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # None until an invited person sets their password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    name_ja: Mapped[str] = mapped_column(String(120), default="")
    name_latin: Mapped[str] = mapped_column(String(120), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    locale: Mapped[str] = mapped_column(String(5), default="ja")
    # A person may hold several roles.
    is_trainee: Mapped[bool] = mapped_column(Boolean, default=True)
    is_mentor: Mapped[bool] = mapped_column(Boolean, default=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # A deactivated user cannot log in; their work stays.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the login cookie: changing it ends every session of this user.
    session_nonce: Mapped[str] = mapped_column(String(32), default=new_session_nonce)
    # Reminder and notification kinds this person switched off (lms.rules.reminders.KINDS).
    muted: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    # Part of the calendar feed's secret URL (an HMAC of it with the secret key): a new nonce ends the old URL.
    calendar_nonce: Mapped[str] = mapped_column(String(32), default=new_session_nonce, server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # --- Flask-Login
    @property
    def is_active(self) -> bool:
        return self.active

    # The raw id of the server-side session this object was loaded for (see services/sessions.py); it goes into
    # the session and remember cookies, so that logging out or ending the record ends every copy of them.
    session_token = None  # not a column

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token or ''}"

    # --- passwords
    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.session_nonce = new_session_nonce()

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    # --- roles
    def has_role(self, role: Role | str) -> bool:
        return bool(getattr(self, f"is_{Role(role).value}"))

    @property
    def roles(self) -> list[Role]:
        return [role for role in Role if self.has_role(role)]

    @property
    def is_staff(self) -> bool:
        """Mentors and admins may read every lesson without enrolling."""
        return self.is_mentor or self.is_admin

    def wants(self, kind: str) -> bool:
        """False when this person switched the kind of reminder or notification off."""
        return kind not in (self.muted or [])

    @property
    def display_name(self) -> str:
        from ..i18n import current_language

        first, second = (self.name_ja, self.name_latin)
        if current_language() != "ja":
            first, second = second, first
        return first or second or self.email

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class TokenPurpose(str, enum.Enum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"


class Token(db.Model):
    """A one-time, expiring token; only its SHA-256 is stored."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class UserSession(db.Model):
    """A login: the cookies carry a random id whose SHA-256 is stored here; ended for good at logout, on a password
    change or deactivation, or from the profile page ("log out everywhere else")."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Updated by POST requests only, at most once a minute (GET requests write nothing).
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(String(120), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")

    user: Mapped[User] = relationship()
