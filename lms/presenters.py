"""Rule results in words: what the pure rules of ``lms.rules`` return, as sentences in the reader's language.

The rules return codes and numbers (no Babel, no Flask); the pages and mails turn them into text here.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .i18n import format_score
from .rules.completion import Reason

# What each reason says about the step it names.
_STEP_MESSAGES = {
    "lesson_not_done": _l("Lesson “%(title)s” is not marked as complete."),
    "quiz_not_taken": _l("Quiz “%(title)s” has not been taken."),
    "quiz_not_passed": _l("Quiz “%(title)s” is not passed yet."),
    "quiz_used_up": _l("Quiz “%(title)s” was not passed and no attempts remain; please contact the program office."),
    "assignment_waiting": _l("Assignment “%(title)s” is waiting for review."),
    "assignment_revision": _l("Assignment “%(title)s” needs a revision."),
    "assignment_not_submitted": _l("Assignment “%(title)s” has not been submitted."),
}


def explain(reason: Reason, language: str) -> str:
    """The reason as a sentence in the current locale; ``language`` picks the step's title."""
    if reason.code in _STEP_MESSAGES:
        title = (reason.title or {}).get(language) or (reason.title or {}).get("en", "")
        return str(_STEP_MESSAGES[reason.code]) % {"title": title}
    if reason.code == "not_enrolled":
        return _("You are not enrolled in this course.")
    if reason.code == "name_missing":
        return _("Add your name in Latin script to your profile: the certificate shows it.")
    if reason.code == "name_unprintable":
        return _("Your name contains characters the certificate cannot print (%(chars)s); "
                 "please contact the program office.", chars=reason.numbers[0])
    if reason.code == "quiz_average":
        average, minimum = reason.numbers
        return _("Your average quiz score is %(average)s%%; the course requires at least %(minimum)s%%.",
                 average=format_score(average), minimum=format_score(minimum))
    raise ValueError(f"unknown reason {reason.code}")
