"""Course outlines (modules, lessons, quizzes, assignments, their titles in both languages) cached in process memory.

An outline changes only when course content changes, and every such change raises the database's content version
in the same transaction (``ContentVersion``: the importer does it, and so does any flush or ORM statement that
writes a course, module, lesson, quiz, question or assignment). Each request reads that one number (one small
query) and uses the outlines cached under it; a different number drops the whole cache. So every process and every
host serves an import or a publish from the moment it is committed, without a restart, and never an older outline.

The cached objects are detached copies (column values only, never attached to a session): templates read them like
the ORM objects they copy, relationships on them are empty, and adding one to a session would fail loudly (its
primary key exists). A request never modifies them. The trainee's own progress is never cached.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass

from flask import current_app, g, has_app_context
from sqlalchemy import event, insert, inspect as sa_inspect, select, update
from sqlalchemy.orm import Session, load_only
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import core_connection, db
from ..models import Assignment, ContentVersion, Course, Lesson, Module, Question, Quiz

CONTENT_MODELS = (Course, Module, Lesson, Quiz, Question, Assignment)
_CONTENT_TABLES = frozenset(model.__table__.name for model in CONTENT_MODELS)
_CHANGED = "lms.content_changed"  # session.info flag: this transaction changed content (its outlines are not cached)
_EXTENSION = "lms.outline_cache"
_lock = threading.Lock()

_LESSON_COLUMNS = load_only(
    Lesson.id, Lesson.course_id, Lesson.module_id, Lesson.slug, Lesson.position,
    Lesson.minutes, Lesson.title_ja, Lesson.title_en, Lesson.archived_at,
)


@dataclass(frozen=True)
class CourseOutline:
    modules: list[Module]  # live modules in order
    lessons: dict[int, list[Lesson]]  # live lessons per module id, in order
    quizzes: dict[int, Quiz]  # the live quiz per module id
    assignments: dict[int, list[Assignment]]  # live assignments per module id, in order


# --- the version

_VERSION = select(ContentVersion.version).where(ContentVersion.id == 1)


def current_version() -> int:
    """The database's content version, read once per app context (one query)."""
    if has_app_context() and "lms_content_version" in g:
        return g.lms_content_version
    # Core, not the ORM: a one-column read needs no identity map (a third of the cost of so small a query).
    version = core_connection().scalar(_VERSION) or 0
    if has_app_context():
        g.lms_content_version = version
    return version


def bump(session: Session | None = None) -> None:
    """Raise the content version in the current transaction (every process drops its outlines once it commits)."""
    session = session or db.session
    session.info[_CHANGED] = True
    table = ContentVersion.__table__
    connection = session.connection()
    raised = connection.execute(update(table).where(table.c.id == 1).values(version=table.c.version + 1))
    if raised.rowcount == 0:  # the row the migration inserts is gone (a test emptied every table): start again
        connection.execute(insert(table).values(id=1, version=1))
    if has_app_context():
        g.pop("lms_content_version", None)


@event.listens_for(Session, "after_flush")
def _content_flushed(session, flush_context) -> None:
    if session.info.get(_CHANGED):
        return  # raised once per transaction is enough: the cache only compares numbers
    if any(isinstance(obj, CONTENT_MODELS) for obj in (*session.new, *session.dirty, *session.deleted)):
        bump(session)


@event.listens_for(Session, "do_orm_execute")
def _content_statement(state) -> None:
    """``update(Lesson)...``, ``delete(Quiz)...`` and the like change content without a flush."""
    if not (state.is_update or state.is_delete or state.is_insert) or state.session.info.get(_CHANGED):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and getattr(table, "name", None) in _CONTENT_TABLES:
        bump(state.session)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _transaction_ended(session) -> None:
    session.info.pop(_CHANGED, None)


# --- the cache


def outlines(course_ids: list[int]) -> dict[int, CourseOutline]:
    """The outline of each course: from this process's cache when it holds the current version, else four queries
    for all the missing courses together (then cached, unless this transaction itself changed content)."""
    if not course_ids:
        return {}
    version = current_version()
    app = current_app._get_current_object()
    with _lock:
        store = app.extensions.get(_EXTENSION)
        if store is None or store["version"] != version:
            store = app.extensions[_EXTENSION] = {"version": version, "courses": {}}
        found = {cid: store["courses"][cid] for cid in course_ids if cid in store["courses"]}
    missing = [cid for cid in course_ids if cid not in found]
    if missing:
        loaded = _load(missing)
        found.update(loaded)
        if not db.session.info.get(_CHANGED):
            with _lock:
                if store is app.extensions.get(_EXTENSION):
                    store["courses"].update(loaded)
    return found


def clear(app=None) -> None:
    (app or current_app).extensions.pop(_EXTENSION, None)


def _load(course_ids: list[int]) -> dict[int, CourseOutline]:
    modules, lessons = defaultdict(list), defaultdict(list)
    quizzes, assignments = defaultdict(dict), defaultdict(lambda: defaultdict(list))
    for module in db.session.scalars(select(Module).where(
            Module.course_id.in_(course_ids), Module.archived_at.is_(None)).order_by(Module.position)):
        modules[module.course_id].append(_frozen(module))
    for lesson in db.session.scalars(select(Lesson).options(_LESSON_COLUMNS).where(
            Lesson.course_id.in_(course_ids), Lesson.archived_at.is_(None)).order_by(Lesson.position)):
        lessons[lesson.course_id].append(_frozen(lesson))
    for quiz in db.session.scalars(select(Quiz).where(Quiz.course_id.in_(course_ids), Quiz.archived_at.is_(None))):
        quizzes[quiz.course_id][quiz.module_id] = _frozen(quiz)
    for assignment in db.session.scalars(select(Assignment).where(
            Assignment.course_id.in_(course_ids), Assignment.archived_at.is_(None)).order_by(Assignment.position)):
        assignments[assignment.course_id][assignment.module_id].append(_frozen(assignment))
    result = {}
    for cid in course_ids:
        by_module = defaultdict(list)
        for lesson in lessons[cid]:
            by_module[lesson.module_id].append(lesson)
        result[cid] = CourseOutline(modules[cid], dict(by_module), dict(quizzes[cid]),
                                    {mid: list(items) for mid, items in assignments[cid].items()})
    return result


def _frozen(obj):
    """A detached copy of ``obj`` with its loaded column values, never attached to a session."""
    state = sa_inspect(obj)
    mapper = state.mapper
    copy = mapper.class_manager.new_instance()
    for attr in mapper.column_attrs:
        if attr.key in state.dict:
            set_committed_value(copy, attr.key, state.dict[attr.key])
    return copy
