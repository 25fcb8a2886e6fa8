"""The per-cohort progress report: trainees by modules, stages, stuck trainees, mentor workload, grades.

Everything is about one cohort and one of its courses. The facts are loaded for the whole cohort in a fixed
number of grouped queries (never one per trainee, module or cell); the page then shows one page of the matrix,
while the stage shares, the stuck list, the workload and the charts use every trainee of the cohort.
The rules that turn facts into states (``quiz_state``, ``assignment_status``, ``stage_of``...) are pure
functions in ``lms.rules.reports``; this module loads the facts and labels the states.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select, union_all
from sqlalchemy.orm import load_only

from .. import clock
from ..extensions import db
from ..i18n import format_score, format_sheet_time, localized
from ..models import (Assignment, Certificate, Cohort, CohortCourse, CohortMember, Course, Enrolment, Lesson,
                      LessonCompletion, Module, Quiz, QuizAttempt, QuizResult, Review, Submission, SubmissionEvent,
                      SubmissionVersion, User)
from ..pagination import clamp_page
from ..rules import review
from ..rules.progress import Progress
from ..rules.reports import (APPROVED, DRAFT, NOT_STARTED, QUIZ_FAILED, QUIZ_IN_PROGRESS, QUIZ_NOT_ATTEMPTED,
                             QUIZ_PASSED, REVISION, STAGE_APPROVED, STAGE_CERTIFIED, STAGE_HANDED_IN, STAGE_NOT_STARTED,
                             STAGE_STUDY_DONE, STAGE_STUDYING, STAGES, STUCK_DAYS_DEFAULT, WAITING, assignment_status,
                             band_counts, course_progress, idle_days, is_stuck, median_duration, quiz_state, stage_of,
                             weekly_counts)
from ..rules.reports import clamp_stuck_days  # noqa: F401 (the views read the parameter through this module)
from .allocation import allocation_clause
from .audit import tokyo_midnight
from .people import Page

MATRIX_PAGE_SIZE = 50
STUCK_LIST_LIMIT = 50  # the page lists the longest-idle ones; the CSV has everyone


# --- labels of the rules' states (the rules themselves are in lms/rules/reports.py) --------------------------------

QUIZ_STATE_LABELS = {
    QUIZ_NOT_ATTEMPTED: _l("Not attempted"),
    QUIZ_IN_PROGRESS: _l("Attempt in progress"),
    QUIZ_FAILED: _l("Not passed"),
    QUIZ_PASSED: _l("Passed"),
}

ASSIGNMENT_STATUS_LABELS = {
    NOT_STARTED: _l("Not started"),
    DRAFT: _l("Draft"),
    WAITING: _l("Submitted, waiting for review"),
    REVISION: _l("Revision requested"),
    APPROVED: _l("Approved"),
}

STAGE_LABELS = {
    STAGE_NOT_STARTED: _l("Not started"),
    STAGE_STUDYING: _l("Studying"),
    STAGE_STUDY_DONE: _l("Lessons and quizzes done"),
    STAGE_HANDED_IN: _l("Assignments handed in"),
    STAGE_APPROVED: _l("All approved"),
    STAGE_CERTIFIED: _l("Certified"),
}
STAGE_DEFINITIONS = {
    STAGE_NOT_STARTED: _l("No lesson completed, no quiz attempted and no assignment started in this course."),
    STAGE_STUDYING: _l("Has started, but some lesson is not completed or some quiz is not passed yet."),
    STAGE_STUDY_DONE: _l("Every lesson completed and every quiz passed; some assignment is not submitted yet "
                         "or has been sent back for revision."),
    STAGE_HANDED_IN: _l("Every assignment is submitted and either waiting for review or approved; "
                        "some are still waiting."),
    STAGE_APPROVED: _l("Every lesson, quiz and assignment done and approved, but no valid certificate "
                       "(not issued yet, expired or revoked)."),
    STAGE_CERTIFIED: _l("Holds a valid certificate for this course."),
}


# --- the report's shape ---------------------------------------------------------------------------------------------


@dataclass
class ModuleColumn:
    module: Module
    lessons: int
    quizzes: list[Quiz]
    assignments: list[Assignment]

    @property
    def span(self) -> int:
        """Columns under the module's heading: lessons, then quizzes and assignments when it has any."""
        return 1 + bool(self.quizzes) + bool(self.assignments)


