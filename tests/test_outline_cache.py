"""Course outlines are cached per process under the database's content version: a change made anywhere (an import,
a write through another process) is served at once, and a change that was rolled back never is."""

from __future__ import annotations

from sqlalchemy import select, update

from lms import create_app
from lms.content.importer import import_courses
from lms.extensions import db
from lms.models import ContentVersion, Course, Lesson
from lms.services import outline_cache

from .content.helpers import write_course


def _version() -> int:
    return db.session.scalar(select(ContentVersion.version)) or 0


def _other_process(app):
    """A second app on the same database, as another gunicorn worker or another host would be."""
    return create_app({key: app.config[key] for key in (
        "TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "OPEN_REGISTRATION", "SMTP_HOST", "BASE_URL",
        "JOBS_IMMEDIATE")} | {"INSTANCE_PATH": app.instance_path + "-other"})


def test_an_import_in_another_process_is_served_without_a_restart(app, tmp_path, make_user, as_):
    write_course(tmp_path / "courses")
    import_courses(tmp_path / "courses")
    db.session.commit()
    course = db.session.scalar(select(Course).where(Course.slug == "test-course"))
    trainee = make_user()
    db.session.commit()
    client = as_(trainee)
    assert "Introduction" in client.get(f"/courses/{course.slug}/").get_data(as_text=True)  # cached here now

    (tmp_path / "courses/test-course/basics/01-intro.en.md").write_text(
        '+++\ntitle = "Welcome aboard"\nminutes = 5\n+++\n\nText.\n', encoding="utf-8")
    other = _other_process(app)
    with other.app_context():
        before = _version()
        import_courses(tmp_path / "courses")
        db.session.commit()
        assert _version() > before
        db.session.remove()
        db.engine.dispose()

    html = client.get(f"/courses/{course.slug}/").get_data(as_text=True)
    assert "Welcome aboard" in html and "Introduction" not in html


def test_a_content_write_raises_the_version_and_a_rolled_back_one_is_never_cached(app, make_course, make_user,
                                                                                  enrol, as_):
    course = make_course(modules=1, lessons=2)
    trainee = make_user()
    enrol(trainee, course)
    client = as_(trainee)
    assert "Lesson 1-1" in client.get(f"/courses/{course.slug}/").get_data(as_text=True)

    # An ORM flush of a lesson raises the version in its own transaction...
    before = _version()
    lesson = db.session.scalar(select(Lesson).where(Lesson.course_id == course.id, Lesson.slug == "lesson-1-1"))
    lesson.title_en = "Renamed"
    db.session.flush()
    assert _version() == before + 1
    # ...and an outline read inside that transaction is not kept: it may still be rolled back.
    from lms.services import learning
    assert learning.course_view(trainee, course).lessons[0].title_en == "Renamed"
    db.session.rollback()
    assert _version() == before
    assert "Renamed" not in client.get(f"/courses/{course.slug}/").get_data(as_text=True)

    # A bulk UPDATE statement raises it too.
    db.session.execute(update(Lesson).where(Lesson.course_id == course.id).values(title_en="Bulk title"))
    db.session.commit()
    assert _version() == before + 1
    assert "Bulk title" in client.get(f"/courses/{course.slug}/").get_data(as_text=True)


def test_cached_outline_objects_are_detached_copies(app, make_course):
    course = make_course(modules=2, lessons=2)
    db.session.commit()
    outline = outline_cache.outlines([course.id])[course.id]
    lesson = outline.lessons[outline.modules[0].id][0]
    assert lesson.title_en == "Lesson 1-1" and lesson not in db.session
    again = outline_cache.outlines([course.id])[course.id]
    assert again is outline  # the same version: the same cached objects
