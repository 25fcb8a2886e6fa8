"""The authorization matrix: every route, for every kind of visitor, with the status the app intends.

Six actors look at one world:

- ``anonymous``: nobody signed in;
- ``trainee`` (A): owns the objects whose ids fill the URLs: a submitted (and approved) assignment with a PDF
  attachment, a graded and an in-progress quiz attempt, notifications, a certificate;
- ``other_trainee`` (B): enrolled in the same course, in another cohort, with work and a certificate of their own;
- ``mentor`` (M1): allocated to A through A's cohort;
- ``other_mentor`` (M2): B's mentor, not allocated to A;
- ``admin``.

Every endpoint of ``app.url_map`` (but ``static``) needs an entry, for each of its methods: a new route without
one fails ``test_every_route_has_an_entry_in_the_matrix``. POSTs carry a valid CSRF token and minimal data: what
is checked is the authorization decision, so most owners' and reviewers' POSTs only need to be ``ALLOWED`` (not
401/403/404/405, not a redirect to the login page, not a server error). State-changing POSTs for the admin target
scratch objects (a scratch trainee, cohort, allocation, invited account, course) so that they cannot change what
later cells see; all GETs run before all POSTs.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from types import SimpleNamespace
from urllib.parse import urlsplit

from sqlalchemy import event, select
from werkzeug.datastructures import MultiDict

from lms.extensions import db
from lms.models import (Attachment, Certificate, CohortMember, Course, MentorAllocation, Notification, OutgoingMail,
                        Question, QuizAttempt, Role, Submission)
from lms.services import accounts, announcements, calendar_feed, certificates

from ..certificates.helpers import complete_everything, enrol_in, finish_lessons, import_certified_course, new_cohort
from ..content.helpers import CORRECT, write_course
from .conftest import PDF, csrf, post, token_from_mail

ANON, A, B, M1, M2, ADMIN = "anonymous", "trainee", "other_trainee", "mentor", "other_mentor", "admin"
ACTORS = (ANON, A, B, M1, M2, ADMIN)

LOGIN = "login"  # a redirect to the login page
NO_TOKEN = "0" * 32  # a staged package's token that was never issued
ALLOWED = "allowed"  # anything but 401/403/404/405, a redirect to the login page or a server error


@dataclass(frozen=True)
class Redirect:
    """A redirect (302) whose target path starts with ``prefix``."""

    prefix: str

    def __str__(self):
        return f"302->{self.prefix}"


@dataclass
class Check:
    url: str
    expect: dict  # actor -> expected outcome
    data: dict | None = None  # extra form fields of a POST (the CSRF token is always added)
    fresh_client: bool = False  # the request ends the session (logout): each actor gets a new client
    # actor -> strings that must not appear in the body (what another person's list must not leak)
    absent: dict = field(default_factory=dict)


def by_actor(anonymous, trainee, other_trainee, mentor, other_mentor, admin) -> dict:
    return dict(zip(ACTORS, (anonymous, trainee, other_trainee, mentor, other_mentor, admin)))


def everyone(outcome) -> dict:
    return by_actor(*[outcome] * 6)


def signed_in(outcome) -> dict:
    """Login required, then the same for everybody."""
    return by_actor(LOGIN, *[outcome] * 5)


def staff(outcome=200) -> dict:
    """Mentors (allocated or not) and admins."""
    return by_actor(LOGIN, 403, 403, outcome, outcome, outcome)


def admins(outcome=200) -> dict:
    return by_actor(LOGIN, 403, 403, 403, 403, outcome)


def owner(outcome) -> dict:
    """Only A; everyone else gets the same 404 as for an id that does not exist."""
    return by_actor(LOGIN, outcome, 404, 404, 404, 404)


def owner_and_admin(outcome) -> dict:
    return by_actor(LOGIN, outcome, 404, 404, 404, outcome)


def owner_and_reviewers(owner_outcome, reviewer_outcome) -> dict:
    """A, the allocated mentor and admins; another trainee and an unallocated mentor get 404 (ids not confirmed)."""
    return by_actor(LOGIN, owner_outcome, 404, reviewer_outcome, 404, reviewer_outcome)


def enrolled_trainees(outcome) -> dict:
    """Progress and attempts are recorded only for enrolled trainees: staff may look but not take part."""
    return by_actor(LOGIN, outcome, outcome, 403, 403, 403)


# Where "/" and the login page send each signed-in actor (A, B, M1, M2, admin).
LANDING = (Redirect("/dashboard"), Redirect("/dashboard"), Redirect("/reviews/"), Redirect("/reviews/"),
           Redirect("/admin/"))


COVER_DIGEST = "0123456789abcdef"
PNG_1PX = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000" "1f15c4890000000d49444154789c"
                        "6360f8cf00000301010018dd8db40000000049454e44ae426082")


def matrix(w) -> dict[str, dict[str, Check]]:
    """endpoint -> method -> Check, with the world's ids (``w``) filled in."""
    course, quiz, lesson, assignment = "test-course", "basics", "intro", "plan"
    return {
        # --- public pages, language, accounts
        # Everyone lands where their work is: trainees on the dashboard, mentors on the queue, admins at home.
        "main.index": {"GET": Check("/", by_actor(200, *LANDING))},
        "main.set_language": {"POST": Check("/language", everyone(302))},
        "main.healthz": {"GET": Check("/healthz", everyone(200))},  # for load balancers: no login
        "main.favicon": {"GET": Check("/favicon.ico", everyone(200))},
        "auth.login": {
            "GET": Check("/auth/login", by_actor(200, *LANDING)),
            "POST": Check("/auth/login", by_actor(200, *LANDING)),
        },
        "auth.logout": {"POST": Check("/auth/logout", everyone(Redirect("/")), fresh_client=True)},
        # Registration is closed in this configuration (OPEN_REGISTRATION off): it does not exist for anyone.
        "auth.register": {"GET": Check("/auth/register", everyone(404)),
                          "POST": Check("/auth/register", everyone(404))},
        # One-time links: the token is the credential, whoever follows it.
        "auth.accept_invitation": {"GET": Check(f"/auth/invitation/{w.invitation_token}", everyone(200)),
                                   "POST": Check(f"/auth/invitation/{w.invitation_token}", everyone(200))},
        "auth.forgot_password": {"GET": Check("/auth/forgot", everyone(200)),
                                 "POST": Check("/auth/forgot", everyone(200))},
        "auth.reset_password": {"GET": Check(f"/auth/reset/{w.reset_token}", everyone(200)),
                                "POST": Check(f"/auth/reset/{w.reset_token}", everyone(200))},
        "account.profile": {"GET": Check("/account/", signed_in(200)),
                            # missing fields keep their values: an empty form saves the profile unchanged
                            "POST": Check("/account/", signed_in(Redirect("/account/")))},
        "account.change_password": {"POST": Check("/account/password", signed_in(400))},
        # Nothing ticked: every kind of the person's roles is switched off (their own settings only).
        "account.reminders_preferences": {"POST": Check("/account/reminders", signed_in(Redirect("/account/")))},
        "account.reset_calendar": {"POST": Check("/account/calendar/reset", signed_in(Redirect("/account/")))},
        # The calendar feed: the token is the credential, whoever holds it; no login, never writes.
        "calendar.feed": {"GET": Check(f"/calendar/{w.trainee}/{w.calendar_token}.ics", everyone(200))},
        # Announcements: members of the cohort (A, M1) and staff; another cohort's trainee gets 404.
        "announcements.show": {"GET": Check(f"/announcements/{w.announcement}",
                                            by_actor(LOGIN, 200, 404, 200, 200, 200))},
        "account.end_other_sessions": {"POST": Check("/account/sessions/end-others", signed_in(Redirect("/account/")))},

        # --- catalog, lessons, dashboard
        "catalog.catalog": {"GET": Check("/courses/", everyone(200))},
        "catalog.course": {"GET": Check(f"/courses/{course}/", everyone(200))},
        # The cover image is as public as the catalog; it never writes.
        "catalog.cover_image": {"GET": Check(f"/courses/{course}/cover/{COVER_DIGEST}", everyone(200))},
        # A second, open course: enrolling there changes nothing any other cell depends on.
        "catalog.enrol": {"POST": Check("/courses/scratch-course/enrol",
                                        signed_in(Redirect("/courses/scratch-course/")))},
        "learn.dashboard": {"GET": Check("/dashboard", signed_in(200))},
        # Lessons are readable by enrolled trainees and by every mentor and admin.
        "learn.lesson": {"GET": Check(f"/courses/{course}/lessons/{lesson}", signed_in(200))},
        "learn.complete": {"POST": Check(f"/courses/{course}/lessons/{lesson}/complete",
                                         enrolled_trainees(Redirect(f"/courses/{course}/lessons/{lesson}")))},

        # --- quizzes: attempts are their trainee's own, even for reviewers; item analysis is for staff
        "quiz.overview": {"GET": Check(f"/courses/{course}/quizzes/{quiz}", signed_in(200))},
        "quiz.start": {"POST": Check(f"/courses/{course}/quizzes/{quiz}/start",
                                     enrolled_trainees(Redirect("/quiz-attempts/")))},
        "quiz.attempt": {"GET": Check(f"/quiz-attempts/{w.open_attempt}", owner(200))},
        "quiz.save": {"POST": Check(f"/quiz-attempts/{w.open_attempt}", owner(ALLOWED))},
        "quiz.finish": {"GET": Check(f"/quiz-attempts/{w.open_attempt}/finish", owner(200))},
        "quiz.submit": {"POST": Check(f"/quiz-attempts/{w.open_attempt}/submit", owner(Redirect("/quiz-attempts/")))},
        "quiz.review": {"GET": Check(f"/quiz-attempts/{w.graded_attempt}/review", owner(200))},
        # Grading an attempt whose time is up; the open one has no time limit, so nothing closes.
        "quiz.close": {"POST": Check(f"/quiz-attempts/{w.open_attempt}/close",
                                     owner(Redirect(f"/quiz-attempts/{w.open_attempt}/review")))},
        "quiz.analysis": {"GET": Check(f"/courses/{course}/quizzes/{quiz}/analysis", staff(200))},

        # --- assignments
        "assignments.assignment_page": {"GET": Check(f"/courses/{course}/assignments/{assignment}", signed_in(200))},
        # The calibration exemplar: mentors (allocated or not) and admins; trainees are refused and never see it.
        "assignments.exemplar": {"GET": Check(f"/courses/{course}/assignments/{assignment}/exemplar", staff(200),
                                              absent={A: ["exemplar answer"], B: ["exemplar answer"]})},
        # Writing is for enrolled trainees (their own submission); A's is approved, so A's save is refused (4xx).
        "assignments.save": {"POST": Check(f"/courses/{course}/assignments/{assignment}", enrolled_trainees(ALLOWED))},
        "assignments.download": {"GET": Check(f"/attachments/{w.attachment}", owner_and_reviewers(200, 200))},
        "assignments.remove_attachment": {"POST": Check(f"/attachments/{w.attachment}/remove", owner(ALLOWED))},
        "assignments.queue": {"GET": Check("/reviews/", staff(200), absent={
            M2: [f"/submissions/{w.submission}\""]})},
        # The author reads their work on the assignment page.
        "assignments.review_page": {"GET": Check(f"/submissions/{w.submission}", owner_and_reviewers(
            Redirect(f"/courses/{course}/assignments/{assignment}"), 200))},
        # The author may see the submission exists (403); others get 404. Reviewers get past the checks
        # (here to a conflict, as the form is empty).
        "assignments.save_review": {"POST": Check(f"/submissions/{w.submission}/review",
                                                  by_actor(LOGIN, 403, 404, ALLOWED, 404, ALLOWED))},

        # --- notifications
        "notifications.index": {"GET": Check("/notifications/", signed_in(200), absent={
            who: [f"/notifications/{w.notification}\""] for who in (B, M1, M2, ADMIN)})},
        "notifications.open_one": {"POST": Check(f"/notifications/{w.notification}", owner(302))},
        "notifications.mark_all_read": {"POST": Check("/notifications/read", signed_in(Redirect("/notifications/")))},

        # --- certificates: the holder and admins; verification is public
        "certificates.mine": {"GET": Check("/certificates/", signed_in(200), absent={
            who: [w.certificate] for who in (B, M1, M2, ADMIN)})},
        "certificates.pdf": {"GET": Check(f"/certificates/{w.certificate}.pdf", owner_and_admin(200))},
        "credentials.download": {"GET": Check(f"/certificates/{w.certificate}/credential.jwt", owner_and_admin(200))},
        "certificates.verify": {"GET": Check(f"/verify/{w.certificate}", everyone(200))},
        "certificates.status_json": {"GET": Check(f"/api/v1/certificates/{w.certificate}", everyone(200))},
        "credentials.jwks": {"GET": Check("/.well-known/jwks.json", everyone(200))},
        "credentials.issuer": {"GET": Check(f"/api/v1/issuers/{course}", everyone(200))},
        "credentials.revocation_list": {"GET": Check(f"/api/v1/issuers/{course}/revocations", everyone(200))},
        # A stateless JSON API without cookies or CSRF: an empty body is simply not a credential.
        "credentials.verify": {"POST": Check("/api/v1/credentials/verify", everyone(400))},
        "certificates.admin_index": {"GET": Check("/admin/certificates", admins(200))},
        "certificates.admin_issue": {"POST": Check("/admin/certificates/issue", admins(Redirect("/admin/certificates")),
                                                   data={"course": course})},
        "certificates.admin_certificate": {"GET": Check(f"/admin/certificates/{w.certificate}", admins(200)),
                                           "POST": Check(f"/admin/certificates/{w.certificate}", admins(200))},
        # The audit log: read and export only (no route edits or deletes an event).
        "audit.index": {"GET": Check("/admin/audit", admins(200))},
        "audit.export": {"POST": Check("/admin/audit/export.csv", admins(200))},

        # --- administration: admins only (mentors included in the 403s)
        "admin.home": {"GET": Check("/admin/", admins(200))},
        "admin.throttles_page": {"GET": Check("/admin/throttles", admins(200))},
        "admin.clear_throttle": {"POST": Check("/admin/throttles/clear", admins(Redirect("/admin/throttles")),
                                               data={"kind": "address", "value": "192.0.2.1"})},
        "admin.send_again": {"POST": Check(f"/admin/mails/{w.mail}/send-again", admins(Redirect("/admin/")))},
        "admin.new_announcement": {"GET": Check(f"/admin/cohorts/{w.cohort}/announcements/new", admins(200)),
                                   # an empty form is shown again with its errors: nothing is posted
                                   "POST": Check(f"/admin/cohorts/{w.scratch_cohort}/announcements/new",
                                                 admins(200))},
        "admin.users": {"GET": Check("/admin/users", admins(200))},
        "admin.new_user": {"GET": Check("/admin/users/new", admins(200)),
                           "POST": Check("/admin/users/new", admins(200))},
        "admin.user": {"GET": Check(f"/admin/users/{w.trainee}", admins(200)),
                       # an empty form would take every role away: aimed at the scratch trainee
                       "POST": Check(f"/admin/users/{w.scratch_user}", admins(Redirect("/admin/users/")))},
        "admin.allocate_mentor": {"POST": Check(f"/admin/users/{w.scratch_user}/mentors",
                                                admins(Redirect("/admin/users/")))},
        "admin.deallocate_mentor": {"POST": Check(
            f"/admin/users/{w.scratch_user}/mentors/{w.scratch_allocation}/remove",
                                                  admins(Redirect("/admin/users/")))},
        "admin.resend_invitation": {"POST": Check(f"/admin/users/{w.resend_user}/invitation",
                                                  admins(Redirect("/admin/users/")))},
        "admin.enrol_user": {"POST": Check(f"/admin/users/{w.scratch_user}/enrol", admins(Redirect("/admin/users/")))},
        "admin.cohorts_page": {"GET": Check("/admin/cohorts", admins(200)),
                               "POST": Check("/admin/cohorts", admins(200))},
        "admin.cohort": {"GET": Check(f"/admin/cohorts/{w.cohort}", admins(200))},
        "admin.add_cohort_member": {"POST": Check(f"/admin/cohorts/{w.cohort}/members",
                                                  admins(Redirect("/admin/cohorts/")))},
        "admin.remove_cohort_member": {"GET": Check(
            f"/admin/cohorts/{w.scratch_cohort}/members/{w.scratch_member}/remove", admins(200)),
                                       "POST": Check(
            f"/admin/cohorts/{w.scratch_cohort}/members/{w.scratch_member}/remove",
            admins(Redirect("/admin/cohorts/")))},
        "admin.set_cohort_courses": {"POST": Check(f"/admin/cohorts/{w.scratch_cohort}/courses",
                                                   admins(Redirect("/admin/cohorts/")))},
        "admin.edit_cohort": {"GET": Check(f"/admin/cohorts/{w.cohort}/edit", admins(200)),
                              # fields left out keep their values: saved unchanged
                              "POST": Check(f"/admin/cohorts/{w.scratch_cohort}/edit",
                                            admins(Redirect("/admin/cohorts/")))},
        "admin.set_mentor_mode": {"POST": Check(f"/admin/cohorts/{w.scratch_cohort}/mentor-mode",
                                                admins(Redirect("/admin/cohorts/")), data={"mode": "named"})},
        "admin.set_pairings": {"POST": Check(f"/admin/cohorts/{w.scratch_cohort}/pairings",
                                             admins(Redirect("/admin/cohorts/")))},
        "admin.import_people": {"GET": Check(f"/admin/cohorts/{w.cohort}/import", admins(200)),
                                "POST": Check(f"/admin/cohorts/{w.scratch_cohort}/import", admins(200),
                                              data={"text": "nobody@example.org", "role": "trainee"})},
        "admin.confirm_import": {"POST": Check(f"/admin/cohorts/{w.scratch_cohort}/import/confirm",
                                               admins(Redirect("/admin/cohorts/")))},
        "admin.import_template": {"GET": Check(f"/admin/cohorts/{w.cohort}/import/template.csv", admins(200))},
        # --- course content: admins only; a staged package that does not exist is a 404 even for them
        "content.index": {"GET": Check("/admin/content/", admins(200))},
        "content.download": {"GET": Check(f"/admin/content/{course}/package.zip", admins(200))},
        "content.upload": {"POST": Check("/admin/content/upload", admins(422))},  # no file: shown again
        "content.preview": {"GET": Check(f"/admin/content/staged/{NO_TOKEN}", admins(404))},
        "content.preview_item": {"GET": Check(f"/admin/content/staged/{NO_TOKEN}/lesson/{lesson}", admins(404))},
        "content.publish": {"POST": Check(f"/admin/content/staged/{NO_TOKEN}/publish", admins(404))},
        "content.discard": {"POST": Check(f"/admin/content/staged/{NO_TOKEN}/discard", admins(404))},
        "content.history": {"GET": Check(f"/admin/content/{course}/history", admins(200))},
        "content.compare_versions": {"GET": Check(f"/admin/content/{course}/compare", admins(200))},
        "content.version_package": {"GET": Check(f"/admin/content/{course}/versions/1/package.zip", admins(200))},
        # stages the package for a preview; nothing is published
        "content.republish": {"POST": Check(f"/admin/content/{course}/versions/1/republish",
                                            admins(Redirect("/admin/content/staged/")))},
        "content.mark_checked": {"POST": Check("/admin/content/translations/999999/checked", admins(404))},
        "reports.report": {"GET": Check(f"/admin/cohorts/{w.cohort}/report", admins(200))},
        "reports.report_csv": {"POST": Check(f"/admin/cohorts/{w.cohort}/report.csv", admins(200))},
        "reports.grades_csv": {"POST": Check(f"/admin/cohorts/{w.cohort}/grades.csv", admins(200))},
    }