@dataclass
class QuizCell:
    quiz: Quiz
    state: str
    best: float | None  # the best graded score, percent

    @property
    def label(self) -> str:
        return str(QUIZ_STATE_LABELS[self.state])


@dataclass
class AssignmentCell:
    assignment: Assignment
    status: str
    review_total: int | None  # rubric points of the latest released review

    @property
    def label(self) -> str:
        return str(ASSIGNMENT_STATUS_LABELS[self.status])


@dataclass
class ModuleCell:
    lessons: Progress
    quizzes: list[QuizCell]
    assignments: list[AssignmentCell]


@dataclass
class TraineeRow:
    user: User
    cells: list[ModuleCell]  # in the order of the report's modules
    last_activity: datetime | None
    idle_since: datetime  # the last activity, else when the trainee could have begun
    days_idle: int
    stage: str
    progress: Progress
    certificate: Certificate | None  # in force if any, else the latest one
    certificate_status: str | None  # "valid", "expired", "revoked"
    stuck: bool

    @property
    def stage_label(self) -> str:
        return str(STAGE_LABELS[self.stage])


@dataclass
class StageShare:
    stage: str
    count: int
    total: int

    @property
    def label(self) -> str:
        return str(STAGE_LABELS[self.stage])

    @property
    def definition(self) -> str:
        return str(STAGE_DEFINITIONS[self.stage])

    @property
    def percent(self) -> float:
        return 100 * self.count / self.total if self.total else 0.0


@dataclass
class MentorLoad:
    mentor: User
    waiting: int  # submissions of the cohort's trainees waiting for a review this mentor may give
    reviewed: int  # reviews this mentor released on the cohort's work in this course
    median_to_review: timedelta | None  # from submission to release of the review


@dataclass
class CohortReport:
    cohort: Cohort
    courses: list[Course]  # the cohort's courses, for the selector
    course: Course | None  # the one reported on; None when the cohort has no course
    stuck_days: int
    now: datetime
    modules: list[ModuleColumn] = field(default_factory=list)
    trainees: list[TraineeRow] = field(default_factory=list)  # the whole cohort, by name
    mentors: list[MentorLoad] = field(default_factory=list)
    review_days: list[date] = field(default_factory=list)  # Tokyo day of every released review, any reviewer

    def page(self, number: int, per_page: int) -> Page:
        total = len(self.trainees)
        number, _pages = clamp_page(number, total, per_page)
        start = (number - 1) * per_page
        return Page(self.trainees[start:start + per_page], number, per_page, total)

    @property
    def stages(self) -> list[StageShare]:
        total = len(self.trainees)
        return [StageShare(stage, sum(row.stage == stage for row in self.trainees), total) for stage in STAGES]

    @property
    def stuck(self) -> list[TraineeRow]:
        """Stuck trainees, the longest idle first."""
        return sorted((row for row in self.trainees if row.stuck), key=lambda row: -row.days_idle)

    @property
    def progress_bands(self) -> list[tuple[tuple[int, int], int]]:
        return band_counts([row.progress.percent for row in self.trainees])

    @property
    def reviews_per_week(self) -> list[tuple[date, int]]:
        today = self.now.astimezone(clock.TOKYO).date()
        ends = self.cohort.ends_on if self.cohort.ends_on and self.cohort.ends_on < today else today
        return weekly_counts(self.review_days, self.cohort.starts_on, ends)


# --- loading --------------------------------------------------------------------------------------------------------


def cohort_courses(cohort: Cohort) -> list[Course]:
    return list(db.session.scalars(select(Course).join(CohortCourse, CohortCourse.course_id == Course.id)
                                   .where(CohortCourse.cohort_id == cohort.id)
                                   .order_by(Course.program, Course.position, Course.id)))


def pick_course(courses: list[Course], course_id: int | None) -> Course | None:
    """The course asked for if it is one of the cohort's, else the first one."""
    return next((c for c in courses if c.id == course_id), courses[0] if courses else None)


