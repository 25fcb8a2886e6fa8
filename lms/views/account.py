"""The user's own profile, password and sessions, reminder preferences and calendar feed."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user

from ..forms import ActionForm, ChangePasswordForm, ProfileForm
from ..services import accounts, calendar_feed, reminders, sessions

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
                           reminder_kinds=reminders.kinds_for(current_user), kind_labels=KIND_LABELS,
                           calendar_url=calendar_feed.feed_url(current_user), action_form=ActionForm(),
                           sessions=sessions.active_for(current_user), this_session=sessions.current()), status


# What each switchable kind sends, as the profile page names it.
KIND_LABELS = {
    "due_soon": _l("An assignment is due in 3 days and in 1 day and I have not submitted it"),
    "revision_waiting": _l("A revision was requested 7 days ago and I have not touched it"),
    "certificate_issued": _l("A certificate has been issued to me"),
    "announcement": _l("The program office posts an announcement to my cohort"),
    "mentor_digest": _l("Weekly summary of submissions waiting for my review (Monday 08:00)"),
    "admin_digest": _l("Weekly summary per cohort for the program office (Monday 08:00)"),
}


@bp.post("/reminders")
@login_required
def reminders_preferences():
    """The ticked kinds stay on; the other kinds of the person's roles are switched off."""
    if not ActionForm().validate_on_submit():
        abort(400)
    reminders.set_muted(current_user, set(request.form.getlist("kind")))
    flash(_("Your reminder settings have been saved."), "success")
    return redirect(url_for("account.profile", _anchor="reminders"))


@bp.post("/calendar/reset")
@login_required
def reset_calendar():
    if not ActionForm().validate_on_submit():
        abort(400)
    calendar_feed.reset(current_user)
    flash(_("Your calendar address has been replaced. The old address no longer works: subscribe again with "
            "the new one."), "success")
    return redirect(url_for("account.profile", _anchor="calendar"))


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
    flash(_("Logged out everywhere else (%(n)d sessions ended).", n=ended), "success")
    return redirect(url_for("account.profile"))
