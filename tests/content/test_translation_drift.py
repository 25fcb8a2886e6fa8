"""Translations out of step: recorded at import, listed by the CLI, shown to readers of the older language;
every import keeps a version."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import CourseVersion, Course, Role, TranslationState
from tests.content.helpers import import_courses, lesson_text, write_course, write_quiz, quiz_toml

MOMENT = datetime(2026, 12, 5, 3, 0, tzinfo=timezone.utc)  # 12:00 in Tokyo


@pytest.fixture
def root(tmp_path):
    folder = tmp_path / "courses"
    folder.mkdir()
    return folder


def status(app, *args):
    return app.test_cli_runner().invoke(args=["lms", "translation-status", *args])


def test_changing_only_the_english_of_a_lesson_puts_it_out_of_step(app, root, monkeypatch):
    folder = write_course(root)
    import_courses(root)
    assert status(app).output.strip() == "0 unit(s) out of step"

    (folder / "basics/01-intro.en.md").write_text(lesson_text("Introduction", "Rewritten English."), encoding="utf-8")
    checked = status(app, "--check", str(root))
    assert checked.exit_code == 0, checked.output
    assert "test-course/basics/01-intro.ja.md: lesson:intro (Introduction): the English changed now" in checked.output
    assert checked.output.strip().endswith("1 unit(s) out of step")
    assert status(app).output.strip() == "0 unit(s) out of step"  # --check changed nothing

    monkeypatch.setattr("lms.models.base.utcnow", lambda: MOMENT)
    monkeypatch.setattr("lms.content.importer.utcnow", lambda: MOMENT)
    monkeypatch.setattr("lms.services.content_ops.utcnow", lambda: MOMENT)
    import_courses(root)
    lines = status(app).output.strip().splitlines()
    assert lines == ["test-course/basics/01-intro.ja.md: lesson:intro (Introduction): the English changed "
                     "2026-12-05 12:00 (Asia/Tokyo); the Japanese is out of step", "1 unit(s) out of step"]

    (folder / "basics/01-intro.ja.md").write_text(lesson_text("はじめに", "書き直した日本語。"), encoding="utf-8")
    import_courses(root)
    assert status(app).output.strip() == "0 unit(s) out of step"


def test_units_of_every_kind_are_paired_and_an_answer_key_is_not_a_translation(app, root):
    folder = write_course(root)
    write_quiz(folder)
    import_courses(root)
    units = set(db.session.scalars(select(TranslationState.unit)))
    assert {"course", "module:basics", "lesson:intro", "quiz:basics", "question:basics/pick-one"} <= units

    write_quiz(folder, toml=quiz_toml().replace('id = "b"\ntext = { ja = "選択肢B", en = "Choice B" }\ncorrect = true',
                                                'id = "b"\ntext = { ja = "選択肢B", en = "Choice B" }')
               .replace('id = "a"\ntext = { ja = "選択肢A", en = "Choice A" }',
                        'id = "a"\ntext = { ja = "選択肢A", en = "Choice A" }\ncorrect = true'))
    import_courses(root)
    assert status(app).output.strip() == "0 unit(s) out of step"

    write_quiz(folder, toml=quiz_toml().replace('en = "Pick one"', 'en = "Pick exactly one"'))
    import_courses(root)
    out = status(app).output
    assert "test-course/basics/quiz.toml: question:basics/pick-one (pick-one): the English changed" in out


def test_every_import_that_changes_a_course_keeps_a_version(app, root):
    folder = write_course(root)
    first = import_courses(root)
    assert first.versions["test-course"].number == 1
    again = import_courses(root)
    assert again.versions == {}
    (folder / "advanced/01-deep-dive.ja.md").write_text(lesson_text("深掘り", "改訂。"), encoding="utf-8")
    import_courses(root)
    rows = db.session.scalars(select(CourseVersion).order_by(CourseVersion.number)).all()
    assert [(v.number, v.source, v.user_id) for v in rows] == [(1, "cli", None), (2, "cli", None)]
    assert rows[1].summary["changes"]["kinds"]["lessons"]["changed"] == ["deep-dive"]
    history = app.test_cli_runner().invoke(args=["lms", "content-history", "test-course"])
    lines = history.output.strip().splitlines()
    assert lines[0].split()[0] == "2" and "cli" in lines[0] and "lessons: 1 changed" in lines[0]
    assert lines[1].split()[0] == "1" and "first version" in lines[1]
    assert app.test_cli_runner().invoke(args=["lms", "content-history", "nope"]).exit_code != 0


def test_readers_of_the_older_language_see_a_notice_with_the_other_language(app, root, client, make_user, enrol,
                                                                            monkeypatch):
    folder = write_course(root)
    import_courses(root)
    monkeypatch.setattr("lms.services.content_ops.utcnow", lambda: MOMENT)
    (folder / "basics/01-intro.en.md").write_text(lesson_text("Introduction", "New English."), encoding="utf-8")
    import_courses(root)
    course = db.session.scalar(select(Course))
    japanese, english = make_user(locale="ja"), make_user(locale="en")
    for user in (japanese, english):
        enrol(user, course)

    client.login(japanese)
    page = client.get("/courses/test-course/lessons/intro").get_data(as_text=True)
    assert "このレッスンの英語版は" in page and "2026年12月5日" in page
    assert 'name="lang" value="en"' in page and "英語版を読む" in page
    other = client.get("/courses/test-course/lessons/details").get_data(as_text=True)
    assert "このレッスンの英語版は" not in other
    client.logout()

    client.login(english)
    page = client.get("/courses/test-course/lessons/intro").get_data(as_text=True)
    assert "version of this lesson was updated" not in page
