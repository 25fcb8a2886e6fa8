"""Write validated course specs into the database, in one transaction.

Slugs are the identity: a re-import updates rows in place, so trainees keep their progress.
A module or lesson that disappeared from the files is archived, not deleted; it comes back
if it reappears. Markdown is rendered and sanitized here, once.
"""

from __future__ import annotations

import hashlib

from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..i18n import join_japanese_lines
from ..models import Assignment, Course, Lesson, Module, Question, Quiz, utcnow
from ..sanitize import render_markdown
from ..services import outline_cache, quizzes
from .base import ContentLimits
from .loader import CourseSpec, ModuleSpec, load_courses
from .assignments import AssignmentSpec
from .quizzes import QuizSpec


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    versions: dict = field(default_factory=dict)  # course slug -> the CourseVersion this import recorded

    def lines(self) -> list[str]:
        return [f"{label}: {', '.join(items)}" for label, items in
                (("created", self.created), ("updated", self.updated),
                 ("unchanged", self.unchanged), ("archived", self.archived)) if items] + [
            f"version {version.number} of {slug} recorded" for slug, version in self.versions.items()]


def content_limits() -> ContentLimits:
    """The size limits of course files, from the settings."""
    config = current_app.config
    return ContentLimits(lesson_bytes=int(config["COURSE_MAX_LESSON_KB"]) * 1024,
                         toml_bytes=int(config["COURSE_MAX_TOML_KB"]) * 1024,
                         tree_bytes=int(config["COURSE_MAX_TREE_MB"]) * 1024 * 1024)


def import_courses(path: Path | str, *, source: str = "cli", user=None) -> ImportReport:
    """Validate everything under ``path``, then import it all or nothing. The one way content reaches the database:
    the CLI and the admin console's publish both call it.

    Every imported course also gets its languages paired and, when it changed (or has no version yet), a new
    version with its package (``lms.services.content_ops.record``; ``source`` "cli", "upload" or "rollback",
    ``user`` who published). Raises ``ContentError`` (nothing written) when the files have problems. Adds to the
    caller's transaction.
    """
    from ..services import content_ops

    specs = load_courses(path, content_limits())
    report = ImportReport()
    for spec in specs:
        course, changed = _import_course(spec, report)
        version = content_ops.record(course, spec, changed, source, user)
        if version is not None:
            report.versions[spec.slug] = version
    db.session.flush()  # the caller (the CLI command, or the request's unit of work) commits once
    # Every import raises the content version, changed or not: each process's cached outlines are dropped once
    # this commits (flushes of content rows raise it too; this makes an import's own guarantee explicit).
    outline_cache.bump()
    return report


