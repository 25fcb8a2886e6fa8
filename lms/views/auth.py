"""Login, logout, registration, invitations and password reset."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import TooManyRequests

from .. import unit_of_work
from ..forms import AcceptInvitationForm, ActionForm, ForgotPasswordForm, LoginForm, RegisterForm, ResetPasswordForm
from ..i18n import current_language
from ..models import Role, TokenPurpose
from ..security import reset_limit, safe_next
from ..services import accounts, people, sessions, throttles

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _profile_from(form) -> accounts.Profile:
    return accounts.Profile(name_ja=form.name_ja.data or "", name_latin=form.name_latin.data or "",
                            organisation=form.organisation.data or "", locale=form.locale.data)


class LoginThrottled(TooManyRequests):
    def __init__(self, reason: str):
        super().__init__()
        self.reason = reason


@bp.errorhandler(429)
def too_many_attempts(error):
    """Throttled: say so plainly, keep the address typed, and record it."""
    if request.endpoint == "auth.login" and isinstance(error, LoginThrottled):
        email = request.form.get("email", "")
        throttles.record_refusal(email, error.reason)
        unit_of_work.commit_even_on_error()  # the refusal is answered with 429, and recorded
        if error.reason == throttles.REASON_SUSPICIOUS:
            flash(_("This account has had many failed logins from several places, so logging in to it from here "
                    "is paused for a while. Please reset your password, or ask an administrator."), "error")
        else:
            flash(_("Too many failed attempts. Please wait a while and try again, or reset your password."), "error")
        form = LoginForm(formdata=None, email=email[:254])
        return render_template("auth/login.html", form=form,
                               open_registration=current_app.config["OPEN_REGISTRATION"]), 429
    flash(_("Too many requests. Please wait a while before you try again."), "error")
    return render_template("auth/forgot.html", form=ForgotPasswordForm(formdata=None)), 429


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(url_for(people.landing_endpoint(current_user))))
    if request.method == "POST":
        # Before the password is checked: a throttled guess learns nothing, even when it is right.
        reason = throttles.refusal(request.form.get("email", ""), request.remote_addr or "")
        if reason is not None:
            raise LoginThrottled(reason)
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            sessions.log_in(user, remember=form.remember.data)
            return redirect(safe_next(url_for(people.landing_endpoint(user))))
        # The same words whether the address exists or not.
        flash(_("The e-mail address or password is not correct."), "error")
    return render_template("auth/login.html", form=form,
                           open_registration=current_app.config["OPEN_REGISTRATION"])


@bp.post("/logout")
def logout():
    if ActionForm().validate_on_submit():
        sessions.log_out()
        flash(_("You have been logged out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    if not current_app.config["OPEN_REGISTRATION"]:
        abort(404)
    form = RegisterForm(locale=current_language())
    if form.validate_on_submit():
        try:
            user = accounts.create_user(form.email.data, form.password.data, _profile_from(form), {Role.TRAINEE})
        except accounts.AccountError as error:
            flash(error.message, "error")
        else:
            sessions.log_in(user)
            flash(_("Welcome! Your account is ready."), "success")
            return redirect(url_for("catalog.catalog"))
    return render_template("auth/register.html", form=form)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token):
    found = accounts.find_valid_token(token, TokenPurpose.INVITATION)
    if found is None:
        return render_template("auth/token_invalid.html", message=accounts.INVITATION_INVALID), 404
    user = found.user
    form = AcceptInvitationForm(obj=user)
    if form.validate_on_submit():
        try:
            user = accounts.accept_invitation(token, form.password.data, _profile_from(form))
        except accounts.AccountError as error:
            flash(error.message, "error")
        else:
            sessions.log_out()
            sessions.log_in(user)
            flash(_("Your password is set. Welcome to Skyfront LMS."), "success")
            return redirect(url_for(people.landing_endpoint(user)))
    return render_template("auth/accept_invitation.html", form=form, email=user.email)


@bp.route("/forgot", methods=["GET", "POST"])
@reset_limit
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        flash(_("If an account exists for that address, we have sent it a link to reset the password."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    if accounts.find_valid_token(token, TokenPurpose.PASSWORD_RESET) is None:
        return render_template("auth/token_invalid.html", message=accounts.RESET_INVALID), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data)
        except accounts.AccountError as error:
            flash(error.message, "error")
        else:
            sessions.log_out()
            flash(_("Your password has been changed. Please log in."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)
