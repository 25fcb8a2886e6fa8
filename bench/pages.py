"""The key pages and how one request to each is made, timed and its SQL statements counted.

``PAGES`` is the single list the bench measures and ``tests/test_bench.py`` checks; ``request_once``
is the single way both make a request, so the two cannot drift apart.
"""

from __future__ import annotations

import math
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from flask import Flask
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import event, select

from lms import storage
from lms.extensions import db
from lms.models import Certificate, Quiz, User
from lms.services import certificates
from lms.services import quizzes as quiz_service

from .app import TRIVIAL_PATH, USER_AGENT
from .seed import World, stored_answer

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


class BenchError(Exception):
    pass


class BenchClient(FlaskClient):
    """Each request in its own app context, as in production (and as the test suite's client does)."""

    def open(self, *args, **kwargs):
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)
            if _cv_app.get(None) is not None:
                db.session.expire_all()


@dataclass
class Clients:
    """A logged-in trainee, mentor and admin, and an anonymous visitor; the CSRF token of each session."""

    by_role: dict[str, FlaskClient]
    csrf: dict[str, str]

    def cookie(self, role: str) -> str | None:
        found = self.by_role[role].get_cookie("session")
        return found.value if found is not None else None


def _client(app: Flask) -> FlaskClient:
    client = BenchClient(app, app.response_class, use_cookies=True)
    client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
    return client


def login(app: Flask, email: str, password: str) -> tuple[FlaskClient, str]:
    client = _client(app)
    page = client.get("/auth/login")
    found = CSRF_INPUT.search(page.get_data(as_text=True))
    if not found:
        raise BenchError("no CSRF token on /auth/login")
    token = found.group(1) or found.group(2)
    response = client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token})
    if response.status_code != 302:
        raise BenchError(f"login failed for {email}: {response.status_code}")
    # A login starts a new session, so the token from before it no longer works: take the session's own.
    found = CSRF_INPUT.search(client.get("/account/").get_data(as_text=True))
    if not found:
        raise BenchError("no CSRF token on /account/")
    return client, found.group(1) or found.group(2)  # valid for the session (WTF_CSRF_TIME_LIMIT is None)


def make_clients(app: Flask, world: World) -> Clients:
    trainee, trainee_csrf = login(app, world.trainee_email, world.password)
    mentor, mentor_csrf = login(app, world.mentor_email, world.password)
    admin, admin_csrf = login(app, world.admin_email, world.password)
    return Clients({"trainee": trainee, "mentor": mentor, "admin": admin, "anonymous": _client(app)},
                   {"trainee": trainee_csrf, "mentor": mentor_csrf, "admin": admin_csrf, "anonymous": ""})


@dataclass(frozen=True)
class Prepared:
    """A request made ready before it is timed (a fresh attempt to submit, a PDF to render again)."""

    url: str
    data: dict | None = None


@dataclass(frozen=True)
class Page:
    key: str
    title: str
    who: str  # "trainee", "mentor", "admin" or "anonymous"
    url: Callable[[World], str]
    method: str = "GET"
    status: int = 200
    prepare: Callable[[Flask, World, Clients], Prepared] | None = None  # untimed, before every request
    samples: int | None = None  # None: the run's default
    p95_target_ms: float | None = 50.0
    ratio_target: float | None = None  # throughput as a share of the trivial route's
    hello_target: float | None = None  # throughput as a share of a hello-world Flask app's (bench/hello.py)
    load: bool = True  # also measured under gunicorn + wrk (GET pages that need no per-request set-up)


def _fresh_attempt(app: Flask, world: World, clients: Clients) -> Prepared:
    """Start a new attempt at the submit quiz and answer every question, as the trainee would have."""
    with app.app_context():
        user = db.session.get(User, world.trainee_id)
        quiz = db.session.get(Quiz, world.submit_quiz_id)
        attempt = quiz_service.start_attempt(user, quiz)
        questions = quiz_service.questions_for(attempt)
        quiz_service.save_answers(attempt, {qid: stored_answer(questions[qid], correct=qid % 3 != 0)
                                            for qid in attempt.layout["questions"]})
        attempt_id = attempt.id
        db.session.commit()
        db.session.remove()
    return Prepared(f"/quiz-attempts/{attempt_id}/submit", {"csrf_token": clients.csrf["trainee"]})


def _export(kind: str) -> Callable[[Flask, World, Clients], Prepared]:
    def prepare(app: Flask, world: World, clients: Clients) -> Prepared:
        return Prepared(f"/admin/cohorts/{world.cohort_id}/{kind}.csv", {"csrf_token": clients.csrf["admin"]})
    return prepare


def _forget_pdf(app: Flask, world: World, clients: Clients) -> Prepared:
    """Drop the stored PDF, so that the next request renders it again (a "first" request)."""
    with app.app_context():
        certificate = db.session.scalar(select(Certificate).where(Certificate.public_id == world.certificate_id))
        if certificate.pdf_name:
            storage.delete(certificate.pdf_name)
            certificate.pdf_name = None
            db.session.commit()
        db.session.remove()
    return Prepared(_pdf_url(world))


def _stored_pdf(app: Flask, world: World, clients: Clients) -> Prepared:
    """Store the PDF as the render job does after issuing (the seed writes certificates directly, and no worker
    runs during the bench), so that requests measure serving the stored file."""
    with app.app_context():
        certificate = db.session.scalar(select(Certificate).where(Certificate.public_id == world.certificate_id))
        if not certificate.pdf_name:
            certificates.store_pdf(certificate)
            db.session.commit()
        db.session.remove()
    return Prepared(_pdf_url(world))


def _pdf_url(world: World) -> str:
    return f"/certificates/{world.certificate_id}.pdf"


