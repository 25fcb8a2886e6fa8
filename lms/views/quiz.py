"""Quiz pages: overview, the attempt form, the summary before submitting, the review, item analysis."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import clock, unit_of_work
from ..i18n import current_language, join_list
from ..forms import ActionForm
from ..rules import grading
from ..security import role_required
from ..services import content_ops, learning, quizzes
from . import background_answer, background_request, saved_at

bp = Blueprint("quiz", __name__)


def _course_and_quiz(slug, quiz_slug):
    course = learning.get_course(slug)
    quiz = quizzes.get_quiz(course, quiz_slug) if course else None
    if quiz is None:
        abort(404)
    return course, quiz


def _own_attempt(attempt_id, *, taking=False):
    """The current user's attempt; another person's answers 404, exactly as a missing one.

    ``taking``: the attempt is being worked on, which needs a live quiz and a current enrolment
    (its review stays readable either way).
    """
    attempt = quizzes.get_attempt(attempt_id, current_user)
    if attempt is None:
        abort(404)
    if taking and not quizzes.may_take(current_user, attempt.quiz):
        abort(403)
    return attempt


def _refused(message, attempt=None, code=400):
    return render_template("quiz/refused.html", message=message, attempt=attempt), code


@bp.get("/courses/<slug>/quizzes/<quiz_slug>")
@login_required
def overview(slug, quiz_slug):
    course, quiz = _course_and_quiz(slug, quiz_slug)
    if not learning.can_read_lessons(current_user, course):
        abort(403)
    enrolled = learning.is_enrolled(current_user, course)
    status = quizzes.status(current_user, quiz) if enrolled else None
    return render_template("quiz/overview.html", course=course, quiz=quiz, status=status, enrolled=enrolled,
                           question_count=quizzes.question_count(quiz))


@bp.post("/courses/<slug>/quizzes/<quiz_slug>/start")
@login_required
def start(slug, quiz_slug):
    course, quiz = _course_and_quiz(slug, quiz_slug)
    if not learning.is_enrolled(current_user, course):
        abort(403)  # staff may look at the quiz; only enrolled trainees take it
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        attempt = quizzes.start_attempt(current_user, quiz)
    except quizzes.QuizError as error:
        flash(error.message, "error")
        return redirect(url_for("quiz.overview", slug=slug, quiz_slug=quiz_slug))
    return redirect(url_for("quiz.attempt", attempt_id=attempt.id))


def _closed_redirect(attempt):
    """A closed attempt, or one whose time ran out (graded by the scheduler or "See the result"), shows its review."""
    return redirect(url_for("quiz.review", attempt_id=attempt.id))


def _open_attempt_page(attempt_id, template):
    """The questions of an attempt still open (the form, or the summary before submitting)."""
    attempt = _own_attempt(attempt_id, taking=True)
    if attempt.state != "in_progress" or quizzes.is_overdue(attempt):
        return _closed_redirect(attempt)
    questions = quizzes.shown_questions(attempt)
    return render_template(template, attempt=attempt, quiz=attempt.quiz, course=attempt.quiz.module.course,
                           questions=questions, minutes_left=quizzes.minutes_left(attempt),
                           drifts=_question_drifts(attempt.quiz, questions))


def _question_drifts(quiz, questions) -> dict:
    """Question id -> its out-of-step pairing, for questions whose reader's language is the one behind."""
    units = {f"question:{quiz.slug}/{sq.question.key}": sq.question.id for sq in questions}
    language = current_language()
    return {units[key]: state for key, state in content_ops.stale_units(quiz.course_id, list(units)).items()
            if state.stale == language}


@bp.get("/quiz-attempts/<id:attempt_id>")
@login_required
def attempt(attempt_id):
    return _open_attempt_page(attempt_id, "quiz/attempt.html")


