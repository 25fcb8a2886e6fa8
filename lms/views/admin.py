"""Admin pages for people: list, create or invite, roles, deactivation, enrolment."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from ..forms import ActionForm, AllocateMentorForm, CohortForm, CohortMemberForm, EditUserForm, EnrolUserForm, NewUserForm
from ..extensions import db
from ..i18n import current_language, localized
from ..models import Role
from ..security import parse_id, role_required
from ..models import Cohort
from ..services import accounts, certificates, cohorts, learning, people

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required(Role.ADMIN)
def require_admin():
    """Every admin page: login required, then administrators only."""


@bp.get("/users")
def users():
    query = request.args.get("q", "")
    page = people.search_users(query, request.args.get("page", 1, type=int), current_app.config["PAGE_SIZE"])
    return render_template("admin/users.html", page=page, query=query)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = NewUserForm(locale=current_language(), trainee=True)
    if form.validate_on_submit():
        profile = accounts.Profile(name_ja=form.name_ja.data or "", name_latin=form.name_latin.data or "",
                                   organisation=form.organisation.data or "", locale=form.locale.data)
        try:
            if form.password.data:
                user = accounts.create_user(form.email.data, form.password.data, profile, form.selected_roles())
                flash(_("The account for %(email)s has been created.", email=user.email), "success")
            else:
                user = accounts.invite_user(form.email.data, profile, form.selected_roles(), invited_by=current_user)
                flash(_("An invitation has been sent to %(email)s.", email=user.email), "success")
        except accounts.InvitationNotSent as error:
            flash(error.message, "error")
            return redirect(url_for("admin.user", user_id=error.user.id))
        except accounts.AccountError as error:
            flash(error.message, "error")
        else:
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template("admin/new_user.html", form=form)


def _user_or_404(user_id):
    user = people.get_user(user_id)
    if user is None:
        abort(404)
    return user


def _enrol_form(user, formdata=None):
    form = EnrolUserForm(formdata=formdata, prefix="enrol")
    enrolled = learning.enrolled_course_ids(user)
    form.course.choices = [SelectChoice(c.id, localized(c, "title")) for c in learning.visible_courses() if c.id not in enrolled]
    return form


@bp.route("/users/<id:user_id>", methods=["GET", "POST"])
def user(user_id):
    user = _user_or_404(user_id)
    form = EditUserForm(obj=user, trainee=user.is_trainee, mentor=user.is_mentor, admin=user.is_admin)
    if form.validate_on_submit():
        try:
            accounts.update_account(user, roles=form.selected_roles(), active=form.active.data, acting=current_user)
        except accounts.AccountError as error:
            flash(error.message, "error")
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template("admin/user.html", user=user, form=form, enrol_form=_enrol_form(user),
                           enrolments=people.enrolments_of(user), allocate_form=_allocate_form(user),
                           mentors=cohorts.mentors_of(user) if user.is_trainee else [],
                           certificates=certificates.of_user(user), now=certificates.clock())


def _allocate_form(user, formdata=None):
    form = AllocateMentorForm(formdata=formdata, prefix="allocate")
    taken = {mentor.id for _, mentor in cohorts.mentors_of(user)}
    form.mentor.choices = [SelectChoice(m.id, f"{m.display_name} <{m.email}>") for m in cohorts.all_mentors()
                           if m.id not in taken and m.id != user.id]
    return form


@bp.post("/users/<id:user_id>/mentors")
def allocate_mentor(user_id):
    user = _user_or_404(user_id)
    form = _allocate_form(user, request.form)
    if form.validate_on_submit():
        try:
            cohorts.allocate(form.mentor.data, user)
        except cohorts.CohortError as error:
            flash(error.message, "error")
        else:
            flash(_("Mentor allocated."), "success")
    else:
        flash(_("Choose a mentor."), "error")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.post("/users/<id:user_id>/mentors/<id:allocation_id>/remove")
def deallocate_mentor(user_id, allocation_id):
    user = _user_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    cohorts.deallocate(allocation_id, user)
    flash(_("Mentor allocation removed."), "success")
    return redirect(url_for("admin.user", user_id=user.id))


# --- cohorts (the rest of cohort management comes with the admin console)


@bp.route("/cohorts", methods=["GET", "POST"])
def cohorts_page():
    form = CohortForm()
    if form.validate_on_submit():
        try:
            cohort = cohorts.create_cohort(form.name_ja.data, form.name_en.data, form.program.data,
                                           form.starts_on.data, form.ends_on.data)
        except cohorts.CohortError as error:
            flash(error.message, "error")
        else:
            flash(_("Cohort created. Now add its courses and people."), "success")
            return redirect(url_for("admin.cohort", cohort_id=cohort.id))
    return render_template("admin/cohorts.html", summaries=cohorts.list_cohorts(), form=form)


def _cohort_or_404(cohort_id):
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        abort(404)
    return cohort


@bp.get("/cohorts/<id:cohort_id>")
def cohort(cohort_id):
    cohort = _cohort_or_404(cohort_id)
    return render_template("admin/cohort.html", cohort=cohort, members=cohorts.members(cohort),
                           member_form=CohortMemberForm(), courses=learning.visible_courses())


@bp.post("/cohorts/<id:cohort_id>/members")
def add_cohort_member(cohort_id):
    cohort = _cohort_or_404(cohort_id)
    form = CohortMemberForm()
    if form.validate_on_submit():
        try:
            user = cohorts.add_member(cohort, form.email.data, form.role.data)
        except cohorts.CohortError as error:
            flash(error.message, "error")
        else:
            flash(_("%(name)s added to the cohort.", name=user.display_name), "success")
    else:
        flash(_("Enter the e-mail address of an existing account."), "error")
    return redirect(url_for("admin.cohort", cohort_id=cohort.id))


@bp.post("/cohorts/<id:cohort_id>/members/<id:member_id>/remove")
def remove_cohort_member(cohort_id, member_id):
    cohort = _cohort_or_404(cohort_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    cohorts.remove_member(cohort, member_id)
    flash(_("Removed from the cohort. Their enrolments and work are kept."), "success")
    return redirect(url_for("admin.cohort", cohort_id=cohort.id))


@bp.post("/cohorts/<id:cohort_id>/courses")
def set_cohort_courses(cohort_id):
    cohort = _cohort_or_404(cohort_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    cohorts.set_courses(cohort, {parse_id(v) for v in request.form.getlist("course")} - {None})
    flash(_("Courses saved; the cohort's trainees are enrolled in them."), "success")
    return redirect(url_for("admin.cohort", cohort_id=cohort.id))


@bp.post("/users/<id:user_id>/invitation")
def resend_invitation(user_id):
    user = _user_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        accounts.resend_invitation(user, invited_by=current_user)
    except accounts.AccountError as error:
        flash(error.message, "error")
    else:
        flash(_("A new invitation has been sent to %(email)s.", email=user.email), "success")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.post("/users/<id:user_id>/enrol")
def enrol_user(user_id):
    user = _user_or_404(user_id)
    form = _enrol_form(user, request.form)
    if form.validate_on_submit():
        course = next(c for c in learning.visible_courses() if c.id == form.course.data)
        learning.enrol(user, course, source="admin")
        flash(_("%(name)s is now enrolled in %(course)s.", name=user.display_name,
                course=localized(course, "title")), "success")
    else:
        flash(_("Choose a course."), "error")
    return redirect(url_for("admin.user", user_id=user.id))
