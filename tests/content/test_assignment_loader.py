"""assignment-<slug>.toml: a valid assignment loads; each mistake is reported as path:line: message."""

from __future__ import annotations

import pytest

from lms.content import ContentError, load_courses

from .helpers import assignment_toml, write_assignment, write_course


def problems(tmp_path, toml) -> list[str]:
    folder = write_course(tmp_path)
    write_assignment(folder, toml=toml)
    with pytest.raises(ContentError) as caught:
        load_courses(tmp_path)
    return [str(p).replace(str(tmp_path) + "/", "") for p in caught.value.problems]


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_a_valid_assignment_loads(tmp_path):
    folder = write_course(tmp_path)
    write_assignment(folder)
    [course] = load_courses(tmp_path)
    [spec] = course.modules[0].assignments
    assert (spec.slug, spec.due_days, spec.attachment_types, spec.max_files, spec.max_mb) == (
        "plan", 14, ["pdf", "png", "docx"], 2, 1)
    assert [s["id"] for s in spec.sections] == ["problem", "solution"]
    assert [c["id"] for c in spec.criteria] == ["evidence", "clarity"]
    assert (spec.pass_points, spec.max_points) == (3, 4)


def test_no_attachments_and_no_due_date_are_fine(tmp_path):
    folder = write_course(tmp_path)
    write_assignment(folder, toml=assignment_toml(""))
    [course] = load_courses(tmp_path)
    spec = course.modules[0].assignments[0]
    assert (spec.due_days, spec.attachment_types) == (None, [])


def test_pass_points_above_the_rubric_maximum(tmp_path):
    toml = assignment_toml().replace("pass_points = 3", "pass_points = 5")
    assert problems(tmp_path, toml) == [
        f"test-course/basics/assignment-plan.toml:{line_of(toml, 'pass_points')}: "
        "'rubric.pass_points' is 5, but the rubric's maximum is 4"]


def test_levels_must_rise(tmp_path):
    toml = assignment_toml().replace("points = 2\ndescriptor = { ja = \"十分な根拠\"", "points = 1\ndescriptor = { ja = \"十分な根拠\"")
    [problem] = problems(tmp_path, toml)
    assert problem.endswith("criterion 'evidence': levels go from the lowest to the highest points, "
                            "each higher than the one before (1 after 1)")
    line = line_of(toml, 'descriptor = { ja = "十分な根拠"') - 1
    assert problem.startswith(f"test-course/basics/assignment-plan.toml:{line}:")


def test_unknown_file_type_and_missing_limits(tmp_path):
    toml = assignment_toml('[attachments]\ntypes = ["pdf", "exe"]')
    found = problems(tmp_path, toml)
    assert any("'attachments.types' must list file types from: pdf, docx, pptx, xlsx, png, jpeg" in p for p in found)
    assert any("'attachments.max_files' is required" in p for p in found)


def test_duplicate_section_id_and_missing_translation(tmp_path):
    toml = assignment_toml().replace('id = "solution"', 'id = "problem"').replace(
        'guidance = { ja = "何をどう解決するか。", en = "What you do about it." }', 'guidance = { en = "What you do." }')
    found = problems(tmp_path, toml)
    second = [n for n, line in enumerate(toml.splitlines(), start=1) if line == 'id = "problem"'][1]
    assert f"test-course/basics/assignment-plan.toml:{second}: section id 'problem' is used twice" in found


def test_missing_translation_of_a_level(tmp_path):
    toml = assignment_toml().replace('descriptor = { ja = "明確", en = "Clear" }', 'descriptor = { ja = "明確" }')
    [problem] = problems(tmp_path, toml)
    line = line_of(toml, 'descriptor = { ja = "明確" }')
    assert problem == (f"test-course/basics/assignment-plan.toml:{line}: "
                       "missing English translation of 'rubric.criteria[1].levels[1].descriptor' "
                       "(rubric.criteria[1].levels[1].descriptor.en)")


def test_a_rubric_is_required(tmp_path):
    toml = assignment_toml().split("[rubric]")[0]
    [problem] = problems(tmp_path, toml)
    assert problem.endswith("the assignment needs a [rubric] table with pass_points and [[rubric.criteria]]")


def test_the_same_slug_in_two_modules(tmp_path):
    folder = write_course(tmp_path)
    write_assignment(folder, module="basics")
    write_assignment(folder, module="advanced")
    with pytest.raises(ContentError) as caught:
        load_courses(tmp_path)
    assert "duplicate assignment slug 'plan'" in str(caught.value)
