"""The user's own profile and password."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from ..forms import ChangePasswordForm, ProfileForm
from ..services import accounts

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    password_form = ChangePasswordForm(formdata=None)
    if form.validate_on_submit():
        accounts.update_profile(current_user, accounts.Profile(
            name_ja=form.name_ja.data or "", name_latin=form.name_latin.data or "",
            organisation=form.organisation.data or "", locale=form.locale.data))
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("account.profile"))
    return render_template("account/profile.html", form=form, password_form=password_form)


@bp.post("/password")
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current.data, form.password.data)
        except accounts.AccountError as error:
            flash(error.message, "error")
        else:
            # Other browsers are logged out by the new nonce; this one logs in again with it.
            remembered = bool(request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")))
            login_user(current_user._get_current_object(), remember=remembered)
            flash(_("Your password has been changed. Other devices have been logged out."), "success")
            return redirect(url_for("account.profile"))
    return render_template("account/profile.html", form=ProfileForm(obj=current_user, formdata=None),
                           password_form=form), 400
