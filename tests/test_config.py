"""Configuration precedence: defaults, instance/config.py, LMS_* variables, the mapping given to create_app.

The last one wins for every setting, the Flask and extension settings included; the settings derived from
HTTPS follow it only when nobody sets them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from lms import create_app
from lms.config import _ENV_TYPES

OVERRIDABLE = {  # every key create_app used to force after the overrides, with a value that is not its default
    "BABEL_DEFAULT_LOCALE": "en",
    "BABEL_DEFAULT_TIMEZONE": "UTC",
    "BABEL_TRANSLATION_DIRECTORIES": "/srv/lms/translations",
    "SESSION_COOKIE_HTTPONLY": False,
    "SESSION_COOKIE_SAMESITE": "Strict",
    "SESSION_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_HTTPONLY": False,
    "REMEMBER_COOKIE_DURATION": timedelta(days=1),
    "REMEMBER_COOKIE_SAMESITE": "Strict",
    "REMEMBER_COOKIE_SECURE": True,
    "PREFERRED_URL_SCHEME": "https",
    "WTF_CSRF_TIME_LIMIT": 3600,
}


@pytest.fixture
def make_app(tmp_path, monkeypatch):
    for key in _ENV_TYPES:
        monkeypatch.delenv(f"LMS_{key}", raising=False)
    instance = tmp_path / "instance"
    instance.mkdir()

    def make(mapping=None, instance_config: str | None = None, env: dict | None = None):
        if instance_config is not None:
            (instance / "config.py").write_text(instance_config, encoding="utf-8")
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        return create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                           "INSTANCE_PATH": str(instance), **(mapping or {})})

    return make


def test_the_defaults(make_app):
    config = make_app().config
    assert config["BABEL_DEFAULT_LOCALE"] == "ja" and config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Tokyo"
    assert config["BABEL_TRANSLATION_DIRECTORIES"].endswith("translations")
    assert config["SESSION_COOKIE_HTTPONLY"] and config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["REMEMBER_COOKIE_HTTPONLY"] and config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert config["REMEMBER_COOKIE_DURATION"] == timedelta(days=14) and config["WTF_CSRF_TIME_LIMIT"] is None
    assert not config["SESSION_COOKIE_SECURE"] and not config["REMEMBER_COOKIE_SECURE"]
    assert config["PREFERRED_URL_SCHEME"] == "http"


def test_the_mapping_given_to_create_app_wins_for_every_setting(make_app):
    config = make_app(OVERRIDABLE).config
    assert {key: config[key] for key in OVERRIDABLE} == OVERRIDABLE


def test_instance_config_wins_for_every_setting(make_app):
    text = "from datetime import timedelta\n" + "".join(f"{key} = {value!r}\n" for key, value in OVERRIDABLE.items())
    config = make_app(instance_config=text.replace("datetime.timedelta", "timedelta")).config
    assert {key: config[key] for key in OVERRIDABLE} == OVERRIDABLE


def test_derived_settings_follow_https_from_any_layer(make_app):
    for app in (make_app({"HTTPS": True}), make_app(env={"LMS_HTTPS": "1"})):
        config = app.config
        assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
        assert config["PREFERRED_URL_SCHEME"] == "https"
    config = make_app(instance_config="HTTPS = True\n").config
    assert config["SESSION_COOKIE_SECURE"] and config["PREFERRED_URL_SCHEME"] == "https"


def test_a_derived_setting_given_explicitly_wins_over_https(make_app):
    config = make_app({"HTTPS": True, "SESSION_COOKIE_SECURE": False}).config
    assert config["SESSION_COOKIE_SECURE"] is False and config["REMEMBER_COOKIE_SECURE"] is True  # the other follows
    config = make_app(env={"LMS_HTTPS": "1", "LMS_SESSION_COOKIE_SECURE": "0", "LMS_PREFERRED_URL_SCHEME": "http"}).config
    assert config["SESSION_COOKIE_SECURE"] is False and config["PREFERRED_URL_SCHEME"] == "http"
    assert config["REMEMBER_COOKIE_SECURE"] is True


def test_each_layer_wins_over_the_one_before(make_app):
    config = make_app(instance_config="HTTPS = True\nPREFERRED_URL_SCHEME = 'http'\nSESSION_COOKIE_SAMESITE = 'Strict'\n",
                      env={"LMS_PREFERRED_URL_SCHEME": "https"},
                      mapping={"SESSION_COOKIE_SAMESITE": "None"}).config
    assert config["PREFERRED_URL_SCHEME"] == "https"  # env over instance config
    assert config["SESSION_COOKIE_SAMESITE"] == "None"  # mapping over instance config
    config = make_app(env={"LMS_SESSION_COOKIE_SECURE": "1"}, mapping={"SESSION_COOKIE_SECURE": False}).config
    assert config["SESSION_COOKIE_SECURE"] is False  # mapping over env


def test_an_overridden_cookie_flag_reaches_the_cookie(make_app):
    app = make_app({"TESTING": True, "SESSION_COOKIE_SAMESITE": "Strict"})

    @app.get("/set-session")
    def set_session():
        from flask import session

        session["x"] = 1
        return "ok"

    cookie = app.test_client().get("/set-session").headers["Set-Cookie"]
    assert "SameSite=Strict" in cookie and "HttpOnly" in cookie


def test_redis_url_puts_rate_limit_counts_in_redis_unless_their_storage_is_set(make_app):
    shared = make_app({"REDIS_URL": "redis://127.0.0.1:6399/0", "JOBS_IMMEDIATE": True})
    assert shared.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6399/0"
    chosen = make_app({"REDIS_URL": "redis://127.0.0.1:6399/0", "JOBS_IMMEDIATE": True,
                       "RATELIMIT_STORAGE_URI": "memory://"})
    assert chosen.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert make_app({}).config["RATELIMIT_STORAGE_URI"] == "memory://"
