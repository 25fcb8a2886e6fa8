"""Several app servers on one PostgreSQL and one Redis: two gunicorn servers (two workers each) on two ports and one
job worker, sharing the database, Redis and one files folder, as README "Running on several servers" describes.

Skipped unless ``LMS_MULTI_INSTANCE=1``, ``LMS_DATABASE_URL`` (a PostgreSQL database of its own: every table is
dropped and migrated again) and ``LMS_REDIS_URL`` (its database is emptied) are set; ``.ci/run`` sets them
(``make test-multi``). Every process is started here, on 127.0.0.1, and stopped here by its pid.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("LMS_MULTI_INSTANCE") != "1" or not os.environ.get("LMS_REDIS_URL")
    or not (os.environ.get("LMS_DATABASE_URL") or "").startswith("postgresql"),
    reason="several servers: set LMS_MULTI_INSTANCE=1, LMS_DATABASE_URL (PostgreSQL) and LMS_REDIS_URL "
           "(make test-multi; .ci/run does)")

PROJECT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
COURSE_TOML = '''program = "regulatory"
enrolment = "assigned"

[title]
ja = "複数サーバー講座"
en = "Several servers course"

[description]
ja = "説明です。"
en = "About the course."

[[modules]]
slug = "basics"
title = { ja = "基礎", en = "Basics" }
lessons = ["intro"]

[completion]
issue = "automatic"

[certificate]
issuer = { ja = "テスト発行者", en = "Test issuer" }
signer = { ja = "プログラム事務局", en = "Program Office" }
description = { ja = "講座を修了したことを証します。", en = "Certifies that the holder completed the course." }
'''


def _lesson(title: str) -> str:
    return f'+++\ntitle = "{title}"\nminutes = 5\n+++\n\nSome text.\n'


def _write_course(root: Path, english_title: str) -> None:
    folder = root / "several-servers"
    (folder / "basics").mkdir(parents=True, exist_ok=True)
    (folder / "course.toml").write_text(COURSE_TOML, encoding="utf-8")
    (folder / "basics/01-intro.ja.md").write_text(_lesson("はじめに"), encoding="utf-8")
    (folder / "basics/01-intro.en.md").write_text(_lesson(english_title), encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """One browser: its own cookies, sent to whichever server it asks (both are 127.0.0.1)."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str, data: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"User-Agent": "several-servers-test", "Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or (morsel["expires"] and "1970" in morsel["expires"]):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        connection.close()
        return response.status, response.headers, text

    def get(self, port, path):
        return self.request(port, "GET", path)

    def csrf(self, port, page="/auth/login") -> str:
        found = CSRF.search(self.get(port, page)[2])
        assert found, f"no CSRF token on {page}"
        return found.group(1) or found.group(2)

    def post(self, port, path, data=None, page="/auth/login"):
        return self.request(port, "POST", path, {"csrf_token": self.csrf(port, page), **(data or {})})

    def login(self, port, email, password=PASSWORD):
        return self.post(port, "/auth/login", {"email": email, "password": password})[0]


