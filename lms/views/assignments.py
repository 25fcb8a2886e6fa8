"""Assignment pages: the trainee's work, attachments, the review queue and the review page."""

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import clock, storage
from ..forms import ActionForm
from ..rules import review as rules
from ..rules.uploads import FILE_TYPES
from ..security import accepts_uploads, parse_id, role_required
from ..services import assignments, learning
from . import background_answer, background_request, saved_at

bp = Blueprint("assignments", __name__)

STATE_LABELS = {
    rules.DRAFT: _l("Draft"),
    rules.SUBMITTED: _l("Submitted"),
    rules.IN_REVIEW: _l("In review"),
    rules.REVISION_REQUESTED: _l("Revision requested"),
    rules.RESUBMITTED: _l("Resubmitted"),
    rules.APPROVED: _l("Approved"),
}


@bp.context_processor
def labels():
    return {"SUBMISSION_STATES": STATE_LABELS, "FILE_TYPES": FILE_TYPES, "below_minimum": _below_minimum}


def _below_minimum(criteria, scores):
    """The gating criteria (dicts) whose score is below their ``min_level``, for the templates."""
    low = set(rules.below_minimum(criteria, scores or {}))
    return [c for c in criteria if c["id"] in low]


def _lock():
    return parse_id(request.form.get("lock"))


def _csrf_or_400():
    if not ActionForm().validate_on_submit():
        abort(400)


def _assignment_or_404(slug, assignment_slug):
    course = learning.get_course(slug)
    assignment = assignments.get_assignment(course, assignment_slug) if course else None
    if assignment is None:
        abort(404)
    return course, assignment


def _render_assignment(course, assignment, typed=None, status=200):
    enrolled = learning.is_enrolled(current_user, course)
    submission = assignments.submission_of(current_user, assignment) if enrolled else None
    view = assignments.submission_view(submission, reviewer=False) if submission else None
    return render_template(
        "assignments/assignment.html", course=course, assignment=assignment, enrolled=enrolled,
        submission=submission, view=view, typed=typed, due=assignments.due_for(current_user.id, assignment),
        editable=enrolled and (submission is None or submission.state in rules.EDITABLE),
    ), status


@bp.get("/courses/<slug>/assignments/<assignment_slug>")
@login_required
def assignment_page(slug, assignment_slug):
    course, assignment = _assignment_or_404(slug, assignment_slug)
    if not learning.can_read_lessons(current_user, course):
        abort(403)
    return _render_assignment(course, assignment)


@bp.get("/courses/<slug>/assignments/<assignment_slug>/exemplar")
@role_required("mentor", "admin")
def exemplar(slug, assignment_slug):
    """The calibration exemplar: mentors and admins only; never a trainee of the course, even one who also mentors."""
    course, assignment = _assignment_or_404(slug, assignment_slug)
    if not current_user.is_admin and learning.is_enrolled(current_user, course):
        abort(403)
    if not assignment.exemplar:
        abort(404)
    return render_template("assignments/exemplar.html", course=course, assignment=assignment,
                           scores={s["criterion"]: s for s in assignment.exemplar["scores"]})


@bp.post("/courses/<slug>/assignments/<assignment_slug>")
@accepts_uploads
@login_required
def save(slug, assignment_slug):
    """Save the draft (text and new files); with action=submit, then hand it in."""
    course, assignment = _assignment_or_404(slug, assignment_slug)
    if not learning.is_enrolled(current_user, course):
        abort(403)
    _csrf_or_400()
    texts = {s["id"]: request.form.get(f"section-{s['id']}", "") for s in assignment.sections}
    lock = _lock()
    if background_request():
        return _save_in_background(assignment, texts, lock)
    try:
        result = assignments.save_draft(current_user, assignment, texts, lock, request.files.getlist("files"))
    except assignments.Conflict as conflict:
        flash(conflict.message, "error")
        return _render_assignment(course, assignment, typed=conflict.typed, status=409)
    except assignments.Invalid as invalid:  # a rule refused what was sent: 422, the typed text shown back
        flash(invalid.message, "error")
        return _render_assignment(course, assignment, typed=invalid.typed, status=422)
    except assignments.AssignmentError as error:
        flash(error.message, "error")
        return _render_assignment(course, assignment, typed={"sections": texts}, status=400)
    for name in result.stored:
        flash(_("Attached “%(name)s”.", name=name), "success")
    for name, reason in result.refused:
        flash(_("“%(name)s” was not attached: %(reason)s", name=name, reason=reason), "error")
    if request.form.get("action") == "submit" and not result.refused:
        try:
            assignments.submit(current_user, assignment, result.submission.lock)
        except assignments.AssignmentError as error:
            flash(_("Your draft is saved, but it was not submitted: %(reason)s", reason=error.message), "error")
        else:
            flash(_("Submitted. Your mentor has been told; you will be notified when the review is ready."), "success")
    elif request.form.get("action") == "submit":
        flash(_("Your draft is saved but not submitted, because a file was refused."), "error")
    else:
        flash(_("Draft saved."), "success")
    return redirect(url_for("assignments.assignment_page", slug=slug, assignment_slug=assignment_slug))


