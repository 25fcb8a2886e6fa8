"""Importing quizzes: rows by identity (module, question id), Markdown rendered once, removals archived."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from tests.content.helpers import import_courses  # imports and commits, as the CLI does
from lms.extensions import db
from lms.models import Question, Quiz

from .helpers import COURSE_TOML, quiz_toml, write_course, write_quiz


@pytest.fixture
def root(tmp_path):
    return tmp_path / "courses"


def test_import_creates_the_quiz_with_rendered_text(app, root):
    folder = write_course(root)
    write_quiz(folder, settings="max_attempts = 3\ntime_limit = 10",
               toml=quiz_toml("max_attempts = 3\ntime_limit = 10").replace("Pick one", "Pick **one** <script>x</script>"))
    import_courses(root)
    quiz = db.session.scalar(select(Quiz))
    assert (quiz.slug, quiz.title_en, quiz.pass_mark, quiz.max_attempts, quiz.time_limit) == ("basics", "Check", 70, 3, 10)
    assert quiz.intro_html_en == "<p>About the quiz</p>"
    questions = db.session.scalars(select(Question).order_by(Question.position)).all()
    assert [q.key for q in questions] == ["pick-one", "pick-many", "true-or-false", "how-many", "term", "steps"]
    assert questions[0].text_html_en == "<p>Pick <strong>one</strong> x</p>"
    assert questions[0].data["choices"][1] == {"id": "b", "text": {"ja": "選択肢B", "en": "Choice B"}, "correct": True,
                                               "feedback_html": {"ja": "<p>Bが正しい</p>", "en": "<p>B is right because</p>"}}


def test_reimport_keeps_question_identity_and_archives_removed_questions(app, root):
    folder = write_course(root)
    write_quiz(folder)
    import_courses(root)
    ids = {q.key: q.id for q in db.session.scalars(select(Question))}
    assert import_courses(root).unchanged == ["test-course"]

    toml = quiz_toml().replace('[[questions]]\nid = "term"', '[[questions]]\nid = "term-renamed"')
    write_quiz(folder, toml=toml)
    import_courses(root)
    rows = {q.key: q for q in db.session.scalars(select(Question))}
    assert rows["pick-one"].id == ids["pick-one"]
    assert rows["term"].archived_at is not None  # old attempts may refer to it
    assert rows["term-renamed"].archived_at is None


def test_removing_the_quiz_file_archives_the_quiz_and_adding_it_back_restores_it(app, root):
    folder = write_course(root)
    path = write_quiz(folder)
    import_courses(root)
    quiz_id = db.session.scalar(select(Quiz.id))
    path.unlink()
    assert import_courses(root).updated == ["test-course"]
    assert db.session.get(Quiz, quiz_id).archived_at is not None
    write_quiz(folder)
    import_courses(root)
    assert db.session.get(Quiz, quiz_id).archived_at is None


def test_an_archived_module_archives_its_quiz(app, root):
    folder = write_course(root)
    write_quiz(folder, module="advanced")
    import_courses(root)
    toml = COURSE_TOML.split("[[modules]]\nslug = \"advanced\"")[0]
    (folder / "course.toml").write_text(toml, encoding="utf-8")
    shutil.rmtree(folder / "advanced")
    import_courses(root)
    assert db.session.scalar(select(Quiz)).archived_at is not None
