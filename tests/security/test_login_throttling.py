"""Login throttling: failed attempts per account and per address are refused, with a clear message, and audited."""

from sqlalchemy import func, select

from lms.extensions import db
from lms.models import AuditEvent


def fail(client, email, password="wrong password!"):
    return client.post_form("/auth/login", {"email": email, "password": password})


def test_failed_logins_are_audited_without_the_password(client, make_user):
    user = make_user("trainee", email="ken@example.org")
    fail(client, "ken@example.org", "hunter2-secret")
    fail(client, "nobody@example.org")
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login.failure")
                                     .order_by(AuditEvent.id)))
    assert [(e.target_id, e.details["email"]) for e in events] == [(str(user.id), "ken@example.org"),
                                                                   ("", "nobody@example.org")]
    assert all(e.ip == "127.0.0.1" for e in events)
    assert "hunter2" not in str([e.details for e in events])


def test_an_account_is_throttled_after_repeated_failures(app, make_client, make_user):
    app.config["LOGIN_RATE_LIMIT_ACCOUNT"] = "3 per 15 minutes"
    make_user("trainee", email="ken@example.org")
    client = make_client()
    assert [fail(client, "ken@example.org").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.post_form("/auth/login", {"email": "KEN@example.org ", "password": "x"},
                               headers={"Accept-Language": "en"})  # the same account, however it is typed
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Too many failed attempts" in page and 'value="KEN@example.org' in page
    # Even the right password waits: the throttle does not reveal which guess was right.
    assert client.post_form("/auth/login", {"email": "ken@example.org",
                                            "password": "correct horse battery"}).status_code == 429
    # Another account from the same address is not affected.
    make_user("trainee", email="aya@example.org")
    assert client.login("aya@example.org").status_code == 302
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "login.throttled")) == 2


def test_an_address_is_throttled_across_accounts(app, make_client, make_user):
    app.config["LOGIN_RATE_LIMIT_ADDRESS"] = "4 per 15 minutes"
    client = make_client()
    for n in range(4):
        assert fail(client, f"guess{n}@example.org").status_code == 200
    assert fail(client, "guess9@example.org").status_code == 429
    other_address = client.post("/auth/login", data={"email": "x@example.org", "password": "y"},
                                environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other_address.status_code != 429


def test_successful_logins_do_not_count(app, make_client, make_user):
    app.config["LOGIN_RATE_LIMIT_ACCOUNT"] = "2 per 15 minutes"
    user = make_user("trainee")
    for _ in range(4):
        client = make_client()
        assert client.login(user).status_code == 302


def test_japanese_message(app, make_client, make_user):
    app.config["LOGIN_RATE_LIMIT_ACCOUNT"] = "1 per 15 minutes"
    client = make_client()
    fail(client, "ken@example.org")
    page = client.post_form("/auth/login", {"email": "ken@example.org", "password": "x"},
                            headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "ログインの失敗が続いたため" in page


def test_password_reset_requests_are_limited_per_address(app, make_client):
    app.config["RESET_RATE_LIMIT"] = "2 per hour"
    client = make_client()
    codes = [client.post_form("/auth/forgot", {"email": f"a{n}@example.org"}).status_code for n in range(3)]
    assert codes == [302, 302, 429]


def test_failures_from_other_addresses_never_lock_the_owner_out(app, make_client, make_user):
    """Issue 17: 20 wrong passwords for an account from any addresses used to lock it for everyone. Refusals are
    decided per (account, address) and per address: the owner at their own address still gets in."""
    app.config["LOGIN_RATE_LIMIT_ACCOUNT"] = "3 per 15 minutes"
    make_user("trainee", email="ken@example.org")
    attacker = make_client()
    for n in range(20):
        attacker.raw.post("/auth/login", data={"email": "ken@example.org", "password": "guess",
                                               "csrf_token": attacker.csrf_token()},
                          environ_base={"REMOTE_ADDR": f"10.9.{n // 4}.{n}"})
    owner = make_client()
    assert owner.login("ken@example.org").status_code == 302
    # one address that keeps guessing this account is refused after its own 3 failures
    app.config["LOGIN_ACCOUNT_SUSPICIOUS"] = "1000 per 15 minutes"  # (the account-wide rule: see below)
    codes = [attacker.raw.post("/auth/login", data={"email": "ken@example.org", "password": "guess",
                                                    "csrf_token": attacker.csrf_token()},
                               environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
