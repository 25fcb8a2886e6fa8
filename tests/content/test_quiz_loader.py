"""quiz.toml: a valid quiz loads; each mistake is reported as path:line: message and blocks the import."""

from __future__ import annotations

import pytest

from lms.content import ContentError, load_courses

from .helpers import quiz_toml, write_course, write_quiz


def quiz_problems(tmp_path, settings="", toml=None) -> list[str]:
    folder = write_course(tmp_path)
    write_quiz(folder, settings=settings, toml=toml)
    with pytest.raises(ContentError) as caught:
        load_courses(tmp_path)
    return [str(p).replace(str(tmp_path) + "/", "") for p in caught.value.problems]


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    lines = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    return lines[occurrence - 1]


def test_a_valid_quiz_loads_with_its_settings_and_questions(tmp_path):
    folder = write_course(tmp_path)
    write_quiz(folder, settings='max_attempts = 2\ntime_limit = 15\ndraw = 4\ngrading = "latest"\n'
                                'reveal = "after_last_attempt"\nshuffle_questions = true')
    [course] = load_courses(tmp_path)
    quiz = course.modules[0].quiz
    assert course.modules[1].quiz is None
    assert (quiz.pass_mark, quiz.max_attempts, quiz.time_limit, quiz.draw) == (70, 2, 15, 4)
    assert (quiz.grading, quiz.reveal, quiz.shuffle_questions, quiz.shuffle_choices) == (
        "latest", "after_last_attempt", True, False)
    assert [q.type for q in quiz.questions] == ["single", "multiple", "true_false", "numeric", "text", "ordering"]
    numeric = quiz.questions[3]
    assert numeric.data == {"answer": 42, "tolerance": 2, "relative": False, "unit": {"ja": "日", "en": "days"}}
    assert quiz.questions[1].points == 2 and quiz.questions[1].data["scoring"] == "partial"


def test_relative_tolerance_is_read_from_a_percentage(tmp_path):
    folder = write_course(tmp_path)
    write_quiz(folder, toml=quiz_toml().replace("tolerance = 2", 'tolerance = "5%"'))
    [course] = load_courses(tmp_path)
    assert course.modules[0].quiz.questions[3].data["tolerance"] == 0.05
    assert course.modules[0].quiz.questions[3].data["relative"] is True


def test_question_without_a_correct_answer(tmp_path):
    toml = quiz_toml().replace("correct = true\nfeedback", "feedback", 1)
    found = quiz_problems(tmp_path, toml=toml)
    line = line_of(toml, "[[questions.choices]]")
    assert found == [f"test-course/basics/quiz.toml:{line}: question 'pick-one': a single-choice question "
                     "needs exactly one correct choice; found 0"]


def test_multiple_select_without_a_correct_choice(tmp_path):
    toml = quiz_toml().replace('text = { ja = "甲", en = "Alpha" }\ncorrect = true',
                                                 'text = { ja = "甲", en = "Alpha" }').replace(
        'text = { ja = "乙", en = "Beta" }\ncorrect = true', 'text = { ja = "乙", en = "Beta" }')
    [problem] = quiz_problems(tmp_path, toml=toml)
    assert problem.endswith("question 'pick-many': no choice is marked correct = true")


def test_choice_id_used_twice(tmp_path):
    toml = quiz_toml().replace('id = "b"\ntext = { ja = "選択肢B"', 'id = "a"\ntext = { ja = "選択肢B"')
    found = quiz_problems(tmp_path, toml=toml)
    line = line_of(toml, 'text = { ja = "選択肢B"') - 1
    assert f"test-course/basics/quiz.toml:{line}: question 'pick-one': choice id 'a' is used twice" in found


def test_unknown_question_type(tmp_path):
    toml = quiz_toml().replace('type = "true_false"', 'type = "essay"')
    found = quiz_problems(tmp_path, toml=toml)
    line = line_of(toml, 'type = "essay"')
    assert found == [f"test-course/basics/quiz.toml:{line}: question 'true-or-false': unknown type 'essay' "
                     "(allowed: single, multiple, true_false, numeric, text, ordering)"]


def test_missing_translation(tmp_path):
    toml = quiz_toml().replace('text = { ja = "何日か", en = "How many days?" }',
                                                 'text = { en = "How many days?" }')
    found = quiz_problems(tmp_path, toml=toml)
    line = line_of(toml, 'text = { en = "How many days?" }')
    assert found == [f"test-course/basics/quiz.toml:{line}: missing Japanese translation of "
                     "'questions[3].text' (questions[3].text.ja)"]