def _set(row, **values) -> bool:
    """Assign only what differs; returns whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _import_course(spec: CourseSpec, report: ImportReport) -> tuple[Course, bool]:
    course = db.session.scalar(select(Course).where(Course.slug == spec.slug))
    created = course is None
    if created:
        course = Course(slug=spec.slug)
        db.session.add(course)
    changed = _set(
        course,
        program=spec.program,
        enrolment_mode=spec.enrolment,
        position=spec.position,
        cover=spec.cover,
        cover_image=spec.cover_image,
        cover_image_type=spec.cover_image_type,
        cover_image_digest=hashlib.sha256(spec.cover_image).hexdigest()[:16] if spec.cover_image else "",
        title_ja=spec.title["ja"],
        title_en=spec.title["en"],
        description_html_ja=_render(spec.description["ja"], "ja"),
        description_html_en=render_markdown(spec.description["en"]),
        completion_rules=spec.completion,
        certificate_info=spec.certificate,
    )
    db.session.flush()

    modules = {m.slug: m for m in db.session.scalars(select(Module).where(Module.course_id == course.id))}
    lessons = {l.slug: l for l in db.session.scalars(select(Lesson).where(Lesson.course_id == course.id))}
    assignments = {a.slug: a for a in db.session.scalars(select(Assignment).where(Assignment.course_id == course.id))}
    seen_modules, seen_lessons, seen_assignments = set(), set(), set()
    for m_pos, m_spec in enumerate(spec.modules, start=1):
        module = modules.get(m_spec.slug)
        if module is None:
            module = Module(course_id=course.id, slug=m_spec.slug)
            db.session.add(module)
            changed = True
        changed |= _set(
            module, position=m_pos, archived_at=None,
            title_ja=m_spec.title["ja"], title_en=m_spec.title["en"],
            summary_ja=join_japanese_lines(m_spec.summary.get("ja", "")), summary_en=m_spec.summary.get("en", ""),
        )
        db.session.flush()
        seen_modules.add(m_spec.slug)
        for l_pos, l_spec in enumerate(m_spec.lessons, start=1):
            lesson = lessons.get(l_spec.slug)
            if lesson is None:
                lesson = Lesson(course_id=course.id, slug=l_spec.slug)
                db.session.add(lesson)
                changed = True
            changed |= _set(
                lesson, module_id=module.id, position=l_pos, minutes=l_spec.minutes, archived_at=None,
                title_ja=l_spec.title["ja"], title_en=l_spec.title["en"],
                body_html_ja=_render(l_spec.body["ja"], "ja"), body_html_en=render_markdown(l_spec.body["en"]),
            )
            seen_lessons.add(l_spec.slug)
        changed |= _import_quiz(course, module, m_spec)
        for a_pos, a_spec in enumerate(m_spec.assignments, start=1):
            changed |= _import_assignment(course, module, a_pos, a_spec, assignments)
            seen_assignments.add(a_spec.slug)

    now = utcnow()
    for slug, lesson in lessons.items():
        if slug not in seen_lessons and lesson.archived_at is None:
            lesson.archived_at = now
            report.archived.append(f"{spec.slug}/{slug}")
            changed = True
    for slug, assignment in assignments.items():
        if slug not in seen_assignments and assignment.archived_at is None:
            assignment.archived_at = now  # submissions and reviews stay readable
            report.archived.append(f"{spec.slug}/assignment-{slug}")
            changed = True
    for slug, module in modules.items():
        if slug not in seen_modules and module.archived_at is None:
            module.archived_at = now
            report.archived.append(f"{spec.slug}/{slug}/")
            changed = True
            _archive_quiz(module.id, now)
    if changed:
        course.imported_at = now
    (report.created if created else report.updated if changed else report.unchanged).append(spec.slug)
    return course, changed or created


def _render(text: str, lang: str) -> str:
    """Markdown to stored HTML; Japanese without the spaces its source line breaks would show as."""
    return render_markdown(join_japanese_lines(text) if lang == "ja" else text)


def _markdown(texts: dict[str, str], prefix: str) -> dict[str, str]:
    return {f"{prefix}_ja": _render(texts.get("ja", ""), "ja") if texts else "",
            f"{prefix}_en": render_markdown(texts.get("en", "")) if texts else ""}


def _archive_quiz(module_id: int, now) -> bool:
    quiz = db.session.scalar(select(Quiz).where(Quiz.module_id == module_id, Quiz.archived_at.is_(None)))
    if quiz is None:
        return False
    quiz.archived_at = now
    return True


def _grader_data(data: dict) -> dict:
    """The validated data with choice feedback rendered to sanitized HTML, as the grader and pages read it."""
    if "choices" not in data:
        return data
    choices = []
    for choice in data["choices"]:
        feedback = choice.get("feedback") or {}
        choices.append({"id": choice["id"], "text": choice["text"], "correct": choice["correct"],
                        "feedback_html": {lang: _render(text, lang) for lang, text in feedback.items()}})
    return {**data, "choices": choices}


def _import_quiz(course: Course, module: Module, m_spec: ModuleSpec) -> bool:
    """Create, update or archive the module's quiz; returns whether anything changed."""
    q_spec: QuizSpec | None = m_spec.quiz
    if q_spec is None:
        return _archive_quiz(module.id, utcnow())
    quiz = db.session.scalar(select(Quiz).where(Quiz.module_id == module.id))
    changed = quiz is None
    if quiz is None:
        quiz = Quiz(course_id=course.id, module_id=module.id)
        db.session.add(quiz)
    standing_rules = (quiz.pass_mark, quiz.grading)
    changed |= _set(
        quiz, slug=module.slug, archived_at=None,
        title_ja=q_spec.title["ja"], title_en=q_spec.title["en"], **_markdown(q_spec.intro, "intro_html"),
        pass_mark=q_spec.pass_mark, max_attempts=q_spec.max_attempts, time_limit=q_spec.time_limit,
        shuffle_questions=q_spec.shuffle_questions, shuffle_choices=q_spec.shuffle_choices, draw=q_spec.draw,
        grading=q_spec.grading, reveal=q_spec.reveal,
    )
    db.session.flush()
    if quiz.id is not None and standing_rules[0] is not None and standing_rules != (quiz.pass_mark, quiz.grading):
        quizzes.regrade_standing(quiz)  # who passed follows the new pass mark or policy
    questions = {q.key: q for q in db.session.scalars(select(Question).where(Question.quiz_id == quiz.id))}
    seen = set()
    for position, spec in enumerate(q_spec.questions, start=1):
        question = questions.get(spec.key)
        if question is None:
            question = Question(quiz_id=quiz.id, key=spec.key)
            db.session.add(question)
            changed = True
        changed |= _set(
            question, position=position, type=spec.type, points=spec.points, archived_at=None,
            **_markdown(spec.text, "text_html"), **_markdown(spec.feedback, "feedback_html"),
            data=_grader_data(spec.data),
        )
        seen.add(spec.key)
    now = utcnow()
    for key, question in questions.items():
        if key not in seen and question.archived_at is None:
            question.archived_at = now  # old attempts keep showing it; new attempts do not draw it
            changed = True
    return changed


def _html(texts: dict[str, str]) -> dict[str, str]:
    return {lang: _render(text, lang) for lang, text in (texts or {}).items()}


def _import_assignment(course: Course, module: Module, position: int, spec: AssignmentSpec,
                       existing: dict[str, Assignment]) -> bool:
    assignment = existing.get(spec.slug)
    changed = assignment is None
    if assignment is None:
        assignment = Assignment(course_id=course.id, slug=spec.slug)
        db.session.add(assignment)
        existing[spec.slug] = assignment
    sections = [{"id": s["id"], "title": s["title"], "guidance_html": _html(s["guidance"])} for s in spec.sections]
    criteria = [{"id": c["id"], "title": c["title"], "description_html": _html(c["description"]),
                 "levels": c["levels"], "min_level": c["min_level"]} for c in spec.criteria]
    exemplar = None
    if spec.exemplar is not None:
        exemplar = {"answer_html": _html(spec.exemplar["answer"]), "note_html": _html(spec.exemplar["note"]),
                    "scores": [{"criterion": s["criterion"], "points": s["points"], "why_html": _html(s["why"])}
                               for s in spec.exemplar["scores"]]}
    changed |= _set(
        assignment, module_id=module.id, position=position, archived_at=None,
        title_ja=spec.title["ja"], title_en=spec.title["en"], **_markdown(spec.prompt, "prompt_html"),
        due_days=spec.due_days, attachment_types=spec.attachment_types, max_files=spec.max_files,
        max_bytes=spec.max_mb * 1024 * 1024, sections=sections, criteria=criteria, pass_points=spec.pass_points,
        exemplar=exemplar,
    )
    return changed