def cohort_report(cohort: Cohort, course_id: int | None = None, stuck_days: int = STUCK_DAYS_DEFAULT) -> CohortReport:
    """The report on ``cohort`` for one of its courses (``course_id``, else the first).

    A fixed number of queries (fifteen) whatever the size of the cohort or the course.
    """
    courses = cohort_courses(cohort)
    course = pick_course(courses, course_id)
    report = CohortReport(cohort, courses, course, stuck_days, clock.now())
    if course is None:
        return report
    trainee_ids = select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id,
                                                     CohortMember.role == "trainee")
    report.modules = _modules(course)
    facts = _Facts.load(course.id, trainee_ids)
    reviews = _released_reviews(course.id, trainee_ids)
    for user_id, assignment_id, _reviewer, total, _submitted, released_at in reviews:  # oldest first: last wins
        facts.review_totals[(user_id, assignment_id)] = total
        report.review_days.append(released_at.astimezone(clock.TOKYO).date())
    report.trainees = [_row(report, facts, user, enrolled_at) for user, enrolled_at in _trainees(cohort, course)]
    report.mentors = _mentor_loads(cohort, course.id, trainee_ids, reviews)
    return report


def _modules(course: Course) -> list[ModuleColumn]:
    """The live modules with their lesson counts, quizzes and assignments, in course order: four queries."""
    modules = list(db.session.scalars(select(Module).where(Module.course_id == course.id,
                                                           Module.archived_at.is_(None)).order_by(Module.position)))
    ids = [module.id for module in modules]
    lessons = dict(db.session.execute(
        select(Lesson.module_id, func.count(Lesson.id))
        .where(Lesson.module_id.in_(ids), Lesson.archived_at.is_(None)).group_by(Lesson.module_id)).all())
    quizzes, assignments = defaultdict(list), defaultdict(list)
    for quiz in db.session.scalars(select(Quiz).options(load_only(
            Quiz.id, Quiz.module_id, Quiz.slug, Quiz.title_ja, Quiz.title_en, Quiz.pass_mark))
            .where(Quiz.module_id.in_(ids), Quiz.archived_at.is_(None)).order_by(Quiz.id)):
        quizzes[quiz.module_id].append(quiz)
    for assignment in db.session.scalars(select(Assignment).options(load_only(
            Assignment.id, Assignment.module_id, Assignment.slug, Assignment.position, Assignment.title_ja,
            Assignment.title_en)).where(Assignment.module_id.in_(ids), Assignment.archived_at.is_(None))
            .order_by(Assignment.position, Assignment.id)):
        assignments[assignment.module_id].append(assignment)
    return [ModuleColumn(m, lessons.get(m.id, 0), quizzes[m.id], assignments[m.id]) for m in modules]


def _trainees(cohort: Cohort, course: Course) -> list[tuple[User, datetime | None]]:
    """The cohort's trainees by Latin name (readable in both languages), with their enrolment date: one query."""
    return list(db.session.execute(
        select(User, Enrolment.created_at)
        .join(CohortMember, and_(CohortMember.user_id == User.id, CohortMember.cohort_id == cohort.id,
                                 CohortMember.role == "trainee"))
        .outerjoin(Enrolment, and_(Enrolment.user_id == User.id, Enrolment.course_id == course.id))
        .order_by(func.lower(User.name_latin), User.name_ja, User.email, User.id)).all())


