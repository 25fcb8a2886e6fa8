"""What changes between two versions of a course (two specs; no database).

Used by the upload preview (the published version against the package), the comparison of two versions and the
summary kept with every version."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .loader import CourseSpec
from .units import answer_key, digest

KINDS = ("modules", "lessons", "quizzes", "questions", "assignments", "rubrics")


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.archived)


@dataclass
class CourseDiff:
    kinds: dict[str, Changes] = field(default_factory=lambda: {kind: Changes() for kind in KINDS})
    answer_keys: list[str] = field(default_factory=list)  # "<module>/<question id>" whose answer key changed
    settings: bool = False  # course.toml's own values (titles, program, completion, certificate)

    def __bool__(self) -> bool:
        return self.settings or any(self.kinds.values())

    def as_dict(self) -> dict:
        return {"kinds": {kind: asdict(changes) for kind, changes in self.kinds.items() if changes},
                "answer_keys": self.answer_keys, "settings": self.settings}


def parts(spec: CourseSpec | None) -> dict[str, dict[str, str]]:
    """kind -> name -> a digest of everything about it."""
    found = {kind: {} for kind in KINDS}
    found["keys"] = {}
    if spec is None:
        return found
    for module in spec.modules:
        found["modules"][module.slug] = digest({"title": module.title, "summary": module.summary,
                                                "lessons": [lesson.slug for lesson in module.lessons]})
        for lesson in module.lessons:
            found["lessons"][lesson.slug] = digest({"title": lesson.title, "body": lesson.body,
                                                    "minutes": lesson.minutes, "module": module.slug})
        quiz = module.quiz
        if quiz is not None:
            found["quizzes"][module.slug] = digest({
                "title": quiz.title, "intro": quiz.intro, "pass_mark": quiz.pass_mark, "max_attempts": quiz.max_attempts,
                "time_limit": quiz.time_limit, "shuffle": [quiz.shuffle_questions, quiz.shuffle_choices],
                "draw": quiz.draw, "grading": quiz.grading, "reveal": quiz.reveal,
                "questions": [q.key for q in quiz.questions]})
            for question in quiz.questions:
                name = f"{module.slug}/{question.key}"
                found["questions"][name] = digest({"type": question.type, "points": question.points,
                                                   "text": question.text, "feedback": question.feedback,
                                                   "data": question.data})
                found["keys"][name] = digest({"type": question.type, "key": answer_key(question.data)})
        for assignment in module.assignments:
            found["assignments"][assignment.slug] = digest({
                "title": assignment.title, "prompt": assignment.prompt, "due_days": assignment.due_days,
                "attachments": [assignment.attachment_types, assignment.max_files, assignment.max_mb],
                "sections": assignment.sections, "module": module.slug})
            found["rubrics"][assignment.slug] = digest({"criteria": assignment.criteria,
                                                        "pass_points": assignment.pass_points})
    return found


def course_settings(spec: CourseSpec | None) -> str:
    if spec is None:
        return ""
    return digest({"program": spec.program, "enrolment": spec.enrolment, "position": spec.position,
                   "title": spec.title, "description": spec.description, "completion": spec.completion,
                   "certificate": spec.certificate})


def compare(old: CourseSpec | None, new: CourseSpec | None) -> CourseDiff:
    """What publishing ``new`` over ``old`` adds, changes and archives."""
    before, after = parts(old), parts(new)
    diff = CourseDiff(settings=old is not None and course_settings(old) != course_settings(new))
    for kind in KINDS:
        changes = diff.kinds[kind]
        for name, value in after[kind].items():
            if name not in before[kind]:
                changes.added.append(name)
            elif before[kind][name] != value:
                changes.changed.append(name)
        changes.archived = [name for name in before[kind] if name not in after[kind]]
    diff.answer_keys = [name for name, value in after["keys"].items()
                        if name in before["keys"] and before["keys"][name] != value]
    return diff


def counts(spec: CourseSpec) -> dict[str, int]:
    return {"modules": len(spec.modules),
            "lessons": sum(len(m.lessons) for m in spec.modules),
            "quizzes": sum(1 for m in spec.modules if m.quiz is not None),
            "questions": sum(len(m.quiz.questions) for m in spec.modules if m.quiz is not None),
            "assignments": sum(len(m.assignments) for m in spec.modules)}
