"""Accounts: creation, invitation, login, password reset, profile."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..i18n import LANGUAGES
from ..models import Role, Token, TokenPurpose, User, utcnow
from ..rules import email as email_rule
from ..urls import external_url
from . import audit, mail, sessions, throttles


class AccountError(Exception):
    """A refusal with a message for the user (a lazy translation)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class Profile:
    name_ja: str = ""
    name_latin: str = ""
    organisation: str = ""
    locale: str = "ja"


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def check_password_policy(password: str) -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password or "") < minimum:
        raise AccountError(_l("The password must have at least %(n)d characters.", n=minimum))


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def _apply_profile(user: User, profile: Profile) -> None:
    user.name_ja = profile.name_ja.strip()
    user.name_latin = profile.name_latin.strip()
    user.organisation = profile.organisation.strip()
    user.locale = profile.locale if profile.locale in LANGUAGES else "ja"


def _new_user(email: str, profile: Profile, roles: set[Role]) -> User:
    email = normalize_email(email)
    if not email_rule.is_address(email):
        raise AccountError(_l("Enter a valid e-mail address."))
    if find_user(email) is not None:
        raise AccountError(_l("An account with this e-mail address already exists."))
    user = User(email=email)
    _apply_profile(user, profile)
    for role in Role:
        setattr(user, f"is_{role.value}", role in roles)
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        # Two requests created the same address at once: the other one won.
        raise AccountError(_l("An account with this e-mail address already exists.")) from None
    return user


def create_user(email: str, password: str, profile: Profile, roles: set[Role]) -> User:
    """An account that can log in at once (admin-created, CLI or open registration)."""
    check_password_policy(password)
    user = _new_user(email, profile, roles)
    user.set_password(password)  # a new account has no links to void
    return user


def invite_user(email: str, profile: Profile, roles: set[Role], invited_by: User | None = None) -> User:
    """An account without a password, and a mail with a one-time link to set one."""
    user = _new_user(email, profile, roles)
    raw = _issue_invitation(user)
    _mail_invitation(user, raw, invited_by)
    return user


def add_invited_user(email: str, profile: Profile, roles: set[Role]) -> tuple[User, str]:
    """An invited account in the caller's transaction (bulk imports); queue the link with ``send_invitation``."""
    user = _new_user(email, profile, roles)
    return user, _issue_invitation(user)


def send_invitation(user: User, raw: str, invited_by: User | None = None) -> None:
    """Queue the invitation mail; it goes out after the commit (a failure is listed on the admin home)."""
    _mail_invitation(user, raw, invited_by)


def resend_invitation(user: User, invited_by: User | None = None) -> None:
    """A fresh invitation link for someone who has not set a password yet; older links stop working."""
    if user.password_hash:
        raise AccountError(_l("This person has already accepted the invitation."))
    raw = _issue_invitation(user)
    _mail_invitation(user, raw, invited_by)


def _issue_invitation(user: User) -> str:
    return _issue_token(user, TokenPurpose.INVITATION, timedelta(hours=current_app.config["INVITATION_TTL_HOURS"]))


def _mail_invitation(user: User, raw: str, invited_by: User | None) -> None:
    mail.queue(user, "invitation", key=f"invitation:{user.id}:{_hash(raw)[:16]}",
               link=external_url("auth.accept_invitation", token=raw), invited_by=invited_by,
               hours=current_app.config["INVITATION_TTL_HOURS"])


# --- one-time tokens -------------------------------------------------------------

def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _void_tokens(user: User, purpose: TokenPurpose | None = None) -> None:
    """Unused links of ``user`` (of one purpose, or all) stop working."""
    condition = [Token.user_id == user.id, Token.used_at.is_(None)]
    if purpose is not None:
        condition.append(Token.purpose == purpose.value)
    db.session.execute(update(Token).where(*condition).values(used_at=utcnow()))


def _set_password(user: User, password: str) -> None:
    """Set the password: every session ends (the caller starts a new one for this browser) and every outstanding
    link stops working."""
    user.set_password(password)
    sessions.end_all(user)
    _void_tokens(user)


def _issue_token(user: User, purpose: TokenPurpose, ttl: timedelta) -> str:
    """Store a new token's hash; earlier unused tokens of the same purpose stop working."""
    now = utcnow()
    _void_tokens(user, purpose)
    raw = secrets.token_urlsafe(32)
    db.session.flush()  # a new user gets its id
    db.session.add(Token(user_id=user.id, purpose=purpose.value, token_hash=_hash(raw), expires_at=now + ttl))
    return raw


