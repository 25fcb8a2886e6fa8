"""Login, logout, invitations, password reset, registration, sessions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import Role, Token, User, utcnow

from ..conftest import PASSWORD

WRONG = "The e-mail address or password is not correct."


def test_login_and_logout(client, make_user):
    user = make_user()
    response = client.post_form("/auth/login", {"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    db.session.refresh(user)
    assert user.last_login_at is not None
    client.logout()
    assert client.get("/dashboard").status_code == 302


@pytest.mark.parametrize("email, password", [("known", "wrong password!"), ("nobody@example.org", PASSWORD)])
def test_failed_login_does_not_tell_whether_the_account_exists(client, make_user, email, password):
    user = make_user()
    response = client.post_form("/auth/login", {"email": user.email if email == "known" else email, "password": password},
                                headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert WRONG in response.get_data(as_text=True)


def test_deactivated_user_cannot_log_in(client, make_user):
    user = make_user(active=False)
    response = client.post_form("/auth/login", {"email": user.email, "password": PASSWORD}, headers={"Accept-Language": "en"})
    assert WRONG in response.get_data(as_text=True)


def test_passwords_are_hashed_with_scrypt(make_user):
    user = make_user()
    assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash


@pytest.mark.parametrize("target, expected", [
    ("/courses/", "/courses/"),
    ("https://evil.example/", "/dashboard"),
    ("//evil.example/", "/dashboard"),
    ("/\\evil.example", "/dashboard"),
    ("javascript:alert(1)", "/dashboard"),
    ("/\t/evil.example", "/dashboard"),  # browsers drop the tab and read //evil.example
])
def test_next_only_redirects_inside_the_site(client, make_user, target, expected):
    user = make_user()
    response = client.post_form("/auth/login", {"email": user.email, "password": PASSWORD, "next": target})
    assert response.headers["Location"] == expected


def test_login_required_pages_send_you_to_login_with_next(client):
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def _link(message, path):
    body = message.get_body(("plain",)).get_content()
    found = re.search(rf"http://[^\s]+{path}/([A-Za-z0-9_-]+)", body)
    assert found, body
    return found.group(1)


def test_password_reset_flow(client, make_user, outbox):
    user = make_user(locale="ja")
    response = client.post_form("/auth/forgot", {"email": user.email})
    assert response.status_code == 302
    [message] = outbox()
    assert message["To"] == user.email
    assert "パスワード" in message["Subject"]  # in the recipient's language
    token = _link(message, "/auth/reset")

    assert client.get(f"/auth/reset/{token}").status_code == 200
    new = "a brand new password"
    response = client.post_form(f"/auth/reset/{token}", {"password": new, "confirm": new})
    assert response.status_code == 302
    client.login(user, new)
    # one-time: the same link is refused now
    assert client.get(f"/auth/reset/{token}").status_code == 404


def test_reset_for_unknown_address_says_the_same_and_sends_nothing(client, outbox):
    response = client.post_form("/auth/forgot", {"email": "nobody@example.org"}, follow_redirects=True,
                                headers={"Accept-Language": "en"})
    assert "If an account exists for that address" in response.get_data(as_text=True)
    assert outbox() == []


def test_expired_reset_token_is_refused(client, make_user, outbox):
    user = make_user()
    client.post_form("/auth/forgot", {"email": user.email})
    token = _link(outbox()[0], "/auth/reset")
    db.session.execute(Token.__table__.update().values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    response = client.post_form(f"/auth/reset/{token}", {"password": "another password", "confirm": "another password"})
    assert response.status_code == 404
    assert client.post_form("/auth/login", {"email": user.email, "password": PASSWORD}).status_code == 302


def test_a_newer_reset_link_replaces_the_older_one(client, make_user, outbox):
    user = make_user()
    client.post_form("/auth/forgot", {"email": user.email})
    client.post_form("/auth/forgot", {"email": user.email})
    first, second = (_link(m, "/auth/reset") for m in outbox())
    assert client.get(f"/auth/reset/{first}").status_code == 404
    assert client.get(f"/auth/reset/{second}").status_code == 200


def test_short_password_is_refused_with_a_message(client, make_user, outbox):
    user = make_user()
    client.post_form("/auth/forgot", {"email": user.email})
    token = _link(outbox()[0], "/auth/reset")
    response = client.post_form(f"/auth/reset/{token}", {"password": "short", "confirm": "short"},
                                headers={"Accept-Language": "en"})
    assert "at least 10 characters" in response.get_data(as_text=True)
    assert client.get(f"/auth/reset/{token}").status_code == 200  # the link still works


def test_invitation_flow(client, make_user, outbox):
    admin = make_user(Role.ADMIN)
    client.login(admin)
    response = client.post_form("/admin/users/new", {
        "email": "new.founder@example.org", "name_latin": "Yuki Sato", "name_ja": "佐藤 由紀",
        "organisation": "Sato Bio", "locale": "en", "trainee": "y",
    })
    assert response.status_code == 302
    invited = db.session.scalar(select(User).where(User.email == "new.founder@example.org"))
    assert invited.password_hash is None
    [message] = outbox()
    assert message["Subject"] == "Your invitation to Skyfront LMS"
    token = _link(message, "/auth/invitation")

    guest = client.__class__(client.raw.application.test_client())
    page = guest.get(f"/auth/invitation/{token}")
    assert "new.founder@example.org" in page.get_data(as_text=True)
    response = guest.post_form(f"/auth/invitation/{token}", {
        "name_latin": "Yuki Sato", "name_ja": "佐藤 由紀", "organisation": "Sato Bio", "locale": "ja",
        "password": "my own password", "confirm": "my own password",
    })
    assert response.status_code == 302
    assert guest.get("/dashboard").status_code == 200
    db.session.refresh(invited)
    assert invited.locale == "ja" and invited.check_password("my own password")
    assert guest.get(f"/auth/invitation/{token}").status_code == 404  # one-time


def test_uninvited_account_cannot_log_in_before_accepting(client, make_user):
    make_user(email="pending@example.org", password=None)
    response = client.post_form("/auth/login", {"email": "pending@example.org", "password": "any password at all"},
                                headers={"Accept-Language": "en"})
    assert WRONG in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_changing_the_password_voids_outstanding_reset_links(client, make_user, outbox):
    user = make_user()
    client.post_form("/auth/forgot", {"email": user.email})
    token = _link(outbox()[0], "/auth/reset")
    client.login(user)
    client.post_form("/account/password", {"current": PASSWORD, "password": "changed password",
                                           "confirm": "changed password"})
    assert client.get(f"/auth/reset/{token}").status_code == 404


def test_a_password_reset_voids_the_invitation(client, make_user, outbox):
    admin = make_user(Role.ADMIN)
    client.login(admin)
    client.post_form("/admin/users/new", {"email": "inv@example.org", "name_latin": "Inv", "locale": "en", "trainee": "y"})
    client.logout()
    invitation = _link(outbox()[0], "/auth/invitation")
    client.post_form("/auth/forgot", {"email": "inv@example.org"})
    reset = _link(outbox()[1], "/auth/reset")
    client.post_form(f"/auth/reset/{reset}", {"password": "chosen password", "confirm": "chosen password"})
    assert client.get(f"/auth/invitation/{invitation}").status_code == 404


def test_deactivation_voids_links_for_good(client, make_client, make_user, outbox):
    user = make_user()
    client.post_form("/auth/forgot", {"email": user.email})
    token = _link(outbox()[0], "/auth/reset")
    admin_browser = make_client()
    admin_browser.login(make_user(Role.ADMIN))
    admin_browser.post_form(f"/admin/users/{user.id}", {"trainee": "y"})  # deactivate
    assert client.get(f"/auth/reset/{token}").status_code == 404
    admin_browser.post_form(f"/admin/users/{user.id}", {"trainee": "y", "active": "y"})  # reactivate
    assert client.get(f"/auth/reset/{token}").status_code == 404


def test_keep_me_logged_in_survives_a_password_change(client, make_user):
    user = make_user()
    client.post_form("/auth/login", {"email": user.email, "password": PASSWORD, "remember": "y"})
    client.post_form("/account/password", {"current": PASSWORD, "password": "changed password",
                                           "confirm": "changed password"})
    client.delete_cookie("session")  # the browser restarts
    assert client.get("/dashboard").status_code == 200


def test_registration_is_off_by_default(client):
    assert client.get("/auth/register").status_code == 404


def test_open_registration(app, client):
    app.config["OPEN_REGISTRATION"] = True
    response = client.post_form("/auth/register", {
        "email": "self@example.org", "name_latin": "Self Starter", "locale": "en",
        "password": "long enough pw", "confirm": "long enough pw",
    })
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "self@example.org"))
    assert user.roles == [Role.TRAINEE]
    again = client.post_form("/auth/register", {
        "email": "SELF@example.org", "name_latin": "Again", "locale": "en",
        "password": "long enough pw", "confirm": "long enough pw"}, headers={"Accept-Language": "en"})
    assert "already exists" in again.get_data(as_text=True)


def test_password_change_ends_other_sessions(make_client, make_user):
    user = make_user()
    laptop, phone = make_client(), make_client()
    laptop.login(user)
    phone.login(user)
    response = laptop.post_form("/account/password", {
        "current": PASSWORD, "password": "changed password", "confirm": "changed password"})
    assert response.status_code == 302
    assert laptop.get("/dashboard").status_code == 200  # this browser stays logged in
    assert phone.get("/dashboard").status_code == 302  # the other one is logged out


def test_password_change_needs_the_current_password(client, make_user):
    user = make_user()
    client.login(user)
    response = client.post_form("/account/password", {"current": "wrong one!!", "password": "changed password",
                                                       "confirm": "changed password"}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "current password is not correct" in response.get_data(as_text=True)


def test_profile_saves_names_and_language(client, make_user):
    user = make_user()
    client.login(user)
    response = client.post_form("/account/", {"name_ja": "山田 太郎", "name_latin": "Taro Yamada",
                                              "organisation": "Yamada Pharma", "locale": "ja"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.name_ja, user.name_latin, user.organisation, user.locale) == ("山田 太郎", "Taro Yamada", "Yamada Pharma", "ja")
    assert '<html lang="ja">' in client.get("/account/").get_data(as_text=True)


def test_reset_says_the_same_when_the_mail_server_fails(client, make_user, monkeypatch):
    from lms.services import mail

    user = make_user()

    def broken(*args, **kwargs):
        raise mail.MailError("connection refused")

    monkeypatch.setattr(mail, "transport", broken)
    response = client.post_form("/auth/forgot", {"email": user.email}, follow_redirects=True,
                                headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "If an account exists for that address" in response.get_data(as_text=True)
