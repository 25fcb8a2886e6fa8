"""The report's numbers on a small known cohort, and the rules behind them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from flask_babel import force_locale

from lms.extensions import db
from lms.models import (Assignment, Cohort, CohortPairing, Lesson, LessonCompletion, MentorAllocation, Module, Quiz,
                        QuizAttempt, QuizResult, Role)
from lms.services import reports

from .helpers import build_course, certify, hand_in, items, join, new_cohort, utc

NOW = utc(2026, 5, 1, 3)  # noon in Tokyo


@pytest.fixture
def known(app, make_user, monkeypatch):
    """Eight trainees, one at each interesting point; two mentors; one outsider who must not count.

    The course: module 1 has two lessons (and an archived third), a quiz and an assignment; module 2 has two
    lessons, no quiz and two assignments. Eight steps in all.
    """
    monkeypatch.setattr("lms.clock.now", lambda: NOW)
    course = build_course(modules=2, quiz_modules=[1], assignments={1: 1, 2: 2})
    module1 = items(Module, course)[0]
    db.session.add(Lesson(course_id=course.id, module_id=module1.id, slug="old", position=9, title_ja="旧",
                          title_en="Old", archived_at=utc(2026, 1, 1)))
    db.session.commit()
    l1a, l1b, l2a, l2b, old = items(Lesson, course)
    quiz, = items(Quiz, course)
    a1, a2a, a2b = items(Assignment, course)
    cohort = new_cohort(course, ends_on=date(2026, 6, 30))
    mori = make_user(Role.MENTOR, name_latin="Mori Mika", email="mori@example.org")
    sato = make_user(Role.MENTOR, name_latin="Sato Sho", email="sato@example.org")
    join(cohort, mori, "mentor")
    join(cohort, sato, "mentor")

    def trainee(name_latin, name_ja, **kw):
        user = make_user(name_latin=name_latin, name_ja=name_ja, email=f"{name_latin.split()[0].lower()}@example.org",
                         organisation="創薬ベンチャー", password=None)
        join(cohort, user, course=course, **kw)
        return user

    def lessons(user, done, at):
        db.session.add_all(LessonCompletion(user_id=user.id, lesson_id=lesson.id, course_id=course.id,
                                            completed_at=at) for lesson in done)
        db.session.commit()

    def quiz_taken(user, percents, at, passed):
        for number, percent in enumerate(percents, start=1):
            db.session.add(QuizAttempt(quiz_id=quiz.id, user_id=user.id, number=number, state="graded",
                                       started_at=at, submitted_at=at, graded_at=at, percent=percent,
                                       passed=percent >= 70, layout={}))
        db.session.add(QuizResult(user_id=user.id, quiz_id=quiz.id, course_id=course.id, percent=max(percents),
                                  passed=passed, attempts=len(percents), updated_at=at))
        db.session.commit()

    every = [l1a, l1b, l2a, l2b]
    people = {}
    people["aoki"] = trainee("Aoki Ai", "青木 愛")  # nothing at all, enrolled before the start
    people["baba"] = trainee("Baba Ben", "馬場 勉", enrolled_at=utc(2026, 4, 20, 10))  # joined late, nothing yet
    people["chiba"] = c = trainee("Chiba Chie", "千葉 智恵")
    lessons(c, [l1a, old], utc(2026, 4, 25))  # the archived lesson does not count
    people["doi"] = d = trainee("Doi Daiki", "土井 大輝")
    lessons(d, every, utc(2026, 4, 5))
    quiz_taken(d, [40.0, 60.0], utc(2026, 4, 10), passed=False)
    people["endo"] = e = trainee("Endo Emi", "遠藤 恵美")
    lessons(e, every, utc(2026, 4, 6))
    quiz_taken(e, [85.0], utc(2026, 4, 8), passed=True)
    hand_in(e, a1, "approved", utc(2026, 4, 10), [(mori, utc(2026, 4, 12), 8)])
    hand_in(e, a2b, "revision_requested", utc(2026, 4, 15), [(sato, utc(2026, 4, 15, 12), 3)])
    hand_in(e, a2a, "submitted", utc(2026, 4, 20))
    people["fujii"] = f = trainee("Fujii Fumi", "藤井 文")
    lessons(f, every, utc(2026, 4, 6))
    quiz_taken(f, [90.0], utc(2026, 4, 8), passed=True)
    hand_in(f, a1, "approved", utc(2026, 4, 11), [(mori, utc(2026, 4, 12), 10)])
    hand_in(f, a2a, "approved", utc(2026, 4, 13), [(mori, utc(2026, 4, 16), 5)])
    hand_in(f, a2b, "in_review", utc(2026, 4, 28), [(mori, None, 0)])  # a draft review: not released, not counted
    people["goto"] = g = trainee("Goto Go", "後藤 剛")
    lessons(g, every, utc(2026, 3, 30))
    quiz_taken(g, [75.0], utc(2026, 3, 31), passed=True)
    hand_in(g, a1, "approved", utc(2026, 4, 1), [(mori, utc(2026, 4, 2, 6), 10)])
    hand_in(g, a2a, "approved", utc(2026, 4, 1), [(mori, utc(2026, 4, 1, 12), 10)])
    hand_in(g, a2b, "approved", utc(2026, 4, 1), [(sato, utc(2026, 4, 2, 12), 10)])
    certify(g, course, utc(2026, 4, 3), revoked_at=utc(2026, 4, 4))  # revoked: not certified
    people["hara"] = h = trainee("Hara Hana", "原 花")
    lessons(h, every, utc(2026, 3, 30))
    quiz_taken(h, [100.0], utc(2026, 3, 31), passed=True)
    for assignment in (a1, a2a, a2b):
        hand_in(h, assignment, "approved", utc(2026, 4, 2), [(sato, utc(2026, 4, 3), 10)])
    people["hara_certificate"] = certify(h, course, utc(2026, 4, 4))

    # Someone else's trainee, reviewed by Mori and waiting: outside this cohort, so outside the report.
    other = new_cohort(course, name_ja="二期生", name_en="Second cohort")
    outsider = make_user(name_latin="Ozawa Oto", password=None)
    join(other, outsider, course=course)
    db.session.add(MentorAllocation(mentor_id=mori.id, trainee_id=outsider.id))
    db.session.commit()
    hand_in(outsider, a1, "submitted", utc(2026, 4, 20))
    hand_in(outsider, a2a, "approved", utc(2026, 4, 20), [(mori, utc(2026, 4, 29), 10)])
    return {"course": course, "cohort": cohort, "mori": mori, "sato": sato, "quiz": quiz, **people}


def rows_by_name(report):
    return {row.user.name_latin.split()[0].lower(): row for row in report.trainees}


def test_matrix_cells_on_the_known_cohort(known):
    report = reports.cohort_report(known["cohort"])
    assert report.course.id == known["course"].id
    assert [(c.module.slug, c.lessons, len(c.quizzes), len(c.assignments)) for c in report.modules] == [
        ("m1", 2, 1, 1), ("m2", 2, 0, 2)]
    rows = rows_by_name(report)
    assert list(rows) == ["aoki", "baba", "chiba", "doi", "endo", "fujii", "goto", "hara"]  # by Latin name

    def lessons(name):
        return [(c.lessons.done, c.lessons.total) for c in rows[name].cells]

    def quiz(name):
        cell, = rows[name].cells[0].quizzes
        return cell.state, cell.best

    def assignments(name):
        return [a.status for c in rows[name].cells for a in c.assignments]

    assert lessons("aoki") == [(0, 2), (0, 2)]
    assert lessons("chiba") == [(1, 2), (0, 2)]
    assert lessons("doi") == [(2, 2), (2, 2)]
    assert quiz("aoki") == ("not_attempted", None)
    assert quiz("doi") == ("failed", 60.0)
    assert quiz("endo") == ("passed", 85.0)
    assert assignments("chiba") == ["not_started"] * 3
    assert assignments("endo") == ["approved", "waiting", "revision"]
    assert assignments("fujii") == ["approved", "approved", "waiting"]
    assert [a.review_total for c in rows["endo"].cells for a in c.assignments] == [8, None, 3]
    assert rows["hara"].certificate.public_id == known["hara_certificate"].public_id
    assert rows["hara"].certificate_status == "valid"
    assert rows["goto"].certificate_status == "revoked"
    assert rows["aoki"].certificate is None
    assert {name: row.progress.percent for name, row in rows.items()} == {
        "aoki": 0, "baba": 0, "chiba": 12, "doi": 50, "endo": 75, "fujii": 87, "goto": 100, "hara": 100}


def test_last_activity_counts_only_the_trainees_own_work(known):
    rows = rows_by_name(reports.cohort_report(known["cohort"]))
    assert rows["aoki"].last_activity is None
    assert rows["chiba"].last_activity == utc(2026, 4, 25)
    assert rows["doi"].last_activity == utc(2026, 4, 10)  # the quiz, after the lessons
    assert rows["endo"].last_activity == utc(2026, 4, 20)  # a submission
    assert rows["fujii"].last_activity == utc(2026, 4, 28)  # not the mentors' later events
    # Never active: idle since the cohort's first day in Tokyo, or a later enrolment.
    assert rows["aoki"].idle_since == utc(2026, 3, 31, 15)
    assert rows["baba"].idle_since == utc(2026, 4, 20, 10)
    assert {name: row.days_idle for name, row in rows.items()} == {
        "aoki": 30, "baba": 10, "chiba": 6, "doi": 21, "endo": 11, "fujii": 3, "goto": 30, "hara": 29}


def test_stage_shares_over_the_whole_cohort(known):
    report = reports.cohort_report(known["cohort"])
    assert [(s.stage, s.count) for s in report.stages] == [
        ("not_started", 2), ("studying", 2), ("study_done", 1), ("handed_in", 1), ("approved", 1), ("certified", 1)]
    assert [s.percent for s in report.stages] == [25.0, 25.0, 12.5, 12.5, 12.5, 12.5]
    assert sum(s.count for s in report.stages) == 8
    # The shares do not depend on the matrix page shown.
    page = report.page(2, per_page=3)
    assert (page.page, page.pages, [row.user.name_latin for row in page.items]) == (
        2, 3, ["Doi Daiki", "Endo Emi", "Fujii Fumi"])
    assert report.page(99, per_page=3).page == 3


@pytest.mark.parametrize("days, expected", [
    (14, ["aoki", "doi"]),
    (25, ["aoki"]),
    (5, ["aoki", "doi", "endo", "baba", "chiba"]),  # the longest idle first; finished trainees never
    (365, []),
])
def test_stuck_trainees(known, days, expected):
    report = reports.cohort_report(known["cohort"], stuck_days=days)
    assert [row.user.name_latin.split()[0].lower() for row in report.stuck] == expected


def test_mentor_workload(known):
    report = reports.cohort_report(known["cohort"])
    loads = {load.mentor.name_latin: load for load in report.mentors}
    assert list(loads) == ["Mori Mika", "Sato Sho"]
    # Waiting: Endo's submitted and Fujii's in-review work; not the outsider's, though Mori may review it.
    assert (loads["Mori Mika"].waiting, loads["Sato Sho"].waiting) == (2, 2)
    # Mori: 48 h, 24 h, 72 h, 30 h, 12 h -> 30 h; the draft review and the outsider's review do not count.
    assert (loads["Mori Mika"].reviewed, loads["Mori Mika"].median_to_review) == (5, timedelta(hours=30))
    # Sato: 12 h, 36 h, 24 h x 3 -> 24 h.
    assert (loads["Sato Sho"].reviewed, loads["Sato Sho"].median_to_review) == (5, timedelta(hours=24))


def test_chart_data(known):
    report = reports.cohort_report(known["cohort"])
    assert report.progress_bands == [((0, 0), 2), ((1, 24), 1), ((25, 49), 0), ((50, 74), 1), ((75, 99), 2),
                                     ((100, 100), 2)]
    assert report.reviews_per_week == [(date(2026, 4, 1), 6), (date(2026, 4, 8), 2), (date(2026, 4, 15), 2),
                                       (date(2026, 4, 22), 0), (date(2026, 4, 29), 0)]


def test_grades_rows(known, app):
    report = reports.cohort_report(known["cohort"])
    with app.test_request_context(), force_locale("en"):
        header = reports.grades_header(report)
        rows = {row[1].split()[0].lower(): row for row in reports.grades_rows(report)}
    assert header == ["Name", "Name in Latin script", "E-mail address", "Organisation",
                      "Quiz 1: best score (%)", "Quiz 1: passed",
                      "Assignment 1-1: status", "Assignment 1-1: rubric total of the latest review",
                      "Assignment 2-1: status", "Assignment 2-1: rubric total of the latest review",
                      "Assignment 2-2: status", "Assignment 2-2: rubric total of the latest review",
                      "Certificate ID", "Certificate status"]
    assert rows["doi"][4:12] == ["60", "No", "Not started", None, "Not started", None, "Not started", None]
    assert rows["endo"][:4] == ["遠藤 恵美", "Endo Emi", "endo@example.org", "創薬ベンチャー"]
    assert rows["endo"][4:12] == ["85", "Yes", "Approved", 8, "Submitted, waiting for review", None,
                                  "Revision requested", 3]
    assert rows["aoki"][4:6] == ["", ""]
    assert rows["hara"][12:] == [known["hara_certificate"].public_id, "Valid"]
    assert rows["goto"][13] == "Revoked"


def test_a_cohort_without_courses_has_an_empty_report(app):
    cohort = Cohort(name_ja="空", name_en="Empty", program="regulatory", starts_on=date(2026, 4, 1))
    db.session.add(cohort)
    db.session.commit()
    report = reports.cohort_report(cohort)
    assert report.course is None and report.trainees == [] and report.stages[0].percent == 0.0


def test_datetime_values_are_aware(known):
    row = rows_by_name(reports.cohort_report(known["cohort"]))["chiba"]
    assert isinstance(row.last_activity, datetime) and row.last_activity.tzinfo is not None


def test_mentor_workload_follows_the_cohorts_allocation_mode(known):
    cohort = known["cohort"]
    cohort.mentor_mode = "named"  # each trainee's mentors are named: Sato for Endo, nobody for Fujii
    db.session.add(CohortPairing(cohort_id=cohort.id, trainee_id=known["endo"].id, mentor_id=known["sato"].id))
    db.session.commit()
    loads = {load.mentor.name_latin: load.waiting for load in reports.cohort_report(cohort).mentors}
    assert loads == {"Mori Mika": 0, "Sato Sho": 1}
