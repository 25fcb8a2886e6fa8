"""The catalog of both programs, course pages and self-enrolment."""

from collections import defaultdict

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms import ActionForm
from ..i18n import PROGRAM_LABELS, current_language
from ..presenters import explain
from ..services import certificates, learning

bp = Blueprint("catalog", __name__, url_prefix="/courses")


@bp.get("/")
def catalog():
    by_program = defaultdict(list)
    for course in learning.visible_courses():
        by_program[course.program].append(course)
    programs = [(key, PROGRAM_LABELS[key], by_program[key]) for key in PROGRAM_LABELS if by_program[key]]
    return render_template("catalog/catalog.html", programs=programs,
                           enrolled=learning.enrolled_course_ids(current_user))


def _course_or_404(slug):
    course = learning.get_course(slug)
    if course is None:
        abort(404)
    return course


@bp.get("/<slug>/cover/<digest>")
def cover_image(slug, digest):
    """The course's cover image, public like the catalog; its digest is in the URL, so it is cached for good."""
    course = _course_or_404(slug)
    if not course.cover_image_digest or digest != course.cover_image_digest or course.cover_image is None:
        abort(404)
    response = Response(course.cover_image, mimetype=course.cover_image_type)
    response.cache_control.public = True
    response.cache_control.max_age = 365 * 24 * 3600
    response.cache_control.immutable = True
    return response


@bp.get("/<slug>/")
def course(slug):
    course = _course_or_404(slug)
    view = learning.course_view(current_user, course)
    can_read = current_user.is_authenticated and (view.enrolled or current_user.is_staff)
    certificate = None
    if view.enrolled and certificates.offers_certificate(course):
        certificate = certificates.standing(current_user, course)  # issuing follows progress events, not visits
    return render_template("catalog/course.html", view=view, can_read=can_read, certificate=certificate,
                           explain=explain, lang=current_language())


@bp.post("/<slug>/enrol")
@login_required
def enrol(slug):
    course = _course_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        if learning.enrol(current_user, course):
            flash(_("You are enrolled. Start with the first lesson when you are ready."), "success")
    except learning.LearningError as error:
        flash(error.message, "error")
    return redirect(url_for("catalog.course", slug=slug))
