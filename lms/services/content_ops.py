"""Content operations: versions of each course, translation pairing, packages staged for publishing.

The CLI (``flask lms import-courses``) and the admin console (/admin/content) are two doors to the same thing: both
import through ``lms.content.importer.import_courses``, which calls ``record`` here for every course it imported, so
every publish is a version (its package, who, when, from where, a summary) and every unit's languages are paired.
Adds and flushes; never commits (the CLI command or the request's unit of work does)."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from .. import storage
from ..content import package
from ..content.base import ContentError
from ..content.diff import CourseDiff, compare, counts
from ..content.loader import CourseSpec, load_courses
from ..content.units import hashes, units
from ..extensions import db
from ..models import (Assignment, CourseVersion, Course, Lesson, LessonCompletion, Module, Question, Quiz,
                      QuizAttempt, QuizResponse, QuizResult, Submission, TranslationState, User, utcnow)
from ..rules import translations

SOURCES = ("cli", "upload", "rollback")
TOKEN = re.compile(r"^[0-9a-f]{32}$")


# --- limits --------------------------------------------------------------------------------------------------------

def package_limits() -> package.PackageLimits:
    config = current_app.config
    return package.PackageLimits(max_bytes=int(config["CONTENT_PACKAGE_MAX_MB"]) * 1024 * 1024,
                                 max_files=int(config["CONTENT_PACKAGE_MAX_FILES"]),
                                 max_unpacked_bytes=int(config["COURSE_MAX_TREE_MB"]) * 1024 * 1024)


def load_package(data: bytes) -> CourseSpec:
    """The course in a package, validated exactly as the CLI validates a folder; ``ContentError`` otherwise (problem
    paths start at the course folder: ``<slug>/module/file.md``)."""
    from ..content.importer import content_limits

    with tempfile.TemporaryDirectory(prefix="lms-package-") as tmp:
        base = Path(tmp)
        folder = package.extract(data, base, package_limits())
        try:
            specs = load_courses(folder, content_limits())
        except ContentError as error:
            raise ContentError([type(p)(_relative(p.path, base), p.line, p.message) for p in error.problems]) from None
        return specs[0]


def _relative(path: Path, base: Path) -> Path:
    try:
        return Path(path).resolve().relative_to(base.resolve())
    except ValueError:
        return Path(path)


# --- versions ------------------------------------------------------------------------------------------------------

def latest_version(course: Course) -> CourseVersion | None:
    return db.session.scalar(select(CourseVersion).where(CourseVersion.course_id == course.id)
                             .order_by(CourseVersion.number.desc()).limit(1))


def latest_number(course_id: int) -> int:
    return db.session.scalar(select(func.max(CourseVersion.number)).where(CourseVersion.course_id == course_id)) or 0


def versions(course: Course) -> list[CourseVersion]:
    return list(db.session.scalars(select(CourseVersion).where(CourseVersion.course_id == course.id)
                                   .order_by(CourseVersion.number.desc())))


def get_version(course: Course, number: int) -> CourseVersion | None:
    return db.session.scalar(select(CourseVersion).where(CourseVersion.course_id == course.id,
                                                          CourseVersion.number == number))


def version_spec(version: CourseVersion | None) -> CourseSpec | None:
    return load_package(version.package) if version is not None else None


def record(course: Course, spec: CourseSpec, changed: bool, source: str, user: User | None) -> CourseVersion | None:
    """After the importer wrote ``spec``: pair the languages of every unit, and keep a version when the course changed
    (or has none yet). Returns the new version, if any."""
    pair_translations(course, spec)
    data = package.build(spec.path)
    sha = package_sha(data)
    previous = latest_version(course)
    if previous is not None and (not changed or previous.sha256 == sha):
        return None
    old_spec = _safe_spec(previous)
    summary = {"counts": counts(spec), "changes": compare(old_spec, spec).as_dict(), "first": previous is None}
    version = CourseVersion(course_id=course.id, number=(previous.number if previous else 0) + 1, source=source,
                             user_id=user.id if user is not None else None, created_at=utcnow(), sha256=sha,
                             summary=summary, package=data)
    db.session.add(version)
    db.session.flush()
    return version


def package_sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _safe_spec(version: CourseVersion | None) -> CourseSpec | None:
    try:
        return version_spec(version)
    except ContentError:  # an old package the validator refuses today: compare with nothing
        return None


# --- translation pairing -------------------------------------------------------------------------------------------

@dataclass
class DriftItem:
    unit: str
    label: str
    path: str  # the file of the language that is behind
    changed: str  # the language that changed
    stale: str
    changed_at: datetime | None = None
    course_slug: str = ""


def _states(course_id: int) -> dict[str, TranslationState]:
    return {s.unit: s for s in db.session.scalars(select(TranslationState)
                                                  .where(TranslationState.course_id == course_id))}


def pair_translations(course: Course, spec: CourseSpec) -> None:
    states = _states(course.id)
    now = utcnow()
    seen = set()
    for unit in units(spec):
        seen.add(unit.key)
        current = hashes(unit)
        state = states.get(unit.key)
        if state is None:
            db.session.add(TranslationState(course_id=course.id, unit=unit.key, label=unit.label[:300],
                                            paths=unit.paths, hash_ja=current["ja"], hash_en=current["en"],
                                            synced_ja=current["ja"], synced_en=current["en"], stale=None,
                                            changed_at=None, archived=False))
            continue
        before = {"ja": state.hash_ja, "en": state.hash_en}
        pairing = translations.pair({"ja": state.synced_ja, "en": state.synced_en}, current)
        if translations.drift_started(before, current, pairing):
            state.changed_at = now
        elif pairing.stale is None:
            state.changed_at = None
        state.label, state.paths, state.archived = unit.label[:300], unit.paths, False
        state.hash_ja, state.hash_en = current["ja"], current["en"]
        state.synced_ja, state.synced_en = pairing.synced["ja"], pairing.synced["en"]
        state.stale = pairing.stale
    for key, state in states.items():
        if key not in seen and not state.archived:
            state.archived = True


def drift_preview(course: Course | None, spec: CourseSpec) -> tuple[list[DriftItem], list[DriftItem], list[DriftItem]]:
    """What importing ``spec`` would do to the pairing, without writing: (created, resolved, still out of step)."""
    states = _states(course.id) if course is not None else {}
    created, resolved, remaining = [], [], []
    for unit in units(spec):
        current = hashes(unit)
        state = states.get(unit.key)
        if state is None:
            continue
        before = {"ja": state.hash_ja, "en": state.hash_en}
        pairing = translations.pair({"ja": state.synced_ja, "en": state.synced_en}, current)
        if pairing.stale is not None:
            item = DriftItem(unit.key, unit.label, unit.paths[pairing.stale], pairing.changed, pairing.stale,
                             state.changed_at, spec.slug)
            if state.stale is None or translations.drift_started(before, current, pairing):
                item.changed_at = None  # now
                created.append(item)
            else:
                remaining.append(item)
        elif state.stale is not None and not state.archived:
            resolved.append(DriftItem(unit.key, unit.label, unit.paths[state.stale],
                                      "en" if state.stale == "ja" else "ja", state.stale, state.changed_at, spec.slug))
    return created, resolved, remaining


def out_of_step(course: Course | None = None) -> list[TranslationState]:
    query = (select(TranslationState).join(Course, Course.id == TranslationState.course_id)
             .where(TranslationState.stale.is_not(None), TranslationState.archived.is_(False)))
    if course is not None:
        query = query.where(TranslationState.course_id == course.id)
    return list(db.session.scalars(query.order_by(Course.slug, TranslationState.id)))


def stale_units(course_id: int, unit_keys: list[str]) -> dict[str, TranslationState]:
    """The out-of-step states among ``unit_keys`` (for the notice on a lesson or a quiz)."""
    if not unit_keys:
        return {}
    return {s.unit: s for s in db.session.scalars(
        select(TranslationState).where(TranslationState.course_id == course_id, TranslationState.unit.in_(unit_keys),
                                       TranslationState.stale.is_not(None), TranslationState.archived.is_(False)))}


def mark_checked(state: TranslationState) -> None:
    pairing = translations.checked({"ja": state.hash_ja, "en": state.hash_en})
    state.synced_ja, state.synced_en = pairing.synced["ja"], pairing.synced["en"]
    state.stale, state.changed_at = None, None


def get_state(state_id: int) -> TranslationState | None:
    return db.session.get(TranslationState, state_id)


# --- the admin list ------------------------------------------------------------------------------------------------

@dataclass
class CourseRow:
    course: Course
    version: CourseVersion | None
    counts: dict[str, int]
    out_of_step: int


def overview() -> list[CourseRow]:
    """Every course with its published version, its live counts and how many units are out of step (a fixed number
    of queries)."""
    courses = list(db.session.scalars(select(Course).order_by(Course.program, Course.position, Course.slug)))

    def per_course(model, *where):
        return dict(db.session.execute(select(model.course_id, func.count(model.id)).where(*where)
                                       .group_by(model.course_id)).all())

    modules = per_course(Module, Module.archived_at.is_(None))
    lessons = per_course(Lesson, Lesson.archived_at.is_(None))
    quizzes = per_course(Quiz, Quiz.archived_at.is_(None))
    assignments = per_course(Assignment, Assignment.archived_at.is_(None))
    drift = per_course(TranslationState, TranslationState.stale.is_not(None), TranslationState.archived.is_(False))
    latest = select(CourseVersion.course_id, func.max(CourseVersion.number).label("n")).group_by(
        CourseVersion.course_id).subquery()
    current = {v.course_id: v for v in db.session.scalars(
        select(CourseVersion).join(latest, (latest.c.course_id == CourseVersion.course_id)
                                    & (latest.c.n == CourseVersion.number)))}
    return [CourseRow(c, current.get(c.id), {"modules": modules.get(c.id, 0), "lessons": lessons.get(c.id, 0),
                                             "quizzes": quizzes.get(c.id, 0),
                                             "assignments": assignments.get(c.id, 0)}, drift.get(c.id, 0))
            for c in courses]


def course_package(course: Course) -> bytes | None:
    """The package of the published version; for a course imported before versions were kept, its folder under
    COURSES_DIR if it is there."""
    version = latest_version(course)
    if version is not None:
        return version.package
    folder = Path(current_app.config["COURSES_DIR"]) / course.slug
    return package.build(folder) if (folder / "course.toml").is_file() else None


# --- what a publish touches ----------------------------------------------------------------------------------------

def impact(course: Course | None, diff: CourseDiff) -> dict:
    """Trainees whose progress or results the change touches: answers to questions whose key changed, completions of
    archived lessons, results of changed or archived quizzes, submissions to changed or archived assignments."""
    result = {"answer_keys": {}, "trainees": 0, "enrolled": 0}
    if course is None:
        return result
    from ..models import Enrolment

    touched: set[int] = set()
    rows = db.session.execute(
        select(Quiz.slug, Question.key, QuizAttempt.user_id)
        .join(Question, Question.quiz_id == Quiz.id).join(QuizResponse, QuizResponse.question_id == Question.id)
        .join(QuizAttempt, QuizAttempt.id == QuizResponse.attempt_id)
        .where(Quiz.course_id == course.id, QuizAttempt.state != "in_progress").distinct()).all() \
        if diff.answer_keys else []
    answered: dict[str, set[int]] = {}
    for quiz_slug, key, user_id in rows:
        answered.setdefault(f"{quiz_slug}/{key}", set()).add(user_id)
    for name in diff.answer_keys:
        users = answered.get(name, set())
        result["answer_keys"][name] = len(users)
        touched |= users
    lessons = diff.kinds["lessons"].archived
    if lessons:
        touched |= set(db.session.scalars(
            select(LessonCompletion.user_id).join(Lesson, Lesson.id == LessonCompletion.lesson_id)
            .where(Lesson.course_id == course.id, Lesson.slug.in_(lessons)).distinct()))
    quiz_slugs = diff.kinds["quizzes"].changed + diff.kinds["quizzes"].archived
    if quiz_slugs:
        touched |= set(db.session.scalars(
            select(QuizResult.user_id).join(Quiz, Quiz.id == QuizResult.quiz_id)
            .where(Quiz.course_id == course.id, Quiz.slug.in_(quiz_slugs)).distinct()))
    assignment_slugs = (diff.kinds["assignments"].changed + diff.kinds["assignments"].archived
                        + diff.kinds["rubrics"].changed)
    if assignment_slugs:
        touched |= set(db.session.scalars(
            select(Submission.user_id).join(Assignment, Assignment.id == Submission.assignment_id)
            .where(Assignment.course_id == course.id, Assignment.slug.in_(assignment_slugs)).distinct()))
    result["trainees"] = len(touched)
    result["enrolled"] = db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.course_id == course.id))
    return result


# --- staged packages: upload -> preview -> publish -----------------------------------------------------------------

class NotStaged(Exception):
    """The staged package is gone (published, discarded, or never there)."""


class VersionMoved(Exception):
    """Someone published this course since the preview was made."""

    def __init__(self, current: int):
        super().__init__(current)
        self.current = current


class NeedsConfirmation(Exception):
    """The package creates a new course: the admin must confirm it."""


@dataclass
class Staged:
    token: str
    data: bytes
    target: str  # the slug of the course it replaces, or "" for a new course
    source: str  # "upload" or "rollback"
    base: int  # the course's version number when staged
    filename: str = ""
    from_version: int | None = None
    spec: CourseSpec | None = field(default=None, repr=False)


def _staging_root() -> Path:
    return storage.root() / "staging" / "content"


def stage(data: bytes, *, target: str, source: str, filename: str = "", from_version: int | None = None) -> Staged:
    """Validate a package and keep it for the preview. Raises ``ContentError`` (nothing kept) when it is refused:
    the package's own problems, or a course slug that is not the one it replaces."""
    spec = load_package(data)
    course = db.session.scalar(select(Course).where(Course.slug == spec.slug))
    if target and spec.slug != target:
        raise ContentError([_problem(f"{spec.slug}/course.toml", f"this package is the course '{spec.slug}', not "
                                     f"'{target}': a package must keep the slug of the course it replaces")])
    if not target and course is not None:
        raise ContentError([_problem(f"{spec.slug}/course.toml", f"a course '{spec.slug}' exists already: upload "
                                     "the package on that course's row to replace it")])
    token = secrets.token_hex(16)
    folder = _staging_root() / token
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.zip").write_bytes(data)
    base = latest_number(course.id) if course is not None else 0
    meta = {"target": spec.slug if course is not None else "", "source": source, "base": base,
            "filename": filename[:200], "from_version": from_version}
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return Staged(token, data, meta["target"], source, base, meta["filename"], from_version, spec)


