"""The loader reports every problem as path:line: message and accepts valid content."""

from __future__ import annotations

from pathlib import Path

import pytest

from lms.content import ContentError, load_courses

from .helpers import COURSE_TOML, write_course


def problems_of(root) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_courses(root)
    return [str(p).replace(str(root) + "/", "") for p in caught.value.problems]


def test_valid_course_loads_in_order(tmp_path):
    write_course(tmp_path)
    [course] = load_courses(tmp_path)
    assert course.slug == "test-course"
    assert course.title == {"ja": "テストコース", "en": "Test course"}
    assert [m.slug for m in course.modules] == ["basics", "advanced"]
    assert [l.slug for l in course.modules[0].lessons] == ["intro", "details"]
    assert course.modules[0].lessons[0].title == {"ja": "はじめに", "en": "Introduction"}
    assert course.modules[0].lessons[0].minutes == 5


def test_single_course_folder_can_be_loaded(tmp_path):
    folder = write_course(tmp_path)
    assert [c.slug for c in load_courses(folder)] == ["test-course"]


def test_malformed_toml_reports_its_line(tmp_path):
    write_course(tmp_path, toml=COURSE_TOML.replace('enrolment = "open"', 'enrolment = open'))
    [problem] = problems_of(tmp_path)
    assert problem.startswith("test-course/course.toml:2: invalid TOML")


def test_unclosed_toml_points_at_the_last_line(tmp_path):
    write_course(tmp_path, toml=COURSE_TOML.replace('ja = "説明です。"', 'ja = """説明です。'))
    [problem] = problems_of(tmp_path)
    assert problem == f"test-course/course.toml:{len(COURSE_TOML.splitlines())}: invalid TOML: Unterminated string"


def test_values_longer_than_the_database_allows(tmp_path):
    folder = write_course(tmp_path, toml=COURSE_TOML.replace('en = "Test course"', f'en = "{"x" * 201}"'))
    (folder / "basics/01-intro.en.md").write_text(f'+++\ntitle = "{"y" * 201}"\nminutes = 100000\n+++\n\nText\n')
    found = problems_of(tmp_path)
    assert "test-course/course.toml:6: 'title.en' is longer than 200 characters" in found
    assert "test-course/basics/01-intro.en.md:2: 'title' is longer than 200 characters" in found
    assert "test-course/basics/01-intro.en.md:3: 'minutes' must be a whole number from 0 to 600" in found


def test_unknown_key_reports_its_line(tmp_path):
    write_course(tmp_path, toml=COURSE_TOML.replace('enrolment = "open"\n', 'enrolment = "open"\nauthor = "x"\n'))
    assert problems_of(tmp_path) == [
        "test-course/course.toml:3: unknown key 'author' (allowed: certificate, completion, cover, cover_image, description, enrolment, modules, position, program, title)"
    ]


def test_unknown_key_inside_a_module(tmp_path):
    toml = COURSE_TOML.replace('lessons = ["deep-dive"]', 'lessons = ["deep-dive"]\nlesons = []')
    write_course(tmp_path, toml=toml)
    [problem] = problems_of(tmp_path)
    assert problem.startswith("test-course/course.toml:21: unknown key 'lesons' in module")


def test_missing_translation_in_course_toml(tmp_path):
    write_course(tmp_path, toml=COURSE_TOML.replace('en = "Test course"\n', ""))
    assert problems_of(tmp_path) == [
        "test-course/course.toml:4: missing English translation of 'title' (title.en)"
    ]


def test_missing_translation_in_inline_module_title(tmp_path):
    write_course(tmp_path, toml=COURSE_TOML.replace('title = { ja = "応用", en = "Advanced" }', 'title = { ja = "応用" }'))
    assert problems_of(tmp_path) == [
        "test-course/course.toml:19: missing English translation of 'modules[1].title' (modules[1].title.en)"
    ]


