"""Enrolment, course outlines and progress, in a fixed number of queries per page."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import undefer

from .. import unit_of_work
from ..extensions import core_connection, db
from ..models import Assignment, Course, Enrolment, Lesson, LessonCompletion, Module, Quiz, User
from ..rules.progress import Progress, measure, next_item
from . import assignments as assignment_service
from . import outline_cache
from . import quizzes


class LearningError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# What a trainee works through, in course order: a module's lessons, its quiz, then its assignments.
Step = Lesson | Quiz | Assignment


def step_key(step: Step) -> tuple[str, int]:
    """Progress counts lessons done, quizzes passed and assignments approved; keys keep their ids apart."""
    kind = "quiz" if isinstance(step, Quiz) else "assignment" if isinstance(step, Assignment) else "lesson"
    return (kind, step.id)


@dataclass
class ModuleView:
    module: Module
    lessons: list[Lesson]
    quiz: Quiz | None
    assignments: list[Assignment]
    progress: Progress

    @property
    def steps(self) -> list[Step]:
        return self.lessons + ([self.quiz] if self.quiz else []) + self.assignments


@dataclass
class CourseView:
    course: Course
    modules: list[ModuleView]
    progress: Progress
    next_step: Step | None
    enrolled: bool
    done: set[int] = field(default_factory=set)  # lesson ids
    passed: set[int] = field(default_factory=set)  # quiz ids
    used_up: set[int] = field(default_factory=set)  # quiz ids failed with every attempt used
    approved: set[int] = field(default_factory=set)  # assignment ids

    @property
    def lessons(self) -> list[Lesson]:
        return [lesson for module in self.modules for lesson in module.lessons]

    @property
    def steps(self) -> list[Step]:
        return [step for module in self.modules for step in module.steps]

    def is_done(self, step: Step) -> bool:
        kind = step_key(step)[0]
        return step.id in {"quiz": self.passed, "assignment": self.approved, "lesson": self.done}[kind]


def visible_courses() -> list[Course]:
    return list(db.session.scalars(select(Course).order_by(Course.program, Course.position, Course.slug)))


def get_course(slug: str) -> Course | None:
    return db.session.scalar(select(Course).where(Course.slug == slug))


def enrolled_course_ids(user: User) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(db.session.scalars(select(Enrolment.course_id).where(Enrolment.user_id == user.id)))


def is_enrolled(user: User, course: Course) -> bool:
    return user.is_authenticated and db.session.scalar(
        select(Enrolment.id).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id)
    ) is not None


def can_read_lessons(user: User, course: Course) -> bool:
    """Enrolled trainees read a course's lessons; mentors and admins may read every course."""
    return user.is_authenticated and (user.is_staff or is_enrolled(user, course))


def enrol(user: User, course: Course, source: str = "self") -> bool:
    """Enrol ``user``; returns False when they already were. Self-enrolment only in open courses."""
    if source == "self" and not course.self_enrolment:
        raise LearningError(_l("This course is assigned by the program office; you cannot enrol yourself."))
    if is_enrolled(user, course):
        return False
    try:
        with db.session.begin_nested():
            db.session.add(Enrolment(user_id=user.id, course_id=course.id, source=source))
    except IntegrityError:  # a double click: the other request enrolled them
        return False
    return True


def set_lesson_done(user: User, lesson: Lesson, done: bool) -> None:
    """Mark a lesson complete or not; repeating either is harmless."""
    if done:
        exists = db.session.scalar(select(LessonCompletion.id).where(
            LessonCompletion.user_id == user.id, LessonCompletion.lesson_id == lesson.id))
        if exists is None:
            try:
                with db.session.begin_nested():
                    db.session.add(LessonCompletion(user_id=user.id, lesson_id=lesson.id, course_id=lesson.course_id))
            except IntegrityError:
                pass  # already marked by a concurrent request
    else:
        db.session.execute(delete(LessonCompletion).where(
            LessonCompletion.user_id == user.id, LessonCompletion.lesson_id == lesson.id))
    unit_of_work.progress_changed(user.id, lesson.course_id)


