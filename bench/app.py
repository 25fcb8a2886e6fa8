"""The app as the bench runs it: ``lms.create_app()`` plus one trivial route, rate limits off.

The trivial route is the baseline for throughput: it runs the app's whole request pipeline (the
session cookie is read and verified, before/after-request hooks, security headers) but touches no
database and renders no template. It is registered here only, so the application code is unchanged.

gunicorn runs it as ``bench.app:create()``, configured from ``BENCH_*`` environment variables.
"""

from __future__ import annotations

import gc
import os

from flask import Flask

from lms import create_app

TRIVIAL_PATH = "/bench/trivial"
# Sent by the in-process client and by wrk alike, so Flask-Login's session protection (a hash of
# the address and the user agent) sees the same browser in both.
USER_AGENT = "skyfront-bench"


def _trivial():
    return "ok"


def add_trivial_route(app: Flask) -> None:
    if "bench_trivial" not in app.view_functions:
        app.add_url_rule(TRIVIAL_PATH, "bench_trivial", _trivial)


def bench_config(database_url: str, instance_path: str, secret_key: str) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": instance_path,
        "SECRET_KEY": secret_key,
        # The verification routes allow 60 look-ups a minute per address; every bench request comes
        # from 127.0.0.1, so rate limiting is switched off (the report says so).
        "RATELIMIT_ENABLED": False,
        "SMTP_HOST": None,  # notification mails go to instance/outbox/
        "OPEN_REGISTRATION": False,
    }


def create(config: dict | None = None) -> Flask:
    if config is None:
        config = bench_config(os.environ["BENCH_DATABASE_URL"], os.environ["BENCH_INSTANCE_PATH"],
                              os.environ["BENCH_SECRET_KEY"])
    app = create_app(config)
    add_trivial_route(app)
    gc.freeze()  # as wsgi.py does in production
    return app
