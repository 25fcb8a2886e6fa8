"""Course import: symbolic links and anything resolving outside the tree are refused, and files and trees above
their size limits are refused with a path:line problem before anything is parsed; Markdown rendering stays linear
in the worst inputs (bracket scans are bounded)."""

from __future__ import annotations

import os

import pytest

from lms.content import ContentError, load_courses
from lms.content.base import ContentLimits
from lms.content.loader import check_tree

from ..content.helpers import lesson_text, write_course


def problems_of(root, limits=None) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_courses(root, limits)
    return [str(p) for p in caught.value.problems]


@pytest.fixture
def never_parsed(monkeypatch):
    """Parsing anything fails the test: refusals must come before it."""
    def refuse(*args, **kwargs):
        raise AssertionError("parsed")

    monkeypatch.setattr("lms.content.base.Located", refuse)
    monkeypatch.setattr("lms.content.loader.Located", refuse)


# --- 9. symbolic links ------------------------------------------------------------------------------------------------


def test_a_symlinked_lesson_file_is_refused(tmp_path, never_parsed):
    folder = write_course(tmp_path / "courses")
    secret = tmp_path / "secret.txt"
    secret.write_text("+++\ntitle = \"x\"\n+++\nroot:x:0:0\n")
    lesson = folder / "basics" / "01-intro.en.md"
    lesson.unlink()
    lesson.symlink_to(secret)
    assert problems_of(tmp_path / "courses") == [
        f"{tmp_path / 'courses'}/test-course/basics/01-intro.en.md:1: symbolic link: refused; course files must be "
        "real files and folders inside the course tree"]


def test_a_symlinked_folder_and_a_link_inside_the_tree_are_refused(tmp_path, never_parsed):
    folder = write_course(tmp_path / "courses")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (folder / "advanced").rename(outside / "advanced")
    (folder / "advanced").symlink_to(outside / "advanced", target_is_directory=True)
    (folder / "basics" / "03-extra.en.md").symlink_to(folder / "basics" / "01-intro.en.md")  # inside, still a link
    found = problems_of(tmp_path / "courses")
    assert len(found) == 2 and all("symbolic link: refused" in p and ":1:" in p for p in found)
    assert any("/advanced:1:" in p for p in found) and any("03-extra.en.md:1:" in p for p in found)


def test_a_symlinked_course_folder_is_refused(tmp_path, never_parsed):
    write_course(tmp_path / "real")
    (tmp_path / "courses").mkdir()
    (tmp_path / "courses" / "test-course").symlink_to(tmp_path / "real" / "test-course")
    assert ["symbolic link" in p for p in problems_of(tmp_path / "courses")] == [True]


def test_a_fifo_is_refused_not_read(tmp_path, never_parsed):
    folder = write_course(tmp_path / "courses")
    os.mkfifo(folder / "basics" / "04-pipe.en.md")
    assert any("not a regular file" in p for p in problems_of(tmp_path / "courses"))


# --- 3. sizes ----------------------------------------------------------------------------------------------------------


def test_an_oversized_lesson_is_refused_before_parsing(tmp_path, never_parsed):
    folder = write_course(tmp_path / "courses")
    lesson = folder / "basics" / "01-intro.en.md"
    lesson.write_text(lesson_text("Intro", "x" * 2000))
    assert problems_of(tmp_path / "courses", ContentLimits(lesson_bytes=1000)) == [
        f"{lesson}:1: too large: {lesson.stat().st_size} bytes (at most 1000 bytes for a lesson file)"]


def test_an_oversized_toml_file_and_tree_are_refused(tmp_path, never_parsed):
    folder = write_course(tmp_path / "courses")
    (folder / "course.toml").write_text((folder / "course.toml").read_text() + "# padding\n" * 30_000)
    found = problems_of(tmp_path / "courses")
    assert found == [f"{folder}/course.toml:1: too large: 300 KB (at most 256 KB for a TOML file)"] or \
        (len(found) == 1 and "course.toml:1: too large" in found[0])
    found = problems_of(tmp_path / "courses", ContentLimits(toml_bytes=10 ** 6, tree_bytes=100_000))
    assert len(found) == 1 and found[0].startswith(f"{tmp_path / 'courses'}:1: too large: the course files add up")


def test_a_lesson_at_the_limit_loads(tmp_path):
    """Bench note: a 1 MB lesson loads (no Markdown) in well under a second; the front matter scan and the
    line-number scanner are linear. Rendering it is linear too (see below): about 10 s for 1 MB of dense Markdown
    on the 2-CPU VM, most of it bleach."""
    folder = write_course(tmp_path / "courses")
    paragraph = "Regulatory **science** with [a link](https://example.org) and `code`.\n\n"
    header = lesson_text("Intro", "")
    body = paragraph * ((1024 * 1024 - len(header.encode()) - 10) // len(paragraph))
    (folder / "basics" / "01-intro.en.md").write_text(lesson_text("Intro", body))
    assert (folder / "basics" / "01-intro.en.md").stat().st_size <= 1024 * 1024
    [course] = load_courses(tmp_path / "courses")
    assert len(course.modules[0].lessons[0].body["en"]) > 1_000_000


def test_the_shipped_courses_pass_the_checks():
    from tests.conftest import REPO

    assert check_tree(REPO / "courses", ContentLimits()) == []


def test_the_limits_are_settings(app, monkeypatch):
    from lms.config import env_overrides
    from lms.content.importer import content_limits

    monkeypatch.setenv("LMS_COURSE_MAX_LESSON_KB", "10")
    monkeypatch.setenv("LMS_COURSE_MAX_TOML_KB", "5")
    monkeypatch.setenv("LMS_COURSE_MAX_TREE_MB", "1")
    app.config.update(env_overrides())
    assert content_limits() == ContentLimits(lesson_bytes=10 * 1024, toml_bytes=5 * 1024, tree_bytes=1024 * 1024)


# --- 3. the super-linear Markdown scans ------------------------------------------------------------------------------


def scanned_characters(text: str) -> int:
    """Characters the link processors look at while rendering ``text`` (the bounded scans, counted)."""
    import markdown

    from lms import sanitize

    md = sanitize._markdown()
    counted = 0
    for processor in md.inlinePatterns:
        if isinstance(processor, markdown.inlinepatterns.LinkInlineProcessor):
            get_text = processor.getText

            def counting(data, index, get_text=get_text):
                nonlocal counted
                text, end, handled = get_text(data, index)
                counted += end - index
                return text, end, handled

            processor.getText = counting
    md.convert(text)
    return counted


@pytest.mark.parametrize("make", [lambda n: "[" * n, lambda n: "[" * (n // 2) + "]" * (n // 2),
                                  lambda n: ("[" + "a" * 30) * (n // 31)])
def test_bracket_scans_grow_linearly(make):
    small, large = scanned_characters(make(8000)), scanned_characters(make(32000))
    assert large <= 5 * small  # quadratic would be 16 times


def test_links_within_the_bounds_still_work():
    from lms.sanitize import render_markdown

    html = render_markdown("[a [b] c](https://x.org) and [x][y]\n\n[y]: https://y.org")
    assert '<a href="https://x.org" rel="noopener noreferrer">a [b] c</a>' in html
    assert '<a href="https://y.org" rel="noopener noreferrer">x</a>' in html