def _problem(path: str, message: str):
    from ..content.base import Problem

    return Problem(Path(path), 1, message)


def staged(token: str) -> Staged:
    if not TOKEN.match(token or ""):
        raise NotStaged()
    folder = _staging_root() / token
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        data = (folder / "package.zip").read_bytes()
    except (OSError, ValueError):
        raise NotStaged() from None
    return Staged(token, data, meta["target"], meta["source"], int(meta["base"]), meta.get("filename", ""),
                  meta.get("from_version"), load_package(data))


def discard(token: str) -> None:
    if TOKEN.match(token or ""):
        shutil.rmtree(_staging_root() / token, ignore_errors=True)


@dataclass
class Preview:
    staged: Staged
    course: Course | None
    current: CourseVersion | None
    diff: CourseDiff
    impact: dict
    drift_created: list[DriftItem]
    drift_resolved: list[DriftItem]
    counts: dict[str, int]


def preview(item: Staged) -> Preview:
    """What publishing the staged package would change (reads only)."""
    course = db.session.scalar(select(Course).where(Course.slug == item.spec.slug))
    current = latest_version(course) if course is not None else None
    old = _safe_spec(current) if current is not None else None
    if course is not None and current is None:  # imported before versions were kept: the shipped folder, if any
        data = course_package(course)
        old = load_package(data) if data else None
    diff = compare(old, item.spec)
    created, resolved, _remaining = drift_preview(course, item.spec)
    return Preview(item, course, current, diff, impact(course, diff), created, resolved, counts(item.spec))


