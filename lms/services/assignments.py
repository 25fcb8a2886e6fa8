"""Assignments: drafts, versions, attachments, submission, mentor review and the review queue.

Every transition goes through ``lms.rules.review.check_transition`` and is recorded as a
``SubmissionEvent``. Every write claims the submission's optimistic lock with a conditional UPDATE
(``lock = lock + 1 WHERE lock = <the value the page showed>``): a stale page, a second tab or a second
mentor gets a ``Conflict`` carrying what they typed, never a silent overwrite.
"""

from __future__ import annotations

import difflib
import functools
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from .. import clock, storage, unit_of_work
from ..i18n import join_list
from ..extensions import core_connection, db
from ..models import (Assignment, Attachment, Cohort, CohortCourse, CohortMember, Course, Review, Submission,
                      SubmissionEvent, SubmissionVersion, User)
from ..pagination import clamp_page
from ..rules import review as rules
from ..rules import uploads
from ..sanitize import render_markdown
from ..urls import site_path
from . import audit, notifications
from .allocation import allocated_mentors, allocated_to, is_allocated
from .people import Page

log = logging.getLogger(__name__)

MAX_SECTION_TEXT = 50_000
MAX_COMMENT = 20_000
QUEUE_PAGE_SIZE = 25


class AssignmentError(Exception):
    """A refused request; ``message`` is for the person who made it."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class NotAllowed(Exception):
    """The user may not do this to this submission (not an allocated reviewer, or the author).

    Its own class rather than the builtin ``PermissionError``, which is an ``OSError`` (a file the storage could
    not write would look like a refusal); views answer it with a 404, as for anything the user may not see.
    """


class Conflict(AssignmentError):
    """Someone saved this submission since the page was loaded; ``typed`` is what this request carried."""

    def __init__(self, message, typed: dict):
        super().__init__(message)
        self.typed = typed


class Invalid(AssignmentError):
    """What was sent breaks a rule (too long, unscored, no comment): the views answer 422 and show ``typed`` back.

    Not a ``Conflict`` (409), which is about someone else's change or the submission's state.
    """

    def __init__(self, message, typed: dict):
        super().__init__(message)
        self.typed = typed


# --- reading and who may see what


def get_assignment(course: Course, slug: str) -> Assignment | None:
    return db.session.scalar(select(Assignment).where(Assignment.course_id == course.id, Assignment.slug == slug,
                                                      Assignment.archived_at.is_(None)))


def active_assignments(course_ids: list[int]) -> dict[int, list[Assignment]]:
    """Live assignments per module of these courses, in order: one query."""
    result = defaultdict(list)
    if course_ids:
        for assignment in db.session.scalars(select(Assignment).where(
                Assignment.course_id.in_(course_ids), Assignment.archived_at.is_(None)).order_by(Assignment.position)):
            result[assignment.module_id].append(assignment)
    return result


def approved_assignment_ids(user: User, course_ids: list[int]) -> set[int]:
    if not user.is_authenticated or not course_ids:
        return set()
    return set(core_connection().scalars(select(Submission.assignment_id).where(  # Core: ids only
        Submission.user_id == user.id, Submission.course_id.in_(course_ids), Submission.state == rules.APPROVED)))


def can_review(user: User, submission: Submission) -> bool:
    """Admins, and mentors allocated to the trainee for the course; never the author of the work."""
    if not user.is_authenticated or user.id == submission.user_id:
        return False
    return user.is_admin or is_allocated(user, submission.user_id, submission.course_id)


def can_view(user: User, submission: Submission) -> bool:
    return user.is_authenticated and (user.id == submission.user_id or can_review(user, submission))


def get_submission(submission_id: int) -> Submission | None:
    return db.session.get(Submission, submission_id)


def submission_of(user: User, assignment: Assignment) -> Submission | None:
    return db.session.scalar(select(Submission).where(Submission.assignment_id == assignment.id,
                                                      Submission.user_id == user.id))


def due_for(user_id: int, assignment: Assignment) -> datetime | None:
    """Due date from the earliest-starting cohort that has this trainee and the course."""
    if assignment.due_days is None:
        return None
    start = db.session.scalar(
        select(func.min(Cohort.starts_on))
        .join(CohortMember, and_(CohortMember.cohort_id == Cohort.id, CohortMember.role == "trainee"))
        .join(CohortCourse, CohortCourse.cohort_id == Cohort.id)
        .where(CohortMember.user_id == user_id, CohortCourse.course_id == assignment.course_id))
    return rules.due_at(start, assignment.due_days)


# --- the submission's history


@dataclass
class VersionView:
    version: SubmissionVersion
    attachments: list[Attachment]
    review: Review | None  # for the trainee: only a released review


@dataclass
class SubmissionView:
    submission: Submission
    versions: list[VersionView]  # oldest first
    events: list[SubmissionEvent]

    @property
    def current(self) -> VersionView:
        return self.versions[-1]

    @property
    def previous(self) -> VersionView | None:
        """The last submitted version before the current one (what a diff compares against)."""
        submitted = [v for v in self.versions[:-1] if v.version.submitted_at is not None]
        return submitted[-1] if submitted else None

    @property
    def draft(self) -> VersionView | None:
        current = self.current
        return current if current.version.submitted_at is None else None


def submission_view(submission: Submission, *, reviewer: bool) -> SubmissionView:
    """All versions with their attachments and reviews, and the timeline: four queries."""
    versions = list(db.session.scalars(select(SubmissionVersion).where(
        SubmissionVersion.submission_id == submission.id).order_by(SubmissionVersion.number)))
    if reviewer:  # a draft is the trainee's own until it is submitted
        versions = [v for v in versions if v.submitted_at is not None]
    ids = [v.id for v in versions]
    attachments = defaultdict(list)
    for attachment in db.session.scalars(select(Attachment).where(Attachment.version_id.in_(ids)).order_by(Attachment.id)):
        attachments[attachment.version_id].append(attachment)
    reviews = {r.version_id: r for r in db.session.scalars(select(Review).where(Review.version_id.in_(ids)))}
    events = list(db.session.scalars(select(SubmissionEvent).where(SubmissionEvent.submission_id == submission.id)
                                     .order_by(SubmissionEvent.at, SubmissionEvent.id)))
    views = []
    for version in versions:
        review = reviews.get(version.id)
        if review is not None and not reviewer and review.released_at is None:
            review = None  # a draft review is the mentor's until released
        views.append(VersionView(version, attachments[version.id], review))
    return SubmissionView(submission, views, events)


@dataclass
class DiffLine:
    op: str  # "same", "added", "removed"
    text: str


def section_diff(old: str, new: str) -> list[DiffLine]:
    """Line by line, what changed in a section between two versions."""
    before, after = (old or "").splitlines(), (new or "").splitlines()
    lines = []
    # Opcodes, not ndiff: ndiff also works out which characters changed inside a line, which is never shown
    # and cost a review page most of its time.
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if op == "equal":
            lines.extend(DiffLine("same", text) for text in before[i1:i2])
            continue
        lines.extend(DiffLine("removed", text) for text in before[i1:i2])
        lines.extend(DiffLine("added", text) for text in after[j1:j2])
    return lines


@dataclass
class SectionDiff:
    section: dict
    lines: list[DiffLine]

    @property
    def changed(self) -> bool:
        return any(line.op != "same" for line in self.lines)


def diff_view(view: SubmissionView) -> list[SectionDiff] | None:
    """Per section, the current version against the previous submitted one; None for a first version."""
    if not view.versions or view.previous is None:
        return None
    old, new = view.previous.version.sections, view.current.version.sections
    return [SectionDiff(section, section_diff(old.get(section["id"], ""), new.get(section["id"], "")))
            for section in view.submission.assignment.sections]


def attachment_for(user: User, attachment_id: int) -> Attachment | None:
    """The attachment if ``user`` may download it: its owner, an allocated mentor (submitted versions), an admin."""
    row = db.session.execute(
        select(Attachment, SubmissionVersion, Submission)
        .join(SubmissionVersion, SubmissionVersion.id == Attachment.version_id)
        .join(Submission, Submission.id == SubmissionVersion.submission_id)
        .where(Attachment.id == attachment_id)
    ).first()
    if row is None:
        return None
    attachment, version, submission = row
    if submission.user_id == user.id:
        return attachment
    if version.submitted_at is not None and can_review(user, submission):
        return attachment
    return None


# --- writing: the lock, the transitions


def _claim(submission: Submission, lock: int | None, typed: dict, **values) -> None:
    """Bump the optimistic lock if the page saw the current version of the submission; else ``Conflict``."""
    if lock is None or lock != submission.lock:
        raise Conflict(_l("Someone else saved this submission after you opened the page. "
                          "Nothing was overwritten: your text is shown below — compare it with the saved version "
                          "and save again."), typed)
    claimed = db.session.execute(
        update(Submission).where(Submission.id == submission.id, Submission.lock == lock)
        .values(lock=lock + 1, updated_at=clock.now(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise Conflict(_l("Someone else saved this submission a moment ago. "
                          "Nothing was overwritten: your text is shown below; save again."), typed)
    for key, value in {"lock": lock + 1, **values}.items():  # what the row now holds, without another UPDATE
        set_committed_value(submission, key, value)


def _transition(submission: Submission, current: str, target: str, actor: User, role: str, version_number: int,
                at: datetime) -> None:
    """Check a transition against the state machine and record it on the timeline."""
    rules.check_transition(current, target, role)
    db.session.add(SubmissionEvent(submission_id=submission.id, actor_id=actor.id, from_state=current,
                                   to_state=target, version_number=version_number, at=at))


def _latest_version(submission: Submission) -> SubmissionVersion:
    return db.session.scalar(select(SubmissionVersion).where(SubmissionVersion.submission_id == submission.id)
                             .order_by(SubmissionVersion.number.desc()).limit(1))


def _render_sections(assignment: Assignment, texts: dict[str, str]) -> tuple[dict, dict]:
    clean = {s["id"]: (texts.get(s["id"]) or "").replace("\r\n", "\n") for s in assignment.sections}
    return clean, {key: render_markdown(text) for key, text in clean.items()}


@dataclass
class SaveResult:
    submission: Submission
    stored: list[str] = field(default_factory=list)  # names of files attached
    refused: list[tuple[str, object]] = field(default_factory=list)  # (name, reason)


def save_draft(user: User, assignment: Assignment, texts: dict[str, str], lock: int | None,
               files: list | None = None) -> SaveResult:
    """Save the trainee's text (and new files) to the editable version, creating it if needed.

    The text is always saved when the draft is editable and the lock matches; a refused file is
    reported and stored nowhere, and does not cost the trainee their text.
    """
    typed = {"sections": texts}
    for key, text in texts.items():
        if len(text or "") > MAX_SECTION_TEXT:
            raise Invalid(_l("A section is longer than %(n)d characters.", n=MAX_SECTION_TEXT), typed)
    now = clock.now()
    submission = submission_of(user, assignment)
    if submission is None:
        submission = Submission(assignment_id=assignment.id, user_id=user.id, course_id=assignment.course_id,
                                state=rules.DRAFT, created_at=now, updated_at=now, lock=1)
        try:
            with db.session.begin_nested():
                db.session.add(submission)
        except IntegrityError:  # created a moment ago by another request (a double click)
            raise Conflict(_l("This draft was just created in another window. Your text is shown below; "
                              "save again."), typed) from None
        version = SubmissionVersion(submission_id=submission.id, number=1, created_at=now)
        db.session.add(version)
        lock = submission.lock
    if submission.state not in rules.EDITABLE:
        raise AssignmentError(_l("This work has been submitted and can no longer be changed."))
    _claim(submission, lock, typed)
    version = _latest_version(submission)
    if version is None or version.submitted_at is not None:
        version = _new_version_from(submission, version, now)
    version.sections, version.sections_html = _render_sections(assignment, texts)
    version.saved_at = now
    result = SaveResult(submission)
    _store_files(assignment, version, files or [], result)
    return result


def _new_version_from(submission: Submission, previous: SubmissionVersion | None, now) -> SubmissionVersion:
    """The next version starts as a copy of the last submitted one, attachments included (files are shared)."""
    version = SubmissionVersion(submission_id=submission.id, number=(previous.number + 1) if previous else 1,
                                sections=dict(previous.sections) if previous else {},
                                sections_html=dict(previous.sections_html) if previous else {}, created_at=now)
    db.session.add(version)
    db.session.flush()
    if previous is not None:
        for attachment in db.session.scalars(select(Attachment).where(Attachment.version_id == previous.id)):
            db.session.add(Attachment(version_id=version.id, stored_name=attachment.stored_name,
                                      original_name=attachment.original_name, file_type=attachment.file_type,
                                      size=attachment.size, uploaded_at=attachment.uploaded_at))
    return version


REFUSALS = {
    "not_allowed": _l("Files cannot be attached to this assignment."),
    "traversal": _l("The file name is not allowed."),
    "invisible": _l("The file name contains invisible or direction-changing characters. Rename the file and try "
                    "again."),
    "empty": _l("The file has no name."),
    "long": _l("The file name is too long."),
    "disguised": _l("The file name has a second extension that hides its real type."),
    "type": _l("This type of file is not accepted here."),
    "content": _l("The file's content does not match its extension."),
    "size": _l("The file is larger than allowed."),
    "count": _l("Too many files: remove one before adding another."),
    "blank": _l("The file is empty."),
    "unstored": _l("The file could not be stored just now; your text was saved. Try attaching it again later."),
    "bomb": _l("The file expands to far more data than a document holds when it is opened, so it is not accepted."),
}


def _store_files(assignment: Assignment, version: SubmissionVersion, files: list, result: SaveResult) -> None:
    """Check each file and store the good ones with their rows; refused ones leave nothing behind.

    A file is in its final place before its row can commit (so a committed row always has its file), and is
    removed again if the transaction does not commit. A file the disk refuses is reported like any other
    refusal: the trainee's text is saved all the same.
    """
    files = [f for f in files if f is not None and (f.filename or "").strip()]
    if not files:
        return
    count = db.session.scalar(select(func.count(Attachment.id)).where(Attachment.version_id == version.id))
    for upload in files:
        name = upload.filename
        reason = _name_refusal(assignment, name)
        if reason is None and count >= assignment.max_files:
            reason = "count"
        if reason is not None:
            result.refused.append((uploads.display_name(name or ""), REFUSALS[reason]))
            continue
        try:
            item = storage.receive(upload.stream, assignment.max_bytes)
        except storage.TooLarge:
            result.refused.append((uploads.display_name(name), REFUSALS["size"]))
            continue
        except OSError:
            log.exception("upload %r could not be staged", name)
            result.refused.append((uploads.display_name(name), REFUSALS["unstored"]))
            continue
        claimed = uploads.type_for_name(name)
        actual = uploads.sniff(item.temp_path)
        if item.size == 0 or actual != claimed:
            storage.discard(item)
            result.refused.append((uploads.display_name(name), REFUSALS["blank" if item.size == 0 else "content"]))
            continue
        if actual in uploads.ZIP_TYPES and (problem := uploads.zip_problem(item.temp_path, _zip_limits())):
            storage.discard(item)
            result.refused.append((uploads.display_name(name), REFUSALS[problem]))
            continue
        try:
            storage.keep(item)
        except OSError:
            storage.discard(item)
            log.exception("upload %r could not be stored", name)
            result.refused.append((uploads.display_name(name), REFUSALS["unstored"]))
            continue
        unit_of_work.on_rollback(functools.partial(storage.delete, item.stored_name))
        db.session.add(Attachment(version_id=version.id, stored_name=item.stored_name,
                                  original_name=uploads.display_name(name), file_type=actual, size=item.size))
        result.stored.append(uploads.display_name(name))
        count += 1


def _zip_limits() -> uploads.ZipLimits:
    config = current_app.config
    return uploads.ZipLimits(max_uncompressed=int(config["UPLOAD_MAX_UNCOMPRESSED_MB"]) * 1024 * 1024,
                             max_ratio=int(config["UPLOAD_MAX_COMPRESSION_RATIO"]),
                             max_members=int(config["UPLOAD_MAX_ZIP_MEMBERS"]))


def _name_refusal(assignment: Assignment, name: str | None) -> str | None:
    if not assignment.allows_attachments:
        return "not_allowed"
    problem = uploads.name_problem(name or "")
    if problem:
        return problem
    if uploads.type_for_name(name) not in assignment.attachment_types:
        return "type"
    return None


def remove_attachment(user: User, attachment_id: int, lock: int | None) -> Submission:
    """Take a file off the trainee's editable draft; the stored file goes only when no version uses it."""
    row = db.session.execute(
        select(Attachment, SubmissionVersion, Submission)
        .join(SubmissionVersion, SubmissionVersion.id == Attachment.version_id)
        .join(Submission, Submission.id == SubmissionVersion.submission_id)
        .where(Attachment.id == attachment_id, Submission.user_id == user.id)
    ).first()
    if row is None:
        raise LookupError(attachment_id)
    attachment, version, submission = row
    if version.submitted_at is not None or submission.state not in rules.EDITABLE:
        raise AssignmentError(_l("This file belongs to a submitted version and stays with it."))
    _claim(submission, lock, {})
    stored_name = attachment.stored_name
    db.session.delete(attachment)
    db.session.flush()
    still_used = db.session.scalar(select(func.count(Attachment.id)).where(Attachment.stored_name == stored_name))
    if not still_used:  # the file goes only once the row's removal is committed
        unit_of_work.after_commit(functools.partial(storage.delete, stored_name))
    return submission