def _done_lessons(user: User, course_ids: list[int]) -> set[int]:
    if not user.is_authenticated or not course_ids:
        return set()
    return set(core_connection().scalars(select(LessonCompletion.lesson_id).where(
        LessonCompletion.user_id == user.id, LessonCompletion.course_id.in_(course_ids))))  # Core: ids only


def _course_view(course: Course, outline: "_Outline", enrolled: bool) -> CourseView:
    modules, lessons, quizzes_by_module = outline.modules, outline.lessons, outline.quizzes
    completed = ({("lesson", i) for i in outline.done} | {("quiz", i) for i in outline.passed}
                 | {("assignment", i) for i in outline.approved})
    module_views = []
    for module in modules[course.id]:
        view = ModuleView(module, lessons[module.id], quizzes_by_module.get(module.id),
                          outline.assignments.get(module.id, []), Progress(0, 0))
        view.progress = measure(map(step_key, view.steps), completed)
        module_views.append(view)
    ordered = [step for mv in module_views for step in mv.steps]
    by_key = {step_key(step): step for step in ordered}
    # A quiz failed with every attempt used cannot be the next step: the trainee moves on (it still counts as not done).
    skipped = completed | {("quiz", i) for i in outline.used_up}
    return CourseView(
        course=course,
        modules=module_views,
        progress=measure(by_key, completed),
        next_step=by_key.get(next_item(list(by_key), skipped)),
        enrolled=enrolled,
        done=outline.done,
        passed=outline.passed,
        used_up=outline.used_up,
        approved=outline.approved,
    )


@dataclass
class _Outline:
    modules: dict[int, list[Module]]
    lessons: dict[int, list[Lesson]]
    quizzes: dict[int, Quiz]
    assignments: dict[int, list[Assignment]]
    done: set[int]
    passed: set[int]
    used_up: set[int]
    approved: set[int]


def _outline(user: User, course_ids: list[int]) -> _Outline:
    """Everything the outlines of these courses need: the cached outline (one query for the content version, four
    more when it changed) and the user's own progress in three queries, however many courses."""
    cached = outline_cache.outlines(course_ids)
    modules, lessons, live_quizzes, live_assignments = {}, {}, {}, {}
    for course_id, outline in cached.items():
        modules[course_id] = outline.modules
        for module in outline.modules:
            lessons[module.id] = outline.lessons.get(module.id, [])
        live_quizzes.update(outline.quizzes)
        live_assignments.update(outline.assignments)
    passed, used_up = quizzes.standing(user, course_ids, live_quizzes)
    return _Outline(defaultdict(list, modules), defaultdict(list, lessons), live_quizzes,
                    live_assignments, _done_lessons(user, course_ids), passed, used_up,
                    assignment_service.approved_assignment_ids(user, course_ids))


def course_view(user: User, course: Course) -> CourseView:
    return _course_view(course, _outline(user, [course.id]), is_enrolled(user, course))


def dashboard(user: User) -> list[CourseView]:
    """The user's courses with progress and the next step, in a fixed number of queries."""
    courses = list(db.session.scalars(
        select(Course).join(Enrolment, Enrolment.course_id == Course.id)
        .where(Enrolment.user_id == user.id).order_by(Course.program, Course.position, Course.slug)
    ))
    outline = _outline(user, [c.id for c in courses])
    return [_course_view(course, outline, True) for course in courses]


def get_lesson(course: Course, lesson_slug: str) -> Lesson | None:
    """The lesson with its text, or None (also for archived lessons)."""
    return db.session.scalar(
        select(Lesson).options(undefer(Lesson.body_html_ja), undefer(Lesson.body_html_en))
        .where(Lesson.course_id == course.id, Lesson.slug == lesson_slug, Lesson.archived_at.is_(None))
    )


def neighbours(view: CourseView, step: Step) -> tuple[Step | None, Step | None]:
    """The steps before and after ``step`` in course order."""
    ordered = view.steps
    index = next((i for i, item in enumerate(ordered) if step_key(item) == step_key(step)), None)
    if index is None:
        return None, None
    return (ordered[index - 1] if index > 0 else None, ordered[index + 1] if index + 1 < len(ordered) else None)
