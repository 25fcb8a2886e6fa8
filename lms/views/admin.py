"""Admin pages for people (list, create or invite, roles, deactivation, enrolment) and cohorts."""

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from .. import clock
from ..extensions import db
from ..forms import (ActionForm, AllocateMentorForm, AnnouncementForm, CohortEditForm, CohortForm, CohortImportConfirmForm,
                     CohortImportForm, CohortMemberForm, EditUserForm, EnrolUserForm, MentorModeForm, NewUserForm)
from ..i18n import current_language, localized
from ..models import Cohort, Role
from ..security import parse_id, role_required
from ..services import (accounts, announcements, attention, audit, certificates, cohort_import, cohorts, learning,
                        mail, people, throttles)

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required(Role.ADMIN)
def require_admin():
    """Every admin page: login required, then administrators only."""


@bp.get("/")
def home():
    """What needs attention today: long-waiting reviews, stuck trainees, certificates to issue, cohort dates,
    failed mails."""
    return render_template("admin/home.html", attention=attention.admin_home(clock.now()), form=ActionForm())


@bp.post("/mails/<id:mail_id>/send-again")
def send_again(mail_id):
    if not ActionForm().validate_on_submit():
        abort(400)
    if mail.send_again(mail_id):
        audit.record("mail.send_again", "mail", mail_id)
        flash(_("The mail will be sent again in a moment."), "success")
    else:
        flash(_("This mail is not waiting to be sent again (it was sent or queued meanwhile)."), "info")
    return redirect(url_for("admin.home", _anchor="failed-mails"))


@bp.get("/throttles")
def throttles_page():
    """Accounts and addresses whose failed logins still count, and whether they are refused now (reads only)."""
    return render_template("admin/throttles.html", current=throttles.current(), form=ActionForm(),
                           enabled=throttles.enabled())


