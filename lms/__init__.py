"""Skyfront LMS: a bilingual learning platform for the King Skyfront drug-discovery programs."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from flask import Config, Flask

from .config import PACKAGE_DIR, PROJECT_DIR, Defaults, derived_from_https, env_overrides, load_or_create_secret_key


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

    from . import assets, extensions, i18n, jobs, security, tasks, unit_of_work, views  # noqa: F401 (tasks: registers jobs)
    from .cli import register_cli

    security.limit_request_bodies(app)  # first: the hooks after it (CSRF, rate limits) read the form
    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(PACKAGE_DIR / "migrations"))
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    extensions.babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.install_template_gettext(app.jinja_env)
    unit_of_work.init_app(app)
    jobs.init_app(app)
    security.init_app(app)
    views.init_app(app)
    assets.init_app(app)
    register_cli(app)
    _warn_about_process_local_limits(app)
    if app.config["PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    return app


def _configure(app: Flask, overrides: dict) -> None:
    """Defaults, then instance/config.py, then LMS_* variables, then ``overrides``: the last one wins."""
    app.config.from_object(Defaults)
    given = Config(app.config.root_path)  # everything set on purpose, whatever the layer
    given.from_pyfile("config.py", silent=True)
    given.update(env_overrides())
    given.update(overrides)
    app.config.update(given)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(Path(app.instance_path))
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", None)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            app.config["DATABASE_URL"] or f"sqlite:///{Path(app.instance_path) / 'lms.sqlite'}"
        )
    # LMS_REDIS_URL puts the rate-limit counts in Redis too (the job queue follows it in jobs.py), so every
    # worker and every host counts together; an explicit RATELIMIT_STORAGE_URI still wins.
    if app.config.get("REDIS_URL") and "RATELIMIT_STORAGE_URI" not in given:
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    for key, value in derived_from_https(bool(app.config["HTTPS"])).items():
        if key not in given:
            app.config[key] = value
    # Limits and lifetimes that follow their own settings, unless Flask's own names are given.
    for key, value in {
        "REMEMBER_COOKIE_DURATION": timedelta(days=app.config["SESSION_REMEMBER_DAYS"]),
        # The session cookie is permanent only with "keep me logged in" (else it ends with the browser).
        "PERMANENT_SESSION_LIFETIME": timedelta(days=app.config["SESSION_REMEMBER_DAYS"]),
        "MAX_CONTENT_LENGTH": int(app.config["MAX_REQUEST_MB"]) * 1024 * 1024,
        "MAX_FORM_PARTS": int(app.config["MAX_FORM_PARTS"]),
    }.items():
        if key not in given:
            app.config[key] = value


def _warn_about_process_local_limits(app: Flask) -> None:
    """memory:// counts per process: with N workers every limit is N times as generous (logged, not a warning
    category: tests turn warnings into errors)."""
    storage = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if storage.startswith("memory://") and not app.debug and not app.testing:
        app.logger.warning(
            "RATELIMIT_STORAGE_URI is memory://: rate limits (logins, password resets, certificate look-ups) are "
            "counted in each process separately, so every worker allows the full limit. That is only acceptable "
            "for `make run`'s single process; in production set LMS_REDIS_URL=redis://host:6379/0 (or LMS_RATELIMIT_STORAGE_URI).")
