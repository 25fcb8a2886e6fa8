"""Home page and the language switch."""

from flask import Blueprint, redirect, render_template, session, url_for
from flask_login import current_user

from ..forms import LanguageForm
from ..i18n import LANGUAGES, SESSION_KEY
from ..security import is_safe_next
from ..services import accounts, learning

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("learn.dashboard"))
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