def _save_in_background(assignment, texts, lock):
    """The page's background save while the trainee types: the text only (files and submitting stay with the
    buttons), through the same service and lock as "Save draft". The answer carries the new lock, so the
    page's next save (and its buttons) are not taken for a stale form; a conflict is reported, never
    overwritten, and the text stays in the boxes."""
    try:
        result = assignments.save_draft(current_user, assignment, texts, lock, [])
    except assignments.Conflict:
        return background_answer(409, conflict=True, error=_(
            "This draft was saved in another window or tab after you opened this page, so this page did not "
            "save it. Nothing was overwritten and your text is still here: copy it, reload the page and add "
            "it again."))
    except assignments.AssignmentError as error:  # Invalid (422) or no longer editable (400)
        return background_answer(422 if isinstance(error, assignments.Invalid) else 400, error=str(error.message))
    saved = saved_at(clock.now())
    return background_answer(200, lock=result.submission.lock, message=_("Saved %(time)s", time=saved["time"]),
                             **saved)


@bp.post("/attachments/<id:attachment_id>/remove")
@login_required
def remove_attachment(attachment_id):
    _csrf_or_400()
    try:
        submission = assignments.remove_attachment(current_user, attachment_id, _lock())
    except LookupError:
        abort(404)
    except assignments.AssignmentError as error:
        flash(error.message, "error")
        return redirect(request.referrer or url_for("learn.dashboard"))
    assignment = submission.assignment
    flash(_("The file was removed from your draft."), "success")
    return redirect(url_for("assignments.assignment_page", slug=assignment.course.slug, assignment_slug=assignment.slug))


@bp.get("/attachments/<id:attachment_id>")
@login_required
def download(attachment_id):
    found = assignments.attachment_for(current_user, attachment_id)
    if found is None:
        abort(404)  # also for files the user may not see: no hint that they exist
    response = send_file(storage.path_of(found.stored_name), mimetype=FILE_TYPES[found.file_type].mimetype,
                         as_attachment=True, download_name=found.original_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- mentors


@bp.get("/reviews/")
@role_required("mentor", "admin")
def queue():
    filters = assignments.QueueFilters(
        course_id=parse_id(request.args.get("course")),
        assignment_id=parse_id(request.args.get("assignment")),
        state=request.args.get("state") or None,
    )
    result = assignments.review_queue(current_user, filters, request.args.get("page", 1, type=int))
    return render_template("assignments/queue.html", queue=result, filters=filters)


def _reviewable(submission_id):
    submission = assignments.get_submission(submission_id)
    if submission is None or submission.state == rules.DRAFT:
        abort(404)  # a draft is the trainee's own; nobody else learns it exists
    if current_user.id == submission.user_id:
        abort(403)  # their own work: they see it on the assignment page, and nobody reviews their own work
    if not assignments.can_review(current_user, submission):
        abort(404)  # one allocation check; whoever may not review it does not learn it exists
    return submission


def _render_review(submission, typed=None, status=200):
    view = assignments.submission_view(submission, reviewer=True)
    assignment = submission.assignment
    review = view.current.review
    shown = typed["scores"] if typed else (review.scores if review else {})  # the levels the form shows picked
    return render_template("assignments/review.html", submission=submission, assignment=assignment,
                           trainee=submission.user, view=view, typed=typed, diff=assignments.diff_view(view),
                           due=assignments.due_for(submission.user_id, assignment),
                           running=rules.running_total(assignment.criteria, shown, assignment.pass_points)), status


@bp.get("/submissions/<id:submission_id>")
@login_required
def review_page(submission_id):
    submission = assignments.get_submission(submission_id)
    if submission is not None and submission.user_id == current_user.id:
        assignment = submission.assignment  # the author reads their work on the assignment page
        return redirect(url_for("assignments.assignment_page", slug=assignment.course.slug,
                                assignment_slug=assignment.slug))
    return _render_review(_reviewable(submission_id))


@bp.post("/submissions/<id:submission_id>/review")
@login_required
def save_review(submission_id):
    submission = _reviewable(submission_id)
    _csrf_or_400()
    assignment = submission.assignment
    action = request.form.get("action")
    data = assignments.ReviewInput(
        scores={c["id"]: request.form.get(f"score-{c['id']}") for c in assignment.criteria},
        comment=request.form.get("comment", ""),
        section_comments={s["id"]: request.form.get(f"section-comment-{s['id']}", "") for s in assignment.sections},
        decision=action if action in ("approve", "revise") else None,
    )
    try:
        assignments.save_review(current_user, submission, data, _lock())
    except assignments.NotAllowed:
        abort(404)  # allocation withdrawn since the check above (another request committed in between)
    except assignments.Conflict as conflict:
        flash(conflict.message, "error")
        return _render_review(assignments.get_submission(submission_id), typed=conflict.typed, status=409)
    except assignments.Invalid as invalid:
        flash(invalid.message, "error")
        return _render_review(assignments.get_submission(submission_id), typed=invalid.typed, status=422)
    if data.decision == "approve":
        flash(_("Approved. The trainee has been notified."), "success")
    elif data.decision == "revise":
        flash(_("Revision requested. The trainee has been notified."), "success")
    else:
        flash(_("Review saved as a draft; the trainee cannot see it yet."), "success")
    return redirect(url_for("assignments.review_page", submission_id=submission_id))