# --- the coverage of the matrix


class _AnyIds:
    """Stands in for the world when only the matrix's shape matters: every id is 1."""

    def __getattr__(self, name):
        return "tok" if name.endswith("token") or name == "certificate" else 1


def routes(app) -> dict[str, set[str]]:
    """endpoint -> the methods it answers (HEAD and OPTIONS aside), static files excluded."""
    found: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            found.setdefault(rule.endpoint, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    return found


def coverage_problems(app) -> list[str]:
    """Routes (and methods) without an entry, entries for routes that are gone, URLs that route elsewhere."""
    table, found = matrix(_AnyIds()), routes(app)
    problems = [f"no entry: {endpoint} {method}" for endpoint, methods in sorted(found.items())
                for method in sorted(methods) if method not in table.get(endpoint, {})]
    problems += [f"no such route: {endpoint} {method}" for endpoint, methods in sorted(table.items())
                 for method in methods if method not in found.get(endpoint, set())]
    adapter = app.url_map.bind("localhost")
    for endpoint, methods in table.items():
        for method, check in methods.items():
            if set(check.expect) != set(ACTORS):
                problems.append(f"not every actor: {endpoint} {method}")
            if endpoint in found and adapter.match(urlsplit(check.url).path, method=method)[0] != endpoint:
                problems.append(f"{check.url} does not route to {endpoint}")
    return problems


def test_every_route_has_an_entry_in_the_matrix(app):
    problems = coverage_problems(app)
    assert not problems, ("The authorization matrix is out of step with app.url_map; give every route the expected "
                          "outcome for every actor in matrix() (tests/security/test_authorization_matrix.py):\n  "
                          + "\n  ".join(problems))


def test_a_new_route_without_an_entry_is_reported(app):
    app.add_url_rule("/reports/<id:report_id>", "reports.show", lambda report_id: "", methods=["GET", "POST"])
    app.add_url_rule("/dashboard", "learn.dashboard", methods=["POST"])  # a new method on a known endpoint
    assert set(coverage_problems(app)) == {"no entry: reports.show GET", "no entry: reports.show POST",
                                           "no entry: learn.dashboard POST"}


# --- the world


def quiz_form(client, attempt: QuizAttempt, answers: dict) -> MultiDict:
    keys = {q.id: q.key for q in db.session.scalars(select(Question))}
    data = MultiDict([("csrf_token", csrf(client)), ("action", "save")])
    for qid in attempt.layout["questions"]:
        data.add("shown", str(qid))
        value = answers.get(keys[qid])
        for item in value if isinstance(value, list) else [value]:
            data.add(f"q{qid}", item)
    return data


def start_attempt(client) -> int:
    response = post(client, "/courses/test-course/quizzes/basics/start")
    assert response.status_code == 302, response.status_code
    return int(response.headers["Location"].rsplit("/", 1)[1])


def build_world(app, tmp_path, make_user, make_client, outbox) -> tuple[SimpleNamespace, dict]:
    write_course(tmp_path / "courses", slug="scratch-course")  # imported alongside the certified course
    import_certified_course(tmp_path)
    course = db.session.scalar(select(Course).where(Course.slug == "test-course"))
    course.cover_image, course.cover_image_type, course.cover_image_digest = PNG_1PX, "image/png", COVER_DIGEST

    people = {
        A: make_user("trainee", name_ja="佐藤 健", name_latin="Ken Sato", locale="en"),
        B: make_user("trainee", name_latin="Other Trainee", locale="en"),
        M1: make_user("mentor", name_latin="Allocated Mentor", locale="en"),
        M2: make_user("mentor", name_latin="Other Mentor", locale="en"),
        ADMIN: make_user("admin", name_latin="Program Office", locale="en"),
    }
    scratch = make_user("trainee", name_latin="Scratch Trainee", password=None)
    reset_user = make_user("trainee", name_latin="Reset Trainee", password=None)

    cohort = new_cohort(course, "一期")
    other_cohort = new_cohort(course, "二期")
    scratch_cohort = new_cohort(course, "三期")
    enrol_in(people[A], course, cohort)
    enrol_in(people[B], course, other_cohort)
    enrol_in(scratch, course, scratch_cohort)
    db.session.add_all([CohortMember(cohort_id=cohort.id, user_id=people[M1].id, role="mentor"),
                        CohortMember(cohort_id=other_cohort.id, user_id=people[M2].id, role="mentor")])
    allocation = MentorAllocation(mentor_id=people[M2].id, trainee_id=scratch.id)
    db.session.add(allocation)
    db.session.commit()
    scratch_member = db.session.scalar(select(CohortMember.id).where(CohortMember.cohort_id == scratch_cohort.id))

    with app.test_request_context():
        invited = accounts.invite_user("invited@example.org", accounts.Profile(name_latin="Invited Person"),
                                       {Role.TRAINEE})
        resend = accounts.invite_user("resend@example.org", accounts.Profile(name_latin="Resend Person"),
                                      {Role.TRAINEE})
        accounts.request_password_reset(reset_user.email)
        db.session.commit()  # the request's unit of work: the mails go after it
    mails = outbox()
    invitation_token = token_from_mail(next(m for m in mails if m["To"].endswith(invited.email)), "invitation")
    reset_token = token_from_mail(next(m for m in mails if m["To"].endswith(reset_user.email)), "reset")

    clients = {}
    for who, user in people.items():
        clients[who] = make_client()
        clients[who].login(user)
    clients[ANON] = make_client()
    a, m1 = clients[A], clients[M1]

    # A: lessons done, the quiz passed in a first attempt and a second one left open.
    finish_lessons(people[A], course)
    graded = start_attempt(a)
    attempt = db.session.get(QuizAttempt, graded)
    assert a.raw.post(f"/quiz-attempts/{graded}", data=quiz_form(a, attempt, CORRECT)).status_code == 302
    assert post(a, f"/quiz-attempts/{graded}/submit").status_code == 302
    open_attempt = start_attempt(a)
    assert open_attempt != graded

    # A's assignment with a PDF, submitted; the allocated mentor approves it, which issues A's certificate.
    response = a.raw.post("/courses/test-course/assignments/plan", content_type="multipart/form-data", data={
        "csrf_token": csrf(a), "section-problem": "Clinics lack a test", "section-solution": "We make one",
        "action": "submit", "lock": "", "files": [(io.BytesIO(PDF), "plan.pdf")]})
    assert response.status_code == 302
    submission = db.session.scalar(select(Submission).where(Submission.user_id == people[A].id))
    assert submission.state == "submitted"
    response = post(m1, f"/submissions/{submission.id}/review", {
        "action": "approve", "score-evidence": "2", "score-clarity": "2", "comment": "Good",
        "lock": str(submission.lock)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Submission, submission.id).state == "approved"
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == people[A].id))
    assert certificate is not None, "A's certificate was not issued"

    # B: everything done directly, and a certificate of their own.
    complete_everything(people[B], course)
    with app.test_request_context():
        assert certificates.issue_if_complete(people[B], course) is not None
        db.session.commit()

    notification = db.session.scalar(select(Notification.id).where(Notification.user_id == people[A].id)
                                     .order_by(Notification.id))
    # An announcement to A's cohort (A and M1 are its members).
    with app.test_request_context():
        announcement = announcements.post(cohort, people[ADMIN], announcements.Draft(
            "お知らせ", "Notice", "本文", "Text"))
    db.session.commit()
    world = SimpleNamespace(
        trainee=people[A].id, scratch_user=scratch.id, resend_user=resend.id, scratch_allocation=allocation.id,
        cohort=cohort.id, scratch_cohort=scratch_cohort.id, scratch_member=scratch_member,
        invitation_token=invitation_token, reset_token=reset_token,
        graded_attempt=graded, open_attempt=open_attempt, submission=submission.id,
        attachment=db.session.scalar(select(Attachment.id)), notification=notification,
        certificate=certificate.public_id, announcement=announcement.id,
        calendar_token=calendar_feed.token_for(people[A]),
        mail=db.session.scalar(select(OutgoingMail.id).order_by(OutgoingMail.id)),
    )
    # The clients are who they should be.
    for who, user in people.items():
        page = clients[who].get("/account/").get_data(as_text=True)
        assert user.email in page, who
    world.people = people
    return world, clients


