"""Rubric gates (a criterion's ``min_level``) and the calibration exemplar in assignment-<slug>.toml."""

from __future__ import annotations

import pytest

from lms.content import load_courses

from .helpers import assignment_toml, write_assignment, write_course
from .test_assignment_loader import line_of, problems

EVIDENCE = 'title = { ja = "根拠", en = "Evidence" }'
FILE = "test-course/basics/assignment-plan.toml"


def gated(min_level: str) -> str:
    return assignment_toml().replace(EVIDENCE, f"{EVIDENCE}\nmin_level = {min_level}")


def test_a_gate_loads_with_its_level(tmp_path):
    folder = write_course(tmp_path)
    write_assignment(folder, toml=gated("1"))
    [course] = load_courses(tmp_path)
    [spec] = course.modules[0].assignments
    assert [(c["id"], c["min_level"]) for c in spec.criteria] == [("evidence", 1), ("clarity", None)]


@pytest.mark.parametrize(("value", "message"), [
    ("3", "criterion 'evidence': 'min_level' is 3, which is not one of its levels' points (0, 1, 2)"),
    ("0", "criterion 'evidence': 'min_level' 0 is its lowest level, so it gates nothing; "
          "name a higher level or leave 'min_level' out"),
    ('"1"', "criterion 'evidence': 'min_level' must be the points of one of its levels"),
    ("true", "criterion 'evidence': 'min_level' must be the points of one of its levels"),
])
def test_a_wrong_min_level_is_reported_at_its_line(tmp_path, value, message):
    toml = gated(value)
    assert problems(tmp_path, toml) == [f"{FILE}:{line_of(toml, 'min_level')}: {message}"]


def test_the_exemplar_loads_in_rubric_order(tmp_path):
    folder = write_course(tmp_path)
    toml = assignment_toml()
    first = toml.index("[[exemplar.scores]]")
    second = toml.index("[[exemplar.scores]]", first + 1)
    # The scores may be written in any order; they are kept in the rubric's.
    write_assignment(folder, toml=toml[:first] + toml[second:] + "\n" + toml[first:second])
    [course] = load_courses(tmp_path)
    exemplar = course.modules[0].assignments[0].exemplar
    assert [(s["criterion"], s["points"]) for s in exemplar["scores"]] == [("evidence", 2), ("clarity", 2)]
    assert exemplar["answer"]["en"].startswith("### Problem") and exemplar["note"]["ja"] == "校正のための注記。"


def test_an_assignment_without_an_exemplar_is_fine(tmp_path):
    folder = write_course(tmp_path)
    toml = assignment_toml()
    write_assignment(folder, toml=toml[:toml.index("[exemplar]")])
    [course] = load_courses(tmp_path)
    assert course.modules[0].assignments[0].exemplar is None


def test_exemplar_scores_must_name_real_criteria_and_levels(tmp_path):
    toml = (assignment_toml().replace('criterion = "evidence"\npoints = 2', 'criterion = "evidense"\npoints = 2')
            .replace('criterion = "clarity"\npoints = 2', 'criterion = "clarity"\npoints = 1'))
    clarity_points = line_of(toml, 'criterion = "clarity"') + 1
    assert problems(tmp_path, toml) == [
        f"{FILE}:{line_of(toml, 'evidense')}: exemplar score 1: 'criterion' must name a criterion of the rubric "
        "(evidence, clarity)",
        f"{FILE}:{clarity_points}: exemplar: the score of 'clarity' must be the points of one of its levels (0, 2)",
    ]


def test_every_criterion_is_scored_once(tmp_path):
    toml = assignment_toml().replace('criterion = "clarity"', 'criterion = "evidence"')
    [problem] = problems(tmp_path, toml)
    assert problem.endswith("exemplar: criterion 'evidence' is scored twice")
    toml = assignment_toml()
    toml = toml[:toml.rindex("[[exemplar.scores]]")]
    assert problems(tmp_path.joinpath("b"), toml) == [
        f"{FILE}:{line_of(toml, '[exemplar]')}: the exemplar leaves criteria unscored: clarity"]


def test_an_exemplar_that_could_not_be_approved_is_refused(tmp_path):
    below_gate = gated("2").replace('criterion = "evidence"\npoints = 2', 'criterion = "evidence"\npoints = 1')
    assert problems(tmp_path, below_gate) == [
        f"{FILE}:{line_of(below_gate, '[exemplar]')}: the exemplar's scores could not be approved: "
        "below 'min_level' in evidence"]
    below_pass = (assignment_toml().replace('criterion = "evidence"\npoints = 2', 'criterion = "evidence"\npoints = 0'))
    assert problems(tmp_path.joinpath("b"), below_pass) == [
        f"{FILE}:{line_of(below_pass, '[exemplar]')}: the exemplar's total is 2, below 'rubric.pass_points' (3): "
        "it could not be approved"]


def test_the_exemplar_needs_an_answer_in_both_languages(tmp_path):
    toml = assignment_toml().replace('answer = { ja = "### 課題\\n\\n模範解答の本文。", ', 'answer = { ')
    [problem] = problems(tmp_path, toml)
    assert problem == (f"{FILE}:{line_of(toml, 'answer = ')}: missing Japanese translation of 'exemplar.answer' "
                       "(exemplar.answer.ja)")
