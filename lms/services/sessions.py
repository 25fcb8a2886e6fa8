"""Server-side login sessions: one ``user_session`` row per login, checked on every request.

The session cookie (and the remember cookie with "keep me logged in") carries ``<user id>:<random id>``; the row
stores the random id's SHA-256. Logging out ends the row for good, so a copy of either cookie opens nothing
afterwards. A session ends at its absolute lifetime (SESSION_LIFETIME_HOURS, or SESSION_REMEMBER_DAYS with "keep me
logged in"), and without "keep me logged in" after SESSION_IDLE_MINUTES without a request: the time of the last
request is kept in the signed session cookie (refreshed at most once a minute), not in the database, so GET requests
write nothing. ``last_seen_at`` is written only for POST requests, at most once a minute, after the response, in
its own short transaction.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from datetime import timedelta

from flask import current_app, g, request, session
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import User, UserSession, utcnow

SEEN_KEY = "_seen"  # in the signed session cookie: when this browser last made a request (Unix seconds)
TOUCH_EVERY = 60  # seconds
KEPT_ACROSS_LOGIN = ("lang",)  # what a login keeps of the session before it (the language switch)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _lifetime(remember: bool) -> timedelta:
    config = current_app.config
    return (timedelta(days=config["SESSION_REMEMBER_DAYS"]) if remember
            else timedelta(hours=config["SESSION_LIFETIME_HOURS"]))


def summarize_user_agent(agent: str) -> str:
    """"Firefox on Windows": enough to recognise a device, nothing more is kept."""
    agent = agent or ""
    browser = next((name for pattern, name in (
        (r"Edg/", "Edge"), (r"OPR/|Opera", "Opera"), (r"Firefox/|FxiOS/", "Firefox"), (r"Chrome/|CriOS/", "Chrome"),
        (r"Safari/", "Safari"), (r"curl/|python|Wget", "Script")) if re.search(pattern, agent)), "")
    system = next((name for pattern, name in (
        (r"iPhone|iPad|iPod", "iOS"), (r"Android", "Android"), (r"Windows", "Windows"), (r"Mac OS X|Macintosh", "macOS"),
        (r"CrOS", "ChromeOS"), (r"Linux", "Linux")) if re.search(pattern, agent)), "")
    return " / ".join(part for part in (browser, system) if part)[:120]


def start_record(user: User, remember: bool = False, *, user_agent: str = "", ip: str = "") -> str:
    """Add a session row for ``user`` to the request's transaction; returns its raw id (for the cookies)."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    record = UserSession(user_id=user.id, token_hash=_hash(raw), remember=bool(remember), created_at=now,
                         last_seen_at=now, expires_at=now + _lifetime(remember), user_agent=user_agent, ip=ip)
    db.session.add(record)
    db.session.flush()
    return raw


def log_in(user: User, remember: bool = False) -> UserSession:
    """Start a new session for ``user`` in this browser: the session before it is cleared (a CSRF token or anything
    else issued before the login stops working), a row is added (committed with the login's request), and
    Flask-Login's cookies carry it."""
    kept = {key: session[key] for key in KEPT_ACROSS_LOGIN if key in session}
    session.clear()
    session.update(kept)
    raw = start_record(user, remember, user_agent=summarize_user_agent(request.headers.get("User-Agent", "")),
                       ip=(request.remote_addr or "")[:45])
    record = db.session.scalar(select(UserSession).where(UserSession.token_hash == _hash(raw)))
    user.session_token = raw
    session.permanent = bool(remember)  # without "keep me logged in": a browser-session cookie
    session[SEEN_KEY] = int(time.time())
    login_user(user, remember=remember, duration=_lifetime(remember) if remember else None)
    g.user_session = record
    return record


def log_out() -> None:
    """End this browser's session for good and forget it."""
    current_user.is_authenticated  # noqa: B018 (loads the user, and with it g.user_session, if not done yet)
    record = g.get("user_session")
    if record is not None:
        db.session.execute(update(UserSession).where(UserSession.id == record.id, UserSession.ended_at.is_(None))
                           .values(ended_at=utcnow()))
    logout_user()
    session.clear()


def end_all(user: User, *, keep: UserSession | None = None) -> int:
    """End every open session of ``user`` (but ``keep``) in the caller's transaction; returns how many."""
    condition = [UserSession.user_id == user.id, UserSession.ended_at.is_(None)]
    if keep is not None:
        condition.append(UserSession.id != keep.id)
    return db.session.execute(update(UserSession).where(*condition).values(ended_at=utcnow())).rowcount


def current() -> UserSession | None:
    return g.get("user_session")


def load(user_id: str) -> User | None:
    """The user loader: ``<id>:<random id>`` of an open, unexpired session of an active user, else None."""
    number, _, raw = (user_id or "").partition(":")
    if not number.isascii() or not number.isdigit() or not raw or len(raw) > 100:
        return None
    # One query for the session and its user (the user loader runs on every request).
    record = db.session.scalar(select(UserSession).options(joinedload(UserSession.user))
                               .where(UserSession.token_hash == _hash(raw)))
    now = utcnow()
    if (record is None or str(record.user_id) != number or record.ended_at is not None or record.expires_at <= now
            or not record.user.active):
        return None
    seen = session.get(SEEN_KEY)
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    if not record.remember:
        # No "keep me logged in": idle too long in this browser (or a copy of an old cookie) ends it here.
        if not isinstance(seen, int) or time.time() - seen > idle:
            return None
    if not isinstance(seen, int) or time.time() - seen >= TOUCH_EVERY:
        session[SEEN_KEY] = int(time.time())  # the signed cookie, not the database
    user = record.user
    user.session_token = raw
    g.user_session = record
    if request.method == "POST" and (now - record.last_seen_at).total_seconds() >= TOUCH_EVERY:
        # Kept with the POST's own unit of work (at most once a minute); a GET never writes, and a refused
        # POST keeps nothing, this included.
        record.last_seen_at = now
    return user


def active_for(user: User) -> list[UserSession]:
    """The open, unexpired sessions of ``user``, most recent first."""
    return list(db.session.scalars(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None), UserSession.expires_at > utcnow())
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())))