@dataclass
class _Facts:
    """What the cohort's trainees did in the course, keyed by (user, item): six grouped queries."""

    lessons_done: dict[tuple[int, int], int]  # (user, module) -> lessons completed
    results: dict[tuple[int, int], tuple[float, bool]]  # (user, quiz) -> (standing percent, passed)
    attempts: dict[tuple[int, int], tuple[int, float | None]]  # (user, quiz) -> (attempts, best graded percent)
    submissions: dict[tuple[int, int], str]  # (user, assignment) -> state
    last_activity: dict[int, datetime]
    certificates: dict[int, Certificate]  # user -> in force, else the latest issued
    review_totals: dict[tuple[int, int], int] = field(default_factory=dict)  # (user, assignment) -> latest released

    @classmethod
    def load(cls, course_id: int, trainee_ids) -> _Facts:
        lessons_done = {(user_id, module_id): n for user_id, module_id, n in db.session.execute(
            select(LessonCompletion.user_id, Lesson.module_id, func.count(LessonCompletion.id))
            .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
            .where(LessonCompletion.course_id == course_id, LessonCompletion.user_id.in_(trainee_ids),
                   Lesson.archived_at.is_(None))
            .group_by(LessonCompletion.user_id, Lesson.module_id))}
        results = {(user_id, quiz_id): (percent, passed) for user_id, quiz_id, percent, passed in db.session.execute(
            select(QuizResult.user_id, QuizResult.quiz_id, QuizResult.percent, QuizResult.passed)
            .where(QuizResult.course_id == course_id, QuizResult.user_id.in_(trainee_ids)))}
        attempts = {(user_id, quiz_id): (n, best) for user_id, quiz_id, n, best in db.session.execute(
            select(QuizAttempt.user_id, QuizAttempt.quiz_id, func.count(QuizAttempt.id), func.max(QuizAttempt.percent))
            .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
            .where(Quiz.course_id == course_id, QuizAttempt.user_id.in_(trainee_ids))
            .group_by(QuizAttempt.user_id, QuizAttempt.quiz_id))}
        submissions = {(user_id, assignment_id): state for user_id, assignment_id, state in db.session.execute(
            select(Submission.user_id, Submission.assignment_id, Submission.state)
            .where(Submission.course_id == course_id, Submission.user_id.in_(trainee_ids)))}
        certificates = {}
        for certificate in db.session.scalars(
                select(Certificate).options(load_only(
                    Certificate.id, Certificate.public_id, Certificate.user_id, Certificate.issued_at,
                    Certificate.expires_at, Certificate.revoked_at, Certificate.replaced_at))
                .where(Certificate.course_id == course_id, Certificate.user_id.in_(trainee_ids))
                .order_by(Certificate.issued_at, Certificate.id)):
            held = certificates.get(certificate.user_id)
            if held is None or not _in_force(held) or _in_force(certificate):
                certificates[certificate.user_id] = certificate
        return cls(lessons_done, results, attempts, submissions, _last_activity(course_id, trainee_ids), certificates)

    def quiz_cell(self, user_id: int, quiz: Quiz) -> QuizCell:
        result = self.results.get((user_id, quiz.id))
        count, best = self.attempts.get((user_id, quiz.id), (0, None))
        if result is not None:  # the standing grade counts too (it may come from a regrade or an import)
            best = result[0] if best is None else max(best, result[0])
        return QuizCell(quiz, quiz_state(result[1] if result else None, count), best)

    def assignment_cell(self, user_id: int, assignment: Assignment) -> AssignmentCell:
        return AssignmentCell(assignment, assignment_status(self.submissions.get((user_id, assignment.id))),
                              self.review_totals.get((user_id, assignment.id)))


def _in_force(certificate: Certificate) -> bool:
    return certificate.revoked_at is None and certificate.replaced_at is None


def certificate_status(certificate: Certificate, now: datetime) -> str:
    """"valid", "expired" or "revoked"; one replaced by a renewal had expired."""
    if certificate.replaced_at is not None and certificate.revoked_at is None:
        return "expired"
    return certificate.status(now)


def could_begin(cohort: Cohort, enrolled_at: datetime | None) -> datetime:
    """When a trainee could first work on the course: the cohort's first day (Tokyo), or a later enrolment."""
    start = tokyo_midnight(cohort.starts_on)
    return max(start, enrolled_at) if enrolled_at is not None else start