def submit(user: User, assignment: Assignment, lock: int | None) -> Submission:
    """Freeze the current draft and hand it to the allocated mentors."""
    submission = submission_of(user, assignment)
    if submission is None:
        raise AssignmentError(_l("Write and save your work before you submit it."))
    if submission.state in (rules.SUBMITTED, rules.RESUBMITTED, rules.IN_REVIEW, rules.APPROVED):
        raise AssignmentError(_l("This work has already been submitted."))
    version = _latest_version(submission)
    if version is None or version.submitted_at is not None:
        raise AssignmentError(_l("Save your revised work before you resubmit it."))
    empty = [s for s in assignment.sections if not (version.sections.get(s["id"]) or "").strip()]
    if empty:
        raise AssignmentError(_l("Every section needs some text before you submit. Still empty: %(sections)s",
                                 sections=join_list(_title(s) for s in empty)))
    target = rules.SUBMITTED if submission.state == rules.DRAFT else rules.RESUBMITTED
    now = clock.now()
    _transition(submission, submission.state, target, user, rules.TRAINEE, version.number, now)
    _claim(submission, lock, {}, state=target, waiting_since=now)
    version.submitted_at = now
    version.late = rules.is_late(now, due_for(user.id, assignment))
    mentors = allocated_mentors(user.id, assignment.course_id)
    notifications.notify(mentors, target, _params(submission, assignment, user, version.number),
                         site_path("assignments.review_page", submission_id=submission.id))
    return submission


