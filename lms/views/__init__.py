"""Blueprints, template helpers, error pages and the login manager."""

from __future__ import annotations

from flask import has_request_context, jsonify, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from .. import clock, i18n
from ..extensions import db, login_manager
from ..models import Assignment, Quiz
from ..sanitize import safe_html
from ..services import notifications as notification_service
from ..services import sessions as session_service


class IdConverter(IntegerConverter):
    """A row id in a URL: ASCII digits, 1 to 2**31-1, so a huge number is a 404, not a database error.

    Werkzeug's ``\\d+`` (and ``int()``) also take Unicode digits (``１``, ``١``): one id would have many URLs."""

    regex = r"[0-9]+"

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=2_147_483_647)


def init_app(app) -> None:
    app.url_map.converters["id"] = IdConverter
    from . import (account, admin, announcements, assignments, audit, auth, calendar, catalog, certificates, content,
                   credentials, learn, main, notifications, quiz, reports)

    for module in (main, auth, account, catalog, learn, quiz, assignments, notifications, admin, reports,
                   certificates, credentials, audit, announcements, calendar, content):
        app.register_blueprint(module.bp)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):
        # The id names a server-side session (services/sessions.py): logout, a password change, deactivation or
        # "log out everywhere else" end it, and every copy of its cookies with it.
        return session_service.load(user_id)


    app.jinja_env.globals.update(
        localized=i18n.localized,
        localized_text=i18n.localized_text,
        step_url=step_url,
        current_language=i18n.current_language,
        colon=i18n.colon,
        parens=i18n.parens,
        LANGUAGES=i18n.LANGUAGES,
        LANGUAGE_NAMES=i18n.LANGUAGE_NAMES,
        PROGRAM_LABELS=i18n.PROGRAM_LABELS,
        ActionForm=_token_form,
        server_now=lambda: clock.now(),  # looked up at each call: tests move lms.clock.now
        report_mark=report_mark,
    )
    app.jinja_env.filters.update(when=i18n.format_when, day=i18n.format_day, safe_html=safe_html,
                                 filesize=i18n.format_size, score=i18n.format_score, points=i18n.format_points, join_list=i18n.join_list,
                                 fromiso=_from_iso, epoch_ms=_epoch_ms)

    @app.context_processor
    def language_switch():
        if not has_request_context():  # a mail rendered by a job or periodic task: no page, no header
            return {}
        # After a POST the same URL may not answer a GET: go home instead of to a 405.
        here = request.full_path.rstrip("?") if request.method == "GET" else ""
        return {"language_form": _TokenFields(here),  # posted to main.set_language, checked by LanguageForm
                # A callable: the count is queried only by pages that show the header, once.
                "unread_notifications": lambda: notification_service.unread_count(current_user)}

    for code, title in ((400, _l("Bad request")), (403, _l("Not allowed")), (404, _l("Page not found")),
                        (405, _l("Method not allowed")), (413, _l("Too large")), (429, _l("Too many requests")),
                        (500, _l("Something went wrong"))):
        app.register_error_handler(code, _error_page(code, title))

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if background_request():
            return background_answer(400, error=str(_l("This page has expired, so it could not be saved. Copy "
                                                        "what you typed since the last save, then reload the page.")), expired=True)
        return render_template("error.html", code=400, title=_l("This form has expired"),
                               message=_l("The page was open too long or was opened in another session. "
                                          "Go back, reload the page and send the form again.")), 400


BACKGROUND_HEADER = "X-Requested-With"
BACKGROUND_VALUE = "fetch"


def background_request() -> bool:
    """A save sent by the page's own script (static/src/js) while the person works: it gets a small JSON answer
    instead of a redirect or a page. Same route, same form fields, same CSRF token and the same services as the
    normal POST, so the two paths cannot drift apart."""
    return has_request_context() and request.headers.get(BACKGROUND_HEADER) == BACKGROUND_VALUE


