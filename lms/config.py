"""Configuration defaults.

Order of precedence (last wins): these defaults, ``instance/config.py``,
``LMS_*`` environment variables, the ``config`` mapping passed to ``create_app``.
Settings derived from another (the Secure cookie flags and the URL scheme follow ``HTTPS``) are
derived only when no layer sets them.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

from .clock import TIMEZONE

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent


class Defaults:
    SECRET_KEY: str | None = None
    # SQLAlchemy URL; the SQLite default lives in instance/ (filled in by create_app).
    DATABASE_URL: str | None = None
    COURSES_DIR = str(PROJECT_DIR / "courses")
    # Course import: refused before parsing above these sizes (a lesson or other file, a TOML file, the whole tree).
    COURSE_MAX_LESSON_KB = 1024
    COURSE_MAX_TOML_KB = 256
    COURSE_MAX_TREE_MB = 20
    # Course packages uploaded at /admin/content: the zip's size and its number of files (unpacked, the limits above).
    CONTENT_PACKAGE_MAX_MB = 10
    CONTENT_PACKAGE_MAX_FILES = 500

    # Accounts
    OPEN_REGISTRATION = False
    PASSWORD_MIN_LENGTH = 10
    INVITATION_TTL_HOURS = 72
    PASSWORD_RESET_TTL_MINUTES = 60
    # Login sessions (server-side records): the absolute lifetime without and with "keep me logged in", and the
    # idle time after which a session without it ends (measured in the signed cookie: GET requests write nothing).
    SESSION_LIFETIME_HOURS = 12
    SESSION_REMEMBER_DAYS = 14
    SESSION_IDLE_MINUTES = 120
    # Used to build absolute links in mail when there is no request (CLI).
    BASE_URL = "http://127.0.0.1:5000"

    # Mail: SMTP when SMTP_HOST is set, otherwise files in instance/outbox/.
    SMTP_HOST: str | None = None
    SMTP_PORT = 587
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS = True
    MAIL_FROM = "Skyfront LMS <no-reply@skyfront-lms.invalid>"
    # Seconds to wait for the mail server (in the worker, never in a request).
    SMTP_TIMEOUT = 30
    # Minutes before each further try of a mail that failed; after the last one it is listed as failed.
    MAIL_RETRY_MINUTES = (1, 5, 30, 120, 720)

    # Job queue (Huey): a SQLite file in instance/ on one machine; Redis when REDIS_URL is set (several servers).
    REDIS_URL: str | None = None
    JOBS_SQLITE_FILE: str | None = None
    # Run each job at once, still after the commit, instead of in the worker (the tests do).
    JOBS_IMMEDIATE = False

    # Set to true behind HTTPS: marks the session cookie Secure.
    HTTPS = False
    # How many reverse proxies in front of the app set X-Forwarded-* headers (0: trust none).
    PROXIES = 0

    PAGE_SIZE = 25
    # The admin home and the weekly admin digest list reviews waiting longer than this many days.
    REVIEW_WAITING_DAYS = 5

    # Request bodies (a 413 before anything is read). MAX_REQUEST_MB caps every request and is what the routes that
    # take file uploads accept: keep it above an assignment's most, 10 files of 25 MB at once, and set the reverse
    # proxy's limit (nginx client_max_body_size) to the same. Every other body (forms, JSON, multipart without
    # files) gets MAX_FORM_KB; a multipart body at most MAX_FORM_PARTS parts.
    MAX_REQUEST_MB = 260
    MAX_FORM_KB = 2048
    MAX_FORM_PARTS = 500

    # Rate limits (Flask-Limiter). memory:// counts per process; use redis://… for several processes or hosts.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    # Failed logins, counted from the audit trail in the database (shared by every worker, listed and cleared on
    # /admin/throttles; off with RATELIMIT_ENABLED too): per account at one client address, and per client address
    # (any accounts). Not per account alone: failures from anywhere would lock the owner out. Past
    # LOGIN_ACCOUNT_SUSPICIOUS failures for one account from anywhere, an address that has itself failed for that
    # account lately is refused; an address without such failures (the owner's) still logs in.
    LOGIN_RATE_LIMIT_ACCOUNT = "10 per 15 minutes"
    LOGIN_RATE_LIMIT_ADDRESS = "30 per 15 minutes"
    LOGIN_ACCOUNT_SUSPICIOUS = "20 per 15 minutes"
    # Password-reset requests per client address (each one sends a mail).
    RESET_RATE_LIMIT = "10 per hour"
    # Public certificate verification (HTML and JSON), per client address.
    VERIFY_RATE_LIMIT = "60 per minute"
    # Uploaded files and rendered certificate PDFs; instance/uploads when unset. Share it between hosts.
    UPLOAD_FOLDER: str | None = None
    # Zip-based attachments (DOCX, PPTX, XLSX): refused as zip bombs when their members declare more than this many
    # MB uncompressed, more than this many bytes per byte of the file (judged above 256 KB), or more members.
    UPLOAD_MAX_UNCOMPRESSED_MB = 200
    UPLOAD_MAX_COMPRESSION_RATIO = 100
    UPLOAD_MAX_ZIP_MEMBERS = 10_000
    # The Ed25519 key that signs Open Badges credentials; created in instance/ on first use when unset.
    SIGNING_KEY_FILE: str | None = None

    # Flask, Flask-Babel, Flask-Login and Flask-WTF settings; any of them can be overridden like the others.
    BABEL_DEFAULT_LOCALE = "ja"
    BABEL_DEFAULT_TIMEZONE = TIMEZONE
    # Flask-Babel resolves relative paths against the package; the catalogs live at the repo root.
    BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_DIR / "translations")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # a long-open form must not lose what was typed; the token is tied to the session


def derived_from_https(https: bool) -> dict:
    """Settings that follow ``HTTPS`` unless they are given themselves (instance config, environment, mapping)."""
    return {
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_SECURE": https,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
    }


# Keys read from LMS_<KEY> environment variables, with their types.
_ENV_TYPES = {
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "COURSES_DIR": str,
    "COURSE_MAX_LESSON_KB": int,
    "COURSE_MAX_TOML_KB": int,
    "COURSE_MAX_TREE_MB": int,
    "CONTENT_PACKAGE_MAX_MB": int,
    "CONTENT_PACKAGE_MAX_FILES": int,
    "OPEN_REGISTRATION": bool,
    "PASSWORD_MIN_LENGTH": int,
    "INVITATION_TTL_HOURS": int,
    "PASSWORD_RESET_TTL_MINUTES": int,
    "SESSION_LIFETIME_HOURS": int,
    "SESSION_REMEMBER_DAYS": int,
    "SESSION_IDLE_MINUTES": int,
    "BASE_URL": str,
    "SMTP_HOST": str,
    "SMTP_PORT": int,
    "SMTP_USERNAME": str,
    "SMTP_PASSWORD": str,
    "SMTP_STARTTLS": bool,
    "MAIL_FROM": str,
    "SMTP_TIMEOUT": int,
    "REDIS_URL": str,
    "JOBS_SQLITE_FILE": str,
    "JOBS_IMMEDIATE": bool,
    "HTTPS": bool,
    "PROXIES": int,
    "PAGE_SIZE": int,
    "REVIEW_WAITING_DAYS": int,
    "MAX_REQUEST_MB": int,
    "MAX_FORM_KB": int,
    "MAX_FORM_PARTS": int,
    "RATELIMIT_STORAGE_URI": str,
    "RATELIMIT_ENABLED": bool,
    "VERIFY_RATE_LIMIT": str,
    "LOGIN_RATE_LIMIT_ACCOUNT": str,
    "LOGIN_RATE_LIMIT_ADDRESS": str,
    "LOGIN_ACCOUNT_SUSPICIOUS": str,
    "RESET_RATE_LIMIT": str,
    "SIGNING_KEY_FILE": str,
    "UPLOAD_FOLDER": str,
    # They follow HTTPS unless set (e.g. LMS_SESSION_COOKIE_SECURE=0 on a plain-HTTP test host).
    "SESSION_COOKIE_SECURE": bool,
    "REMEMBER_COOKIE_SECURE": bool,
    "PREFERRED_URL_SCHEME": str,
    "UPLOAD_MAX_UNCOMPRESSED_MB": int,
    "UPLOAD_MAX_COMPRESSION_RATIO": int,
    "UPLOAD_MAX_ZIP_MEMBERS": int,
}


def _parse_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_overrides(environ=os.environ) -> dict:
    """The settings given as ``LMS_*`` environment variables."""
    found = {}
    for key, kind in _ENV_TYPES.items():
        raw = environ.get(f"LMS_{key}")
        if raw is None or raw == "":
            continue
        found[key] = _parse_bool(raw) if kind is bool else kind(raw)
    return found


MIN_SECRET_KEY_LENGTH = 32


def load_or_create_secret_key(instance_path: Path) -> str:
    """Read instance/secret_key, creating it with 64 random bytes on first run."""
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        # Written whole to a temporary file, then linked into place: a worker starting at the same
        # moment either finds no file or a complete one, and only the first link wins.
        fd, temporary = tempfile.mkstemp(dir=instance_path, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_urlsafe(64))
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise RuntimeError(f"{path} holds no usable secret key (fewer than {MIN_SECRET_KEY_LENGTH} characters); "
                           "delete it to have a new one generated, or set LMS_SECRET_KEY")
    return key
