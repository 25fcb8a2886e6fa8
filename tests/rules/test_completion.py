"""Eligibility for a certificate: every requirement missing in turn, and the reasons in both languages."""

import pytest

from lms.rules.completion import (ASSIGNMENT, LESSON, QUIZ, QuizStanding, Reason, Record, Requirement, missing,
                                  quiz_average)

LESSON_1 = Requirement(LESSON, 1, {"ja": "はじめに", "en": "Introduction"})
QUIZ_1 = Requirement(QUIZ, 10, {"ja": "確認テスト1", "en": "Check 1"})
QUIZ_2 = Requirement(QUIZ, 11, {"ja": "確認テスト2", "en": "Check 2"})
TASK = Requirement(ASSIGNMENT, 20, {"ja": "事業計画", "en": "Business plan"})
ALL = [LESSON_1, QUIZ_1, QUIZ_2, TASK]


def done(**changes) -> Record:
    record = Record(lessons_done={1}, quizzes={10: QuizStanding(80, True, False), 11: QuizStanding(90, True, False)},
                    submissions={20: "approved"})
    for name, value in changes.items():
        setattr(record, name, value)
    return record


def codes(reasons):
    return [(r.code, r.title["en"] if r.title else None) for r in reasons]


def test_everything_done_is_eligible():
    assert missing(ALL, 70, done()) == []


def test_not_enrolled_is_the_only_reason():
    assert codes(missing(ALL, None, done(enrolled=False))) == [("not_enrolled", None)]


@pytest.mark.parametrize("changes, expected", [
    ({"lessons_done": set()}, [("lesson_not_done", "Introduction")]),
    ({"quizzes": {11: QuizStanding(90, True, False)}}, [("quiz_not_taken", "Check 1")]),
    ({"quizzes": {10: QuizStanding(40, False, False), 11: QuizStanding(90, True, False)}},
     [("quiz_not_passed", "Check 1")]),
    ({"quizzes": {10: QuizStanding(40, False, True), 11: QuizStanding(90, True, False)}},
     [("quiz_used_up", "Check 1")]),
    ({"submissions": {}}, [("assignment_not_submitted", "Business plan")]),
    ({"submissions": {20: "draft"}}, [("assignment_not_submitted", "Business plan")]),
    ({"submissions": {20: "submitted"}}, [("assignment_waiting", "Business plan")]),
    ({"submissions": {20: "in_review"}}, [("assignment_waiting", "Business plan")]),
    ({"submissions": {20: "resubmitted"}}, [("assignment_waiting", "Business plan")]),
    ({"submissions": {20: "revision_requested"}}, [("assignment_revision", "Business plan")]),
    ({"named": False}, [("name_missing", None)]),
    ({"unprintable": "\U00020bb7"}, [("name_unprintable", None)]),
])
def test_each_missing_requirement_gives_its_reason(changes, expected):
    assert codes(missing(ALL, None, done(**changes))) == expected


def test_name_problems_come_first_so_a_long_list_cannot_hide_them():
    record = Record(named=False, lessons_done=set())
    assert [r.code for r in missing(ALL, None, record)][:2] == ["name_missing", "lesson_not_done"]


def test_reasons_follow_course_order():
    record = Record(lessons_done=set(), quizzes={}, submissions={20: "submitted"})
    assert [code for code, _ in codes(missing(ALL, None, record))] == [
        "lesson_not_done", "quiz_not_taken", "quiz_not_taken", "assignment_waiting"]


def test_minimum_quiz_average():
    record = done(quizzes={10: QuizStanding(70, True, False), 11: QuizStanding(75, True, False)})
    assert quiz_average(ALL, record) == 72.5
    assert missing(ALL, 72.5, record) == []
    assert missing(ALL, 73, record) == [Reason("quiz_average", numbers=(72.5, 73))]


def test_a_quiz_not_taken_counts_as_zero_in_the_average():
    record = done(quizzes={10: QuizStanding(100, True, False)})
    assert quiz_average(ALL, record) == 50


def test_no_required_quiz_means_no_average_rule():
    assert missing([LESSON_1], 90, done()) == []


def test_only_required_steps_count():
    assert missing([LESSON_1], None, done(quizzes={}, submissions={})) == []