class Cluster:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.processes: list[subprocess.Popen] = []
        self.logs = []
        self.a, self.b = _free_port(), _free_port()
        self.instance = tmp / "shared-instance"  # one folder for all: the shared filesystem (uploads, PDFs, outbox)
        self.courses = tmp / "courses"
        self.env = {
            **os.environ,
            "LMS_INSTANCE_PATH": str(self.instance),
            "LMS_SECRET_KEY": "several-servers-test-secret-key-0123456789abcdef",
            "LMS_BASE_URL": f"http://127.0.0.1:{self.a}",
            "LMS_COURSES_DIR": str(self.courses),
            "LMS_SMTP_HOST": "",  # mail goes to <instance>/outbox/*.eml
            "LMS_LOGIN_RATE_LIMIT_ACCOUNT": "4 per 15 minutes",
            "LMS_RESET_RATE_LIMIT": "3 per hour",
            "LMS_JOBS_IMMEDIATE": "0",
        }
        self.env.pop("LMS_JOBS_SQLITE_FILE", None)

    def flask(self, *args) -> str:
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=PROJECT, env=self.env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def start(self, command: list[str], log: str) -> None:
        handle = open(self.tmp / log, "w")
        self.logs.append(handle)
        self.processes.append(subprocess.Popen(command, cwd=PROJECT, env=self.env, stdout=handle,
                                               stderr=subprocess.STDOUT))

    def server(self, port: int) -> None:
        self.start([sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
                    "--log-level", "warning", "wsgi:app"], f"gunicorn-{port}.log")

    def wait_for(self, port: int) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if Browser().get(port, "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"the server on {port} did not answer; see {self.tmp}")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for handle in self.logs:
            handle.close()


def _reset_database_and_redis(env: dict) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(env["LMS_DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    import redis

    redis.Redis.from_url(env["LMS_REDIS_URL"]).flushdb()


def _seed_people(env: dict) -> dict:
    """An admin, a trainee enrolled in the course, and an account that will be attacked."""
    from lms import create_app
    from lms.extensions import db
    from lms.models import Course, Enrolment, Role, User

    app = create_app({"SQLALCHEMY_DATABASE_URI": env["LMS_DATABASE_URL"], "INSTANCE_PATH": env["LMS_INSTANCE_PATH"],
                      "SECRET_KEY": env["LMS_SECRET_KEY"], "TESTING": True})
    with app.app_context():
        people = {}
        for key, role in (("admin", Role.ADMIN), ("trainee", Role.TRAINEE), ("target", Role.TRAINEE)):
            user = User(email=f"{key}@example.org", locale="en", active=True, name_latin=key.title())
            for r in Role:
                setattr(user, f"is_{r.value}", r == role)
            user.set_password(PASSWORD)
            db.session.add(user)
            people[key] = user
        db.session.flush()
        course = db.session.query(Course).filter_by(slug="several-servers").one()
        db.session.add(Enrolment(user_id=people["trainee"].id, course_id=course.id, source="admin"))
        db.session.commit()
        emails = {key: user.email for key, user in people.items()}
        db.session.remove()
        db.engine.dispose()
    return emails


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    cluster = Cluster(tmp_path_factory.mktemp("several-servers"))
    _reset_database_and_redis(cluster.env)
    cluster.flask("db", "upgrade")
    _write_course(cluster.courses, "Introduction")
    cluster.flask("lms", "import-courses")
    cluster.people = _seed_people(cluster.env)
    try:
        cluster.server(cluster.a)
        cluster.server(cluster.b)
        cluster.start([sys.executable, "-m", "flask", "--app", "wsgi", "lms", "worker"], "worker.log")
        cluster.wait_for(cluster.a)
        cluster.wait_for(cluster.b)
        yield cluster
    finally:
        cluster.stop()


def _query(env, statement, **params):
    from sqlalchemy import create_engine, text

    engine = create_engine(env["LMS_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return connection.execute(text(statement), params).all()
    finally:
        engine.dispose()


def _eventually(check, seconds=30.0):
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.25)


def test_login_throttling_counts_failures_on_both_servers(cluster):
    email = cluster.people["target"]
    attacker = Browser()
    for port in (cluster.a, cluster.b, cluster.a, cluster.b):  # 4 failures, 2 on each server: the limit
        assert attacker.login(port, email, "wrong password") == 200
    assert attacker.login(cluster.a, email) == 429  # even the right password, from this address, on either
    assert Browser().login(cluster.b, email) == 429


def _forget_rate_limit_counts(env) -> None:
    import redis

    client = redis.Redis.from_url(env["LMS_REDIS_URL"])
    for key in client.scan_iter("LIMITS:*"):
        client.delete(key)


def test_rate_limit_counts_live_in_redis(cluster):
    _forget_rate_limit_counts(cluster.env)
    visitor = Browser()
    answers = [visitor.post(port, "/auth/forgot", {"email": "nobody@example.org"}, page="/auth/forgot")[0]
               for port in (cluster.a, cluster.b, cluster.a, cluster.b)]
    assert answers == [302, 302, 302, 429]  # 3 per hour per address, counted across both servers
    _forget_rate_limit_counts(cluster.env)  # as if the hour had passed, for the tests after this one


def test_logging_out_on_one_server_ends_the_session_on_the_other(cluster):
    trainee = Browser()
    assert trainee.login(cluster.a, cluster.people["trainee"]) == 302
    assert trainee.get(cluster.b, "/dashboard")[0] == 200
    copied = Browser()
    copied.cookies = dict(trainee.cookies)  # the same cookies, kept (as a stolen copy would be)
    assert trainee.post(cluster.b, "/auth/logout", page="/dashboard")[0] == 302
    status, headers, _ = copied.get(cluster.a, "/dashboard")
    assert status == 302 and "/auth/login" in headers["Location"]


def test_a_mail_queued_by_one_server_is_delivered_once_by_the_worker(cluster):
    email = cluster.people["admin"]
    assert Browser().post(cluster.b, "/auth/forgot", {"email": email}, page="/auth/forgot")[0] == 302
    outbox = cluster.instance / "outbox"

    def delivered():
        return [p for p in outbox.glob("*.eml") if email in p.read_text(encoding="utf-8", errors="replace")] \
            if outbox.exists() else []

    assert len(_eventually(delivered)) == 1, f"no mail; see {cluster.tmp}/worker.log"
    time.sleep(3)  # a second delivery would show by now
    assert len(delivered()) == 1
    rows = _query(cluster.env, "SELECT status FROM outgoing_mail WHERE to_address = :email", email=email)
    assert [state for (state,) in rows] == ["sent"]


def test_a_course_import_is_served_by_both_servers_without_a_restart(cluster):
    trainee = Browser()
    assert trainee.login(cluster.a, cluster.people["trainee"]) == 302
    for port in (cluster.a, cluster.b):  # each worker that answers caches the outline
        for _ in range(4):
            assert "Introduction" in trainee.get(port, "/courses/several-servers/")[2]
    _write_course(cluster.courses, "Welcome to the program")
    cluster.flask("lms", "import-courses")
    for port in (cluster.a, cluster.b):
        for _ in range(4):  # whichever of the two workers answers
            html = trainee.get(port, "/courses/several-servers/")[2]
            assert "Welcome to the program" in html and "Introduction" not in html


def test_a_certificate_issued_through_one_server_verifies_through_the_other(cluster):
    trainee = Browser()
    assert trainee.login(cluster.a, cluster.people["trainee"]) == 302
    status, _, _ = trainee.post(cluster.a, "/courses/several-servers/lessons/intro/complete",
                                page="/courses/several-servers/lessons/intro")
    assert status == 302
    rows = _query(cluster.env, "SELECT c.public_id FROM certificate c JOIN \"user\" u ON u.id = c.user_id "
                               "WHERE u.email = :email", email=cluster.people["trainee"])
    assert len(rows) == 1, "the last lesson should have issued the certificate automatically"
    public_id = rows[0][0]
    status, _, html = Browser().get(cluster.b, f"/verify/{public_id}")
    assert status == 200 and "Several servers course" in html
    # The worker renders the PDF into the shared folder; both servers serve that file.
    assert _eventually(lambda: _query(cluster.env, "SELECT pdf_name FROM certificate WHERE public_id = :id",
                                      id=public_id)[0][0])
    for port in (cluster.a, cluster.b):
        status, headers, _ = trainee.get(port, f"/certificates/{public_id}.pdf")
        assert status == 200 and headers["Content-Type"] == "application/pdf"