def _title(item: dict) -> str:
    from ..i18n import localized_text
    return localized_text(item["title"])


def _params(submission: Submission, assignment: Assignment, trainee: User, version: int, **extra) -> dict:
    return {"assignment_ja": assignment.title_ja, "assignment_en": assignment.title_en,
            "trainee_ja": trainee.name_ja or trainee.name_latin or trainee.email,
            "trainee_en": trainee.name_latin or trainee.name_ja or trainee.email,
            "version": version, "submission": submission.id, **extra}


# --- reviewing


@dataclass
class ReviewInput:
    scores: dict[str, object]
    comment: str
    section_comments: dict[str, str]
    decision: str | None  # None: save as draft; "approve" or "revise": release to the trainee

    def typed(self) -> dict:
        return {"scores": self.scores, "comment": self.comment, "section_comments": self.section_comments,
                "decision": self.decision}


def save_review(reviewer: User, submission: Submission, data: ReviewInput, lock: int | None) -> Review:
    """Save the review of the current version as a draft, or release it with a decision."""
    if not can_review(reviewer, submission):
        raise NotAllowed(submission.id)
    assignment = submission.assignment
    typed = data.typed()
    if len(data.comment) > MAX_COMMENT or any(len(t) > MAX_COMMENT for t in data.section_comments.values()):
        raise Invalid(_l("A comment is longer than %(n)d characters.", n=MAX_COMMENT), typed)
    if submission.state not in (rules.SUBMITTED, rules.RESUBMITTED, rules.IN_REVIEW):
        raise Conflict(_l("This submission is not waiting for a review any more; your text is shown below."), typed)
    scores = rules.clean_scores(assignment.criteria, data.scores)
    if data.decision == "approve":
        problem = rules.approval_problem(assignment.criteria, scores, assignment.pass_points)
        if problem == "unscored":
            raise Invalid(_l("Score every criterion before you approve."), typed)
        if problem == "below_minimum":
            raise Invalid(_l("These criteria are below the lowest level that may be approved: %(criteria)s. "
                             "Request a revision instead, or revise the scores.",
                             criteria=below_minimum_text(assignment.criteria, scores)), typed)
        if problem == "below_pass":
            raise Invalid(_l("The total is below the %(points)d points needed to approve. "
                              "Request a revision instead, or revise the scores.", points=assignment.pass_points), typed)
    if data.decision == "revise" and not data.comment.strip():
        raise Invalid(_l("Write an overall comment that tells the trainee what to revise."), typed)
    version = _latest_version(submission)
    now = clock.now()
    if submission.state != rules.IN_REVIEW:
        _transition(submission, submission.state, rules.IN_REVIEW, reviewer, rules.REVIEWER, version.number, now)
    target = {"approve": rules.APPROVED, "revise": rules.REVISION_REQUESTED}.get(data.decision)
    if target:
        _transition(submission, rules.IN_REVIEW, target, reviewer, rules.REVIEWER, version.number, now)
    _claim(submission, lock, typed, state=target or rules.IN_REVIEW,
           **({"waiting_since": None} if target else {}))
    review = db.session.scalar(select(Review).where(Review.version_id == version.id))
    if review is None:
        review = Review(version_id=version.id)
        db.session.add(review)
    section_ids = {s["id"] for s in assignment.sections}
    comments = {k: v.replace("\r\n", "\n") for k, v in data.section_comments.items() if k in section_ids and v.strip()}
    review.reviewer_id = reviewer.id
    review.scores = scores
    review.total = rules.total(scores)
    review.comment = data.comment.replace("\r\n", "\n")
    review.comment_html = render_markdown(review.comment)
    review.section_comments = comments
    review.section_comments_html = {k: render_markdown(v) for k, v in comments.items()}
    review.updated_at = now
    if target:
        review.decision = data.decision
        review.released_at = now
        trainee = db.session.get(User, submission.user_id)
        notifications.notify(
            [trainee], "review_released",
            _params(submission, assignment, trainee, version.number, decision=data.decision),
            site_path("assignments.assignment_page", slug=assignment.course.slug, assignment_slug=assignment.slug))
        notifications.mark_read_for(submission_link=site_path("assignments.review_page", submission_id=submission.id))
        audit.record(f"review.{data.decision}", "submission", submission.id,
                     {"version": version.number, "total": review.total, "scores": scores}, actor=reviewer)
    if target == rules.APPROVED:
        unit_of_work.progress_changed(submission.user_id, assignment.course_id)
    return review