def test_missing_lesson_translation_file(tmp_path):
    folder = write_course(tmp_path)
    (folder / "basics/02-details.ja.md").unlink()
    assert problems_of(tmp_path) == [
        "test-course/basics/02-details.en.md:1: missing Japanese translation: expected 02-details.ja.md"
    ]


def test_duplicate_module_slug(tmp_path):
    toml = COURSE_TOML + '\n[[modules]]\nslug = "basics"\ntitle = { ja = "重複", en = "Dup" }\nlessons = ["intro"]\n'
    write_course(tmp_path, toml=toml)
    assert "test-course/course.toml:23: duplicate module slug 'basics'" in problems_of(tmp_path)


def test_duplicate_lesson_slug_across_modules(tmp_path):
    toml = COURSE_TOML.replace('lessons = ["deep-dive"]', 'lessons = ["deep-dive", "intro"]')
    write_course(tmp_path, toml=toml)
    found = problems_of(tmp_path)
    assert "test-course/course.toml:20: duplicate lesson slug 'intro' (already named by module 'basics')" in found


def test_duplicate_lesson_slug_in_one_folder(tmp_path):
    folder = write_course(tmp_path)
    (folder / "basics/03-intro.en.md").write_text((folder / "basics/01-intro.en.md").read_text())
    found = problems_of(tmp_path)
    assert any(p.startswith("test-course/basics/03-intro.en.md:1: duplicate lesson slug 'intro'") for p in found)


def test_module_names_a_missing_lesson(tmp_path):
    write_course(tmp_path, toml=COURSE_TOML.replace('["intro", "details"]', '["intro", "details", "ghost"]'))
    assert problems_of(tmp_path) == [
        "test-course/course.toml:15: module 'basics' names lesson 'ghost', "
        "but basics/ has no file NN-ghost.ja.md or NN-ghost.en.md"
    ]


def test_lesson_file_no_module_names(tmp_path):
    folder = write_course(tmp_path)
    for lang in ("ja", "en"):
        (folder / f"advanced/02-orphan.{lang}.md").write_text('+++\ntitle = "x"\n+++\n\nbody\n')
    assert problems_of(tmp_path) == [
        "test-course/advanced/02-orphan.en.md:1: lesson 'orphan' is not named by module 'advanced' in course.toml",
        "test-course/advanced/02-orphan.ja.md:1: lesson 'orphan' is not named by module 'advanced' in course.toml",
    ]


def test_module_without_folder_and_stray_folder(tmp_path):
    folder = write_course(tmp_path)
    (folder / "advanced").rename(folder / "advnced")
    found = problems_of(tmp_path)
    assert "test-course/course.toml:18: module 'advanced' has no folder advanced/" in found
    assert "test-course/advnced:1: folder 'advnced' is not a module named in course.toml" in found


def test_front_matter_problems_report_lines(tmp_path):
    folder = write_course(tmp_path)
    (folder / "basics/01-intro.en.md").write_text('+++\nminutes = 5\ncolour = "red"\n+++\n\nText\n')
    (folder / "basics/02-details.en.md").write_text('+++\ntitle = "Details\n+++\n\nText\n')
    (folder / "advanced/01-deep-dive.ja.md").write_text('Just text, no front matter\n')
    found = problems_of(tmp_path)
    assert "test-course/basics/01-intro.en.md:3: unknown key 'colour' in front matter (allowed: minutes, title)" in found
    assert "test-course/basics/01-intro.en.md:2: front matter needs a non-empty 'title'" in found
    assert any(p.startswith("test-course/basics/02-details.en.md:2: invalid TOML") for p in found)
    assert ("test-course/advanced/01-deep-dive.ja.md:1: the file must start with front matter between '+++' lines"
            in found)


def test_empty_lesson_body(tmp_path):
    folder = write_course(tmp_path)
    (folder / "basics/01-intro.en.md").write_text('+++\ntitle = "Intro"\n+++\n\n')
    assert problems_of(tmp_path) == ["test-course/basics/01-intro.en.md:3: the lesson has no text after the front matter"]


