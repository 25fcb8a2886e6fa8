"""Absolute links to the site, always built from ``BASE_URL``.

Links that leave the request they were made in (mails, certificate PDFs and QR codes, signed credentials)
must not take their host from the request's ``Host`` header: anyone can send that header, and a poisoned
password-reset link or a cached certificate pointing elsewhere would follow.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def site_path(endpoint: str, **values) -> str:
    """A site-relative link (``/certificates/mine``) that works with or without a request: jobs and the CLI
    build notification links too."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc or "localhost", script_name=base.path or "/")
    return adapter.build(endpoint, values)