TRIVIAL = Page("trivial", "Trivial route (baseline, bench-only)", "trainee", lambda w: TRIVIAL_PATH,
               p95_target_ms=None, hello_target=0.80)

PAGES: list[Page] = [
    Page("dashboard", "Trainee dashboard", "trainee", lambda w: "/dashboard", hello_target=0.10),
    Page("course", "Course page", "trainee", lambda w: f"/courses/{w.course_slug}/", hello_target=0.08),
    Page("lesson", "Lesson", "trainee", lambda w: f"/courses/{w.course_slug}/lessons/{w.lesson_slug}",
         ratio_target=0.5, hello_target=0.10),
    Page("quiz_attempt", "Quiz attempt page", "trainee", lambda w: f"/quiz-attempts/{w.attempt_id}",
         hello_target=0.10),
    Page("quiz_submit", "Quiz submit (POST, grades)", "trainee", lambda w: "", method="POST", status=302,
         prepare=_fresh_attempt, load=False),
    Page("mentor_queue", "Mentor review queue", "mentor", lambda w: "/reviews/", hello_target=0.05),
    Page("review", "Review page", "mentor", lambda w: f"/submissions/{w.review_submission_id}", hello_target=0.05),
    Page("pdf_first", "Certificate PDF, before the render job stored it", "trainee", _pdf_url, prepare=_forget_pdf, samples=12,
         p95_target_ms=500.0, load=False),
    Page("pdf_cached", "Certificate PDF, stored by the render job", "trainee", _pdf_url, prepare=_stored_pdf),
    Page("verify", "Verification page", "anonymous", lambda w: f"/verify/{w.verify_id}", ratio_target=0.5),
    Page("verify_json", "Verification JSON", "anonymous", lambda w: f"/api/v1/certificates/{w.verify_id}",
         ratio_target=0.5),
    Page("admin_people", "Admin: people list", "admin", lambda w: "/admin/users"),
    Page("admin_cohorts", "Admin: cohort list", "admin", lambda w: "/admin/cohorts"),
    Page("admin_cohort", "Admin: cohort page (people, named mentors)", "admin",
         lambda w: f"/admin/cohorts/{w.cohort_id}"),
    Page("cohort_report", "Cohort report (matrix, stages, charts)", "admin",
         lambda w: f"/admin/cohorts/{w.cohort_id}/report", p95_target_ms=100.0, hello_target=0.01),
    Page("report_csv", "Cohort report CSV (streamed, whole cohort; a POST: each export is recorded)", "admin",
         lambda w: "", method="POST", prepare=_export("report"), p95_target_ms=500.0, load=False),
    Page("grades_csv", "Grades CSV (streamed, whole cohort; a POST: each export is recorded)", "admin",
         lambda w: "", method="POST", prepare=_export("grades"), p95_target_ms=500.0, load=False),
    Page("audit_log", "Admin: audit log", "admin", lambda w: "/admin/audit"),
]

# Asked for by an issue, not in the app yet: listed, not invented.
NOT_BUILT: list[tuple[str, str]] = []


@dataclass
class Sample:
    ms: float
    queries: int
    status: int


def engine_of(app: Flask):
    with app.app_context():
        return db.engine


def request_once(app: Flask, engine, page: Page, world: World, clients: Clients) -> Sample:
    """One request to ``page``: server time in ms (body included) and SQL statements sent."""
    prepared = page.prepare(app, world, clients) if page.prepare else Prepared(page.url(world))
    client = clients.by_role[page.who]
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        started = time.perf_counter()
        response = client.open(prepared.url, method=page.method, data=prepared.data)
        response.get_data()
        elapsed = (time.perf_counter() - started) * 1000
    finally:
        event.remove(engine, "before_cursor_execute", record)
    response.close()
    if response.status_code != page.status:
        raise BenchError(f"{page.key}: {page.method} {prepared.url} answered {response.status_code}, "
                         f"expected {page.status}")
    return Sample(elapsed, len(statements), response.status_code)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def measure_page(app: Flask, engine, page: Page, world: World, clients: Clients, samples: int = 40,
                 warmup: int = 3) -> dict:
    count = page.samples or samples
    for _ in range(min(warmup, 1) if page.prepare else warmup):
        request_once(app, engine, page, world, clients)
    taken = [request_once(app, engine, page, world, clients) for _ in range(count)]
    times = [s.ms for s in taken]
    queries = Counter(s.queries for s in taken)
    return {
        "samples": count,
        "queries": queries.most_common(1)[0][0],
        "queries_min": min(queries),
        "queries_max": max(queries),
        "median_ms": statistics.median(times),
        "p95_ms": percentile(times, 0.95),
        "max_ms": max(times),
    }


def measure_all(app: Flask, world: World, samples: int = 40, progress=print) -> dict[str, dict]:
    engine = engine_of(app)
    clients = make_clients(app, world)
    results = {}
    for page in [TRIVIAL, *PAGES]:
        results[page.key] = measure_page(app, engine, page, world, clients, samples)
        if progress:
            r = results[page.key]
            progress(f"  {page.key:<14} {r['queries']:>3} queries  median {r['median_ms']:7.1f} ms"
                     f"  p95 {r['p95_ms']:7.1f} ms")
    return results


def query_counts(app: Flask, world: World, pages: list[Page] | None = None) -> dict[str, int]:
    """SQL statements per page, from one request (after a warm-up request for pages without per-request set-up)."""
    engine = engine_of(app)
    clients = make_clients(app, world)
    counts = {}
    for page in pages or PAGES:
        if page.prepare is None:
            request_once(app, engine, page, world, clients)
        counts[page.key] = request_once(app, engine, page, world, clients).queries
    return counts