def test_bad_program_and_file_names(tmp_path):
    folder = write_course(tmp_path, toml=COURSE_TOML.replace('"regulatory"', '"marketing"'))
    (folder / "basics/intro-notes.md").write_text("x")
    (folder / "basics/01-intro.fr.md").write_text('+++\ntitle = "x"\n+++\n\nx\n')
    found = problems_of(tmp_path)
    assert "test-course/course.toml:1: program must be one of entrepreneur, regulatory; found 'marketing'" in found
    assert ("test-course/basics/intro-notes.md:1: unexpected file: lesson files are named NN-slug.ja.md and NN-slug.en.md, the quiz quiz.toml, assignments assignment-slug.toml"
            in found)
    assert "test-course/basics/01-intro.fr.md:1: unknown language 'fr' (allowed: ja, en)" in found


def test_every_problem_is_reported_at_once(tmp_path):
    folder = write_course(tmp_path, toml=COURSE_TOML.replace('enrolment = "open"', 'enrolment = "closed"'))
    (folder / "basics/02-details.ja.md").unlink()
    write_course(tmp_path, slug="second", toml=COURSE_TOML.replace('"regulatory"', '"other"'))
    assert len(problems_of(tmp_path)) == 3


def test_course_folder_without_course_toml(tmp_path):
    write_course(tmp_path)
    (tmp_path / "draft").mkdir()
    assert problems_of(tmp_path) == ["draft/course.toml:1: missing: every course folder needs a course.toml"]


# --- [completion] and [certificate]

CERTIFICATE_TABLE = '''
[certificate]
issuer = { ja = "KISTEC", en = "KISTEC" }
signer = { ja = "事務局", en = "Office" }
description = { ja = "修了を証します。", en = "Certifies completion." }
'''


def with_tables(text: str) -> str:
    head, modules = COURSE_TOML.split("\n[[modules]]", 1)
    return head + text + "\n[[modules]]" + modules


def test_completion_defaults_to_everything_and_admin_issuing(tmp_path):
    write_course(tmp_path, toml=with_tables(CERTIFICATE_TABLE))
    [course] = load_courses(tmp_path)
    assert course.completion == {"lessons": ["intro", "details", "deep-dive"], "quizzes": [], "assignments": [],
                                 "min_quiz_score": None, "issue": "admin", "valid_months": None}
    assert course.certificate["issuer"] == {"ja": "KISTEC", "en": "KISTEC"}
    assert course.certificate["signer_title"] == {} and course.certificate["issuer_url"] == ""


def test_a_course_without_certificate_table_issues_none(tmp_path):
    write_course(tmp_path)
    [course] = load_courses(tmp_path)
    assert course.certificate == {}


def test_completion_problems_are_reported_with_lines(tmp_path):
    completion = '''
[completion]
lessons = ["intro", "nope"]
quizzes = "some"
min_quiz_score = 120
issue = "sometimes"
valid_months = 0
colour = "blue"
'''
    write_course(tmp_path, toml=with_tables(completion + CERTIFICATE_TABLE.replace(
        'issuer = { ja = "KISTEC", en = "KISTEC" }', 'issuer = { ja = "KISTEC" }\nissuer_url = "ftp://x"')))
    problems = problems_of(tmp_path)
    expected = [
        "unknown key 'colour' in [completion]",
        "completion.lessons: no lesson 'nope' in this course",
        "'completion.quizzes' must be \"all\", \"none\" or a list of slugs",
        "'completion.min_quiz_score' must be a number from 0 to 100",
        "'completion.issue' must be one of automatic, admin; found 'sometimes'",
        "'completion.valid_months' must be a whole number from 1 to 600",
        "missing English translation of 'certificate.issuer'",
        "'certificate.issuer_url' must be an http(s) URL",
    ]
    for fragment in expected:
        assert any(fragment in problem for problem in problems), (fragment, problems)
    assert all(problem.startswith("test-course/course.toml:") for problem in problems)


