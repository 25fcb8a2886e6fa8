"""The program's main path in a real browser: Japanese for the trainee, English for staff."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from lms.extensions import db
from lms.models import Course, User
from lms.services import learning

from .conftest import log_in, tab_to
from .quiz_helpers import attempt_id_of, fill_correct, put_in_order, questions_of

COURSE = "global-entrepreneur"
QUIZ = f"/courses/{COURSE}/quizzes/customer-discovery"


def new_page(browser, base_url, locale):
    context = browser.new_context(base_url=base_url, locale=locale)
    return context.new_page()


def test_enrol_read_and_pass_a_quiz(browser, base_url, in_app, page):
    with in_app():
        trainee_id = db.session.scalar(select(User.id).where(User.email == "trainee@example.org"))
        course_id = db.session.scalar(select(Course.id).where(Course.slug == COURSE))

    # How many graded attempts the item analysis counts before this trainee's.
    mentor = new_page(browser, base_url, "en-US")
    log_in(mentor, "mentor")
    mentor.goto(f"{QUIZ}/analysis")
    graded_before = int(mentor.locator(".facts dd").first.inner_text())

    # The admin (in English) enrols the trainee.
    admin = new_page(browser, base_url, "en-US")
    log_in(admin, "admin")
    admin.goto(f"/admin/users/{trainee_id}")
    admin.locator("select[name='enrol-course']").select_option(str(course_id))
    admin.locator("form:has(select[name='enrol-course']) [type=submit]").click()
    expect(admin.locator(".flash-success")).to_contain_text("enrolled")

    # The trainee starts in English (the browser's language) and switches to Japanese.
    page.context.set_extra_http_headers({"Accept-Language": "en-US"})
    log_in(page, "trainee")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("button[name=lang][value=ja]").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")

    # Reads the first lesson and marks it complete.
    page.goto(f"/courses/{COURSE}/")
    page.locator(".course-status a.button").click()
    expect(page.locator("article.lesson h1")).to_be_visible()
    page.locator("button[name=then][value=stay]").click()
    expect(page.locator(".lesson-actions")).to_contain_text("このレッスンは完了しています")

    # Takes the module's quiz: half the answers, save, reload: they are still there.
    page.goto(QUIZ)
    page.locator("form[action$='/start'] button").click()
    page.wait_for_url(re.compile(r"/quiz-attempts/\d+$"))
    attempt_id = attempt_id_of(page)
    questions = questions_of(in_app, attempt_id)
    first_half = [q for q in questions if q.type != "ordering"][:3]
    for question in first_half:
        fill_correct(page, question)
    page.locator(".form-actions button[name=action][value=save]").click()
    expect(page.locator(".flash-success")).to_contain_text("解答を保存しました")
    page.reload()
    for question in first_half:
        if question.type in ("single", "true_false", "multiple"):
            assert page.locator(f"#q{question.id} input:checked").count() >= 1
        else:
            assert page.locator(f"#q{question.id} input[type=text]").input_value() != ""

    # Answers the rest, orders the steps, finishes and submits.
    for question in questions:
        fill_correct(page, question)
    page.locator(".form-actions button[name=action][value=save]").click()
    for question in questions:
        if question.type == "ordering":
            put_in_order(page, question)
    page.locator(".form-actions button[name=action][value=finish]").click()
    expect(page.locator("h1")).to_have_text("受験を終了する")
    page.locator("form[action$='/submit'] button").click()
    expect(page.locator(".result .score")).to_have_text("100%")
    expect(page.locator(".result")).to_contain_text("合格")
    expect(page.locator(".feedback").first).to_be_visible()  # revealed once passed

    # The course page counts the quiz as passed.
    page.goto(f"/courses/{COURSE}/")
    expect(page.locator(".quiz-step").first).to_contain_text("合格")

    # A mentor (in English) sees the attempt in the item analysis (other browser tests may have graded some before).
    mentor.goto(f"{QUIZ}/analysis")
    expect(mentor.locator(".facts")).to_contain_text("Graded attempts")
    expect(mentor.locator(".facts dd").first).to_have_text(str(graded_before + 1))
    expect(mentor.locator("table.analysis")).to_contain_text("100%")


def test_login_lesson_and_quiz_work_with_the_keyboard_alone(browser, base_url, in_app):
    with in_app():
        user = db.session.scalar(select(User).where(User.email == "keys@example.org"))
        learning.enrol(user, learning.get_course(COURSE), source="admin")
    page = new_page(browser, base_url, "ja-JP")
    page.goto("/auth/login")
    tab_to(page, "input[name=email]")
    page.keyboard.type("keys@example.org")
    tab_to(page, "input[name=password]")
    page.keyboard.type("correct horse battery")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/auth/login" not in url)

    page.goto(f"/courses/{COURSE}/lessons/discovery-interviews")
    tab_to(page, "button[name=then][value=stay]")
    page.keyboard.press("Enter")
    expect(page.locator(".lesson-actions")).to_contain_text("このレッスンは完了しています")

    page.goto(QUIZ)
    tab_to(page, "form[action$='/start'] button")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/quiz-attempts/\d+$"))
    question = next(q for q in questions_of(in_app, attempt_id_of(page)) if q.type == "single")
    correct = next(c["id"] for c in question.data["choices"] if c["correct"])
    # Tab reaches a radio group; the arrow keys move within it, Space picks.
    tab_to(page, f"#q{question.id} input[type=radio]")
    for _ in range(len(question.data["choices"])):
        if page.evaluate("() => document.activeElement.value") == correct:
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    tab_to(page, ".form-actions button[value=finish]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/finish$"))
    tab_to(page, "form[action$='/submit'] button")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/review$"))
    expect(page.locator(".result .score")).to_be_visible()
    # This quiz shows answers only once passed: the trainee sees their own pick, not whether it was right.
    expect(page.locator(f"#q{question.id} .choice.picked")).to_have_count(1)
    expect(page.locator(f"#q{question.id}")).to_contain_text("あなたの解答")
