"""JavaScript as progressive enhancement, in a real browser: background saving of quiz answers and assignment
drafts, the language switch keeping an unsaved choice, the live countdown of a timed quiz, ordering by drag and
drop and by keyboard, and the confirmation dialog. (The copy button and the revocation dialog are in
test_review_and_certificate.py.) Each test has its own trainee, so the tests do not depend on each other."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.extensions import db
from lms.models import Question, QuizAttempt, QuizResponse, Role, Submission, SubmissionVersion, User
from lms.services import accounts, cohorts, learning

from ..conftest import PASSWORD
from .quiz_helpers import attempt_id_of, questions_of

COURSE = "global-entrepreneur"
ORDERING_QUIZ = f"/courses/{COURSE}/quizzes/fundraising-milestones"
TIMED_QUIZ = f"/courses/{COURSE}/quizzes/intellectual-property"  # 30 minutes
ASSIGNMENT = f"/courses/{COURSE}/assignments/customer-discovery-plan"


@pytest.fixture
def trainee(in_app, request):
    """A trainee of their own, enrolled in the course; returns their e-mail address."""
    email = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[:40].strip("-") + "@example.org"
    with in_app():
        profile = accounts.Profile(name_ja="試験 花子", name_latin="Hanako Test", organisation="Skyfront Bio",
                                   locale="en")
        user = accounts.create_user(email, PASSWORD, profile, {Role.TRAINEE})
        learning.enrol(user, learning.get_course(COURSE), source="admin")
    return email


def open_page(browser, base_url, email, locale="en-US"):
    context = browser.new_context(base_url=base_url, locale=locale)
    page = context.new_page()
    page.goto("/auth/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_url(lambda url: "/auth/login" not in url)
    return page


def start_quiz(page, url):
    page.goto(url)
    page.locator("form[action$='/start'] button").click()
    page.wait_for_url(re.compile(r"/quiz-attempts/\d+$"))
    return attempt_id_of(page)


def saved_answers(in_app, attempt_id):
    with in_app():
        return {r.question_id: r.answer for r in db.session.scalars(
            select(QuizResponse).where(QuizResponse.attempt_id == attempt_id))}


def mark_page(page):
    """Set a marker that a page load would wipe: proves that something happened without a reload."""
    page.evaluate("() => { window.lmsMarker = 'same page'; }")


def same_page(page):
    return page.evaluate("() => window.lmsMarker") == "same page"


def order_of(page, question):
    return page.locator(f"#q{question.id} input[name='q{question.id}']").evaluate_all("els => els.map(e => e.value)")


def test_quiz_answers_save_in_the_background_and_survive_a_reload(browser, base_url, in_app, trainee):
    page = open_page(browser, base_url, trainee)
    attempt_id = start_quiz(page, ORDERING_QUIZ)
    questions = questions_of(in_app, attempt_id)
    single = next(q for q in questions if q.type == "single")
    typed = next((q for q in questions if q.type in ("text", "numeric")), None)
    mark_page(page)

    choice = single.data["choices"][1]["id"]
    page.locator(f"#q{single.id} input[value='{choice}']").check()
    if typed is not None:
        page.locator(f"#q{typed.id} input[type=text]").fill("42")
    status = page.locator("[data-autosave-status]")
    expect(status).to_have_text(re.compile(r"^Saved \d\d:\d\d$"))  # no button pressed
    assert same_page(page)
    answers = saved_answers(in_app, attempt_id)
    assert answers[single.id] == choice
    if typed is not None:
        assert answers[typed.id] == "42"

    page.reload()
    expect(page.locator(f"#q{single.id} input[value='{choice}']")).to_be_checked()
    if typed is not None:
        expect(page.locator(f"#q{typed.id} input[type=text]")).to_have_value("42")


def test_language_switch_mid_quiz_keeps_an_unsaved_choice(browser, base_url, in_app, trainee):
    page = open_page(browser, base_url, trainee)
    attempt_id = start_quiz(page, ORDERING_QUIZ)
    single = next(q for q in questions_of(in_app, attempt_id) if q.type == "single")
    choice = single.data["choices"][2]["id"]
    page.locator(f"#q{single.id} input[value='{choice}']").check()
    page.locator("button[name=lang][value=ja]").click()  # at once: the background save has not run yet
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    assert page.url.endswith(f"/quiz-attempts/{attempt_id}")
    expect(page.locator(f"#q{single.id} input[value='{choice}']")).to_be_checked()
    assert saved_answers(in_app, attempt_id)[single.id] == choice


def test_leaving_with_unsaved_changes_asks_first(browser, base_url, in_app, trainee):
    page = open_page(browser, base_url, trainee)
    attempt_id = start_quiz(page, ORDERING_QUIZ)
    typed = next(q for q in questions_of(in_app, attempt_id) if q.type in ("text", "numeric"))
    page.route("**/quiz-attempts/*", lambda route: route.abort() if route.request.method == "POST" else
               route.continue_())  # the server cannot be reached
    page.locator(f"#q{typed.id} input[type=text]").fill("12")
    error = page.locator("[data-autosave-error]")
    expect(error).to_contain_text("the server could not be reached")
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.evaluate("() => { location.href = '/'; }")  # script navigation, so the page can ask
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]
    expect(page.locator(f"#q{typed.id} input[type=text]")).to_have_value("12")  # stayed, nothing lost
    page.unroute("**/quiz-attempts/*")
    expect(page.locator("[data-autosave-status]")).to_have_text(re.compile(r"^Saved"), timeout=10_000)  # retried
    assert saved_answers(in_app, attempt_id)[typed.id] == "12"


def test_ordering_by_drag_and_drop_with_the_mouse(browser, base_url, in_app, trainee):
    page = open_page(browser, base_url, trainee)
    attempt_id = start_quiz(page, ORDERING_QUIZ)
    question = next(q for q in questions_of(in_app, attempt_id) if q.type == "ordering")
    mark_page(page)
    before = order_of(page, question)
    items = page.locator(f"#q{question.id} ol.ordering > li")
    items.last.scroll_into_view_if_needed()  # the mouse works in the viewport
    first, third = items.nth(0).bounding_box(), items.nth(2).bounding_box()
    page.mouse.move(first["x"] + 10, first["y"] + first["height"] / 2)
    page.mouse.down()
    for step in range(1, 11):  # SortableJS follows the pointer's moves
        page.mouse.move(first["x"] + 10, first["y"] + (third["y"] + third["height"] * 0.75 - first["y"]) * step / 10)
        page.wait_for_timeout(20)
    page.mouse.up()
    after = order_of(page, question)
    assert after != before and sorted(after) == sorted(before)
    assert after.index(before[0]) == 2
    expect(page.locator("[data-autosave-status]")).to_have_text(re.compile(r"^Saved"), timeout=10_000)
    expect(page.locator("[data-autosave-error]")).to_be_empty()  # nothing was posted mid-drag
    assert same_page(page)
    assert saved_answers(in_app, attempt_id)[question.id] == after
    # The buttons follow: no Up on the first item, no Down on the last.
    expect(items.nth(0).locator("button[data-move=up]")).to_be_hidden()
    expect(items.last.locator("button[data-move=down]")).to_be_hidden()
    page.reload()
    assert order_of(page, question) == after


def test_ordering_by_keyboard_moves_in_place_and_announces(browser, base_url, in_app, trainee):
    page = open_page(browser, base_url, trainee)
    attempt_id = start_quiz(page, ORDERING_QUIZ)
    question = next(q for q in questions_of(in_app, attempt_id) if q.type == "ordering")
    mark_page(page)
    before = order_of(page, question)
    total = len(before)
    down = page.locator(f"#q{question.id} button[value='{question.id}:{before[0]}:down']")
    down.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Space")  # the focus stays on the moved item's button
    after = order_of(page, question)
    assert after.index(before[0]) == 2
    assert page.evaluate("() => document.activeElement.value") == f"{question.id}:{before[0]}:down"
    expect(page.locator(f"#q{question.id} [data-ordering-status]")).to_contain_text(f"now 3 of {total}")
    expect(page.locator("[data-autosave-status]")).to_have_text(re.compile(r"^Saved"), timeout=10_000)
    assert same_page(page)
    assert saved_answers(in_app, attempt_id)[question.id] == after
    page.reload()
    assert order_of(page, question) == after


def test_timed_quiz_counts_down_from_the_server_deadline_warns_and_submits(browser, base_url, in_app, trainee):
    page = open_page(browser, base_url, trainee)
    attempt_id = start_quiz(page, TIMED_QUIZ)
    questions = questions_of(in_app, attempt_id)
    single = next(q for q in questions if q.type == "single")

    def deadline_in(delta):
        with in_app():
            db.session.get(QuizAttempt, attempt_id).deadline = datetime.now(timezone.utc) + delta

    # This computer's clock is two hours fast: the countdown still follows the server.
    page.clock.set_system_time(datetime.now(timezone.utc) + timedelta(hours=2))
    deadline_in(timedelta(minutes=5, seconds=3))
    page.reload()
    clock = page.locator("[data-countdown-clock]")
    expect(clock).to_have_text(re.compile(r"^Time left: 5:0\d$"))
    expect(page.locator("[data-countdown-alert]")).to_have_text(
        "5 minutes left. Answers saved before the deadline count.", timeout=8_000)
    expect(clock).to_have_text(re.compile(r"^Time left: 4:5\d$"))

    deadline_in(timedelta(seconds=5))
    page.reload()
    expect(page.locator("[data-countdown-alert]")).to_contain_text("1 minute left")
    choice = next(c["id"] for c in single.data["choices"] if c["correct"])
    page.locator(f"#q{single.id} input[value='{choice}']").check()  # chosen in the last seconds: saved, graded
    page.wait_for_url(re.compile(rf"/quiz-attempts/{attempt_id}/review$"), timeout=15_000)
    with in_app():
        attempt = db.session.get(QuizAttempt, attempt_id)
        assert attempt.state == "graded"
        response = db.session.scalar(select(QuizResponse).where(QuizResponse.attempt_id == attempt_id,
                                                                QuizResponse.question_id == single.id))
        assert response.answer == choice and response.fraction == 1


def test_assignment_text_saves_in_the_background_and_a_stale_page_is_told(browser, base_url, in_app, trainee):
    page = open_page(browser, base_url, trainee)
    page.goto(ASSIGNMENT)
    mark_page(page)
    section = page.locator("textarea[name^='section-']").first
    name = section.get_attribute("name")
    section.fill("最初の仮説：中堅製薬企業の薬事担当者は、相談準備に時間がかかりすぎている。")
    expect(page.locator("[data-autosave-status]")).to_have_text(re.compile(r"^Saved \d\d:\d\d$"))
    assert same_page(page)
    page.reload()
    expect(page.locator(f"textarea[name='{name}']")).to_have_value(
        "最初の仮説：中堅製薬企業の薬事担当者は、相談準備に時間がかかりすぎている。")

    # The same draft in a second tab: its saves take the draft's lock, so this page becomes stale.
    other = page.context.new_page()
    other.goto(ASSIGNMENT)
    other.locator(f"textarea[name='{name}']").fill("別のタブで書いた文章。")
    expect(other.locator("[data-autosave-status]")).to_have_text(re.compile(r"^Saved"))
    page.locator(f"textarea[name='{name}']").fill("このタブで書き足した文章。")
    expect(page.locator("[data-autosave-error]")).to_contain_text("saved in another window or tab")
    expect(page.locator(f"textarea[name='{name}']")).to_have_value("このタブで書き足した文章。")  # kept
    with in_app():
        user_id = db.session.scalar(select(User.id).where(User.email == trainee))
        version = db.session.scalar(select(SubmissionVersion).join(Submission).where(Submission.user_id == user_id)
                                    .order_by(SubmissionVersion.number.desc()))
        assert version.sections[name.removeprefix("section-")] == "別のタブで書いた文章。"  # not overwritten

    # The second tab goes on saving and its Save button still works (the background answers carry the lock).
    other.locator(f"textarea[name='{name}']").fill("別のタブで書いた文章。続き。")
    expect(other.locator("[data-autosave-status]")).to_have_text(re.compile(r"^Saved"))
    other.locator("button[name=action][value=save]").click()
    expect(other.locator(".flash-success")).to_contain_text("Draft saved.")


def test_removing_a_cohort_member_asks_in_a_dialog(browser, base_url, in_app, trainee):
    with in_app():
        course = learning.get_course(COURSE)
        cohort = cohorts.create_cohort("確認 第1期", "Confirm cohort", course.program, datetime.now().date(), None)
        cohorts.add_member(cohort, trainee, "trainee")
        db.session.flush()
        cohort_id = cohort.id
    admin = open_page(browser, base_url, "admin@example.org")
    admin.goto(f"/admin/cohorts/{cohort_id}")
    row = admin.locator("tr", has_text=trainee)
    dialog = admin.locator("dialog[data-confirm-dialog]")

    row.locator("a[data-confirm]").click()
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Remove Hanako Test (Trainee) from the cohort Confirm cohort?")
    expect(dialog.locator("[data-confirm-cancel]")).to_be_focused()  # the safe choice first
    admin.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(row).to_have_count(1)
    assert admin.url.endswith(f"/admin/cohorts/{cohort_id}")

    row.locator("a[data-confirm]").click()
    dialog.locator("[data-confirm-yes]").click()
    expect(admin.locator(".flash-success")).to_contain_text("Removed from the cohort.")
    expect(admin.locator("tr", has_text=trainee)).to_have_count(0)
