"""Write validated course specs into the database, in one transaction.

Slugs are the identity: a re-import updates rows in place, so trainees keep their progress.
A module or lesson that disappeared from the files is archived, not deleted; it comes back
if it reappears. Markdown is rendered and sanitized here, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..models import Course, Lesson, Module, utcnow
from ..sanitize import render_markdown
from .loader import CourseSpec, load_courses


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"{label}: {', '.join(items)}" for label, items in
                (("created", self.created), ("updated", self.updated),
                 ("unchanged", self.unchanged), ("archived", self.archived)) if items]


def import_courses(path: Path | str) -> ImportReport:
    """Validate everything under ``path``, then import it all or nothing.

    Raises ``ContentError`` (nothing written) when the files have problems.
    """
    specs = load_courses(path)
    report = ImportReport()
    try:
        for spec in specs:
            _import_course(spec, report)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report


def _set(row, **values) -> bool:
    """Assign only what differs; returns whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _import_course(spec: CourseSpec, report: ImportReport) -> None:
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
        title_ja=spec.title["ja"],
        title_en=spec.title["en"],
        description_html_ja=render_markdown(spec.description["ja"]),
        description_html_en=render_markdown(spec.description["en"]),
    )
    db.session.flush()

    modules = {m.slug: m for m in db.session.scalars(select(Module).where(Module.course_id == course.id))}
    lessons = {l.slug: l for l in db.session.scalars(select(Lesson).where(Lesson.course_id == course.id))}
    seen_modules, seen_lessons = set(), set()
    for m_pos, m_spec in enumerate(spec.modules, start=1):
        module = modules.get(m_spec.slug)
        if module is None:
            module = Module(course_id=course.id, slug=m_spec.slug)
            db.session.add(module)
            changed = True
        changed |= _set(
            module, position=m_pos, archived_at=None,
            title_ja=m_spec.title["ja"], title_en=m_spec.title["en"],
            summary_ja=m_spec.summary.get("ja", ""), summary_en=m_spec.summary.get("en", ""),
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
                body_html_ja=render_markdown(l_spec.body["ja"]), body_html_en=render_markdown(l_spec.body["en"]),
            )
            seen_lessons.add(l_spec.slug)

    now = utcnow()
    for slug, lesson in lessons.items():
        if slug not in seen_lessons and lesson.archived_at is None:
            lesson.archived_at = now
            report.archived.append(f"{spec.slug}/{slug}")
            changed = True
    for slug, module in modules.items():
        if slug not in seen_modules and module.archived_at is None:
            module.archived_at = now
            report.archived.append(f"{spec.slug}/{slug}/")
            changed = True
    if changed:
        course.imported_at = now
    (report.created if created else report.updated if changed else report.unchanged).append(spec.slug)
