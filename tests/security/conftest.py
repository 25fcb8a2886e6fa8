"""Helpers shared by the authorization matrix and the XSS corpus: quick sign-in and cached CSRF tokens."""

from __future__ import annotations

import re

import pytest

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def sign_in(client, user):
    """Log ``client`` in as ``user`` by writing the session the login view writes.

    Equivalent to ``client.login(user)`` (a server-side session record is added; the user loader still checks
    it and ``active``), without the password round trip, so that worlds with many people stay fast.
    """
    import time

    from lms.services import sessions

    raw = client.__dict__.get("_session_token")
    if raw is None or client.__dict__.get("_session_user") != user.id or not _open(raw):
        raw = client.__dict__["_session_token"] = sessions.start_record(user)
        client.__dict__["_session_user"] = user.id
    with client.raw.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{raw}"
        session["_fresh"] = True
        session[sessions.SEEN_KEY] = int(time.time())
    return client


def _open(raw) -> bool:
    from lms.extensions import db
    from lms.models import UserSession
    from lms.services.sessions import _hash

    db.session.expire_all()
    record = db.session.query(UserSession).filter_by(token_hash=_hash(raw)).one_or_none()
    return record is not None and record.ended_at is None


def csrf(client) -> str:
    """The client's CSRF token, fetched once (it stays valid for the session)."""
    token = client.__dict__.get("_csrf_token")
    if token is None:
        token = client.__dict__["_csrf_token"] = client.csrf_token()
    return token


def post(client, url, data=None, **kwargs):
    """A POST with the client's valid CSRF token (and nothing else unless ``data`` says so)."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf(client))
    return client.raw.post(url, data=data, **kwargs)


def token_from_mail(message, kind: str) -> str:
    """The one-time token in a mail's link (``kind`` is "invitation" or "reset")."""
    body = message.get_body(preferencelist=("plain",)).get_content()
    found = re.search(rf"/auth/{kind}/([A-Za-z0-9_-]+)", body)
    assert found, f"no {kind} link in the mail"
    return found.group(1)


@pytest.fixture
def as_user(make_client):
    """``as_user(user)``: a signed-in client; ``as_user(None)``: an anonymous one."""

    def make(user=None):
        client = make_client()
        return sign_in(client, user) if user is not None else client

    return make



@pytest.fixture
def fast_sqlite(app):
    """On SQLite, commits without waiting for the disk (durability is not what these tests are about): worlds
    with hundreds of requests stay fast. Nothing changes on PostgreSQL."""
    from sqlalchemy import event

    from lms.extensions import db

    def no_sync(dbapi_connection, record):
        dbapi_connection.execute("PRAGMA synchronous=OFF")

    sqlite = db.engine.dialect.name == "sqlite"
    if sqlite:
        event.listen(db.engine, "connect", no_sync)
        db.session.remove()
        db.engine.dispose()  # connections opened so far reconnect with the setting
    yield
    if sqlite:
        event.remove(db.engine, "connect", no_sync)


# --- hostile requests

NESTED_JSON = "[" * 30000 + "]" * 30000


@pytest.fixture
def crash_as_visitor(app):
    """A crash answers as a visitor sees it (a 500 page) instead of raising into the test."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def many_parts(token: str, count: int) -> tuple[bytes, str]:
    boundary = "hostileboundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n']
    parts += [f'--{boundary}\r\nContent-Disposition: form-data; name="f{n}"\r\n\r\nx\r\n' for n in range(count)]
    body = "".join(parts) + f"--{boundary}--\r\n"
    return body.encode(), f"multipart/form-data; boundary={boundary}"


def multipart(fields: dict, files: dict | None = None) -> tuple[bytes, str]:
    """A multipart body built in memory (the test client spools big files to temporary files that stay open when
    the app refuses the body unread); ``files``: field name -> (file name, bytes)."""
    boundary = b"hostileboundary"
    chunks = []
    for name, value in fields.items():
        value = value if isinstance(value, bytes) else str(value).encode()
        chunks.append(b"--" + boundary + f'\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                      + value + b"\r\n")
    for name, (filename, data) in (files or {}).items():
        chunks.append(b"--" + boundary + f'\r\nContent-Disposition: form-data; name="{name}"; '
                      f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode("utf-8", "surrogateescape")
                      + data + b"\r\n")
    return b"".join(chunks) + b"--" + boundary + b"--\r\n", "multipart/form-data; boundary=hostileboundary"
