"""Every question type's grading rule, with its edge cases, and the quiz-level policies."""

from __future__ import annotations

import pytest

from lms.rules import grading
from lms.rules.grading import GradedAttempt, score

SINGLE = {"choices": [{"id": "a", "correct": False}, {"id": "b", "correct": True}, {"id": "c", "correct": False}]}
MULTI = {"choices": [{"id": "a", "correct": True}, {"id": "b", "correct": True}, {"id": "c", "correct": True},
                     {"id": "d", "correct": False}, {"id": "e", "correct": False}]}
ORDER = {"items": [{"id": "one"}, {"id": "two"}, {"id": "three"}, {"id": "four"}]}


def test_single_choice():
    assert score("single", SINGLE, "b") == 1
    assert score("single", SINGLE, "a") == 0
    assert score("single", SINGLE, None) == 0
    assert score("single", SINGLE, "zz") == 0


def test_multiple_all_or_nothing_needs_exactly_the_correct_set():
    data = {**MULTI, "scoring": "all_or_nothing"}
    assert score("multiple", data, ["c", "a", "b"]) == 1
    assert score("multiple", data, ["a", "b"]) == 0
    assert score("multiple", data, ["a", "b", "c", "d"]) == 0
    assert score("multiple", data, []) == 0


@pytest.mark.parametrize(("picked", "expected"), [
    (["a", "b", "c"], 1.0),
    (["a"], 1 / 3),
    (["a", "b"], 2 / 3),
    (["a", "b", "c", "d"], 0.5),      # 3/3 correct - 1/2 wrong
    (["a", "d"], 0.0),                 # 1/3 - 1/2 would be negative: floored at 0
    (["d", "e"], 0.0),
    (["a", "b", "c", "d", "e"], 0.0),  # ticking everything earns nothing
    ([], 0.0),
])
def test_multiple_partial_credit_with_penalties_never_below_zero(picked, expected):
    assert score("multiple", {**MULTI, "scoring": "partial"}, picked) == pytest.approx(expected)


def test_partial_credit_without_wrong_choices_has_no_penalty():
    data = {"choices": [{"id": "a", "correct": True}, {"id": "b", "correct": True}], "scoring": "partial"}
    assert score("multiple", data, ["a"]) == 0.5


def test_true_false_accepts_only_booleans():
    assert score("true_false", {"answer": False}, False) == 1
    assert score("true_false", {"answer": False}, True) == 0
    assert score("true_false", {"answer": True}, None) == 0
    assert score("true_false", {"answer": True}, "true") == 0


@pytest.mark.parametrize(("given", "expected"), [
    ("10", 1), ("10.5", 1), ("9.5", 1),   # the bounds are inside
    ("10.51", 0), ("9.49", 0),
    (" 10 ", 1), ("１０", 1), ("10.0", 1), ("1e1", 1),
    ("", 0), ("   ", 0), ("ten", 0), ("nan", 0), ("inf", 0), (None, 0),
])
def test_numeric_absolute_tolerance(given, expected):
    assert score("numeric", {"answer": 10, "tolerance": 0.5, "relative": False}, given) == expected


@pytest.mark.parametrize(("given", "expected"), [
    ("200", 1), ("190", 1), ("210", 1), ("189.9", 0), ("210.1", 0), ("２１０", 1), ("-200", 0),
])
def test_numeric_relative_tolerance(given, expected):
    assert score("numeric", {"answer": 200, "tolerance": 0.05, "relative": True}, given) == expected


def test_numeric_exact_and_representation_errors():
    data = {"answer": 0.3, "tolerance": 0, "relative": False}
    assert score("numeric", data, "0.3") == 1
    assert score("numeric", {"answer": 0.1 + 0.2, "tolerance": 0, "relative": False}, "0.3") == 1
    assert score("numeric", data, "0.31") == 0


@pytest.mark.parametrize(("raw", "value"), [
    ("1,000", 1000.0), ("１，０００", 1000.0), ("12,345.5", 12345.5), ("−5", -5.0), ("-5", -5.0), ("３．５", 3.5),
    ("1,5", None), ("1,00", None), (",100", None),
    ("", None), ("abc", None), ("inf", None), ("1.2.3", None), (None, None),
])
def test_parse_number(raw, value):
    assert grading.parse_number(raw) == value


@pytest.mark.parametrize(("given", "expected"), [
    ("GCTP", 1), ("gctp", 1), ("ＧＣＴＰ", 1), ("  gctp  ", 1),
    ("RS strategy   consultation", 1), ("rs STRATEGY consultation", 1), ("ＲＳ戦略相談", 1), ("RS戦略相談", 1),
    ("GCT", 0), ("", 0), ("   ", 0), (None, 0),
])
def test_short_text_is_normalised(given, expected):
    data = {"answers": ["GCTP", "RS strategy consultation", "RS戦略相談"]}
    assert score("text", data, given) == expected


def test_ordering_all_or_nothing_and_partial():
    assert score("ordering", ORDER, ["one", "two", "three", "four"]) == 1
    assert score("ordering", ORDER, ["two", "one", "three", "four"]) == 0
    partial = {**ORDER, "scoring": "partial"}
    assert score("ordering", partial, ["two", "one", "three", "four"]) == 0.5
    assert score("ordering", partial, ["four", "three", "two", "one"]) == 0


def test_ordering_that_is_not_a_permutation_scores_nothing():
    partial = {**ORDER, "scoring": "partial"}
    assert score("ordering", partial, ["one", "one", "three", "four"]) == 0
    assert score("ordering", partial, ["one", "two", "three"]) == 0
    assert score("ordering", partial, []) == 0


