"""Issue 17, item 4: an account under attack from many addresses slows the attackers down, never the owner.

The counts live in the audit trail (the database): every worker sees them, an admin lists them on
/admin/throttles and clears them there (audited), after which the next login goes through.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms import create_app
from lms.extensions import db
from lms.models import AuditEvent
from tests.conftest import PASSWORD, Client, IsolatedClient

OWNER_ADDRESS = "198.51.100.7"
ATTACKER = "203.0.113.9"


def attempt(client, email, password="wrong guess!", address=ATTACKER, **kwargs):
    return client.raw.post("/auth/login", data={"email": email, "password": password,
                                                "csrf_token": client.csrf_token()},
                           environ_base={"REMOTE_ADDR": address}, **kwargs)


def attack(client, email, count, prefix="10.20.30."):
    for n in range(count):
        assert attempt(client, email, address=f"{prefix}{n + 1}").status_code == 200


def events(action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def writes_during(count_queries, call):
    with count_queries() as counted:
        response = call()
    return response, [s for s in counted.statements if s.lstrip().split(None, 1)[0].upper()
                      in ("INSERT", "UPDATE", "DELETE")]


@pytest.fixture
def suspicious(app):
    app.config["LOGIN_ACCOUNT_SUSPICIOUS"] = "5 per 15 minutes"


def test_the_owner_at_a_clean_address_gets_in_while_attacking_addresses_are_refused(app, make_client, make_user,
                                                                                  suspicious):
    make_user("trainee", email="ken@example.org")
    client = make_client()
    attack(client, "ken@example.org", 4)
    # Below the account-wide limit an address with a failure may still try.
    assert attempt(client, "ken@example.org", address=ATTACKER).status_code == 200
    # Now 5 failures from 5 addresses: the account is under attack.
    refused = attempt(client, "Ken@Example.org ", PASSWORD, headers={"Accept-Language": "en"})
    assert refused.status_code == 429  # even the right password, from an address that has failed for it
    assert "many failed logins from several places" in refused.get_data(as_text=True)
    assert attempt(client, "ken@example.org", PASSWORD, address="10.20.30.1").status_code == 429
    # The owner, at an address with no failures for this account, gets in.
    assert attempt(make_client(), "ken@example.org", PASSWORD, address=OWNER_ADDRESS).status_code == 302
    # Another account is not affected at the attacking address.
    make_user("trainee", email="aya@example.org")
    assert attempt(make_client(), "aya@example.org", PASSWORD, address=ATTACKER).status_code == 302
    throttled = events("login.throttled")
    assert [(e.login_email, e.ip, e.details["reason"]) for e in throttled] == [
        ("ken@example.org", ATTACKER, "suspicious"), ("ken@example.org", "10.20.30.1", "suspicious")]


def test_the_refusal_is_in_japanese_too(app, make_client, make_user, suspicious):
    make_user("trainee", email="ken@example.org")
    client = make_client()
    attack(client, "ken@example.org", 5)
    page = attempt(client, "ken@example.org", address="10.20.30.2", headers={"Accept-Language": "ja"})
    assert page.status_code == 429
    assert "管理者" in page.get_data(as_text=True) and "失敗" in page.get_data(as_text=True)


def test_a_login_check_costs_the_same_queries_however_many_failures(app, make_client, make_user, count_queries):
    app.config.update(LOGIN_RATE_LIMIT_ADDRESS="1000 per 15 minutes", LOGIN_RATE_LIMIT_ACCOUNT="1000 per 15 minutes",
                      LOGIN_ACCOUNT_SUSPICIOUS="1000 per 15 minutes")
    user = make_user("trainee", email="ken@example.org")
    client = make_client()

    def counted_login():
        fresh = make_client()
        token = fresh.csrf_token()
        with count_queries() as counted:
            response = fresh.raw.post("/auth/login", data={"email": user.email, "password": PASSWORD,
                                                           "csrf_token": token},
                                      environ_base={"REMOTE_ADDR": OWNER_ADDRESS})
        assert response.status_code == 302
        return counted.count

    before = counted_login()
    attack(client, "ken@example.org", 60)
    assert counted_login() == before
    assert before <= 12, before


def test_the_admin_lists_throttles_and_the_list_writes_nothing(app, make_client, make_user, as_, suspicious,
                                                               count_queries):
    admin = make_user("admin")
    make_user("trainee", email="ken@example.org")
    client = make_client()
    attack(client, "ken@example.org", 5)
    attempt(client, "ken@example.org", address="10.20.30.3")  # refused: recorded, not counted as a failure
    home = as_(admin)
    assert "/admin/throttles" in home.get("/admin/").get_data(as_text=True)
    response, writes = writes_during(count_queries, lambda: home.get("/admin/throttles",
                                                                     headers={"Accept-Language": "en"}))
    assert response.status_code == 200 and writes == []
    page = response.get_data(as_text=True)
    assert "ken@example.org" in page and "10.20.30.3" in page and "Refused" in page
    ja = as_(make_user("admin", locale="ja")).get("/admin/throttles").get_data(as_text=True)
    assert "ken@example.org" in ja and "ログイン制限" in ja and "拒否中" in ja


def test_clearing_an_account_lets_its_addresses_in_again_and_is_audited(app, make_client, make_user, as_,
                                                                        suspicious):
    admin = make_user("admin")
    make_user("trainee", email="ken@example.org")
    client = make_client()
    attack(client, "ken@example.org", 5)
    assert attempt(client, "ken@example.org", PASSWORD, address="10.20.30.1").status_code == 429
    admin_client = as_(admin)
    cleared = admin_client.post_form("/admin/throttles/clear", {"kind": "account", "value": " KEN@example.org"})
    assert cleared.status_code == 302 and cleared.headers["Location"].endswith("/admin/throttles")
    assert attempt(make_client(), "ken@example.org", PASSWORD, address="10.20.30.1").status_code == 302
    [event] = events("login.throttle_cleared")
    assert (event.actor_id, event.login_email, event.details) == (admin.id, "ken@example.org",
                                                                  {"email": "ken@example.org"})
    assert "Login throttle cleared" in admin_client.get("/admin/audit", headers={"Accept-Language": "en"}
                                                        ).get_data(as_text=True)


def test_clearing_an_address_lets_it_in_again(app, make_client, make_user, as_):
    app.config["LOGIN_RATE_LIMIT_ADDRESS"] = "3 per 15 minutes"
    admin = make_user("admin")
    make_user("trainee", email="ken@example.org")
    client = make_client()
    for n in range(3):
        assert attempt(client, f"guess{n}@example.org").status_code == 200
    assert attempt(client, "ken@example.org", PASSWORD).status_code == 429
    as_(admin).post_form("/admin/throttles/clear", {"kind": "address", "value": ATTACKER})
    assert attempt(client, "ken@example.org", PASSWORD).status_code == 302
    [event] = events("login.throttle_cleared")
    assert (event.target_type, event.target_id) == ("address", ATTACKER)


def test_only_admins_see_or_clear_throttles_and_clearing_needs_the_csrf_token(app, make_client, make_user, as_):
    app.config["LOGIN_RATE_LIMIT_ACCOUNT"] = "2 per 15 minutes"
    make_user("trainee", email="ken@example.org")
    client = make_client()
    attempt(client, "ken@example.org", address=ATTACKER)
    attempt(client, "ken@example.org", address=ATTACKER)
    for role in ("trainee", "mentor"):
        someone = as_(make_user(role))
        assert someone.get("/admin/throttles").status_code == 403
        assert someone.post_form("/admin/throttles/clear", {"kind": "address", "value": ATTACKER}).status_code == 403
    anonymous = make_client()
    assert anonymous.get("/admin/throttles").status_code == 302
    assert anonymous.post_form("/admin/throttles/clear", {"kind": "address", "value": ATTACKER}).status_code == 302
    admin = as_(make_user("admin"))
    assert admin.post_form("/admin/throttles/clear", {"kind": "address", "value": ATTACKER},
                           csrf=False).status_code == 400
    assert events("login.throttle_cleared") == []
    assert attempt(client, "ken@example.org", PASSWORD).status_code == 429


def test_nonsense_clears_nothing(app, make_user, as_):
    admin = as_(make_user("admin"))
    for data in ({"kind": "account", "value": "  "}, {"kind": "address", "value": "x" * 46}, {"kind": "all"}):
        assert admin.post_form("/admin/throttles/clear", data).status_code == 302
    assert events("login.throttle_cleared") == []


def test_two_workers_share_the_counts_and_the_clears(app, database_url, tmp_path, make_client, make_user,
                                                     suspicious):
    """Two app instances on one database, as two worker processes: what one counts, the other refuses."""
    other = create_app({**{key: app.config[key] for key in ("TESTING", "SECRET_KEY", "OPEN_REGISTRATION",
                                                             "PASSWORD_MIN_LENGTH", "JOBS_IMMEDIATE",
                                                             "LOGIN_ACCOUNT_SUSPICIOUS")},
                        "SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(tmp_path / "other")})
    other.test_client_class = IsolatedClient
    try:
        admin = make_user("admin")
        make_user("trainee", email="ken@example.org")
        attack(make_client(), "ken@example.org", 5)  # worker 1
        on_other = Client(other.test_client())
        assert attempt(on_other, "ken@example.org", PASSWORD, address="10.20.30.4").status_code == 429  # worker 2
        assert attempt(Client(other.test_client()), "ken@example.org", PASSWORD,
                       address=OWNER_ADDRESS).status_code == 302
        other_admin = Client(other.test_client())
        other_admin.login(admin)
        assert "10.20.30.4" in other_admin.get("/admin/throttles").get_data(as_text=True)
        other_admin.post_form("/admin/throttles/clear", {"kind": "account", "value": "ken@example.org"})  # worker 2
        assert attempt(make_client(), "ken@example.org", PASSWORD, address="10.20.30.4").status_code == 302  # 1
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_failures_older_than_the_window_stop_counting(app, make_client, make_user, suspicious, monkeypatch):
    from datetime import timedelta

    from lms import clock

    make_user("trainee", email="ken@example.org")
    client = make_client()
    attack(client, "ken@example.org", 5)
    assert attempt(client, "ken@example.org", PASSWORD, address="10.20.30.1").status_code == 429
    later = clock.now() + timedelta(minutes=16)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert attempt(client, "ken@example.org", PASSWORD, address="10.20.30.1").status_code == 302
