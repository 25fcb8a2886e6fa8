"""The admin content pages: list, download, upload (refused or previewed), publish, history, compare, publish
again, translations marked as checked."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import AuditEvent, CourseVersion, Course, Lesson, LessonCompletion, Question, Quiz, Role
from lms.services import quizzes
from tests.content.helpers import import_courses, lesson_text, quiz_toml, write_course, write_quiz


@pytest.fixture
def world(app, tmp_path, make_user, enrol):
    root = tmp_path / "courses"
    folder = write_course(root)
    write_quiz(folder)
    import_courses(root)
    course = db.session.scalar(select(Course))
    admin = make_user(Role.ADMIN)
    trainees = [make_user() for _ in range(3)]
    quiz = db.session.scalar(select(Quiz))
    pick = db.session.scalar(select(Question).where(Question.key == "pick-one"))
    for user in trainees:
        enrol(user, course)
        attempt = quizzes.start_attempt(user, quiz)
        quizzes.save_answers(attempt, {pick.id: "b"})
        quizzes.submit(attempt)
    intro = db.session.scalar(select(Lesson).where(Lesson.slug == "intro"))
    db.session.add(LessonCompletion(user_id=trainees[0].id, lesson_id=intro.id, course_id=course.id))
    db.session.commit()
    return type("World", (), {"root": root, "folder": folder, "course": course, "admin": admin,
                              "trainees": trainees})


def package(files: dict[str, str | bytes], links: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def download(client) -> dict[str, bytes]:
    response = client.get("/admin/content/test-course/package.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def upload(client, data: bytes, target="test-course", name="test-course.zip"):
    return client.post_form("/admin/content/upload", {"package": (io.BytesIO(data), name), "target": target},
                            content_type="multipart/form-data")


def edited(files: dict[str, bytes]) -> dict[str, bytes]:
    """Fix a typo in a Japanese lesson and change an answer key (choice a is now the correct one)."""
    files = dict(files)
    files["test-course/basics/01-intro.ja.md"] = lesson_text("はじめに", "誤字を直した日本語。").encode()
    quiz = files["test-course/basics/quiz.toml"].decode()
    quiz = quiz.replace('id = "b"\ntext = { ja = "選択肢B", en = "Choice B" }\ncorrect = true',
                        'id = "b"\ntext = { ja = "選択肢B", en = "Choice B" }')
    quiz = quiz.replace('id = "a"\ntext = { ja = "選択肢A", en = "Choice A" }',
                        'id = "a"\ntext = { ja = "選択肢A", en = "Choice A" }\ncorrect = true')
    files["test-course/basics/quiz.toml"] = quiz.encode()
    return files


def zipped(files: dict[str, bytes]) -> bytes:
    return package(files)


def versions() -> list[tuple[int, str]]:
    return [(v.number, v.source) for v in db.session.scalars(select(CourseVersion).order_by(CourseVersion.number))]


def test_only_admins_see_the_content_pages(world, client, make_user):
    client.login(make_user(Role.MENTOR))
    assert client.get("/admin/content/").status_code == 403
    client.logout()
    client.login(world.admin)
    page = client.get("/admin/content/").get_data(as_text=True)
    assert "test-course" in page and "Version 1" in page and "Command line" in page
    assert "Every unit’s two languages are in step." in page


def test_download_is_the_course_folder(world, client):
    client.login(world.admin)
    files = download(client)
    assert "test-course/course.toml" in files and "test-course/basics/01-intro.ja.md" in files
    assert files["test-course/basics/quiz.toml"] == (world.folder / "basics/quiz.toml").read_bytes()


def test_an_invalid_package_lists_every_problem_and_changes_nothing(world, client):
    client.login(world.admin)
    files = download(client)
    files["test-course/course.toml"] = files["test-course/course.toml"].replace(b"[title]", b"[titel]")
    files["test-course/basics/02-details.en.md"] = b"no front matter"
    response = upload(client, zipped(files))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "2 problems" in page or "problems" in page
    assert "test-course/course.toml:4" in page and "test-course/basics/02-details.en.md:1" in page
    assert versions() == [(1, "cli")]


@pytest.mark.parametrize("files, links, message", [
    ({"test-course/../evil.md": "x"}, (), "path leaves the course folder"),
    ({"/test-course/course.toml": "x"}, (), "absolute or malformed path"),
    ({"test-course/course.toml": "x"}, ("test-course/basics/link.md",), "symbolic link"),
    ({"test-course/course.toml": "x", "test-course/run.exe": "MZ"}, (), "file type not part of the course format"),
    ({"one/course.toml": "x", "two/course.toml": "x"}, (), "exactly one course folder"),
])
def test_unsafe_packages_are_refused(world, client, files, links, message):
    client.login(world.admin)
    response = upload(client, package(files, links))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert versions() == [(1, "cli")]


def test_size_file_count_slug_and_not_a_zip_are_refused(world, client, app):
    client.login(world.admin)
    assert "not a zip file" in upload(client, b"plain text").get_data(as_text=True)
    app.config["CONTENT_PACKAGE_MAX_FILES"] = 3
    assert "too many files" in upload(client, zipped(download(client))).get_data(as_text=True)
    app.config["CONTENT_PACKAGE_MAX_FILES"] = 500
    app.config["CONTENT_PACKAGE_MAX_MB"] = 0
    assert "too large" in upload(client, zipped(download(client))).get_data(as_text=True)
    app.config["CONTENT_PACKAGE_MAX_MB"] = 10
    renamed = {name.replace("test-course/", "other-course/", 1): data for name, data in download(client).items()}
    response = upload(client, zipped(renamed))
    assert response.status_code == 422 and "must keep the slug" in response.get_data(as_text=True)
    assert versions() == [(1, "cli")]


def test_preview_then_publish_keeps_progress_and_is_audited(world, client):
    client.login(world.admin)
    response = upload(client, zipped(edited(download(client))))
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "Nothing is published yet" in page
    assert "intro" in page and "basics/pick-one" in page
    assert "which 3 trainees answered" in page
    assert "Out of step after publishing: Introduction" in page  # only the Japanese changed
    assert db.session.scalar(select(Lesson.body_html_ja).where(Lesson.slug == "intro")) == "<p>日本語の本文。</p>"

    token = preview_url.rsplit("/", 1)[1]
    for lang, text in (("ja", "誤字を直した日本語。"), ("en", "Some <strong>text</strong>.")):
        item = client.get(f"/admin/content/staged/{token}/lesson/intro?lang={lang}").get_data(as_text=True)
        assert text in item and f'lang="{lang}"' in item
    quiz_page = client.get(f"/admin/content/staged/{token}/quiz/basics?lang=en").get_data(as_text=True)
    assert "Choice A" in quiz_page and "Pick one" in quiz_page
    assert client.get(f"/admin/content/staged/{token}/lesson/nope").status_code == 404

    published = client.post_form(f"{preview_url}/publish", {"base": "1"})
    assert published.status_code == 302 and published.headers["Location"].endswith("/admin/content/test-course/history")
    assert versions() == [(1, "cli"), (2, "upload")]
    version = db.session.scalar(select(CourseVersion).where(CourseVersion.number == 2))
    assert version.user_id == world.admin.id
    assert version.summary["changes"]["answer_keys"] == ["basics/pick-one"]
    assert db.session.scalar(select(Lesson.body_html_ja).where(Lesson.slug == "intro")) == "<p>誤字を直した日本語。</p>"
    assert db.session.scalar(select(func.count(LessonCompletion.id))) == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "content.publish"))
    assert event.actor_id == world.admin.id and event.details["version"] == 2
    assert client.get(preview_url).status_code == 404  # the staged package is gone
    index = client.get("/admin/content/").get_data(as_text=True)
    assert "Version 2" in index and "test-course/basics/01-intro.en.md" in index


def test_the_second_of_two_admins_publishing_sees_the_version_moved_on(world, client):
    client.login(world.admin)
    first = upload(client, zipped(edited(download(client)))).headers["Location"]
    files = download(client)
    files["test-course/advanced/01-deep-dive.en.md"] = lesson_text("Deep dive", "Other edit.").encode()
    second = upload(client, zipped(files)).headers["Location"]
    assert client.post_form(f"{first}/publish", {"base": "1"}).status_code == 302
    refused = client.post_form(f"{second}/publish", {"base": "1"})
    assert refused.status_code == 409
    assert "Version 2 of this course was published since you opened this preview" in refused.get_data(as_text=True)
    assert versions() == [(1, "cli"), (2, "upload")]
    assert client.post_form(f"{second}/publish", {"base": "2"}).status_code == 302
    assert versions() == [(1, "cli"), (2, "upload"), (3, "upload")]


def test_history_compare_and_publishing_an_earlier_version_again(world, client):
    client.login(world.admin)
    preview_url = upload(client, zipped(edited(download(client)))).headers["Location"]
    client.post_form(f"{preview_url}/publish", {"base": "1"})
    history = client.get("/admin/content/test-course/history").get_data(as_text=True)
    assert "Publish version 1 again" in history and "First recorded version" in history
    compare = client.get("/admin/content/test-course/compare?a=1&b=2").get_data(as_text=True)
    assert "test-course/basics/01-intro.ja.md" in compare and "+誤字を直した日本語。" in compare
    assert "basics/pick-one" in compare

    again = client.post_form("/admin/content/test-course/versions/1/republish")
    assert again.status_code == 302
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "Version 1, published again as a new version" in page
    client.post_form(f"{again.headers['Location']}/publish", {"base": "2"})
    assert versions() == [(1, "cli"), (2, "upload"), (3, "rollback")]
    assert db.session.scalar(select(Lesson.body_html_ja).where(Lesson.slug == "intro")) == "<p>日本語の本文。</p>"
    # back as it was: the Japanese is in step with the English again
    assert "Every unit’s two languages are in step." in client.get("/admin/content/").get_data(as_text=True)
    assert client.get("/admin/content/test-course/versions/3/package.zip").status_code == 200


def test_a_new_course_needs_confirmation(world, client):
    client.login(world.admin)
    renamed = {name.replace("test-course/", "new-course/", 1): data for name, data in download(client).items()}
    refused = upload(client, zipped(renamed), target="test-course")
    assert refused.status_code == 422
    preview_url = upload(client, zipped(renamed), target="").headers["Location"]
    assert "a new course" in client.get(preview_url).get_data(as_text=True)
    assert client.post_form(f"{preview_url}/publish", {"base": "0"}).status_code == 422
    assert db.session.scalar(select(func.count(Course.id))) == 1
    assert client.post_form(f"{preview_url}/publish", {"base": "0", "confirm_new": "1"}).status_code == 302
    assert db.session.scalar(select(func.count(Course.id))) == 2


def test_discarding_changes_nothing_and_marking_checked_resolves_drift(world, client):
    client.login(world.admin)
    preview_url = upload(client, zipped(edited(download(client)))).headers["Location"]
    assert client.post_form(f"{preview_url}/discard").status_code == 302
    assert client.get(preview_url).status_code == 404 and versions() == [(1, "cli")]

    (world.folder / "basics/01-intro.en.md").write_text(lesson_text("Introduction", "New."), encoding="utf-8")
    import_courses(world.root)
    from lms.models import TranslationState

    state = db.session.scalar(select(TranslationState).where(TranslationState.stale.is_not(None)))
    assert state.unit == "lesson:intro" and state.stale == "ja"
    assert client.post_form(f"/admin/content/translations/{state.id}/checked").status_code == 302
    db.session.refresh(state)
    assert state.stale is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "content.translation_checked"))