def test_picks_and_correct_answers_for_item_analysis():
    assert grading.picks("single", "b") == ["b"]
    assert grading.picks("multiple", ["a", "a", "d"]) == ["a", "d"]
    assert grading.picks("true_false", False) == ["false"]
    assert grading.picks("numeric", "3") == []
    assert grading.picks("single", None) == []
    assert grading.correct_answer("multiple", MULTI) == ["a", "b", "c"]
    assert grading.correct_answer("ordering", ORDER) == ["one", "two", "three", "four"]


@pytest.mark.parametrize(("qtype", "answer"), [
    ("single", ["a", "b"]), ("single", True), ("multiple", "a"), ("multiple", [1, 2]), ("ordering", "one"),
    ("true_false", "true"), ("numeric", 42), ("text", ["GCTP"]),
])
def test_an_answer_of_another_shape_is_no_answer(qtype, answer):
    """A question's type may change in the files after answers were saved: grade it as unanswered."""
    data = {"single": SINGLE, "multiple": MULTI, "ordering": ORDER, "true_false": {"answer": True},
            "numeric": {"answer": 42, "tolerance": 0, "relative": False}, "text": {"answers": ["GCTP"]}}[qtype]
    assert not grading.is_answered(qtype, answer)
    assert score(qtype, data, answer) == 0
    assert grading.picks(qtype, answer) == []


def test_attempt_percent_weights_points():
    assert grading.attempt_percent([(1, 1), (0, 1), (0.5, 2)]) == 50.0
    assert grading.attempt_percent([(1, 3), (0, 1)]) == 75.0
    assert grading.attempt_percent([(1 / 3, 1)]) == pytest.approx(100 / 3)  # unrounded: pages round
    assert grading.attempt_percent([]) == 0.0


def test_a_score_just_under_the_pass_mark_does_not_pass():
    percent = grading.attempt_percent([(1, 13999), (0, 6001)])  # 69.995%
    assert not grading.has_passed(percent, 70)


def test_pass_mark_is_inclusive():
    assert grading.has_passed(70.0, 70)
    assert not grading.has_passed(69.99, 70)
    assert grading.has_passed(0.0, 0)


def test_grading_policy_highest_or_latest():
    graded = [GradedAttempt(1, 80.0), GradedAttempt(2, 40.0)]
    assert grading.kept_percent(graded, "highest") == 80.0
    assert grading.kept_percent(graded, "latest") == 40.0
    assert grading.kept_percent([], "highest") is None


def test_attempts_left():
    assert grading.attempts_left(0, 12) is None
    assert grading.attempts_left(3, 1) == 2
    assert grading.attempts_left(3, 5) == 0


@pytest.mark.parametrize(("policy", "passed", "used", "maximum", "expected"), [
    ("after_attempt", False, 1, 3, True),
    ("once_passed", False, 2, 0, False),
    ("once_passed", True, 2, 0, True),
    ("after_last_attempt", True, 2, 3, False),
    ("after_last_attempt", False, 3, 3, True),
    ("after_last_attempt", False, 9, 0, False),
    ("never", True, 3, 3, False),
])
def test_reveal_policy(policy, passed, used, maximum, expected):
    assert grading.may_reveal(policy, passed=passed, used=used, max_attempts=maximum) is expected


# --- boundaries that mutation testing showed untested


@pytest.mark.parametrize(("policy", "passed", "used", "maximum", "expected"), [
    ("after_last_attempt", False, 1, 1, True),  # a single attempt: revealed once it is used
    ("after_last_attempt", False, 0, 1, False),
    ("after_last_attempt", False, 1, 2, False),  # max_attempts > 1: not before the last one
    ("after_last_attempt", False, 2, 2, True),
    ("after_last_attempt", True, 4, 3, True),  # more used than allowed (limit lowered later) still reveals
    ("after_last_attempt", False, 0, 0, False),  # unlimited attempts: there is no last one
    ("after_attempt", False, 0, 1, True),
    ("once_passed", False, 3, 3, False),  # used up without passing: never
    ("once_passed_or_last", True, 1, 3, True),  # passed early: shown at once
    ("once_passed_or_last", False, 1, 3, False),  # failed with attempts left: not yet
    ("once_passed_or_last", False, 2, 3, False),
    ("once_passed_or_last", False, 3, 3, True),  # every attempt used without passing: shown
    ("once_passed_or_last", False, 4, 3, True),
    ("once_passed_or_last", False, 5, 0, False),  # unlimited attempts: only a pass reveals
    ("once_passed_or_last", True, 5, 0, True),
    ("unknown_policy", True, 3, 3, False),
])
def test_reveal_policy_boundaries(policy, passed, used, maximum, expected):
    assert grading.may_reveal(policy, passed=passed, used=used, max_attempts=maximum) is expected


@pytest.mark.parametrize(("raw", "value"), [
    ("1 000", 1000.0), ("1 000 000", 1000000.0), ("- 5", -5.0), ("3 .5", 3.5), ("１　０００", 1000.0),
    (" 42 ", 42.0), ("1 ,000", 1000.0),
])
def test_parse_number_strips_spaces_inside(raw, value):
    assert grading.parse_number(raw) == value


def test_correct_answer_for_every_type():
    assert grading.correct_answer("single", SINGLE) == "b"
    assert grading.correct_answer("text", {"answers": ["GCTP", "RS戦略相談"]}) == ["GCTP", "RS戦略相談"]
    assert grading.correct_answer("numeric", {"answer": 3.5, "tolerance": 0}) == 3.5
    assert grading.correct_answer("true_false", {"answer": False}) is False