@bp.post("/quiz-attempts/<id:attempt_id>")
@login_required
def save(attempt_id):
    """Save the answers (the Save button, a Move button, or the page's background save as people work)."""
    attempt = _own_attempt(attempt_id, taking=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    background = background_request()
    questions = quizzes.questions_for(attempt)
    try:
        parsed = quizzes.parse_form(request.form, attempt, questions)
        answers = parsed.answers
        quizzes.save_answers(attempt, answers)
    except quizzes.AttemptClosed as error:
        review_url = url_for("quiz.review", attempt_id=attempt.id)
        if quizzes.is_overdue(attempt):
            quizzes.close_overdue(quiz_id=attempt.quiz_id, user_id=attempt.user_id)
            unit_of_work.commit_even_on_error()  # the grading stands; only the late answers are refused
            message = _("Time is up: these answers arrived after the deadline and were not saved. "
                        "The answers you saved before the deadline have been graded.")
            if background:
                return background_answer(409, error=message, closed=True, location=review_url)
            return _refused(message, attempt)
        if background:
            return background_answer(409, error=str(error.message), closed=True, location=review_url)
        return _refused(error.message, attempt)
    except quizzes.BadAnswer as error:
        if background:
            return background_answer(400, error=str(error.message))
        return _refused(error.message, attempt)
    notices = []
    not_numbers = [attempt.layout["questions"].index(qid) + 1 for qid, answer in answers.items()
                   if questions[qid].type == "numeric" and answer is not None
                   and grading.parse_number(answer) is None]
    if not_numbers:  # one short message: the session cookie carries flashes
        notices.append(_("Not a number in question %(numbers)s. It was saved as you typed it; correct it before "
                         "you submit.", numbers=join_list(not_numbers)))
    if parsed.dropped:
        notices.append(_("The course team changed a question while you were answering; a choice that no longer "
                         "exists was left out. Check your answers."))
    if background:
        saved = saved_at(clock.now())
        return background_answer(200, message=_("Saved %(time)s", time=saved["time"]), notices=notices, **saved)
    for notice in notices:
        flash(notice, "error" if not_numbers and notice == notices[0] else "info")
    if parsed.moved is not None:
        return redirect(url_for("quiz.attempt", attempt_id=attempt.id, _anchor=f"q{parsed.moved}"))
    if request.form.get("action") == "finish":
        return redirect(url_for("quiz.finish", attempt_id=attempt.id))
    flash(_("Your answers are saved."), "success")
    return redirect(url_for("quiz.attempt", attempt_id=attempt.id))


@bp.get("/quiz-attempts/<id:attempt_id>/finish")
@login_required
def finish(attempt_id):
    return _open_attempt_page(attempt_id, "quiz/finish.html")


@bp.post("/quiz-attempts/<id:attempt_id>/submit")
@login_required
def submit(attempt_id):
    attempt = _own_attempt(attempt_id, taking=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    # A second submit (double click, replay, another tab) grades nothing and shows the same result.
    quizzes.submit(attempt)
    return redirect(url_for("quiz.review", attempt_id=attempt.id))


@bp.get("/quiz-attempts/<id:attempt_id>/review")
@login_required
def review(attempt_id):
    attempt = _own_attempt(attempt_id)
    if attempt.state == "in_progress" and not quizzes.is_overdue(attempt):
        return redirect(url_for("quiz.attempt", attempt_id=attempt.id))
    if attempt.state == "in_progress":  # time is up; a GET writes nothing, so grading is one click away
        return render_template("quiz/time_up.html", attempt=attempt, quiz=attempt.quiz,
                               course=attempt.quiz.module.course)
    quiz = attempt.quiz
    status = quizzes.status(current_user, quiz)
    questions = quizzes.shown_questions(attempt)
    earned, possible = grading.attempt_points((sq.fraction, sq.question.points) for sq in questions)
    return render_template("quiz/review.html", attempt=attempt, quiz=quiz, course=quiz.module.course,
                           status=status, reveal=status.reveal, questions=questions, earned=earned,
                           possible=possible)


@bp.post("/quiz-attempts/<id:attempt_id>/close")
@login_required
def close(attempt_id):
    """Grade an attempt whose time is up (the scheduler does the same within a minute)."""
    attempt = _own_attempt(attempt_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if quizzes.close_overdue(quiz_id=attempt.quiz_id, user_id=attempt.user_id):
        flash(_("Time is up. The answers you saved before the deadline have been graded."), "info")
    return redirect(url_for("quiz.review", attempt_id=attempt.id))


@bp.get("/courses/<slug>/quizzes/<quiz_slug>/analysis")
@role_required("mentor", "admin")
def analysis(slug, quiz_slug):
    course, quiz = _course_and_quiz(slug, quiz_slug)
    return render_template("quiz/analysis.html", course=course, quiz=quiz, stats=quizzes.item_analysis(quiz))


@bp.context_processor
def quiz_labels():
    return {
        "GRADING_LABELS": {"highest": _l("Highest attempt counts"), "latest": _l("Latest attempt counts")},
        "REVEAL_LABELS": {
            "after_attempt": _l("After each attempt"),
            "once_passed": _l("Once you pass"),
            "after_last_attempt": _l("After your last attempt"),
            "once_passed_or_last": _l("Once you pass, or after your last attempt"),
            "never": _l("Never"),
        },
        "STATE_LABELS": {"in_progress": _l("In progress"), "submitted": _l("Submitted"), "graded": _l("Graded")},
        "TYPE_LABELS": {
            "single": _l("Single choice"), "multiple": _l("Multiple select"), "true_false": _l("True or false"),
            "numeric": _l("Numeric"), "text": _l("Short text"), "ordering": _l("Ordering"),
        },
        "OUTCOME_LABELS": {"correct": _l("Correct"), "partial": _l("Partly correct"), "incorrect": _l("Incorrect")},
    }