def test_completion_needs_a_certificate_table(tmp_path):
    write_course(tmp_path, toml=with_tables('\n[completion]\nissue = "automatic"\n'))
    assert any("[completion] needs a [certificate] table" in p for p in problems_of(tmp_path))


def test_shipped_courses_issue_certificates():
    courses = {c.slug: c for c in load_courses(Path(__file__).resolve().parents[2] / "courses")}
    assert courses["global-entrepreneur"].completion["issue"] == "automatic"
    assert courses["regulatory-science"].completion["issue"] == "admin"
    assert all(len(c.completion["quizzes"]) >= 5 and c.completion["assignments"] for c in courses.values())


def test_cover_is_a_named_colour_or_nothing(tmp_path):
    write_course(tmp_path / "plain")
    [course] = load_courses(tmp_path / "plain")
    assert course.cover == ""
    write_course(tmp_path / "teal", toml=COURSE_TOML.replace('enrolment = "open"\n', 'enrolment = "open"\ncover = "teal"\n'))
    [course] = load_courses(tmp_path / "teal")
    assert course.cover == "teal"


@pytest.mark.parametrize("value", ['"pink"', '"#ff0000"', '"Teal"', "3"])
def test_cover_outside_the_palette_is_refused_with_the_choices(tmp_path, value):
    write_course(tmp_path, toml=COURSE_TOML.replace('enrolment = "open"\n', f'enrolment = "open"\ncover = {value}\n'))
    [problem] = problems_of(tmp_path)
    assert problem.startswith("test-course/course.toml:3: cover must be one of blue, green, teal, purple, orange, red, gray;")


PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c"
                    "6360f8cf00000301010018dd8db40000000049454e44ae426082")


def with_cover_image(tmp_path, name: str, data: bytes | None, listed: str | None = None):
    listed = name if listed is None else listed
    folder = write_course(tmp_path, toml=COURSE_TOML.replace('enrolment = "open"\n',
                                                             f'enrolment = "open"\ncover_image = "{listed}"\n'))
    if data is not None:
        (folder / name).write_bytes(data)
    return folder


def test_cover_image_beside_course_toml_is_read_with_its_type(tmp_path):
    with_cover_image(tmp_path, "cover.png", PNG)
    [course] = load_courses(tmp_path)
    assert course.cover_image == PNG and course.cover_image_type == "image/png"


@pytest.mark.parametrize("name, data, listed, message", [
    ("cover.png", None, None, "cover_image: no file 'cover.png' beside course.toml"),
    ("cover.png", b"<html>not an image</html>", None, "cover_image: 'cover.png' is not a PNG image"),
    ("cover.jpg", PNG, None, "cover_image: 'cover.jpg' is not a JPEG image"),
    ("cover.png", PNG + b"0" * 600 * 1024, None, "cover_image: 'cover.png' is larger than 512 KB"),
    ("cover.svg", b"<svg/>", None, "cover_image must name a .png, .jpg or .webp file beside course.toml"),
    ("cover.png", PNG, "../cover.png", "cover_image must name a .png, .jpg or .webp file beside course.toml"),
])
def test_cover_image_problems_are_reported_at_their_line(tmp_path, name, data, listed, message):
    with_cover_image(tmp_path, name, data, listed)
    found = problems_of(tmp_path)
    assert any(p.startswith(f"test-course/course.toml:3: {message}") for p in found), found


def test_a_file_in_the_course_folder_that_no_cover_image_names_is_still_refused(tmp_path):
    folder = write_course(tmp_path)
    (folder / "cover.png").write_bytes(PNG)
    assert problems_of(tmp_path) == ["test-course/cover.png:1: unexpected file 'cover.png' in the course folder"]