def publish(token: str, base: int, confirm_new: bool, user: User) -> tuple[Course, CourseVersion | None]:
    """Import the staged package in the caller's transaction, as the CLI would, if the course is still at version
    ``base``. Raises ``VersionMoved``, ``NeedsConfirmation``, ``NotStaged`` or ``ContentError``."""
    from ..content.importer import import_courses
    from ..unit_of_work import after_commit
    from . import audit

    item = staged(token)
    course = db.session.scalar(select(Course).where(Course.slug == item.spec.slug).with_for_update())
    if course is None and not confirm_new:
        raise NeedsConfirmation()
    current = latest_number(course.id) if course is not None else 0
    if current != base:
        raise VersionMoved(current)
    with tempfile.TemporaryDirectory(prefix="lms-publish-") as tmp:
        folder = package.extract(item.data, Path(tmp), package_limits())
        report = import_courses(folder, source=item.source, user=user)
    course = db.session.scalar(select(Course).where(Course.slug == item.spec.slug))
    version = report.versions.get(course.slug)
    audit.record("content.publish", "course", course.id, details={
        "course": course.slug, "version": version.number if version else None, "source": item.source,
        "from_version": item.from_version, "filename": item.filename, "created": report.created,
        "updated": report.updated, "archived": report.archived})
    after_commit(lambda: discard(token))
    return course, version