def below_minimum_text(criteria: list[dict], scores: dict[str, int]) -> str:
    """The gating criteria below their minimum, in the reader's language: "Framework (1 of at least 2 points), …"."""
    by_id = {c["id"]: c for c in criteria}
    return join_list(str(_l("%(criterion)s (%(points)d; at least %(minimum)d points needed)",
                            criterion=_title(by_id[cid]), points=scores[cid], minimum=rules.min_level(by_id[cid])))
                     for cid in rules.below_minimum(criteria, scores))


# --- the mentor's queue


@dataclass
class QueueFilters:
    course_id: int | None = None
    assignment_id: int | None = None
    state: str | None = None  # None: everything waiting


@dataclass
class QueueRow:
    submission: Submission
    trainee: User
    assignment: Assignment
    course: Course
    version: int


@dataclass
class Queue:
    page: Page
    counts: dict[str, int]
    courses: list[Course]
    assignments: list[Assignment]


def review_queue(reviewer: User, filters: QueueFilters, page: int) -> Queue:
    """Submissions for this reviewer, oldest waiting first, with counts per status: five queries.

    Never the reviewer's own work (as in ``can_review``): someone who is both trainee and mentor in a cohort
    where every mentor reviews every trainee would otherwise find their own submission here.
    """
    scope = [Submission.state != rules.DRAFT, Submission.user_id != reviewer.id]
    if not reviewer.is_admin:
        scope.append(allocated_to(reviewer.id, Submission.user_id, Submission.course_id))
    if filters.course_id:
        scope.append(Submission.course_id == filters.course_id)
    if filters.assignment_id:
        scope.append(Submission.assignment_id == filters.assignment_id)
    counts = dict(db.session.execute(select(Submission.state, func.count(Submission.id)).where(*scope)
                                     .group_by(Submission.state)).all())
    states = [filters.state] if filters.state in rules.STATES else list(rules.WAITING)
    listed = [*scope, Submission.state.in_(states)]
    total = sum(counts.get(state, 0) for state in states)
    page, _pages = clamp_page(page, total, QUEUE_PAGE_SIZE)
    version_number = (select(func.max(SubmissionVersion.number))
                      .where(SubmissionVersion.submission_id == Submission.id).scalar_subquery())
    rows = db.session.execute(
        select(Submission, User, version_number)
        .join(User, User.id == Submission.user_id)
        .where(*listed)
        .order_by(Submission.waiting_since.is_(None), Submission.waiting_since, Submission.id)
        .limit(QUEUE_PAGE_SIZE).offset((page - 1) * QUEUE_PAGE_SIZE)
    ).all()
    # Courses and assignments are few: load each once and pair them up here. Joined into every row, their
    # JSON columns (prompts, rubrics, exemplars) were decoded 25 times over and cost the page half its time.
    courses = list(db.session.scalars(select(Course).order_by(Course.program, Course.position)))
    every_assignment = list(db.session.scalars(
        select(Assignment).order_by(Assignment.course_id, Assignment.module_id, Assignment.position)))
    assignment_by_id = {a.id: a for a in every_assignment}
    course_by_id = {c.id: c for c in courses}
    items = [QueueRow(s, u, assignment_by_id[s.assignment_id], course_by_id[s.course_id], n or 1) for s, u, n in rows]
    assignments = [a for a in every_assignment if a.archived_at is None]
    return Queue(Page(items, page, QUEUE_PAGE_SIZE, total), counts, courses, assignments)