def _last_activity(course_id: int, trainee_ids) -> dict[int, datetime]:
    """The latest thing each trainee did in the course, over lessons, quiz attempts and their own submission work:
    one query (a UNION ALL of the kinds of activity, then the maximum per trainee)."""
    own_submission = and_(Submission.course_id == course_id, Submission.user_id.in_(trainee_ids))
    in_course_quiz = and_(Quiz.course_id == course_id, QuizAttempt.user_id.in_(trainee_ids))
    kinds = [
        select(LessonCompletion.user_id.label("user_id"), LessonCompletion.completed_at.label("at"))
        .where(LessonCompletion.course_id == course_id, LessonCompletion.user_id.in_(trainee_ids)),
        *(select(QuizAttempt.user_id, moment).join(Quiz, Quiz.id == QuizAttempt.quiz_id)
          .where(in_course_quiz, moment.is_not(None))
          for moment in (QuizAttempt.started_at, QuizAttempt.last_saved_at, QuizAttempt.submitted_at)),
        # Events the trainee caused (submitting); a mentor's review is not the trainee's activity.
        select(Submission.user_id, SubmissionEvent.at).join(Submission, Submission.id == SubmissionEvent.submission_id)
        .where(own_submission, SubmissionEvent.actor_id == Submission.user_id),
        # Saving a draft records no event, but it is work.
        select(Submission.user_id, SubmissionVersion.saved_at)
        .join(Submission, Submission.id == SubmissionVersion.submission_id).where(own_submission),
    ]
    activity = union_all(*kinds).subquery()
    return dict(db.session.execute(select(activity.c.user_id, func.max(activity.c.at)).group_by(activity.c.user_id))
                .all())


def _released_reviews(course_id: int, trainee_ids) -> list[tuple]:
    """Released reviews of the cohort's work, oldest first:
    (trainee, assignment, reviewer, total, version submitted at, released at); one query."""
    return list(db.session.execute(
        select(Submission.user_id, Submission.assignment_id, Review.reviewer_id, Review.total,
               SubmissionVersion.submitted_at, Review.released_at)
        .join(SubmissionVersion, SubmissionVersion.id == Review.version_id)
        .join(Submission, Submission.id == SubmissionVersion.submission_id)
        .where(Submission.course_id == course_id, Submission.user_id.in_(trainee_ids),
               Review.released_at.is_not(None))
        .order_by(Review.released_at, Review.id)).all())


def _row(report: CohortReport, facts: _Facts, user: User, enrolled_at: datetime | None) -> TraineeRow:
    cells = []
    for column in report.modules:
        cells.append(ModuleCell(
            Progress(min(facts.lessons_done.get((user.id, column.module.id), 0), column.lessons), column.lessons),
            [facts.quiz_cell(user.id, quiz) for quiz in column.quizzes],
            [facts.assignment_cell(user.id, assignment) for assignment in column.assignments]))
    last = facts.last_activity.get(user.id)
    idle_since = last or could_begin(report.cohort, enrolled_at)
    certificate = facts.certificates.get(user.id)
    status = certificate_status(certificate, report.now) if certificate is not None else None
    started = last is not None or any(
        c.lessons.done or any(q.state != QUIZ_NOT_ATTEMPTED for q in c.quizzes)
        or any(a.status != NOT_STARTED for a in c.assignments) for c in cells)
    stage = stage_of(cells, started=started, certified=status == "valid")
    days = idle_days(report.now, idle_since)
    # A deactivated account cannot log in: not "stuck", and not someone to chase.
    return TraineeRow(user, cells, last, idle_since, days, stage, course_progress(cells), certificate, status,
                      user.active and is_stuck(stage, days, report.stuck_days))


def _mentor_loads(cohort: Cohort, course_id: int, trainee_ids, reviews: list[tuple]) -> list[MentorLoad]:
    """Per mentor of the cohort: waiting work they may review (the allocation rule), their review times: two queries."""
    mentors = list(db.session.scalars(
        select(User).join(CohortMember, and_(CohortMember.user_id == User.id, CohortMember.cohort_id == cohort.id,
                                             CohortMember.role == "mentor"))
        .order_by(func.lower(User.name_latin), User.name_ja, User.email, User.id)))
    waiting = _waiting_counts([mentor.id for mentor in mentors], course_id, trainee_ids)
    durations = defaultdict(list)
    for _user, _assignment, reviewer_id, _total, submitted_at, released_at in reviews:
        if submitted_at is not None:
            durations[reviewer_id].append(released_at - submitted_at)
    return [MentorLoad(mentor, waiting[mentor.id], len(durations[mentor.id]), median_duration(durations[mentor.id]))
            for mentor in mentors]