@bp.post("/throttles/clear")
def clear_throttle():
    """Failed logins so far stop counting for an account (from every address) or an address (for every account)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    kind, value = request.form.get("kind", ""), request.form.get("value", "")
    if kind == "account" and throttles.clear_account(value):
        flash(_("Failed logins for %(email)s no longer count: the next login goes through.",
                email=throttles.normalize(value)), "success")
    elif kind == "address" and throttles.clear_address(value):
        flash(_("Failed logins from %(address)s no longer count: the next login goes through.",
                address=value.strip()), "success")
    else:
        flash(_("Nothing to clear: name an account or an address."), "error")
    return redirect(url_for("admin.throttles_page"))


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
        except accounts.AccountError as error:
            flash(error.message, "error")
        else:
            # One person added by hand is recorded like people added in bulk (cohort.import).
            audit.record("user.create", "user", user.id, {
                "email": user.email, "roles": [role.value for role in Role if role in form.selected_roles()],
                "invited": not form.password.data}, actor=current_user)
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
                           certificates=certificates.of_user(user), now=clock.now())


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


# --- cohorts


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
    page = cohorts.list_cohorts(request.args.get("page", 1, type=int), current_app.config["PAGE_SIZE"])
    return render_template("admin/cohorts.html", page=page, form=form)



def _back_to(cohort, anchor=None):
    page = request.args.get("page", type=int)
    return redirect(url_for("admin.cohort", cohort_id=cohort.id, page=page if page and page > 1 else None,
                            _anchor=anchor))


@bp.get("/cohorts/<id:cohort_id>")
def cohort(cohort_id):
    cohort = db.get_or_404(Cohort, cohort_id)
    return render_template("admin/cohort.html", cohort=cohort,
                           members=cohorts.members(cohort, request.args.get("page", 1, type=int)),
                           announcements=announcements.of_cohort(cohort),
                           member_form=CohortMemberForm(), mode_form=MentorModeForm(mode=cohort.mentor_mode),
                           courses=learning.visible_courses())


@bp.route("/cohorts/<id:cohort_id>/announcements/new", methods=["GET", "POST"])
def new_announcement(cohort_id):
    cohort = db.get_or_404(Cohort, cohort_id)
    form = AnnouncementForm()
    if form.validate_on_submit():
        try:
            announcements.post(cohort, current_user, announcements.Draft(
                form.title_ja.data, form.title_en.data, form.body_ja.data, form.body_en.data))
        except announcements.AnnouncementError as error:
            flash(error.message, "error")
        else:
            flash(_("The announcement has been posted and is being mailed to the cohort."), "success")
            return redirect(url_for("admin.cohort", cohort_id=cohort.id, _anchor="announcements"))
    return render_template("admin/announcement_new.html", cohort=cohort, form=form)


@bp.route("/cohorts/<id:cohort_id>/edit", methods=["GET", "POST"])
def edit_cohort(cohort_id):
    cohort = db.get_or_404(Cohort, cohort_id)
    form = CohortEditForm(obj=cohort)
    if form.validate_on_submit():
        try:
            cohorts.update_cohort(cohort, form.name_ja.data, form.name_en.data, form.program.data,
                                  form.starts_on.data, form.ends_on.data)
        except cohorts.CohortError as error:
            flash(error.message, "error")
        else:
            flash(_("Cohort saved."), "success")
            return redirect(url_for("admin.cohort", cohort_id=cohort.id))
    return render_template("admin/cohort_edit.html", cohort=cohort, form=form)


@bp.post("/cohorts/<id:cohort_id>/members")
def add_cohort_member(cohort_id):
    cohort = db.get_or_404(Cohort, cohort_id)
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


@bp.route("/cohorts/<id:cohort_id>/members/<id:member_id>/remove", methods=["GET", "POST"])
def remove_cohort_member(cohort_id, member_id):
    """GET asks first (who, from which cohort, what stays); the POST removes."""
    cohort = db.get_or_404(Cohort, cohort_id)
    if request.method == "GET":
        member = cohorts.get_member(cohort, member_id)
        if member is None:
            abort(404)
        page = request.args.get("page", type=int)
        return render_template("admin/cohort_remove.html", cohort=cohort, member=member, form=ActionForm(),
                               page=page if page and page > 1 else None)
    if not ActionForm().validate_on_submit():
        abort(400)
    cohorts.remove_member(cohort, member_id)
    flash(_("Removed from the cohort. Their enrolments and work are kept."), "success")
    return _back_to(cohort, "people")


@bp.post("/cohorts/<id:cohort_id>/courses")
def set_cohort_courses(cohort_id):
    cohort = db.get_or_404(Cohort, cohort_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    cohorts.set_courses(cohort, {parse_id(v) for v in request.form.getlist("course")} - {None})
    flash(_("Courses saved; the cohort's trainees are enrolled in them."), "success")
    return redirect(url_for("admin.cohort", cohort_id=cohort.id))


@bp.post("/cohorts/<id:cohort_id>/mentor-mode")
def set_mentor_mode(cohort_id):
    cohort = db.get_or_404(Cohort, cohort_id)
    form = MentorModeForm()
    if not form.validate_on_submit():
        flash(_("Choose how mentors are allocated."), "error")
        return _back_to(cohort, "allocation")
    cohorts.set_mentor_mode(cohort, form.mode.data)
    flash(_("Every mentor of the cohort now reviews every trainee.") if form.mode.data == "all"
          else _("Each trainee is now reviewed by their named mentors only."), "success")
    return _back_to(cohort, "allocation")


@bp.post("/cohorts/<id:cohort_id>/pairings")
def set_pairings(cohort_id):
    """The named-mentor table of one page: the trainees it listed, and the boxes ticked."""
    cohort = db.get_or_404(Cohort, cohort_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    trainee_ids = {parse_id(v) for v in request.form.getlist("trainee")} - {None}
    chosen = set()
    for value in request.form.getlist("pair"):
        trainee_id, _sep, mentor_id = value.partition("-")
        pair = (parse_id(trainee_id), parse_id(mentor_id))
        if None not in pair:
            chosen.add(pair)
    try:
        cohorts.set_pairings(cohort, trainee_ids, chosen)
    except cohorts.CohortError as error:
        flash(error.message, "error")
    else:
        flash(_("Named mentors saved."), "success")
    return _back_to(cohort, "people")


# --- adding people in bulk: form -> preview -> confirm


@bp.route("/cohorts/<id:cohort_id>/import", methods=["GET", "POST"])
def import_people(cohort_id):
    cohort = db.get_or_404(Cohort, cohort_id)
    form = CohortImportForm()
    if form.validate_on_submit():
        upload = request.files.get(form.file.name)
        try:
            if upload and upload.filename:
                text = cohort_import.decode(upload.stream.read(cohort_import.MAX_BYTES + 1))
            else:
                text = form.text.data or ""
            plan = cohort_import.plan(cohort, text, form.role.data, form.create_accounts.data)
        except cohort_import.UnreadableInput as error:
            form.text.errors = [error.message]
        else:
            return _preview(cohort, plan, text)
    return render_template("admin/cohort_import.html", cohort=cohort, form=form)


def _preview(cohort, plan, text, stale=False):
    # formdata=None: after a stale confirmation the form must carry the new plan's digest, not the posted one.
    confirm = CohortImportConfirmForm(prefix="confirm", formdata=None, text=text, role=plan.default_role,
                                      create_accounts="1" if plan.create_accounts else "", digest=plan.digest)
    # The editable copy: correct a row and preview again.
    again = CohortImportForm(text=text, role=plan.default_role, create_accounts=plan.create_accounts,
                             formdata=None)
    return render_template("admin/cohort_import_preview.html", cohort=cohort, plan=plan, confirm=confirm,
                           again=again, stale=stale)


@bp.post("/cohorts/<id:cohort_id>/import/confirm")
def confirm_import(cohort_id):
    cohort = db.get_or_404(Cohort, cohort_id)
    form = CohortImportConfirmForm(prefix="confirm")
    if not form.validate_on_submit():
        flash(_("The form had expired. Check the preview and add the people again."), "error")
        return redirect(url_for("admin.import_people", cohort_id=cohort.id))
    text, create = form.text.data or "", form.create_accounts.data == "1"
    try:
        result, plan = cohort_import.apply(cohort, text, form.role.data, create, form.digest.data, current_user)
    except cohort_import.UnreadableInput as error:
        flash(error.message, "error")
        return redirect(url_for("admin.import_people", cohort_id=cohort.id))
    except cohorts.CohortError as error:
        flash(error.message, "error")
        return _preview(cohort, cohort_import.plan(cohort, text, form.role.data, create), text, stale=True)
    if result is None:
        return _preview(cohort, plan, text, stale=True)
    flash(_("%(added)d added to the cohort (%(created)d new accounts invited), %(pairings)d named mentors saved.",
            added=result.added, created=result.created, pairings=result.pairings), "success")
    return redirect(url_for("admin.cohort", cohort_id=cohort.id))


@bp.get("/cohorts/<id:cohort_id>/import/template.csv")
def import_template(cohort_id):
    db.get_or_404(Cohort, cohort_id)
    return Response(cohort_import.template_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=cohort-people.csv"})


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
