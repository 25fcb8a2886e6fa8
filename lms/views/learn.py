"""The trainee's dashboard and the lesson pages."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms import ActionForm
from ..i18n import current_language
from ..services import announcements, content_ops, learning
from . import step_url

bp = Blueprint("learn", __name__)


@bp.get("/dashboard")
@login_required
def dashboard():
    return render_template("learn/dashboard.html", views=learning.dashboard(current_user),
                           announcements=announcements.for_member(current_user))


def _readable_lesson(slug, lesson_slug):
    """The course and lesson, or 404; 403 when the user may not read this course yet."""
    course = learning.get_course(slug)
    lesson = learning.get_lesson(course, lesson_slug) if course else None
    if lesson is None:
        abort(404)
    if not learning.can_read_lessons(current_user, course):
        abort(403)
    return course, lesson


@bp.get("/courses/<slug>/lessons/<lesson_slug>")
@login_required
def lesson(slug, lesson_slug):
    course, lesson = _readable_lesson(slug, lesson_slug)
    view = learning.course_view(current_user, course)
    previous, following = learning.neighbours(view, lesson)
    module = next((mv for mv in view.modules if mv.module.id == lesson.module_id), None)
    if module is None:  # a live lesson left in an archived module: treat as gone
        abort(404)
    drift = content_ops.stale_units(course.id, [f"lesson:{lesson.slug}"]).get(f"lesson:{lesson.slug}")
    return render_template("learn/lesson.html", view=view, lesson=lesson, module=module,
                           previous=previous, following=following, done=lesson.id in view.done,
                           drift=drift if drift is not None and drift.stale == current_language() else None)


@bp.post("/courses/<slug>/lessons/<lesson_slug>/complete")
@login_required
def complete(slug, lesson_slug):
    course, lesson = _readable_lesson(slug, lesson_slug)
    if not learning.is_enrolled(current_user, course):
        abort(403)  # mentors and admins may read, but only enrolled trainees record progress
    if not ActionForm().validate_on_submit():
        abort(400)
    done = request.form.get("done") != "0"
    learning.set_lesson_done(current_user, lesson, done)
    message = _("Lesson marked as complete.") if done else _("Lesson marked as not complete.")
    if request.form.get("then") == "next":
        flash(message, "success")  # at the top of the next page
        view = learning.course_view(current_user, course)
        _previous, following = learning.neighbours(view, lesson)
        if following is not None:
            return redirect(step_url(course, following))
        return redirect(url_for("catalog.course", slug=slug))
    flash(message, "lesson")  # the lesson page shows it beside the button it scrolls back to
    return redirect(url_for("learn.lesson", slug=slug, lesson_slug=lesson_slug, _anchor="lesson-actions"))