def find_valid_token(raw: str, purpose: TokenPurpose) -> Token | None:
    token = db.session.scalar(select(Token).where(Token.token_hash == _hash(raw or ""), Token.purpose == purpose.value))
    if token is None or token.used_at is not None or token.expires_at <= utcnow() or not token.user.active:
        return None
    return token


def _redeem(raw: str, purpose: TokenPurpose, expired_message) -> User:
    """Mark the token used, exactly once even if two requests race, and return its user."""
    token = find_valid_token(raw, purpose)
    if token is None:
        raise AccountError(expired_message)
    claimed = db.session.execute(
        update(Token).where(Token.id == token.id, Token.used_at.is_(None)).values(used_at=utcnow())
    ).rowcount
    if claimed != 1:
        raise AccountError(expired_message)
    return token.user


INVITATION_INVALID = _l("This invitation link is invalid, has expired or was already used. Ask the program office for a new one.")
RESET_INVALID = _l("This password reset link is invalid, has expired or was already used. Request a new one.")


def accept_invitation(raw: str, password: str, profile: Profile) -> User:
    check_password_policy(password)
    user = _redeem(raw, TokenPurpose.INVITATION, INVITATION_INVALID)
    _apply_profile(user, profile)
    _set_password(user, password)
    return user


def request_password_reset(email: str) -> None:
    """Mail a reset link if the account exists; the caller says the same thing either way."""
    user = find_user(email)
    if user is None or not user.active:
        return
    ttl = current_app.config["PASSWORD_RESET_TTL_MINUTES"]
    raw = _issue_token(user, TokenPurpose.PASSWORD_RESET, timedelta(minutes=ttl))
    # Queued, not sent here: the answer takes the same time whether or not the account exists.
    mail.queue(user, "password_reset", key=f"password_reset:{user.id}:{_hash(raw)[:16]}",
               link=external_url("auth.reset_password", token=raw), minutes=ttl)


def reset_password(raw: str, password: str) -> User:
    check_password_policy(password)
    user = _redeem(raw, TokenPurpose.PASSWORD_RESET, RESET_INVALID)
    _set_password(user, password)  # also ends every other session
    return user


# --- login and profile -------------------------------------------------------------

# Checked when the address is unknown, so that a miss takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def authenticate(email: str, password: str) -> User | None:
    """The user if the address and password match an active account, else None."""
    user = find_user(email)
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password or "")
        _record_failed_login(email, None)
        return None
    if not user.check_password(password or "") or not user.active:
        _record_failed_login(email, user)
        return None
    user.last_login_at = utcnow()
    return user


def _record_failed_login(email: str, user: User | None) -> None:
    # Known and unknown addresses write the same row, so the answer takes as long either way; the throttles
    # count these rows (lms.services.throttles).
    throttles.record_failure(email, user)


def update_profile(user: User, profile: Profile) -> None:
    _apply_profile(user, profile)


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise AccountError(_l("The current password is not correct."))
    check_password_policy(new)
    _set_password(user, new)  # a new session nonce: other browsers are logged out


def set_language(user: User, lang: str) -> None:
    if lang in LANGUAGES and user.locale != lang:
        user.locale = lang


def update_account(user: User, *, roles: set[Role], active: bool, acting: User) -> None:
    """An admin changes roles or deactivates; nobody can lock themselves out of admin."""
    if user.id == acting.id and (Role.ADMIN not in roles or not active):
        raise AccountError(_l("You cannot remove your own administrator role or deactivate yourself."))
    before = [role.value for role in user.roles]
    for role in Role:
        setattr(user, f"is_{role.value}", role in roles)
    after = [role.value for role in user.roles]
    if before != after:
        audit.record("user.roles", "user", user.id, {"email": user.email, "before": before, "after": after},
                     actor=acting)
    if user.active and not active:
        user.session_nonce = secrets.token_urlsafe(16)
        sessions.end_all(user)  # logs them out now
        _void_tokens(user)  # and their links do not come back to life on reactivation
        audit.record("user.deactivate", "user", user.id, {"email": user.email}, actor=acting)
    elif not user.active and active:
        audit.record("user.activate", "user", user.id, {"email": user.email}, actor=acting)
    user.active = active
