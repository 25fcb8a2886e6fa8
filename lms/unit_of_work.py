"""One unit of work per request, per CLI command and per job.

Services add and flush; they never commit. The request commits once, after the view returned a response
that is not an error (``init_app``); a CLI command commits once when it ends (``lms.cli``); a job commits once
when it ends (``lms.jobs``). Whatever must happen only if the work was kept — a mail, a rendered PDF — is
registered with ``after_commit`` and runs (as a job on the queue) only after that commit; a rollback drops it.

Progress is one domain event: ``progress_changed(user_id, course_id)`` is raised wherever a trainee's progress
moves (a lesson done, a quiz graded, an assignment approved, a re-import regrading). Just before the commit,
one handler (``certificates.on_progress_changed``) decides whether a certificate is due, inside the same
transaction, so a certificate never exists without the progress that earned it, nor the reverse.
"""

from __future__ import annotations

import logging
from typing import Callable

from flask import g, request
from flask_sqlalchemy.session import Session
from sqlalchemy import event

from .extensions import db

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_HOOKS = "lms.after_commit"
_PROGRESS = "lms.progress_changed"
_UNDO = "lms.on_rollback"


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current transaction has committed; never if it rolls back."""
    db.session.info.setdefault(_HOOKS, []).append(callback)


def on_rollback(callback: Callable[[], None]) -> None:
    """Run ``callback`` if the current transaction ends without a commit (remove a file written for it)."""
    db.session.info.setdefault(_UNDO, []).append(callback)


def progress_changed(user_id: int, course_id: int) -> None:
    """A trainee's progress in a course moved: the certificate rule looks at it before the commit."""
    db.session.info.setdefault(_PROGRESS, set()).add((user_id, course_id))


def commit_even_on_error() -> None:
    """Keep this request's writes although it answers with an error status (an audited refusal, e.g. 429)."""
    g.lms_commit_on_error = True


@event.listens_for(Session, "before_commit")
def _handle_progress(session) -> None:
    # Handling may raise more events (it does not today); loop until none are left.
    while session.info.get(_PROGRESS):
        changed = sorted(session.info.pop(_PROGRESS))
        from .services import certificates  # services import this module

        certificates.on_progress_changed(changed)


@event.listens_for(Session, "after_commit")
def _run_hooks(session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released (SQLAlchemy reports it as a commit): nothing is committed yet
    session.info.pop(_UNDO, None)
    _run(session.info.pop(_HOOKS, []), "after-commit")  # a failed enqueue is caught up by the periodic sweeps


@event.listens_for(Session, "after_transaction_end")
def _drop_hooks(session, transaction) -> None:
    # The outermost transaction ended without a commit (rollback, or closed at the end of the request):
    # its side effects are dropped and its undo callbacks run. A savepoint ending changes nothing here.
    if transaction.parent is None:
        session.info.pop(_HOOKS, None)
        session.info.pop(_PROGRESS, None)
        _run(session.info.pop(_UNDO, []), "rollback")


def _run(callbacks, when: str) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("%s hook %r failed", when, callback)


def init_app(app) -> None:
    @app.after_request
    def commit_request(response):
        """The request's one commit: writes are kept only when the answer is not an error."""
        if request.method in SAFE_METHODS:
            return response
        if response.status_code < 400 or g.get("lms_commit_on_error"):
            db.session.commit()
        else:
            db.session.rollback()
        return response