# --- the matrix itself


def outcome(response) -> object:
    """The response as the matrix speaks of it: LOGIN, Redirect(path) or the status code."""
    code = response.status_code
    if code in (301, 302, 303, 307, 308):
        path = urlsplit(response.headers.get("Location", "")).path
        return LOGIN if path == "/auth/login" else Redirect(path)
    return code


def matches(expected, got) -> bool:
    if expected == ALLOWED:
        return got != LOGIN and not (isinstance(got, int) and (got in (401, 403, 404, 405) or got >= 500))
    if isinstance(expected, Redirect):
        return isinstance(got, Redirect) and got.prefix.startswith(expected.prefix)
    if expected == 302:
        return isinstance(got, Redirect)
    return got == expected


def test_authorization_matrix(app, tmp_path, make_user, make_client, outbox, fast_sqlite):
    app.config["VERIFY_RATE_LIMIT"] = "1000 per minute"  # six actors on three look-up routes, more than once
    world, clients = build_world(app, tmp_path, make_user, make_client, outbox)
    table = matrix(world)
    assert set(table) == set(routes(app)), "see test_every_route_has_an_entry_in_the_matrix"

    mismatches, cells = [], 0
    writes = []  # (method, url, who, statement): a GET or HEAD must not write

    def record_write(conn, cursor, statement, parameters, context, executemany):
        if current[0] and statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append((*current[0], statement.split("\n")[0][:80]))

    current = [None]
    event.listen(db.engine, "before_cursor_execute", record_write)
    # All GETs first, then the POSTs (in endpoint order), so that a POST's effect cannot change a GET's answer.
    for method in ("GET", "POST"):
        for endpoint in sorted(table):
            check = table[endpoint].get(method)
            if check is None:
                continue
            for who in ACTORS:
                client = clients[who]
                if check.fresh_client:
                    client = make_client()
                    if who != ANON:
                        client.login(world.people[who])
                if method == "GET":
                    current[0] = (check.url, who)
                    response = client.get(check.url)
                    head = client.head(check.url)
                    current[0] = None
                    head.close()
                else:
                    response = post(client, check.url, check.data)
                body = response.get_data(as_text=True) if check.absent and response.status_code == 200 else ""
                response.close()
                got = outcome(response)
                cells += 1
                expected = check.expect[who]
                if not matches(expected, got):
                    mismatches.append(f"{method} {check.url} ({endpoint}) as {who}: expected {expected}, got {got}")
                for leaked in check.absent.get(who, []):
                    if leaked in body:
                        mismatches.append(f"{method} {check.url} ({endpoint}) as {who}: the page shows {leaked!r}")
    event.remove(db.engine, "before_cursor_execute", record_write)
    assert cells >= 6 * 60
    assert not writes, "GET and HEAD must never write (move the write to a POST or a job):\n  " + "\n  ".join(
        f"GET {url} as {who}: {statement}" for url, who, statement in writes)
    assert not mismatches, f"{len(mismatches)} of {cells} cells differ from the matrix:\n  " + "\n  ".join(mismatches)
    # The owner's objects are still there: no cell destroyed what others were checked against.
    assert db.session.get(Attachment, world.attachment) is not None
