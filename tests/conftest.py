"""Fixtures: an app on a fresh database, a client with a login helper, factories, a query counter.

The database is SQLite in a temp folder, or ``LMS_DATABASE_URL`` (PostgreSQL in CI). The schema is
created once per run; every test starts with empty tables.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import event

from lms import create_app
from lms.extensions import db, limiter
from lms.models import Course, Enrolment, Lesson, LessonCompletion, Module, Role, User

# Browser tests need Chromium and Playwright: only `make test-e2e` (LMS_E2E=1) collects them.
collect_ignore = [] if os.environ.get("LMS_E2E") else ["e2e"]

PASSWORD = "correct horse battery"
REPO = Path(__file__).resolve().parent.parent
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return os.environ.get("LMS_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


_schema_ready = set()


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production.

    The tests hold an app context open (to use ``db.session`` directly); without this, requests
    would reuse it and share ``g`` (the logged-in user, the locale) and the database session.
    """

    def open(self, *args, **kwargs):
        if _cv_app.get(None) is not None:
            # What the test wrote itself is one unit of work that ended: commit it, as its request would have,
            # so the request sees it (and SQLite's write lock is free).
            db.session.commit()
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)
            if _cv_app.get(None) is not None:
                db.session.expire_all()  # the test sees what the request wrote


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "OPEN_REGISTRATION": False,
        "PASSWORD_MIN_LENGTH": 10,
        "SMTP_HOST": None,
        "BASE_URL": "http://localhost",  # the test client's host, so absolute links resolve in tests
        "JOBS_IMMEDIATE": True,  # each job runs at once after the commit that queued it (tests/test_jobs.py: a worker)
    })
    app.test_client_class = IsolatedClient
    with app.app_context():
        limiter.reset()  # every test starts with no requests counted (all come from 127.0.0.1)
        if database_url not in _schema_ready:
            db.drop_all()
            db.create_all()
            _schema_ready.add(database_url)
        yield app
        db.session.rollback()
        db.session.remove()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        db.session.remove()
        db.engine.dispose()  # each test's app has its own pool; close it, or PostgreSQL connections leak


class Client:
    """The Flask test client plus CSRF-aware posting and login."""

    def __init__(self, flask_client):
        self.raw = flask_client

    def __getattr__(self, name):
        return getattr(self.raw, name)

    def csrf_token(self, page="/auth/forgot") -> str:
        html = self.raw.get(page).get_data(as_text=True)
        found = CSRF_INPUT.search(html)
        assert found, f"no CSRF token on {page}"
        return found.group(1) or found.group(2)

    def post_form(self, url, data=None, *, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf_token())
        return self.raw.post(url, data=data, **kwargs)

    def login(self, user_or_email, password=PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        response = self.post_form("/auth/login", {"email": email, "password": password})
        assert response.status_code == 302, f"login failed for {email}"
        return response

    def logout(self):
        return self.post_form("/auth/logout")


@pytest.fixture
def client(app):
    return Client(app.test_client())


@pytest.fixture
def make_client(app):
    return lambda: Client(app.test_client())


@pytest.fixture
def as_(make_client):
    """``as_(user)``: a client logged in as ``user``."""
    def login(user):
        client = make_client()
        client.login(user)
        return client
    return login


@pytest.fixture
def make_user(app):
    counter = iter(range(1, 100000))

    def make(role: str | Role = Role.TRAINEE, *, email=None, password=PASSWORD, locale="en", active=True, **fields):
        number = next(counter)
        user = User(email=email or f"user{number}@example.org", locale=locale, active=active,
                    name_latin=fields.pop("name_latin", f"Person {number}"), **fields)
        roles = {Role(role)} if isinstance(role, (str, Role)) else set(role)
        for r in Role:
            setattr(user, f"is_{r.value}", r in roles)
        if password:
            user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_course(app):
    """A course with ``modules`` modules of ``lessons`` lessons each, straight into the database."""
    counter = iter(range(1, 100000))

    def make(*, slug=None, modules=2, lessons=2, enrolment="open", program="entrepreneur"):
        number = next(counter)
        course = Course(slug=slug or f"course-{number}", program=program, enrolment_mode=enrolment,
                        position=number, title_ja=f"コース{number}", title_en=f"Course {number}",
                        description_html_ja="<p>説明</p>", description_html_en="<p>About</p>")
        db.session.add(course)
        db.session.flush()
        for m in range(1, modules + 1):
            module = Module(course_id=course.id, slug=f"module-{m}", position=m,
                            title_ja=f"モジュール{m}", title_en=f"Module {m}")
            db.session.add(module)
            db.session.flush()
            for n in range(1, lessons + 1):
                db.session.add(Lesson(course_id=course.id, module_id=module.id, slug=f"lesson-{m}-{n}", position=n,
                                      minutes=10, title_ja=f"レッスン{m}-{n}", title_en=f"Lesson {m}-{n}",
                                      body_html_ja=f"<p>本文{m}-{n}</p>", body_html_en=f"<p>Body {m}-{n}</p>"))
        db.session.commit()
        return course

    return make


@pytest.fixture
def enrol(app):
    def do(user, course, source="admin"):
        db.session.add(Enrolment(user_id=user.id, course_id=course.id, source=source))
        db.session.commit()

    return do


@pytest.fixture
def complete(app):
    def do(user, lessons):
        for lesson in lessons:
            db.session.add(LessonCompletion(user_id=user.id, lesson_id=lesson.id, course_id=lesson.course_id))
        db.session.commit()

    return do


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as q: ...`` then ``q.count``: SQL statements sent to the database."""

    @contextmanager
    def counting():
        counter = QueryCounter()

        def record(conn, cursor, statement, parameters, context, executemany):
            counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    return counting


@pytest.fixture
def outbox(app):
    """The mails written to instance/outbox/, oldest first, as text."""
    folder = Path(app.instance_path) / "outbox"

    def read():
        if not folder.exists():
            return []
        from email import message_from_bytes, policy

        return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))]

    return read
