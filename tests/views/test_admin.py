"""Admin people pages: only admins, create, invite, roles, deactivation, enrolment, pagination."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import Enrolment, Role, User

from ..conftest import PASSWORD

ADMIN_PAGES = ["/admin/users", "/admin/users/new"]


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.MENTOR])
def test_non_admins_get_403(client, make_user, role):
    target = make_user()
    client.login(make_user(role))
    for page in ADMIN_PAGES + [f"/admin/users/{target.id}"]:
        assert client.get(page).status_code == 403, page
    assert client.post_form(f"/admin/users/{target.id}", {"admin": "y", "active": "y"}).status_code == 403
    db.session.refresh(target)
    assert not target.is_admin


def test_anonymous_is_sent_to_login(client):
    for page in ADMIN_PAGES:
        assert client.get(page).headers["Location"].startswith("/auth/login")
        assert client.options(page).status_code in (302, 401)


def test_search_treats_wildcards_literally_and_clamps_the_page(client, make_user):
    client.login(make_user(Role.ADMIN, email="boss@example.org"))
    make_user(email="under_score@example.org")
    html = client.get("/admin/users?q=_", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "1 person" in html and "under_score@example.org" in html and "boss@example.org" not in html
    assert client.get("/admin/users?page=99999999999999999999").status_code == 200


def test_admin_creates_an_account_with_a_password(client, make_user, outbox):
    client.login(make_user(Role.ADMIN))
    response = client.post_form("/admin/users/new", {
        "email": "Mentor.New@Example.org", "name_latin": "Kenji Mori", "locale": "ja",
        "mentor": "y", "password": "initial password",
    })
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "mentor.new@example.org"))
    assert user.roles == [Role.MENTOR] and user.check_password("initial password")
    assert outbox() == []


def test_duplicate_address_is_refused_and_the_form_kept(client, make_user):
    existing = make_user()
    client.login(make_user(Role.ADMIN))
    response = client.post_form("/admin/users/new", {"email": existing.email, "name_latin": "Typed Name",
                                                      "locale": "en", "trainee": "y"}, headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert "already exists" in html and 'value="Typed Name"' in html


def test_roles_and_deactivation(client, make_client, make_user):
    admin = make_user(Role.ADMIN)
    trainee = make_user()
    their_browser = make_client()
    their_browser.login(trainee)
    client.login(admin)
    response = client.post_form(f"/admin/users/{trainee.id}", {"trainee": "y", "mentor": "y"})  # active unticked
    assert response.status_code == 302
    db.session.refresh(trainee)
    assert trainee.roles == [Role.TRAINEE, Role.MENTOR] and not trainee.active
    assert their_browser.get("/dashboard").status_code == 302  # logged out at once
    assert their_browser.post_form("/auth/login", {"email": trainee.email, "password": PASSWORD}).status_code == 200


def test_admin_cannot_remove_their_own_admin_role(client, make_user):
    admin = make_user(Role.ADMIN)
    client.login(admin)
    response = client.post_form(f"/admin/users/{admin.id}", {"trainee": "y", "active": "y"},
                                headers={"Accept-Language": "en"})
    assert "cannot remove your own administrator role" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.is_admin


def test_admin_enrols_a_trainee_in_an_assigned_course(client, make_user, make_course):
    course = make_course(enrolment="assigned")
    trainee = make_user()
    client.login(make_user(Role.ADMIN))
    response = client.post_form(f"/admin/users/{trainee.id}/enrol", {"enrol-course": str(course.id)})
    assert response.status_code == 302
    enrolment = db.session.scalar(select(Enrolment))
    assert (enrolment.user_id, enrolment.course_id, enrolment.source) == (trainee.id, course.id, "admin")


def test_unknown_user_is_404(client, make_user):
    client.login(make_user(Role.ADMIN))
    assert client.get("/admin/users/999999").status_code == 404


def test_people_list_searches_and_pages_in_constant_queries(app, client, make_user, count_queries):
    app.config["PAGE_SIZE"] = 10
    admin = make_user(Role.ADMIN)
    for n in range(25):
        make_user(organisation="Tonomachi Bio" if n % 5 == 0 else "Other")
    client.login(admin)
    html = client.get("/admin/users?q=tonomachi", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "5 people" in html
    counts = []
    for page in (1, 3):
        with count_queries() as q:
            response = client.get(f"/admin/users?page={page}")
        assert response.status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1]
    assert "Page 3 of 3" in client.get("/admin/users?page=3", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_invitation_mail_failure_keeps_the_account_and_offers_a_resend(app, client, make_user, outbox, monkeypatch):
    from lms.models import OutgoingMail
    from lms.services import mail

    client.login(make_user(Role.ADMIN))

    def broken(*args, **kwargs):
        raise mail.MailError("connection refused")

    monkeypatch.setattr(mail, "transport", broken)
    response = client.post_form("/admin/users/new", {"email": "late@example.org", "name_latin": "Late", "locale": "en",
                                                      "trainee": "y"}, follow_redirects=True,
                                headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert "Resend invitation" in html  # the account exists; the mail waits for its next try
    invited = db.session.scalar(select(User).where(User.email == "late@example.org"))
    [queued] = db.session.scalars(select(OutgoingMail)).all()
    assert (queued.status, queued.attempts, queued.last_error) == ("queued", 1, "connection refused")

    monkeypatch.undo()
    client.post_form(f"/admin/users/{invited.id}/invitation")
    [message] = outbox()
    assert message["To"] == "late@example.org"


def test_resend_is_refused_once_the_invitation_was_accepted(client, make_user, outbox):
    active = make_user()
    client.login(make_user(Role.ADMIN))
    response = client.post_form(f"/admin/users/{active.id}/invitation", follow_redirects=True,
                                headers={"Accept-Language": "en"})
    assert "already accepted" in response.get_data(as_text=True)
    assert outbox() == []


def test_admin_cannot_deactivate_themselves_but_may_edit_their_own_roles(client, make_user):
    admin = make_user(Role.ADMIN)
    client.login(admin)
    response = client.post_form(f"/admin/users/{admin.id}", {"admin": "y"},  # still admin, active unticked
                                headers={"Accept-Language": "en"})
    assert "deactivate yourself" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.active and admin.is_admin
    assert client.get("/dashboard").status_code == 200  # still logged in
    response = client.post_form(f"/admin/users/{admin.id}", {"admin": "y", "mentor": "y", "active": "y"})
    assert response.status_code == 302
    db.session.refresh(admin)
    assert admin.active and admin.is_admin and admin.is_mentor
