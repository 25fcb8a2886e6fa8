"""The admin home (what needs attention today), sending failed mails again, reminder preferences and where
each role lands."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from lms import clock
from lms.extensions import db
from lms.models import AuditEvent, Cohort, Enrolment, OutgoingMail, Submission
from lms.models.mail import FAILED, SENT
from lms.services import attention
from tests.certificates.helpers import complete_everything, enrol_in, import_certified_course, new_cohort
from tests.security.conftest import post

NOW = datetime(2026, 4, 20, 1, 0, tzinfo=timezone.utc)  # 10:00 on Monday 20 April in Tokyo


@pytest.fixture
def now(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return NOW


def _trainees(course, cohort, make_user, n, start=0):
    users = []
    for i in range(n):
        user = make_user("trainee", name_latin=f"Trainee {start + i:03d}")
        enrol_in(user, course, cohort)
        users.append(user)
    for enrolment in db.session.scalars(select(Enrolment)):
        enrolment.created_at = datetime(2026, 3, 20, tzinfo=timezone.utc)
    db.session.commit()
    return users


def _waiting(course, user, since):
    from lms.models import Assignment

    assignment = db.session.scalar(select(Assignment).where(Assignment.course_id == course.id))
    submission = Submission(assignment_id=assignment.id, user_id=user.id, course_id=course.id, state="submitted",
                            waiting_since=since)
    db.session.add(submission)
    db.session.commit()
    return submission


def _failed_mail(user, key="failed:1"):
    message = OutgoingMail(key=key, user_id=user.id, to_address=user.email, subject="Lost mail", body="Hello",
                           status=FAILED, attempts=6, last_error="Connection refused", next_attempt_at=NOW)
    db.session.add(message)
    db.session.commit()
    return message


def test_every_section_says_what_an_empty_state_means(app, make_user, as_, now):
    page = as_(make_user("admin")).get("/admin/").get_data(as_text=True)
    for text in ("No submission has been waiting longer than 5 days", "No trainee of a running cohort has been "
                 "inactive", "Every trainee who meets a course’s requirements has their certificate",
                 "No cohort starts or ends in the next 14 days", "Every mail has been sent or is on its way"):
        assert text in page, text


def test_sections_list_what_needs_attention_with_links(app, tmp_path, make_user, as_, now):
    course = import_certified_course(tmp_path)
    cohort = new_cohort(course)  # started 1 April: running
    soon = Cohort(name_ja="二期", name_en="Second cohort", program=course.program, starts_on=date(2026, 4, 27))
    db.session.add(soon)
    stuck, waiting_long, recent, eligible = _trainees(course, cohort, make_user, 4)
    old = _waiting(course, waiting_long, NOW - timedelta(days=6))
    _waiting(course, recent, NOW - timedelta(days=2))
    complete_everything(eligible, course)  # rows written directly: eligible, no certificate issued
    admin = make_user("admin")
    _failed_mail(stuck)
    page = as_(admin).get("/admin/").get_data(as_text=True)
    assert "1 submission has been waiting for a review for more than 5 days." in page
    assert f"/submissions/{old.id}" in page
    assert "Trainee 000" in page and f"/admin/cohorts/{cohort.id}/report" in page  # stuck, with the report
    assert "/admin/certificates?course=test-course&amp;show=eligible" in page and "Trainee 003" in page
    assert "Second cohort" in page and "in 7 days" in page
    assert "Lost mail" in page and "Connection refused" in page and "Send again" in page


def test_send_again_requeues_the_mail_and_is_audited(app, make_user, as_, now, outbox):
    admin = make_user("admin")
    message = _failed_mail(make_user("trainee"))
    staff = as_(admin)
    assert staff.raw.post(f"/admin/mails/{message.id}/send-again").status_code == 400  # CSRF
    response = post(staff, f"/admin/mails/{message.id}/send-again")
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/")
    db.session.expire_all()
    assert db.session.get(OutgoingMail, message.id).status == SENT  # the job ran after the commit
    assert [m["Subject"] for m in outbox()] == ["Lost mail"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "mail.send_again"))
    assert event.actor_id == admin.id and event.target_type == "mail" and event.target_id == str(message.id)
    # A second click: nothing to send again, nothing recorded.
    post(staff, f"/admin/mails/{message.id}/send-again")
    assert len(outbox()) == 1
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "mail.send_again")).all()) == 1
    assert post(as_(make_user("mentor")), f"/admin/mails/{message.id}/send-again").status_code == 403


def test_the_stuck_list_agrees_with_the_cohort_report(app, tmp_path, make_user, now):
    from lms.services import reports

    course = import_certified_course(tmp_path)
    cohort = new_cohort(course)
    users = _trainees(course, cohort, make_user, 3)
    complete_everything(users[2], course)  # finished: never stuck
    with app.test_request_context():
        from lms import clock

        real = clock.now
        clock.now = lambda: NOW
        try:
            expected = {row.user.id for row in reports.cohort_report(cohort, course.id).stuck}
        finally:
            clock.now = real
        found = attention.stuck_by_cohort(NOW, [cohort])
    assert {row.trainee.id for row in found[cohort.id]} == expected == {users[0].id, users[1].id}


def _grow(course, cohort, make_user, start, n):
    users = _trainees(course, cohort, make_user, n, start)
    for i, user in enumerate(users):
        if i % 2:
            _waiting(course, user, NOW - timedelta(days=10 + i))
        elif i % 3 == 0:
            complete_everything(user, course)
        else:
            _failed_mail(user, key=f"failed:{user.id}")


def test_constant_queries_as_data_grows(app, tmp_path, make_user, as_, count_queries, now):
    course = import_certified_course(tmp_path)
    admin = make_user("admin")
    first = new_cohort(course, "一期")
    _grow(course, first, make_user, 0, 3)
    staff = as_(admin)
    staff.get("/admin/")
    with count_queries() as small:
        assert staff.get("/admin/").status_code == 200
    for name in ("二期", "三期"):  # more cohorts, trainees, waiting submissions, eligible trainees, failed mails
        _grow(course, new_cohort(course, name), make_user, 100 * len(name), 12)
    with count_queries() as large:
        page = staff.get("/admin/").get_data(as_text=True)
    assert "Trainee 600" in page or "Trainee 200" in page or "submissions have been waiting" in page
    assert large.count == small.count, (small.count, large.count)


# --- landing per role


@pytest.mark.parametrize("roles, enrolled, landing", [
    (["trainee"], False, "/dashboard"),
    (["mentor"], False, "/reviews/"),
    (["mentor", "trainee"], False, "/reviews/"),  # a trainee role without enrolments: still a mentor at heart
    (["mentor", "trainee"], True, "/dashboard"),
    (["admin"], False, "/admin/"),
    (["admin", "mentor"], False, "/admin/"),
])
def test_each_role_lands_where_its_work_is(app, make_user, make_client, make_course, enrol, roles, enrolled,
                                           landing):
    from lms.models import Role

    user = make_user({Role(r) for r in roles})
    if enrolled:
        enrol(user, make_course())
    client = make_client()
    response = client.login(user)
    assert response.headers["Location"] == landing
    assert client.get("/").headers["Location"] == landing
    assert client.get("/auth/login").headers["Location"] == landing


def test_the_header_links_the_admin_home(app, make_user, as_):
    assert 'href="/admin/"' in as_(make_user("admin")).get("/dashboard").get_data(as_text=True)
    assert 'href="/admin/"' not in as_(make_user("mentor")).get("/dashboard").get_data(as_text=True)


# --- reminder preferences on the profile page


def test_preferences_show_only_the_kinds_of_ones_roles_and_save(app, make_user, as_):
    from lms.models import Role

    trainee = make_user("trainee")
    me = as_(trainee)
    page = me.get("/account/").get_data(as_text=True)
    assert 'value="due_soon"' in page and 'value="mentor_digest"' not in page and 'value="admin_digest"' not in page
    assert me.raw.post("/account/reminders", data={"kind": ["due_soon"]}).status_code == 400  # CSRF
    response = post(me, "/account/reminders", {"kind": ["due_soon", "announcement"]})
    assert response.status_code == 302
    db.session.refresh(trainee)
    assert trainee.muted == ["certificate_issued", "revision_waiting"]
    page = me.get("/account/").get_data(as_text=True)
    assert 'value="due_soon" checked' in page and 'value="revision_waiting">' in page

    both = make_user({Role.MENTOR, Role.ADMIN})
    page = as_(both).get("/account/").get_data(as_text=True)
    assert 'value="mentor_digest"' in page and 'value="admin_digest"' in page and 'value="due_soon"' not in page


def test_the_favicon_answers_on_every_page_without_a_login(client):
    with client.get("/favicon.ico") as response:  # a file response: closed, or Python warns
        assert response.status_code == 200 and response.mimetype == "image/vnd.microsoft.icon"
        assert response.get_data()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    html = client.get("/auth/login").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.svg"' in html and 'href="/static/favicon.ico"' in html
    with client.get("/static/favicon.svg") as svg:
        assert svg.status_code == 200 and b">S</text>" in svg.get_data()
