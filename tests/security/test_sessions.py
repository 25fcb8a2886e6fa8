"""Server-side sessions: logout ends every copy of the cookies, remember cookies expire, idle and absolute
lifetimes, rotation on login (a CSRF token from before the login stops working), password changes and deactivation
end every session, the profile lists them and can end the others; GET requests write nothing."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from sqlalchemy import event, func, select

from lms.extensions import db
from lms.models import UserSession, utcnow
from lms.services import accounts

from ..conftest import CSRF_INPUT, PASSWORD


def cookies_of(client) -> dict[str, str]:
    return {cookie.key: cookie.value for cookie in client.raw._cookies.values()}


def with_cookies(make_client, cookies: dict[str, str]):
    client = make_client()
    for name, value in cookies.items():
        client.raw.set_cookie(name, value)
    return client


def dashboard_opens(client) -> bool:
    response = client.get("/dashboard")
    response.close()
    return response.status_code == 200


def log_in(client, user, remember=False):
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post_form("/auth/login", data)
    assert response.status_code == 302
    return response


def test_a_copy_of_the_session_cookie_is_dead_after_logout(make_client, make_user):
    user = make_user()
    client = make_client()
    log_in(client, user)
    stolen = cookies_of(client)
    assert "session" in stolen and dashboard_opens(with_cookies(make_client, stolen))
    client.logout()
    assert not dashboard_opens(with_cookies(make_client, stolen))
    assert db.session.scalar(select(UserSession.ended_at)) is not None


def test_a_copy_of_the_remember_cookie_alone_is_dead_after_logout(make_client, make_user):
    user = make_user()
    client = make_client()
    response = log_in(client, user, remember=True)
    remember = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token="))
    assert "Expires=" in remember  # a real expiry of its own
    token = cookies_of(client)["remember_token"]
    assert dashboard_opens(with_cookies(make_client, {"remember_token": token}))
    client.logout()
    assert not dashboard_opens(with_cookies(make_client, {"remember_token": token}))


def test_cookie_lifetimes_follow_the_settings(app, make_client, make_user):
    user = make_user()
    client = make_client()
    response = log_in(client, user)
    session_cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Expires=" not in session_cookie  # without "keep me logged in": ends with the browser
    record = db.session.scalar(select(UserSession))
    assert abs((record.expires_at - record.created_at) - timedelta(hours=12)) < timedelta(seconds=5)
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(days=14)  # not Flask's 31 days
    other = make_client()
    log_in(other, user, remember=True)
    remembered = db.session.scalar(select(UserSession).where(UserSession.remember.is_(True)))
    assert abs((remembered.expires_at - remembered.created_at) - timedelta(days=14)) < timedelta(seconds=5)


def test_an_expired_session_is_refused(make_client, make_user):
    user = make_user()
    client = make_client()
    log_in(client, user, remember=True)
    db.session.execute(UserSession.__table__.update().values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert not dashboard_opens(client)


def test_an_idle_session_without_keep_me_logged_in_ends(app, make_client, make_user, monkeypatch):
    user = make_user()
    client = make_client()
    log_in(client, user)
    assert dashboard_opens(client)
    later = time.time() + app.config["SESSION_IDLE_MINUTES"] * 60 + 5
    monkeypatch.setattr("lms.services.sessions.time.time", lambda: later)
    assert not dashboard_opens(client)


def test_activity_keeps_a_session_alive(app, make_client, make_user, monkeypatch):
    user = make_user()
    client = make_client()
    log_in(client, user)
    now = time.time()
    for step in range(1, 5):  # a request every 100 minutes with a 120-minute idle limit
        monkeypatch.setattr("lms.services.sessions.time.time", lambda step=step: now + step * 100 * 60)
        assert dashboard_opens(client)


def test_a_remembered_session_is_not_ended_by_idleness(app, make_client, make_user, monkeypatch):
    user = make_user()
    client = make_client()
    log_in(client, user, remember=True)
    later = time.time() + app.config["SESSION_IDLE_MINUTES"] * 60 * 3
    monkeypatch.setattr("lms.services.sessions.time.time", lambda: later)
    assert dashboard_opens(client)


def test_login_rotates_the_session_and_an_earlier_csrf_token_stops_working(make_client, make_user):
    user = make_user()
    client = make_client()
    before = client.csrf_token("/auth/login")
    pre_login_cookie = cookies_of(client)["session"]
    log_in(client, user)
    assert cookies_of(client)["session"] != pre_login_cookie
    response = client.raw.post("/account/", data={"csrf_token": before, "name_latin": "Changed", "locale": "en"})
    assert response.status_code == 400  # the token from before the login
    fresh = CSRF_INPUT.search(client.get("/account/").get_data(as_text=True))
    token = fresh.group(1) or fresh.group(2)
    assert client.raw.post("/account/", data={"csrf_token": token, "name_latin": "Changed",
                                              "locale": "en"}).status_code == 302


def test_login_keeps_the_chosen_language(make_client, make_user):
    user = make_user(locale="ja")
    client = make_client()
    with client.raw.session_transaction() as session:
        session["lang"] = "en"
    log_in(client, user)
    with client.raw.session_transaction() as session:
        assert session.get("lang") == "en"


def test_a_password_change_ends_every_other_session(make_client, make_user):
    user = make_user()
    phone, laptop = make_client(), make_client()
    log_in(phone, user, remember=True)
    log_in(laptop, user)
    response = laptop.post_form("/account/password", {"current": PASSWORD, "password": "a new password 1",
                                                      "confirm": "a new password 1"})
    assert response.status_code == 302
    assert not dashboard_opens(phone) and dashboard_opens(laptop)


def test_deactivation_ends_every_session(app, make_client, make_user):
    user, admin = make_user(), make_user("admin")
    client = make_client()
    log_in(client, user, remember=True)
    accounts.update_account(user, roles=set(user.roles), active=False, acting=admin)
    assert not dashboard_opens(client)
    assert db.session.scalar(select(func.count(UserSession.id)).where(UserSession.ended_at.is_(None))) == 0


def test_the_profile_lists_sessions_and_ends_the_others(make_client, make_user):
    user = make_user()
    phone, laptop = make_client(), make_client()
    phone.raw.environ_base["HTTP_USER_AGENT"] = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
                                                 "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/604.1")
    laptop.raw.environ_base["HTTP_USER_AGENT"] = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) "
                                                  "Gecko/20100101 Firefox/125.0")
    log_in(phone, user)
    log_in(laptop, user)
    page = laptop.get("/account/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Safari / iOS" in page and "Firefox / Windows" in page and "127.0.0.1" in page
    assert len(re.findall(r"This session", page)) == 1 and "Log out everywhere else" in page
    assert laptop.post_form("/account/sessions/end-others", csrf=False).status_code == 400  # CSRF
    response = laptop.post_form("/account/sessions/end-others", {"csrf_token": laptop.csrf_token("/account/")})
    assert response.status_code == 302
    assert not dashboard_opens(phone) and dashboard_opens(laptop)


def test_get_requests_write_nothing_and_posts_touch_last_seen_at_most_once_a_minute(app, make_client, make_user):
    user = make_user()
    client = make_client()
    log_in(client, user)
    writes = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if re.match(r"\s*(INSERT|UPDATE|DELETE)", statement, re.I):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for path in ("/dashboard", "/account/", "/courses/"):
            client.get(path).close()
        assert writes == []
        db.session.execute(UserSession.__table__.update().values(last_seen_at=utcnow() - timedelta(minutes=5)))
        db.session.commit()
        writes.clear()
        client.post_form("/language", {"lang": "en"})
        client.post_form("/language", {"lang": "ja"})
        assert len([w for w in writes if "user_session" in w]) == 1
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert utcnow() - db.session.scalar(select(UserSession.last_seen_at)) < timedelta(minutes=1)


def test_the_session_settings(monkeypatch):
    from lms.config import env_overrides

    monkeypatch.setenv("LMS_SESSION_IDLE_MINUTES", "30")
    monkeypatch.setenv("LMS_SESSION_LIFETIME_HOURS", "8")
    monkeypatch.setenv("LMS_SESSION_REMEMBER_DAYS", "7")
    found = env_overrides()
    assert (found["SESSION_IDLE_MINUTES"], found["SESSION_LIFETIME_HOURS"], found["SESSION_REMEMBER_DAYS"]) == (30, 8, 7)
