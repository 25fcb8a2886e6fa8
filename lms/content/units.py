"""A course spec as translation units and comparable parts (no database).

A *unit* is what a reader sees in one piece: the course (title, description), a module (title, summary), a lesson
(title, text), a quiz (title, introduction), a question (text, feedback, choices, items, unit) and an assignment
(title, prompt, sections with guidance, rubric). Each has a content hash per language: SHA-256 of the texts of that
language only, so a change to one language moves one hash and an answer-key change moves none.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from .base import LANGUAGES
from .loader import CourseSpec


@dataclass(frozen=True)
class Unit:
    key: str  # "course", "module:<slug>", "lesson:<slug>", "quiz:<module>", "question:<module>/<id>", "assignment:<slug>"
    label: str  # the English title (or the question id), for lists
    paths: dict[str, str]  # language -> file path from the courses/ folder ("course/module/01-x.en.md")
    texts: dict[str, object]  # language -> everything written in that language


def language_view(value, lang: str):
    """Only the ``lang`` side of every ``{ja, en}`` table inside ``value``; everything else (ids, points, answers,
    flags) is dropped. None when nothing of that language is inside."""
    if isinstance(value, dict):
        if value and set(value) <= set(LANGUAGES):
            return value.get(lang)
        view = {key: language_view(item, lang) for key, item in value.items()}
        view = {key: item for key, item in view.items() if item not in (None, {}, [])}
        return view or None
    if isinstance(value, list):
        items = [language_view(item, lang) for item in value]
        return items if any(item not in (None, {}, []) for item in items) else None
    return None


def answer_key(data: dict) -> object:
    """What grades a question, without its texts: choice ids and correctness, the numeric answer and tolerance,
    accepted texts, the items' order, the scoring rule."""
    def strip(value):
        if isinstance(value, dict):
            if value and set(value) <= set(LANGUAGES):
                return None
            return {key: strip(item) for key, item in value.items()
                    if key not in ("text", "feedback", "feedback_html", "unit") and strip(item) is not None}
        if isinstance(value, list):
            return [strip(item) for item in value]
        return value
    return strip(data)


def digest(value) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def _relative(path: Path, spec: CourseSpec) -> str:
    return path.relative_to(spec.path.parent).as_posix()


def units(spec: CourseSpec) -> list[Unit]:
    """Every translation unit of a course, in course order."""
    course_toml = _relative(spec.path / "course.toml", spec)
    both = {lang: course_toml for lang in LANGUAGES}
    found = [Unit("course", spec.title.get("en", spec.slug), both,
                  {lang: language_view({"title": spec.title, "description": spec.description}, lang)
                   for lang in LANGUAGES})]
    for module in spec.modules:
        found.append(Unit(f"module:{module.slug}", module.title.get("en", module.slug), both,
                          {lang: language_view({"title": module.title, "summary": module.summary}, lang)
                           for lang in LANGUAGES}))
        for lesson in module.lessons:
            found.append(Unit(f"lesson:{lesson.slug}", lesson.title.get("en", lesson.slug),
                              {lang: _relative(path, spec) for lang, path in lesson.paths.items()},
                              {lang: {"title": lesson.title.get(lang), "body": lesson.body.get(lang)}
                               for lang in LANGUAGES}))
        if module.quiz is not None:
            quiz_path = {lang: _relative(module.quiz.path, spec) for lang in LANGUAGES}
            found.append(Unit(f"quiz:{module.slug}", module.quiz.title.get("en", module.slug), quiz_path,
                              {lang: language_view({"title": module.quiz.title, "intro": module.quiz.intro}, lang)
                               for lang in LANGUAGES}))
            for question in module.quiz.questions:
                found.append(Unit(f"question:{module.slug}/{question.key}", question.key, quiz_path,
                                  {lang: language_view({"text": question.text, "feedback": question.feedback,
                                                        "data": question.data}, lang) for lang in LANGUAGES}))
        for assignment in module.assignments:
            path = {lang: _relative(assignment.path, spec) for lang in LANGUAGES}
            found.append(Unit(f"assignment:{assignment.slug}", assignment.title.get("en", assignment.slug), path,
                              {lang: language_view({"title": assignment.title, "prompt": assignment.prompt,
                                                    "sections": assignment.sections,
                                                    "criteria": assignment.criteria}, lang) for lang in LANGUAGES}))
    return found


def hashes(unit: Unit) -> dict[str, str]:
    return {lang: digest(unit.texts[lang]) for lang in LANGUAGES}