def _waiting_counts(mentor_ids: list[int], course_id: int, trainee_ids) -> dict[int, int]:
    """Waiting submissions of the cohort's trainees that each mentor may review: one query, a column per mentor.

    ``allocation_clause`` gets each mentor's id as a value (as its signature asks), not a correlated column.
    """
    if not mentor_ids:
        return {}
    counts = db.session.execute(
        select(*(func.coalesce(func.sum(case((and_(Submission.user_id != mentor_id, allocation_clause(
            mentor_id, Submission.user_id, Submission.course_id)), 1), else_=0)), 0) for mentor_id in mentor_ids))
        .where(Submission.course_id == course_id, Submission.user_id.in_(trainee_ids),
               Submission.state.in_(review.WAITING))).one()
    return dict(zip(mentor_ids, counts))


# --- CSV tables (headers in the reader's language) ------------------------------------------------------------------


def _when(moment: datetime | None) -> str:
    return format_sheet_time(moment)


def _certificate_status(row: TraineeRow) -> str:
    labels = {"valid": _("Valid"), "expired": _("Expired"), "revoked": _("Revoked")}
    return labels.get(row.certificate_status, "")


def _person(user: User) -> list[str]:
    return [user.name_ja, user.name_latin, user.email, user.organisation]


def _person_header() -> list[str]:
    return [_("Name"), _("Name in Latin script"), _("E-mail address"), _("Organisation")]


def report_header(report: CohortReport) -> list[str]:
    """Counts and percentages in columns of their own (a cell such as 1/2 is a date to Excel); titles only here."""
    header = _person_header() + [_("Stage"), _("Steps done, percent"), _("Last activity (Asia/Tokyo)"),
                                 _("Days without activity"), _("Stuck (no activity for %(days)d days)",
                                                                   days=report.stuck_days)]
    for column in report.modules:
        title = localized(column.module, "title")
        header += [_("%(module)s: lessons done", module=title), _("%(module)s: lessons total", module=title)]
        for quiz in column.quizzes:
            quiz_title = localized(quiz, "title")
            header += [_("%(quiz)s: status", quiz=quiz_title), _("%(quiz)s: best score (%%)", quiz=quiz_title)]
        for assignment in column.assignments:
            header += [_("%(assignment)s: status", assignment=localized(assignment, "title"))]
    return header + [_("Certificate")]


def report_rows(report: CohortReport) -> Iterator[list]:
    """The matrix for the whole cohort, one trainee a row, in the columns of ``report_header``."""
    for row in report.trainees:
        line = _person(row.user) + [row.stage_label, row.progress.percent, _when(row.last_activity), row.days_idle,
                                    _("Yes") if row.stuck else _("No")]
        for cell in row.cells:
            line += [cell.lessons.done, cell.lessons.total]
            for quiz in cell.quizzes:
                line += [quiz.label, format_score(quiz.best)]
            line += [item.label for item in cell.assignments]
        yield line + [_certificate_status(row)]


def grades_header(report: CohortReport) -> list[str]:
    header = _person_header()
    for column in report.modules:
        for quiz in column.quizzes:
            title = localized(quiz, "title")
            header += [_("%(quiz)s: best score (%%)", quiz=title), _("%(quiz)s: passed", quiz=title)]
        for assignment in column.assignments:
            title = localized(assignment, "title")
            header += [_("%(assignment)s: status", assignment=title),
                       _("%(assignment)s: rubric total of the latest review", assignment=title)]
    return header + [_("Certificate ID"), _("Certificate status")]


def grades_rows(report: CohortReport) -> Iterator[list]:
    """Per trainee: each quiz's best score and whether it is passed, each assignment's status and rubric total."""
    for row in report.trainees:
        line = _person(row.user)
        for cell in row.cells:
            for quiz in cell.quizzes:
                passed = {QUIZ_PASSED: _("Yes"), QUIZ_FAILED: _("No")}.get(quiz.state, "")
                line += [format_score(quiz.best), passed]
            for item in cell.assignments:
                line += [item.label, item.review_total]
        yield line + [row.certificate.public_id if row.certificate else "", _certificate_status(row)]
