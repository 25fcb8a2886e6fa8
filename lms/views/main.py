"""Home page, the language switch, the favicon and the health check."""

from flask import Blueprint, current_app, jsonify, redirect, render_template, send_from_directory, session, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..forms import LanguageForm
from ..i18n import LANGUAGES, SESSION_KEY
from ..security import is_safe_next
from ..services import accounts, learning, people

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for(people.landing_endpoint(current_user)))
    return render_template("main/index.html", courses=learning.visible_courses())


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in LANGUAGES:
        session[SESSION_KEY] = form.lang.data
        if current_user.is_authenticated:
            accounts.set_language(current_user, form.lang.data)
    target = form.next.data
    return redirect(target if is_safe_next(target) else url_for("main.index"))


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on every site whatever the page links: the "S" mark (static/favicon.ico)."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=7 * 24 * 3600)


@bp.get("/healthz")
def healthz():
    """For load balancers and monitoring: is the database answering? No login; touches no session."""
    try:
        db.session.execute(text("SELECT 1"))
        body, status = {"status": "ok", "database": "ok"}, 200
    except SQLAlchemyError:
        current_app.logger.exception("health check: the database did not answer")  # the details stay in the log
        db.session.rollback()
        body, status = {"status": "error", "database": "unavailable"}, 503
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
