"""The user's own profile, password and sessions."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms import ActionForm, ChangePasswordForm, ProfileForm
from ..services import accounts, sessions

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
    return _page(form, password_form)


def _page(form, password_form, status=200):
    return render_template("account/profile.html", form=form, password_form=password_form,
                           sessions=sessions.active_for(current_user), this_session=sessions.current()), status


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
            # Every session ended with the change; this browser starts a new one.
            previous = sessions.current()
            sessions.log_in(current_user._get_current_object(), remember=bool(previous and previous.remember))
            flash(_("Your password has been changed. Other devices have been logged out."), "success")
            return redirect(url_for("account.profile"))
    return _page(ProfileForm(obj=current_user, formdata=None), form, 400)


@bp.post("/sessions/end-others")
@login_required
def end_other_sessions():
    if not ActionForm().validate_on_submit():
        abort(400)
    ended = sessions.end_all(current_user, keep=sessions.current())
    sessions.commit()
    flash(_("Logged out everywhere else (%(n)d sessions ended).", n=ended), "success")
    return redirect(url_for("account.profile"))
