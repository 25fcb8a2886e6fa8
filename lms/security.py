"""Response headers, safe redirects and the role checks used by views."""

from __future__ import annotations

import re
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, request
from flask_login import current_user

from .extensions import limiter

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_ID = 2_147_483_647  # the largest row id (a 32-bit integer column), as in the <id:...> URL converter
_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_id(value: str | None) -> int | None:
    """A row id typed into a form or query string: ASCII digits, 1 to MAX_ID; anything else is None."""
    if value is None or not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def accepts_uploads(view):
    """Mark a view that takes file uploads: its multipart bodies may be as large as MAX_CONTENT_LENGTH; every other
    body anywhere is capped at MAX_FORM_KB. Put it right under the route decorator."""
    view.accepts_uploads = True
    return view


def body_limit() -> int:
    """The most bytes the current request's body may have."""
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "accepts_uploads", False) and request.mimetype == "multipart/form-data":
        return current_app.config["MAX_CONTENT_LENGTH"]
    return int(current_app.config["MAX_FORM_KB"]) * 1024


def limit_request_bodies(app) -> None:
    """Before any other hook reads the body: a declared length over the limit is a 413 at once (nothing is read);
    a body without a declared length stops with a 413 when reading passes the limit."""

    @app.before_request
    def cap_request_body():
        limit = body_limit()
        request.max_content_length = limit
        if request.content_length is not None and request.content_length > limit:
            abort(413)


def init_app(app) -> None:
    @app.before_request
    def refuse_nul_bytes():
        # No text in this app contains NUL, and PostgreSQL refuses it in strings: stop it at the door.
        if "\x00" in request.path or any("\x00" in value for value in request.args.values()):
            abort(400)
        # Only form posts: reading the form of another body (the JSON API's) would consume its stream early.
        if request.method == "POST" and request.mimetype in FORM_TYPES and any(
                "\x00" in value for value in request.form.values()):
            abort(400)

    @app.after_request
    def set_security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if app.config.get("HTTPS"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not any(ord(c) < 32 for c in target)


def safe_next(default: str) -> str:
    target = request.values.get("next")
    return target if is_safe_next(target) else default


def role_required(*roles: str):
    """Login required, then 403 unless the user holds one of ``roles``."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not any(current_user.has_role(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


# One budget per client address for every way of looking up a certificate (the page, the JSON, the credential
# check), so ids cannot be tried faster by alternating between them.
verification_limit = limiter.shared_limit(lambda: current_app.config["VERIFY_RATE_LIMIT"],
                                          scope="certificate-verification")


# Login throttles are counted in the database (lms.services.throttles), so every worker shares them.
reset_limit = limiter.limit(lambda: current_app.config["RESET_RATE_LIMIT"], methods=["POST"], scope="reset")
