"""Rule results in words (lms/presenters.py): completion reasons in both languages, with their fallbacks."""

import pytest
from flask_babel import force_locale

from lms.presenters import explain
from lms.rules.completion import ASSIGNMENT, LESSON, QUIZ, Reason, Requirement

LESSON_1 = Requirement(LESSON, 1, {"ja": "はじめに", "en": "Introduction"})
QUIZ_1 = Requirement(QUIZ, 10, {"ja": "確認テスト1", "en": "Check 1"})
TASK = Requirement(ASSIGNMENT, 20, {"ja": "事業計画", "en": "Business plan"})


@pytest.mark.parametrize("reason, ja, en", [
    (Reason("not_enrolled"), "受講登録", "not enrolled"),
    (Reason("lesson_not_done", LESSON_1.title), "レッスン「はじめに」", "Lesson “Introduction” is not marked as complete"),
    (Reason("quiz_not_taken", QUIZ_1.title), "小テスト「確認テスト1」", "Quiz “Check 1” has not been taken"),
    (Reason("quiz_not_passed", QUIZ_1.title), "確認テスト1", "Quiz “Check 1” is not passed yet"),
    (Reason("quiz_used_up", QUIZ_1.title), "確認テスト1", "no attempts remain"),
    (Reason("assignment_waiting", TASK.title), "課題「事業計画」", "Assignment “Business plan” is waiting for review"),
    (Reason("assignment_revision", TASK.title), "事業計画", "needs a revision"),
    (Reason("assignment_not_submitted", TASK.title), "事業計画", "has not been submitted"),
    (Reason("name_missing"), "ローマ字", "Latin script"),
    (Reason("name_unprintable", numbers=("\U00020bb7",)), "印字できない文字（\U00020bb7）", "cannot print (\U00020bb7)"),
    (Reason("quiz_average", numbers=(62.5, 70.0)), "62.5", "62.5%"),
])
def test_reasons_read_in_each_language(app, reason, ja, en):
    with force_locale("ja"):
        japanese = explain(reason, "ja")
    with force_locale("en"):
        english = explain(reason, "en")
    assert ja in japanese and japanese != english
    assert en in english


def test_a_title_missing_in_the_language_falls_back_to_english_then_to_nothing(app):
    with force_locale("en"):
        assert explain(Reason("lesson_not_done", {"en": "Introduction"}), "ja") == (
            "Lesson “Introduction” is not marked as complete.")
        assert explain(Reason("lesson_not_done", {"ja": "", "en": "Introduction"}), "ja") == (
            "Lesson “Introduction” is not marked as complete.")
        assert explain(Reason("lesson_not_done", {"ja": "はじめに", "en": "Introduction"}), "ja") == (
            "Lesson “はじめに” is not marked as complete.")
        assert explain(Reason("quiz_not_taken", {"fr": "Début"}), "ja") == "Quiz “” has not been taken."
        assert explain(Reason("quiz_not_taken"), "en") == "Quiz “” has not been taken."  # no title at all


def test_an_unknown_reason_is_an_error_not_a_blank(app):
    with force_locale("en"), pytest.raises(ValueError, match="unknown reason nonsense"):
        explain(Reason("nonsense"), "en")
