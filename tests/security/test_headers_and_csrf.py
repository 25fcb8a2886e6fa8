"""Headers, cookies, CSRF on every state-changing route, and no secrets in the repository."""

from __future__ import annotations

import re
import subprocess

import pytest

from lms.extensions import db

from tests.conftest import REPO


def test_security_headers_on_every_response(client):
    for path in ("/", "/courses/", "/auth/login", "/no-such-page", "/static/favicon.svg"):
        response = client.get(path)
        headers = response.headers
        response.close()
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp, path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_scripts_or_styles(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert "style=" not in html and "<style" not in html
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, re.S)
    assert scripts and all(body == "" for body in scripts)  # only external, built files
    assert all(tag.startswith('<script src="/static/dist/') and 'integrity="sha384-' in tag
               for tag in re.findall(r"<script[^>]*>", html))


def test_session_cookie_flags(app, client, make_user):
    user = make_user()
    response = client.post_form("/auth/login", {"email": user.email, "password": "correct horse battery"})
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_secure_cookie_when_configured_for_https(database_url, tmp_path):
    from lms import create_app

    app = create_app({"SECRET_KEY": "x", "HTTPS": True, "SQLALCHEMY_DATABASE_URI": database_url,
                      "INSTANCE_PATH": str(tmp_path)})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


# Stateless JSON APIs that read no cookie and change nothing: the only routes without CSRF protection.
CSRF_EXEMPT = {"lms.views.credentials.verify"}


def test_only_stateless_apis_are_exempt_from_csrf():
    from lms.extensions import csrf

    assert set(csrf._exempt_views) == CSRF_EXEMPT


def test_every_post_route_refuses_a_missing_csrf_token(app, client):
    posts = [r for r in app.url_map.iter_rules() if "POST" in r.methods
             and f"lms.views.{r.endpoint}" not in CSRF_EXEMPT]
    assert len(posts) >= 10
    for rule in posts:
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "1" if "id" in m.group(1) else "x", rule.rule)
        response = client.post(url, data={})
        assert response.status_code == 400, f"{rule.rule} accepted a POST without a CSRF token"


def test_secret_key_is_generated_into_instance_and_reused(database_url, tmp_path, monkeypatch):
    from lms import create_app

    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    first = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(tmp_path)})
    second = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(tmp_path)})
    assert len(first.config["SECRET_KEY"]) >= 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_an_empty_secret_key_file_is_an_error_not_a_silent_default(database_url, tmp_path, monkeypatch):
    from lms import create_app

    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(RuntimeError, match="no usable secret key"):
        create_app({"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(tmp_path)})


def test_no_secrets_are_tracked():
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    assert not [f for f in files if f.startswith("instance/") and f != "instance/README.md"]
    assert not [f for f in files if re.search(r"(^|/)\.env(\.|$)|secret_key$|\.pem$|\.key$", f)]
    pattern = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----|SECRET_KEY\s*=\s*['\"][^'\"]{8,}")
    for name in files:
        path = REPO / name
        if path.suffix in {".py", ".toml", ".cfg", ".ini", ".md", ".txt", ".html", ".sh", ""} and path.is_file():
            assert not pattern.search(path.read_text(encoding="utf-8", errors="ignore")), name


def test_links_in_mail_ignore_a_forged_host_header(app, client, make_user, outbox):
    from lms.services import accounts

    make_user("trainee", email="ken@example.org")
    with app.test_request_context("/auth/forgot", base_url="http://evil.example"):  # a request with a forged Host
        accounts.request_password_reset("ken@example.org")
        db.session.commit()
    [message] = outbox()
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "http://localhost/auth/reset/" in body and "evil.example" not in body