def test_missing_translation_of_a_choice(tmp_path):
    toml = quiz_toml().replace('text = { ja = "丙", en = "Gamma" }', 'text = { ja = "丙" }')
    [problem] = quiz_problems(tmp_path, toml=toml)
    assert problem.endswith("missing English translation of 'questions[1].choices[2].text' "
                            "(questions[1].choices[2].text.en)")


@pytest.mark.parametrize("mark", ["101", "-1", "70.5", '"70"'])
def test_pass_mark_outside_0_to_100(tmp_path, mark):
    toml = quiz_toml().replace("pass_mark = 70", f"pass_mark = {mark}")
    found = quiz_problems(tmp_path, toml=toml)
    assert len(found) == 1
    assert found[0].startswith("test-course/basics/quiz.toml:3: 'pass_mark' must be a whole percentage from 0 to 100")


def test_pool_larger_than_its_questions(tmp_path):
    found = quiz_problems(tmp_path, settings="draw = 7")
    assert found == ["test-course/basics/quiz.toml:4: 'draw' asks for 7 questions per attempt, "
                     "but the pool has only 6"]


def test_reveal_after_last_attempt_needs_an_attempt_limit(tmp_path):
    [problem] = quiz_problems(tmp_path, settings='reveal = "after_last_attempt"')
    assert problem.startswith("test-course/basics/quiz.toml:4: reveal = \"after_last_attempt\" needs a 'max_attempts'")


def test_reveal_once_passed_or_last_needs_an_attempt_limit(tmp_path):
    [problem] = quiz_problems(tmp_path, settings='reveal = "once_passed_or_last"')
    assert problem.startswith("test-course/basics/quiz.toml:4: reveal = \"once_passed_or_last\" needs a 'max_attempts'")


def test_settings_out_of_range(tmp_path):
    found = quiz_problems(tmp_path, settings='time_limit = 0\nmax_attempts = -1\ngrading = "best"\n'
                                             'shuffle_choices = "yes"')
    assert found == [
        "test-course/basics/quiz.toml:4: 'time_limit' must be a whole number from 1 to 600",
        "test-course/basics/quiz.toml:5: 'max_attempts' must be a whole number from 0 to 100",
        "test-course/basics/quiz.toml:6: 'grading' must be one of highest, latest; found 'best'",
        "test-course/basics/quiz.toml:7: 'shuffle_choices' must be true or false",
    ]


def test_duplicate_question_id_and_unknown_keys(tmp_path):
    toml = quiz_toml("author = 'x'").replace('id = "term"', 'id = "steps"').replace(
        'answer = false', 'answer = false\nhint = "no"')
    found = quiz_problems(tmp_path, toml=toml)
    assert "test-course/basics/quiz.toml:4: unknown key 'author' (allowed: draw, grading, intro, max_attempts, " \
           "pass_mark, questions, reveal, shuffle_choices, shuffle_questions, time_limit, title)" in found
    assert any("unknown key 'hint' in a true_false question" in p for p in found)
    line = line_of(toml, 'id = "steps"', 2)
    assert f"test-course/basics/quiz.toml:{line}: duplicate question id 'steps' (also question 5)" in found


def test_type_specific_mistakes(tmp_path):
    toml = (quiz_toml()
            .replace("answer = false", 'answer = "no"')
            .replace("answer = 42\ntolerance = 2", 'answer = "42"\ntolerance = -1')
            .replace('answers = ["GCTP", "good gene cellular and tissue-based products manufacturing practice"]',
                     "answers = []"))
    found = [p.split(": ", 1)[1] for p in quiz_problems(tmp_path, toml=toml)]
    assert "question 'true-or-false': a true_false question needs 'answer = true' or 'answer = false'" in found
    assert "question 'how-many': a numeric question needs a number as 'answer'" in found
    assert any(p.startswith("question 'how-many': 'tolerance' must be a number of at least 0") for p in found)
    assert "question 'term': a text question needs 'answers', a list of accepted answers" in found


def test_ordering_needs_three_items(tmp_path):
    toml = quiz_toml().replace('[[questions.items]]\nid = "three"\ntext = { ja = "三", en = "Third step" }\n', "")
    [problem] = quiz_problems(tmp_path, toml=toml)
    assert problem.endswith("question 'steps': needs 3 to 10 [[questions[5].items]] tables")


def test_malformed_quiz_toml_reports_its_line(tmp_path):
    toml = quiz_toml().replace("pass_mark = 70", "pass_mark = ")
    [problem] = quiz_problems(tmp_path, toml=toml)
    assert problem.startswith("test-course/basics/quiz.toml:3: invalid TOML")
