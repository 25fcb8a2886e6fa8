"""The main pages as HTML: unique ids, heading levels that never skip, no empty table headings, and autocomplete
hints that say what a field is (parsed with the standard library's html.parser)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from lms.extensions import db
from lms.models import (Cohort, CohortMember, Course, Enrolment, Lesson, MentorAllocation, Question, QuizAttempt,
                        Submission)
from tests.content.helpers import import_courses

from ..content.helpers import write_assignment, write_course, write_quiz


class Structure(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.headings: list[int] = []
        self.empty_headings = 0
        self.username_fields: list[str] = []
        self._th = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))
        if tag == "th":
            self._th = ""
        if tag == "input" and attrs.get("autocomplete") == "username":
            self.username_fields.append(attrs.get("name", ""))

    def handle_data(self, data):
        if self._th is not None:
            self._th += data

    def handle_endtag(self, tag):
        if tag == "th":
            if not (self._th or "").strip():
                self.empty_headings += 1
            self._th = None


def problems(html: str) -> list[str]:
    page = Structure()
    page.feed(html)
    found = [f"duplicate id {name!r} ({count}×)" for name, count in Counter(page.ids).items() if count > 1]
    previous = 1
    if not page.headings or page.headings[0] != 1:
        found.append(f"the first heading is not an h1: {page.headings[:1]}")
    for level in page.headings[1:]:
        if level > previous + 1:
            found.append(f"h{previous} followed by h{level}")
        previous = level
    if page.empty_headings:
        found.append(f"{page.empty_headings} empty <th>")
    if page.username_fields:
        found.append(f"autocomplete=username outside the login form: {page.username_fields}")
    return found


@pytest.fixture
def world(app, tmp_path, make_user, as_):
    root = tmp_path / "courses"
    folder = write_course(root)
    write_quiz(folder)
    write_assignment(folder)
    import_courses(root)
    course = db.session.scalar(select(Course))
    trainee, mentor, admin = make_user("trainee"), make_user("mentor"), make_user("admin")
    cohort = Cohort(name_ja="一期", name_en="First", program="entrepreneur", starts_on=date(2026, 4, 1))
    cohort.courses.append(course)
    db.session.add(cohort)
    db.session.flush()
    db.session.add_all([CohortMember(cohort_id=cohort.id, user_id=trainee.id, role="trainee"),
                        CohortMember(cohort_id=cohort.id, user_id=mentor.id, role="mentor"),
                        MentorAllocation(mentor_id=mentor.id, trainee_id=trainee.id),
                        Enrolment(user_id=trainee.id, course_id=course.id, source="cohort")])
    db.session.commit()

    t = as_(trainee)
    url = "/courses/test-course/assignments/plan"
    assert t.raw.post(url, data={"csrf_token": t.csrf_token(), "section-problem": "Who hurts",
                                 "section-solution": "What we do", "action": "submit", "lock": ""},
                      content_type="multipart/form-data").status_code == 302
    graded = _take_quiz(t)
    in_progress = _start_quiz(t)
    return {"trainee": t, "mentor": as_(mentor), "admin": as_(admin), "course": course, "cohort": cohort,
            "graded": graded, "in_progress": in_progress,
            "submission": db.session.scalar(select(Submission.id)),
            "lesson": db.session.scalar(select(Lesson.slug).order_by(Lesson.id))}


def _start_quiz(client) -> int:
    response = client.post_form("/courses/test-course/quizzes/basics/start")
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _take_quiz(client) -> int:
    attempt_id = _start_quiz(client)
    attempt = db.session.get(QuizAttempt, attempt_id)
    keys = {q.id: q.key for q in db.session.scalars(select(Question))}
    data = MultiDict([("csrf_token", client.csrf_token()), ("action", "save")])
    for qid in attempt.layout["questions"]:
        data.add("shown", str(qid))
        if keys[qid] == "pick-one":
            data.add(f"q{qid}", "b")
    assert client.raw.post(f"/quiz-attempts/{attempt_id}", data=data).status_code == 302
    assert client.post_form(f"/quiz-attempts/{attempt_id}/submit").status_code == 302
    return attempt_id


def pages(w):
    yield "trainee", "/dashboard"
    yield "trainee", "/courses/test-course/"
    yield "trainee", f"/courses/test-course/lessons/{w['lesson']}"
    yield "trainee", "/courses/test-course/quizzes/basics"
    yield "trainee", f"/quiz-attempts/{w['in_progress']}"
    yield "trainee", f"/quiz-attempts/{w['graded']}/review"
    yield "trainee", "/courses/test-course/assignments/plan"
    yield "trainee", "/account/"
    yield "mentor", f"/submissions/{w['submission']}"
    yield "mentor", "/reviews/"
    yield "mentor", "/courses/test-course/assignments/plan/exemplar"
    yield "mentor", "/courses/test-course/quizzes/basics/analysis"
    yield "admin", "/admin/"
    yield "admin", "/admin/users/new"
    yield "admin", f"/admin/cohorts/{w['cohort'].id}"
    yield "admin", "/admin/cohorts"
    yield "admin", f"/admin/cohorts/{w['cohort'].id}/report"
    yield "admin", f"/admin/cohorts/{w['cohort'].id}/import"


def test_main_pages_have_unique_ids_and_headings_that_never_skip_a_level(world):
    found = {}
    for who, url in pages(world):
        response = world[who].get(url)
        assert response.status_code == 200, (who, url, response.status_code)
        if issues := problems(response.get_data(as_text=True)):
            found[url] = issues
    assert found == {}


def test_csrf_tokens_and_submit_buttons_carry_no_id(world):
    html = world["trainee"].get("/account/").get_data(as_text=True)
    assert 'id="csrf_token"' not in html and 'id="submit"' not in html
    assert html.count('name="csrf_token"') >= 3


def test_an_empty_top_left_cell_of_a_lesson_table_is_not_a_heading(app):
    from lms.sanitize import render_markdown

    html = render_markdown("| | Safety Act | PMD Act |\n|---|---|---|\n| Who | A | B |")
    assert "<td></td>" in html and "<th></th>" not in html and "<th>Safety Act</th>" in html