def background_answer(status: int = 200, **body):
    """The JSON answer to a background save; ``ok`` follows the status. Never cached."""
    response = jsonify(ok=status < 400, **body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def saved_at(moment) -> dict:
    """When something was saved, for a background answer: the instant (UTC, ISO 8601) and the clock time in
    Asia/Tokyo the page shows ("Saved 12:03")."""
    return {"saved_at": moment.isoformat(), "time": i18n.format_when(moment, "HH:mm")}


def _epoch_ms(value) -> int:
    """An aware datetime as milliseconds since 1970 (for scripts: no date parsing, no time zone to get wrong)."""
    return int(value.timestamp() * 1000)


def _from_iso(value):
    """An ISO 8601 text kept in a notification's parameters, back to a datetime (None stays None)."""
    from datetime import datetime

    return datetime.fromisoformat(value) if value else None


class _TokenFields:
    """What templates render of ``ActionForm()`` and of the language switch: the CSRF token input (and ``next``),
    the same markup WTForms writes, without building a form per use (two or more on every page). It never reads
    the request body (error pages render it too, and reading a body that was refused, e.g. too large, would fail
    again)."""

    def __init__(self, next_url: str = ""):
        self._next = next_url

    def csrf_token(self, id=False) -> Markup:  # noqa: A002 (WTForms' keyword)
        return Markup('<input name="csrf_token" type="hidden" value="%s">') % generate_csrf()

    @property
    def next(self) -> Markup:
        return Markup('<input id="next" name="next" type="hidden" value="%s">') % self._next


def _token_form() -> _TokenFields:
    """``ActionForm()`` in templates (the views validate posts with the real ``ActionForm``)."""
    return _TokenFields()


def step_url(course, step) -> str:
    """Where a step of a course (a lesson or a module's quiz) is read or taken."""
    if isinstance(step, Quiz):
        return url_for("quiz.overview", slug=course.slug, quiz_slug=step.slug)
    if isinstance(step, Assignment):
        return url_for("assignments.assignment_page", slug=course.slug, assignment_slug=step.slug)
    return url_for("learn.lesson", slug=course.slug, lesson_slug=step.slug)


def _error_page(code, title):
    def handler(error):
        if code == 500:
            db.session.rollback()  # the failed transaction must not break the error page's own queries
        if request.path.startswith("/api/"):
            return jsonify(error=str(title)), code  # machines read the API; they get JSON errors
        if background_request():
            return background_answer(code, error=str(title))
        message = _l("Please wait a minute before you try again.") if code == 429 else None
        return render_template("error.html", code=code, title=title, message=message,
                               typed=_typed_text() if code == 500 else []), code

    return handler


# Form fields that carry no words a person typed.
_NOT_TYPED = {"csrf_token", "lock", "action", "then", "next", "shown", "digest", "done"}


def _typed_text() -> list[tuple[str, str]]:
    """What a person typed into a form whose save failed, shown back so nothing is lost.

    Only a body already read by the view is used: an error page never reads the request body itself.
    """
    form = request.__dict__.get("form") if request.method == "POST" else None
    if not form:
        return []
    return [(name, value) for name, value in form.items(multi=True)
            if name not in _NOT_TYPED and len(value.strip()) >= 20][:20]


def report_mark(symbols: dict, state: str, label: str, item: str) -> Markup:
    """One cell mark of the progress report: a symbol for the eye, the words for screen readers and the tooltip.

    A report of 100 trainees draws hundreds of marks; as a Jinja macro they were half the page's time.
    The symbols stay in the template (where the glyph check reads them); every value is escaped here."""
    text = escape(i18n.translations().ugettext("%(item)s: %(state)s") % {"item": item, "state": label})
    return Markup(f'<span class="mark mark-{escape(state)}" title="{text}"><span aria-hidden="true">'
                  f'{escape(symbols[state])}</span><span class="visually-hidden">{text}</span></span>')
