"""Skyfront LMS: a bilingual learning platform for the King Skyfront drug-discovery programs."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from flask import Flask

from .config import PACKAGE_DIR, PROJECT_DIR, Defaults, env_overrides, load_or_create_secret_key


def create_app(config: dict | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, CLI."""
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("LMS_INSTANCE_PATH") or PROJECT_DIR / "instance"
    app = Flask(
        __name__,
        instance_path=str(Path(instance_path).resolve()),
        instance_relative_config=True,
        static_folder=str(PROJECT_DIR / "static"),
        template_folder=str(PACKAGE_DIR / "templates"),
    )
    _configure(app, config or {})

    from . import extensions, i18n, security, views
    from .cli import register_cli

    security.limit_request_bodies(app)  # first: the hooks after it (CSRF, rate limits) read the form
    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(PACKAGE_DIR / "migrations"))
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    extensions.babel.init_app(app, locale_selector=i18n.select_locale)
    security.init_app(app)
    views.init_app(app)
    register_cli(app)
    _warn_about_process_local_limits(app)
    if app.config["PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    return app


def _configure(app: Flask, overrides: dict) -> None:
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(env_overrides())
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(Path(app.instance_path))
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", None)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            app.config["DATABASE_URL"] or f"sqlite:///{Path(app.instance_path) / 'lms.sqlite'}"
        )
    app.config.update(
        BABEL_DEFAULT_LOCALE="ja",
        BABEL_DEFAULT_TIMEZONE="Asia/Tokyo",
        # Flask-Babel resolves relative paths against the package; the catalogs live at the repo root.
        BABEL_TRANSLATION_DIRECTORIES=str(PROJECT_DIR / "translations"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(app.config["HTTPS"]),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_DURATION=timedelta(days=app.config["SESSION_REMEMBER_DAYS"]),
        # The session cookie is permanent only with "keep me logged in" (else it ends with the browser).
        PERMANENT_SESSION_LIFETIME=timedelta(days=app.config["SESSION_REMEMBER_DAYS"]),
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=bool(app.config["HTTPS"]),
        PREFERRED_URL_SCHEME="https" if app.config["HTTPS"] else "http",
        MAX_CONTENT_LENGTH=int(app.config["MAX_REQUEST_MB"]) * 1024 * 1024,
        MAX_FORM_PARTS=int(app.config["MAX_FORM_PARTS"]),
        WTF_CSRF_TIME_LIMIT=None,  # a long-open form must not lose what was typed; the token is tied to the session
    )


def _warn_about_process_local_limits(app: Flask) -> None:
    """memory:// counts per process: with N workers every limit is N times as generous (logged, not a warning
    category: tests turn warnings into errors)."""
    storage = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if storage.startswith("memory://") and not app.debug and not app.testing:
        app.logger.warning(
            "RATELIMIT_STORAGE_URI is memory://: rate limits (logins, password resets, certificate look-ups) are "
            "counted in each process separately, so every worker allows the full limit. That is only acceptable "
            "for `make run`'s single process; in production set LMS_RATELIMIT_STORAGE_URI=redis://host:6379.")
