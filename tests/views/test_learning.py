"""Catalog, enrolment, lessons, progress and the dashboard, with constant query counts."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import Enrolment, Lesson, LessonCompletion, Module, Role


def lessons_of(course):
    return list(db.session.scalars(select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.module_id, Lesson.position)))


def test_catalog_lists_both_programs(client, make_course):
    make_course(program="entrepreneur")
    make_course(program="regulatory")
    html = client.get("/courses/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Global entrepreneur program" in html and "Regulatory-science training program" in html


def test_course_page_is_public_but_lessons_need_enrolment(client, make_course, make_user):
    course = make_course()
    assert client.get(f"/courses/{course.slug}/").status_code == 200
    assert client.get(f"/courses/{course.slug}/lessons/lesson-1-1").status_code == 302  # to login
    client.login(make_user())
    assert client.get(f"/courses/{course.slug}/lessons/lesson-1-1").status_code == 403
    assert client.get(f"/courses/{course.slug}/lessons/no-such-lesson").status_code == 404
    assert client.get("/courses/no-such-course/").status_code == 404


def test_self_enrolment_in_an_open_course(client, make_course, make_user):
    course = make_course()
    user = make_user()
    client.login(user)
    assert client.post_form(f"/courses/{course.slug}/enrol").status_code == 302
    assert client.post_form(f"/courses/{course.slug}/enrol").status_code == 302  # a double click is harmless
    assert db.session.scalar(select(func.count(Enrolment.id))) == 1
    assert client.get(f"/courses/{course.slug}/lessons/lesson-1-1").status_code == 200


@pytest.mark.parametrize("roles", [{"mentor"}, {"admin"}, {"mentor", "admin"}])
def test_staff_are_never_offered_enrolment(as_, make_course, make_user, roles):
    """A mentor's (or admin's) course page never offers 'Enrol in this course' (issue 13 §3)."""
    course = make_course()  # open to self-enrolment
    html = as_(make_user(roles)).get(f"/courses/{course.slug}/").get_data(as_text=True)
    assert "Enrol in this course" not in html and f"/courses/{course.slug}/enrol" not in html
    assert "read every lesson of this course without enrolling" in html


def test_a_mentor_who_is_also_a_trainee_may_enrol(as_, make_course, make_user):
    course = make_course()
    html = as_(make_user({"mentor", "trainee"})).get(f"/courses/{course.slug}/").get_data(as_text=True)
    assert "Enrol in this course" in html


def test_assigned_course_refuses_self_enrolment(client, make_course, make_user):
    course = make_course(enrolment="assigned")
    client.login(make_user())
    response = client.post_form(f"/courses/{course.slug}/enrol", follow_redirects=True, headers={"Accept-Language": "en"})
    assert "assigned by the program office" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Enrolment.id))) == 0


def test_enrol_without_csrf_is_refused(client, make_course, make_user):
    course = make_course()
    client.login(make_user())
    assert client.post_form(f"/courses/{course.slug}/enrol", csrf=False).status_code == 400
    assert db.session.scalar(select(func.count(Enrolment.id))) == 0


def test_lesson_page_shows_content_and_neighbours(client, make_course, make_user, enrol):
    course = make_course(modules=2, lessons=2)
    user = make_user()
    enrol(user, course)
    client.login(user)
    html = client.get(f"/courses/{course.slug}/lessons/lesson-1-2", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<p>Body 1-2</p>" in html
    assert 'rel="prev" href="/courses/%s/lessons/lesson-1-1"' % course.slug in html
    assert 'rel="next" href="/courses/%s/lessons/lesson-2-1"' % course.slug in html
    ja = make_user(locale="ja")
    enrol(ja, course)
    client.logout()
    client.login(ja)
    assert "<p>本文1-2</p>" in client.get(f"/courses/{course.slug}/lessons/lesson-1-2").get_data(as_text=True)


def test_mark_complete_then_continue_and_undo(client, make_course, make_user, enrol):
    course = make_course(modules=1, lessons=2)
    user = make_user()
    enrol(user, course)
    client.login(user)
    url = f"/courses/{course.slug}/lessons/lesson-1-1/complete"
    response = client.post_form(url, {"done": "1", "then": "next"})
    assert response.headers["Location"] == f"/courses/{course.slug}/lessons/lesson-1-2"
    client.post_form(url, {"done": "1"})  # twice: still one completion
    assert db.session.scalar(select(func.count(LessonCompletion.id))) == 1
    page = client.get(f"/courses/{course.slug}/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "1 of 2 steps done" in page and "(50%)" in page
    client.post_form(url, {"done": "0"})
    assert db.session.scalar(select(func.count(LessonCompletion.id))) == 0


def test_staff_read_without_enrolling_but_record_no_progress(client, make_course, make_user):
    course = make_course()
    mentor = make_user(Role.MENTOR)
    client.login(mentor)
    assert client.get(f"/courses/{course.slug}/lessons/lesson-1-1").status_code == 200
    assert client.post_form(f"/courses/{course.slug}/lessons/lesson-1-1/complete", {"done": "1"}).status_code == 403


def test_archived_lesson_is_gone_from_pages_and_progress(client, make_course, make_user, enrol, complete):
    course = make_course(modules=1, lessons=2)
    user = make_user()
    enrol(user, course)
    first, second = lessons_of(course)
    complete(user, [first])
    from lms.models import utcnow
    second.archived_at = utcnow()
    db.session.commit()
    client.login(user)
    assert client.get(f"/courses/{course.slug}/lessons/{second.slug}").status_code == 404
    html = client.get("/dashboard", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "1 of 1 steps done" in html and "Course complete" in html


def test_dashboard_shows_progress_and_next_lesson(client, make_course, make_user, enrol, complete):
    course = make_course(modules=2, lessons=2)
    other = make_course()
    user = make_user()
    enrol(user, course)
    complete(user, lessons_of(course)[:3])
    client.login(user)
    html = client.get("/dashboard", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "3 of 4 steps done" in html and "(75%)" in html
    assert f'href="/courses/{course.slug}/lessons/lesson-2-2">Lesson 2-2' in html
    assert other.title_en not in html


def test_a_trainee_never_sees_anothers_progress(client, make_course, make_user, enrol, complete):
    course = make_course(modules=1, lessons=2)
    me, them = make_user(), make_user()
    enrol(me, course)
    enrol(them, course)
    complete(them, lessons_of(course))
    client.login(me)
    html = client.get("/dashboard", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "0 of 2 steps done" in html


def _seed(make_course, enrol, complete, user, n_courses):
    for _ in range(n_courses):
        course = make_course(modules=3, lessons=3)
        enrol(user, course)
        complete(user, lessons_of(course)[:4])
    return course


def test_dashboard_query_count_is_constant(client, make_user, make_course, enrol, complete, count_queries):
    small, large = make_user(), make_user()
    _seed(make_course, enrol, complete, small, 1)
    _seed(make_course, enrol, complete, large, 20)
    counts, warm = [], []
    for user in (small, large):
        client.login(user)
        for found in (counts, warm):  # their courses' outlines are not cached yet, then they are
            with count_queries() as q:
                assert client.get("/dashboard").status_code == 200
            found.append(q.count)
        client.logout()
    assert counts[0] == counts[1] and warm[0] == warm[1], (counts, warm)
    # Content version (1), outlines (4, only when not cached), the trainee's progress (3), user, notification
    # count, announcements of their cohorts.
    assert counts[0] <= 12
    assert warm[0] == counts[0] - 4


def test_course_and_lesson_query_counts_are_constant(client, make_user, make_course, enrol, complete, count_queries):
    small_user, large_user = make_user(), make_user()
    small = make_course(modules=1, lessons=2)
    enrol(small_user, small)
    complete(small_user, lessons_of(small)[:1])
    large = make_course(modules=12, lessons=10)
    enrol(large_user, large)
    complete(large_user, lessons_of(large)[:80])
    counts = {}
    for user, course in ((small_user, small), (large_user, large)):
        client.login(user)
        for page in (f"/courses/{course.slug}/", f"/courses/{course.slug}/lessons/lesson-1-1"):
            with count_queries() as q:
                assert client.get(page).status_code == 200
            counts.setdefault(page.split("/", 3)[-1], []).append(q.count)
        client.logout()
    for pair in counts.values():
        assert len(set(pair)) == 1, counts


def test_japanese_pages_use_full_width_colons(app, client, make_user, make_course, enrol):
    from lms.extensions import db as _db
    from lms.models import Quiz

    course = make_course(modules=1, lessons=1)
    module = course_module = _db.session.scalar(select(Module).where(Module.course_id == course.id))
    _db.session.add(Quiz(course_id=course.id, module_id=course_module.id, slug="check", title_ja="確認テスト",
                         title_en="Check", pass_mark=70))
    _db.session.commit()
    user = make_user(locale="ja")
    enrol(user, course)
    client.login(user)
    lesson = _db.session.scalar(select(Lesson).where(Lesson.module_id == module.id))
    html = client.get(f"/courses/{course.slug}/lessons/{lesson.slug}").get_data(as_text=True)
    assert "小テスト：確認テスト" in html and "小テスト: " not in html


def test_marking_a_lesson_complete_confirms_it_beside_the_button(client, make_course, make_user, enrol):
    course = make_course(modules=1, lessons=2)
    user = make_user()
    enrol(user, course)
    client.login(user)
    lesson_url = f"/courses/{course.slug}/lessons/lesson-1-1"
    response = client.post_form(f"{lesson_url}/complete", {"done": "1", "then": "stay"})
    assert response.headers["Location"] == f"{lesson_url}#lesson-actions"
    html = client.get(lesson_url).get_data(as_text=True)
    actions = html[html.index('id="lesson-actions"'):]
    assert 'role="status">Lesson marked as complete.</p>' in actions  # beside the button, not above the lesson
    assert html.count("Lesson marked as complete.") == 1
    assert "You completed this lesson." in actions and "Mark as not complete" in actions
    assert "Lesson marked as complete." not in client.get(lesson_url).get_data(as_text=True)  # shown once

    client.post_form(f"{lesson_url}/complete", {"done": "0"})
    html = client.get(lesson_url).get_data(as_text=True)
    assert "Lesson marked as not complete." in html[html.index('id="lesson-actions"'):]

    response = client.post_form(f"{lesson_url}/complete", {"done": "1", "then": "next"})
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="flash flash-success" role="status">Lesson marked as complete.' in html
