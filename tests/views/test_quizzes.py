"""Taking a quiz through the pages: answers kept, graded once on the server, revealed by policy, never tampered."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from tests.content.helpers import import_courses  # imports and commits, as the CLI does
from lms.extensions import db
from lms.models import Course, Question, Quiz, QuizAttempt, QuizChoicePick, QuizResponse, QuizResult
from lms.services import quizzes

from ..content.helpers import CORRECT, quiz_toml, write_course, write_quiz

WRONG = {"pick-one": "a", "pick-many": ["c"], "true-or-false": "true", "how-many": "50", "term": "GMP",
         "steps": ["three", "two", "one"]}


@pytest.fixture
def make_quiz(app, tmp_path):
    """Import the test course with the test quiz in module "basics"; returns the Quiz."""

    def make(settings="", toml=None):
        root = tmp_path / "courses"
        folder = root / "test-course"
        if not folder.exists():
            write_course(root)
        write_quiz(folder, settings=settings, toml=toml)
        import_courses(root)
        return db.session.scalar(select(Quiz))

    return make


@pytest.fixture
def trainee(make_user, make_quiz, enrol):
    def make(locale="en"):
        user = make_user(locale=locale)
        enrol(user, db.session.scalar(select(Course)))
        return user

    return make


@pytest.fixture
def clock(monkeypatch):
    """A clock the test moves: ``clock.now += timedelta(...)``."""

    class Clock:
        now = datetime(2026, 4, 1, 1, 0, tzinfo=timezone.utc)

    monkeypatch.setattr("lms.clock.now", lambda: Clock.now)
    return Clock


def quiz_url(suffix=""):
    return f"/courses/test-course/quizzes/basics{suffix}"


def start(client) -> QuizAttempt:
    response = client.post_form(quiz_url("/start"))
    assert response.status_code == 302, response.status_code
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return db.session.get(QuizAttempt, attempt_id)


def form_for(client, attempt, answers: dict, action="save", extra=()) -> MultiDict:
    """The attempt form as a browser would post it, answers given by question key."""
    keys = {q.id: q.key for q in db.session.scalars(select(Question))}
    data = MultiDict([("csrf_token", client.csrf_token()), ("action", action)])
    for qid in attempt.layout["questions"]:
        key = keys[qid]
        data.add("shown", str(qid))
        value = answers.get(key)
        if key == "steps" and value is None:
            value = attempt.layout["items"][str(qid)]
        for item in (value if isinstance(value, list) else [value] if value is not None else []):
            data.add(f"q{qid}", item)
    for name, value in extra:
        data.add(name, value)
    return data


def save(client, attempt, answers, action="save", extra=()):
    return client.raw.post(f"/quiz-attempts/{attempt.id}", data=form_for(client, attempt, answers, action, extra))


def submit(client, attempt):
    return client.post_form(f"/quiz-attempts/{attempt.id}/submit")


def take(client, answers) -> QuizAttempt:
    attempt = start(client)
    assert save(client, attempt, answers).status_code == 302
    assert submit(client, attempt).status_code == 302
    db.session.expire_all()
    return db.session.get(QuizAttempt, attempt.id)


def question(key) -> Question:
    return db.session.scalar(select(Question).where(Question.key == key))


# --- the whole flow


def test_a_trainee_takes_the_quiz_in_japanese_reloads_and_passes(client, make_quiz, trainee):
    make_quiz()
    user = trainee(locale="ja")
    client.login(user)
    overview = client.get(quiz_url()).get_data(as_text=True)
    assert "確認テスト" in overview and "合格点" in overview and "小テストを始める" in overview
    attempt = start(client)
    page = client.get(f"/quiz-attempts/{attempt.id}").get_data(as_text=True)
    assert "一つ選ぶ" in page and "選択肢A" in page and "問題1" in page

    assert save(client, attempt, CORRECT).status_code == 302
    reloaded = client.get(f"/quiz-attempts/{attempt.id}").get_data(as_text=True)
    b = re.search(r'<input type="radio" name="q%d" value="b"[^>]*>' % question("pick-one").id, reloaded).group(0)
    assert "checked" in b
    assert 'value="42"' in reloaded and 'value="GCTP"' in reloaded

    client.logout()
    client.login(user)  # a new session finds the same answers
    assert 'value="GCTP"' in client.get(f"/quiz-attempts/{attempt.id}").get_data(as_text=True)

    finish = client.get(f"/quiz-attempts/{attempt.id}/finish").get_data(as_text=True)
    assert "すべて提出して終了する" in finish
    response = submit(client, attempt)
    assert response.headers["Location"].endswith(f"/quiz-attempts/{attempt.id}/review")
    review = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "100%" in review and "合格" in review and "Bが正しい" in review

    course_page = client.get("/courses/test-course/").get_data(as_text=True)
    assert "合格" in course_page
    result = db.session.scalar(select(QuizResult))
    assert (result.percent, result.passed, result.attempts) == (100.0, True, 1)


def test_passing_the_quiz_counts_towards_module_and_course_progress(client, make_quiz, trainee, complete):
    make_quiz()
    user = trainee()
    client.login(user)
    from lms.models import Lesson
    complete(user, db.session.scalars(select(Lesson)).all())
    html = client.get("/courses/test-course/").get_data(as_text=True)
    assert "3 of 4 steps done" in html and "Continue: Check" in html  # the quiz is the step left
    take(client, WRONG)
    assert "3 of 4 steps done" in client.get("/courses/test-course/").get_data(as_text=True)
    take(client, CORRECT)
    html = client.get("/courses/test-course/").get_data(as_text=True)
    assert "4 of 4 steps done" in html and "(100%)" in html
    assert "Course complete" in client.get("/dashboard").get_data(as_text=True)


def test_grading_policy_latest_can_take_a_pass_away(client, make_quiz, trainee):
    make_quiz('grading = "latest"')
    client.login(trainee())
    take(client, CORRECT)
    assert db.session.scalar(select(QuizResult.passed)) is True
    take(client, WRONG)
    result = db.session.scalar(select(QuizResult))
    assert (result.percent, result.passed, result.attempts) == (0.0, False, 2)


def test_grading_policy_highest_keeps_the_best(client, make_quiz, trainee):
    make_quiz()
    client.login(trainee())
    take(client, CORRECT)
    take(client, WRONG)
    assert db.session.scalar(select(QuizResult.percent)) == 100.0


def test_partial_answers_grade_by_points(client, make_quiz, trainee):
    make_quiz()
    client.login(trainee())
    # pick-many (2 points) half right by partial credit, everything else right: (5 + 0.5 * 2) / 7
    attempt = take(client, {**CORRECT, "pick-many": ["a"]})
    assert attempt.percent == pytest.approx(600 / 7) and attempt.passed


def test_the_result_page_shows_the_quiz_points_and_a_rounded_percentage(client, make_quiz, trainee):
    make_quiz()
    client.login(trainee())
    attempt = take(client, {**CORRECT, "pick-one": "a"})  # 6 of 7 points: 85.714…%
    page = client.get(f"/quiz-attempts/{attempt.id}/review").get_data(as_text=True)
    assert "85.7%" in page and "85.71" not in page
    assert "6 / 7 points" in page
    assert re.search(r"<h1>\s*Check\s*</h1>", page)


def test_percentages_are_the_same_on_the_result_page_and_in_item_analysis(client, make_client, make_quiz,
                                                                           trainee, make_user):
    make_quiz()
    client.login(trainee())
    attempt = take(client, {"pick-one": "b"})  # 1 of 7 points: 14.2857…%
    assert "14.3%" in client.get(f"/quiz-attempts/{attempt.id}/review").get_data(as_text=True)
    mentor = make_client()
    mentor.login(make_user("mentor"))
    analysis = mentor.get(quiz_url("/analysis")).get_data(as_text=True)
    assert "14.3%" in analysis and "14.28" not in analysis


# --- reveal policy: the HTML carries no correct answer or feedback before it may


SECRETS = ("B is right because", "General feedback for pick-one", "A is a misconception", "Correct answer</span>",
           "Correct answer:", "Correct order", "is-correct", "outcome-")


def test_attempt_page_never_carries_answers_or_feedback(client, make_quiz, trainee):
    make_quiz()
    client.login(trainee())
    attempt = start(client)
    page = client.get(f"/quiz-attempts/{attempt.id}").get_data(as_text=True)
    page = re.sub(r'value="[A-Za-z0-9._-]{30,}"', "", page)  # the CSRF token may contain anything
    for secret in SECRETS + ("correct", "GCTP"):
        assert secret not in page
    numeric = question("how-many").id
    assert re.search(r'name="q%d" value=""' % numeric, page)  # the numeric box is empty, not "42"


@pytest.mark.parametrize("settings", ['reveal = "once_passed"', 'reveal = "never"',
                                      'reveal = "after_last_attempt"\nmax_attempts = 2'])
def test_a_failed_attempt_shows_no_answers_before_the_policy_allows(client, make_quiz, trainee, settings):
    make_quiz(settings)
    client.login(trainee())
    attempt = take(client, {**WRONG, "pick-one": "a"})
    review = client.get(f"/quiz-attempts/{attempt.id}/review").get_data(as_text=True)
    assert "0%" in review and "Not passed" in review
    for secret in SECRETS + ("Incorrect", "GCTP"):
        assert secret not in review


def test_after_each_attempt_shows_answers_and_feedback_for_the_picked_choice(client, make_quiz, trainee):
    make_quiz('reveal = "after_attempt"')
    client.login(trainee())
    attempt = take(client, WRONG)
    review = client.get(f"/quiz-attempts/{attempt.id}/review").get_data(as_text=True)
    assert "A is a misconception" in review and "General feedback for pick-one" in review
    assert "B is right because" not in review  # feedback of a choice the trainee did not pick
    assert "Correct answer" in review and "GCTP" in review and "Correct order" in review


def test_once_passed_reveals_all_attempts_after_a_pass(client, make_quiz, trainee):
    make_quiz('reveal = "once_passed"')
    client.login(trainee())
    failed = take(client, WRONG)
    take(client, CORRECT)
    review = client.get(f"/quiz-attempts/{failed.id}/review").get_data(as_text=True)
    assert "A is a misconception" in review and "Correct answer" in review


def test_after_last_attempt_reveals_when_attempts_are_used_up(client, make_quiz, trainee):
    make_quiz('reveal = "after_last_attempt"\nmax_attempts = 2')
    client.login(trainee())
    first = take(client, WRONG)
    assert "Correct answer</span>" not in client.get(f"/quiz-attempts/{first.id}/review").get_data(as_text=True)
    take(client, WRONG)
    assert "Correct answer</span>" in client.get(f"/quiz-attempts/{first.id}/review").get_data(as_text=True)


def test_once_passed_or_last_reveals_on_a_pass_or_when_attempts_are_used_up(client, make_quiz, trainee, make_client):
    make_quiz('reveal = "once_passed_or_last"\nmax_attempts = 2')
    client.login(trainee())
    passed = take(client, CORRECT)
    assert "Correct answer</span>" in client.get(f"/quiz-attempts/{passed.id}/review").get_data(as_text=True)
    other = make_client()
    other.login(trainee())
    first = take(other, WRONG)
    page = other.get(f"/quiz-attempts/{first.id}/review").get_data(as_text=True)
    assert "Correct answer</span>" not in page and "once you pass this quiz, or after your last attempt" in page
    take(other, WRONG)
    assert "Correct answer</span>" in other.get(f"/quiz-attempts/{first.id}/review").get_data(as_text=True)


# --- attempts, time limit, order and pools


def test_attempt_limit(client, make_quiz, trainee):
    make_quiz("max_attempts = 1")
    client.login(trainee())
    take(client, WRONG)
    response = client.post_form(quiz_url("/start"), follow_redirects=True)
    assert "You have used all your attempts at this quiz." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(QuizAttempt.id))) == 1


def test_starting_twice_resumes_the_attempt_in_progress(client, make_quiz, trainee):
    make_quiz()
    client.login(trainee())
    first = start(client)
    assert start(client).id == first.id
    assert db.session.scalar(select(func.count(QuizAttempt.id))) == 1


def test_time_limit_counts_answers_saved_before_the_deadline(client, make_quiz, trainee, clock):
    make_quiz("time_limit = 10")
    client.login(trainee())
    attempt = start(client)
    assert attempt.deadline == clock.now + timedelta(minutes=10)
    clock.now += timedelta(minutes=9)
    assert save(client, attempt, {**WRONG, "pick-one": "b"}).status_code == 302
    clock.now += timedelta(minutes=2)
    late = save(client, attempt, CORRECT)
    assert late.status_code == 400
    assert "after the deadline and were not saved" in late.get_data(as_text=True)
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt.id)
    assert attempt.state == "graded" and attempt.closed_by_deadline
    assert attempt.percent == pytest.approx(100 / 7)  # only the answer saved in time counts


def test_an_abandoned_timed_attempt_is_graded_by_one_click_not_by_a_page_view(client, make_quiz, trainee, clock):
    make_quiz("time_limit = 5")
    client.login(trainee())
    attempt = start(client)
    save(client, attempt, CORRECT)
    clock.now += timedelta(hours=3)
    response = client.get(f"/quiz-attempts/{attempt.id}")
    assert response.headers["Location"].endswith("/review")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Time is up" in page and f"/quiz-attempts/{attempt.id}/close" in page
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).percent is None  # a GET writes nothing
    response = client.post_form(f"/quiz-attempts/{attempt.id}/close")
    assert response.headers["Location"].endswith(f"/quiz-attempts/{attempt.id}/review")
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).percent == 100.0
    assert "closed at the time limit" in client.get(quiz_url()).get_data(as_text=True)


def test_the_scheduler_grades_abandoned_attempts_every_minute(client, make_quiz, trainee, clock):
    from lms import tasks

    make_quiz("time_limit = 5")
    client.login(trainee())
    attempt = start(client)
    save(client, attempt, CORRECT)
    tasks.close_overdue_attempts.call_local()
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).state == "in_progress"  # still within its time
    clock.now += timedelta(minutes=5, seconds=11)  # the limit and the 10 s network allowance
    tasks.close_overdue_attempts.call_local()
    db.session.expire_all()
    graded = db.session.get(QuizAttempt, attempt.id)
    assert graded.state == "graded" and graded.closed_by_deadline and graded.percent == 100.0


def test_shuffled_order_is_fixed_for_the_attempt(client, make_quiz, trainee):
    make_quiz("shuffle_questions = true\nshuffle_choices = true")
    client.login(trainee())
    attempt = start(client)
    first = client.get(f"/quiz-attempts/{attempt.id}").get_data(as_text=True)
    again = client.get(f"/quiz-attempts/{attempt.id}").get_data(as_text=True)
    order = re.findall(r'name="shown" value="(\d+)"', first)
    assert order == re.findall(r'name="shown" value="(\d+)"', again)
    assert re.findall(r'value="([a-c])"', first) == re.findall(r'value="([a-c])"', again)


def test_shuffling_varies_between_attempts_and_draws_come_from_the_pool(app, make_quiz):
    quiz = make_quiz("draw = 3\nshuffle_questions = true\nshuffle_choices = true")
    questions = db.session.scalars(select(Question).order_by(Question.position)).all()
    layouts = [quizzes.draw_layout(quiz, questions, random.Random(seed)) for seed in range(60)]
    assert all(len(layout["questions"]) == 3 == len(set(layout["questions"])) for layout in layouts)
    seen = {qid for layout in layouts for qid in layout["questions"]}
    assert seen == {q.id for q in questions}  # every question of the pool gets drawn
    assert len({tuple(layout["questions"]) for layout in layouts}) > 10
    steps = str(question("steps").id)
    starting_orders = [tuple(layout["items"][steps]) for layout in layouts if steps in layout["items"]]
    assert starting_orders and ("one", "two", "three") not in starting_orders  # never starts solved


def test_without_shuffling_questions_keep_the_file_order(app, make_quiz):
    quiz = make_quiz()
    questions = db.session.scalars(select(Question).order_by(Question.position)).all()
    layout = quizzes.draw_layout(quiz, questions, random.Random(1))
    assert layout["questions"] == [q.id for q in questions]
    assert layout["choices"][str(questions[0].id)] == ["a", "b"]


def test_move_buttons_reorder_and_save(client, make_quiz, trainee):
    make_quiz()
    client.login(trainee())
    attempt = start(client)
    steps = question("steps")
    order = list(attempt.layout["items"][str(steps.id)])
    moved = order[1]
    response = save(client, attempt, {}, extra=[("move", f"{steps.id}:{moved}:up")])
    assert response.headers["Location"].endswith(f"#q{steps.id}")
    saved = db.session.scalar(select(QuizResponse.answer).where(QuizResponse.question_id == steps.id))
    assert saved == [order[1], order[0], order[2]]


def test_a_typed_value_that_is_not_a_number_is_kept_and_flagged(client, make_quiz, trainee):
    make_quiz()
    client.login(trainee())
    attempt = start(client)
    response = save(client, attempt, {"how-many": "forty"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Not a number in question" in page and 'value="forty"' in page


def test_unanswered_questions_are_listed_before_submitting(client, make_quiz, trainee):
    make_quiz()
    client.login(trainee())
    attempt = start(client)
    save(client, attempt, {"pick-one": "b"})
    page = client.get(f"/quiz-attempts/{attempt.id}/finish").get_data(as_text=True)
    assert "4 questions have no answer yet." in page  # the ordering question always has an order


# --- submitting once, tampering refused


def test_submitting_twice_grades_once(client, make_quiz, trainee):
    make_quiz()
    client.login(trainee())
    attempt = start(client)
    save(client, attempt, CORRECT)
    token = client.csrf_token()
    for _ in range(3):  # a double click, a replayed form, another tab
        response = client.raw.post(f"/quiz-attempts/{attempt.id}/submit", data={"csrf_token": token})
        assert response.status_code == 302
    assert db.session.scalar(select(func.count(QuizChoicePick.id))) == 4  # single 1 + multiple 2 + true/false 1
    assert db.session.scalar(select(QuizResult.attempts)) == 1
    assert quizzes.submit(db.session.get(QuizAttempt, attempt.id)) is False


def snapshot():
    return (db.session.scalars(select(QuizResponse.answer).order_by(QuizResponse.id)).all(),
            db.session.scalars(select(QuizAttempt.state).order_by(QuizAttempt.id)).all())


def test_an_answer_to_a_question_not_in_the_attempt_is_refused(client, make_quiz, trainee):
    make_quiz("draw = 2")
    client.login(trainee())
    attempt = start(client)
    save(client, attempt, {})
    before = snapshot()
    outside = next(q for q in db.session.scalars(select(Question)) if q.id not in attempt.layout["questions"])
    response = save(client, attempt, {}, extra=[("shown", str(outside.id)), (f"q{outside.id}", "a")])
    assert response.status_code == 400
    response = save(client, attempt, {}, extra=[(f"q{outside.id}", "a")])
    assert response.status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize("tampered", [
    {"pick-one": "zz"}, {"pick-one": ["a", "b"]}, {"pick-many": ["a", "nope"]}, {"true-or-false": "maybe"},
    {"steps": ["one", "one", "two"]}, {"steps": ["one", "two", "zzz"]}, {"term": "x" * 501},
])
def test_impossible_answers_are_refused_and_nothing_changes(client, make_quiz, trainee, tampered):
    make_quiz()
    client.login(trainee())
    attempt = start(client)
    save(client, attempt, {"term": "GCTP"})
    before = snapshot()
    assert save(client, attempt, {"term": "changed", **tampered}).status_code == 400
    assert snapshot() == before


def test_answers_to_a_closed_attempt_are_refused(client, make_quiz, trainee):
    make_quiz()
    client.login(trainee())
    attempt = take(client, {"term": "GMP"})
    before = snapshot()
    response = save(client, attempt, CORRECT)
    assert response.status_code == 400 and "This attempt is closed" in response.get_data(as_text=True)
    assert snapshot() == before


def test_someone_elses_attempt_is_not_found(client, make_client, make_quiz, trainee):
    make_quiz()
    owner, other = trainee(), trainee()
    client.login(owner)
    attempt = start(client)
    save(client, attempt, {"term": "GCTP"})
    intruder = make_client()
    intruder.login(other)
    before = snapshot()
    for path in ("", "/finish", "/review"):
        assert intruder.get(f"/quiz-attempts/{attempt.id}{path}").status_code == 404
    assert intruder.raw.post(f"/quiz-attempts/{attempt.id}",
                             data=form_for(intruder, attempt, CORRECT)).status_code == 404
    assert intruder.post_form(f"/quiz-attempts/{attempt.id}/submit").status_code == 404
    assert snapshot() == before


def test_saving_without_a_csrf_token_is_refused(client, make_quiz, trainee):
    make_quiz()
    client.login(trainee())
    attempt = start(client)
    data = form_for(client, attempt, CORRECT)
    del data["csrf_token"]
    assert client.raw.post(f"/quiz-attempts/{attempt.id}", data=data).status_code == 400
    assert db.session.scalar(select(func.count(QuizResponse.id))) == 0


def test_staff_see_the_quiz_but_only_enrolled_trainees_take_it(client, make_quiz, make_user):
    make_quiz()
    client.login(make_user("mentor"))
    page = client.get(quiz_url()).get_data(as_text=True)
    assert "only enrolled trainees take quizzes" in page and "Item analysis" in page
    assert client.post_form(quiz_url("/start")).status_code == 403


def test_a_trainee_who_is_not_enrolled_cannot_open_the_quiz(client, make_quiz, make_user):
    make_quiz()
    client.login(make_user())
    assert client.get(quiz_url()).status_code == 403
    assert client.post_form(quiz_url("/start")).status_code == 403
    assert client.get("/courses/test-course/quizzes/nope").status_code == 404


# --- item analysis


def seed_attempts(client_factory, trainee, answer_sets):
    for answers in answer_sets:
        c = client_factory()
        c.login(trainee())
        take(c, answers)


def test_item_analysis_on_a_known_data_set(make_client, make_quiz, trainee, make_user):
    quiz = make_quiz()
    seed_attempts(make_client, trainee, [
        CORRECT,                                   # 100%
        {**CORRECT, "pick-one": "a"},              # 6/7 = 85.71%
        {**WRONG, "pick-many": ["a", "c"]},        # pick-many partial: 1/2 - 1/1 -> 0; 0%
        {"pick-one": "b"},                          # only pick-one: 1/7 = 14.29%
    ])
    stats = quizzes.item_analysis(quiz)
    assert (stats.attempts, stats.trainees) == (4, 4)
    assert stats.mean_percent == pytest.approx((100 + 85.71 + 0 + 14.29) / 4)
    assert stats.pass_rate == 0.5
    by_key = {s.question.key: s for s in stats.questions}
    pick_one = by_key["pick-one"]
    assert (pick_one.responses, pick_one.facility) == (4, 0.5)
    assert pick_one.picks == {"b": 2, "a": 2}
    assert by_key["pick-many"].picks == {"a": 3, "b": 2, "c": 1}
    assert by_key["term"].facility == 0.5 and by_key["term"].responses == 4  # unanswered counts as wrong
    assert by_key["true-or-false"].picks == {"false": 2, "true": 1}

    mentor = make_client()
    mentor.login(make_user("mentor"))
    page = mentor.get(quiz_url("/analysis")).get_data(as_text=True)
    assert "Facility index" in page and "3 picks" in page and "(75%)" in page


def test_item_analysis_is_for_mentors_and_admins_only(client, make_quiz, trainee):
    make_quiz()
    client.login(trainee())
    assert client.get(quiz_url("/analysis")).status_code == 403


def test_item_analysis_query_count_is_constant(make_client, make_quiz, trainee, make_user, count_queries):
    make_quiz()
    mentor = make_client()
    mentor.login(make_user("mentor"))
    counts = []
    for more in (1, 6):
        seed_attempts(make_client, trainee, [CORRECT, WRONG] * more)
        with count_queries() as q:
            assert mentor.get(quiz_url("/analysis")).status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1], counts


def test_quiz_pages_query_count_is_constant(client, make_quiz, trainee, count_queries):
    make_quiz()
    client.login(trainee())
    counts = []
    for _ in range(2):
        attempt = take(client, CORRECT)
        with count_queries() as q:
            assert client.get(quiz_url()).status_code == 200
            assert client.get(f"/quiz-attempts/{attempt.id}/review").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1], counts


def test_the_cli_closes_overdue_attempts(app, client, make_quiz, trainee, clock):
    make_quiz("time_limit = 5")
    client.login(trainee())
    attempt = start(client)
    save(client, attempt, CORRECT)
    runner = app.test_cli_runner()
    assert "closed 0 overdue attempt(s)" in runner.invoke(args=["lms", "close-overdue-attempts"]).output
    clock.now += timedelta(minutes=6)
    assert "closed 1 overdue attempt(s)" in runner.invoke(args=["lms", "close-overdue-attempts"]).output
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).percent == 100.0


def test_a_page_opened_before_a_choice_was_removed_still_saves(client, make_quiz, trainee, tmp_path):
    make_quiz()
    client.login(trainee())
    attempt = start(client)
    # The course team removes choice "a" of pick-many while the page is open.
    toml = quiz_toml().replace('''[[questions.choices]]
id = "c"
text = { ja = "丙", en = "Gamma" }''', "")
    write_quiz(tmp_path / "courses" / "test-course", toml=toml)
    import_courses(tmp_path / "courses")
    response = save(client, attempt, {"pick-many": ["a", "c"], "term": "GCTP"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "a choice that no longer exists was left out" in page
    saved = {r.question_id: r.answer for r in db.session.scalars(select(QuizResponse))}
    assert saved[question("pick-many").id] == ["a"] and saved[question("term").id] == "GCTP"


@pytest.mark.parametrize("path", ["/quiz-attempts/99999999999", "/quiz-attempts/99999999999999999999999/review",
                                  "/quiz-attempts/0"])
def test_absurd_ids_are_not_found(client, make_quiz, trainee, path):
    make_quiz()
    client.login(trainee())
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("field", [("shown", "²"), ("q²", "a"), ("move", ""), ("move", "1:x"), ("shown", "1" * 30)])
def test_crafted_fields_are_a_400_not_a_crash(client, make_quiz, trainee, field):
    make_quiz()
    client.login(trainee())
    attempt = start(client)
    assert save(client, attempt, {}, extra=[field]).status_code == 400


def test_an_unenrolled_trainee_cannot_go_on_with_an_attempt(client, make_quiz, trainee):
    make_quiz()
    user = trainee()
    client.login(user)
    attempt = start(client)
    save(client, attempt, {"term": "GCTP"})
    from lms.models import Enrolment
    db.session.execute(Enrolment.__table__.delete())
    db.session.commit()
    before = snapshot()
    assert client.get(f"/quiz-attempts/{attempt.id}").status_code == 403
    assert save(client, attempt, CORRECT).status_code == 403
    assert submit(client, attempt).status_code == 403
    assert snapshot() == before and db.session.scalar(select(func.count(QuizResult.id))) == 0


def test_an_attempt_at_an_archived_quiz_cannot_go_on(client, make_quiz, trainee, tmp_path):
    make_quiz()
    client.login(trainee())
    attempt = start(client)
    (tmp_path / "courses" / "test-course" / "basics" / "quiz.toml").unlink()
    import_courses(tmp_path / "courses")
    assert save(client, attempt, CORRECT).status_code == 403


def test_a_quiz_failed_with_every_attempt_used_does_not_block_the_next_step(client, make_quiz, trainee, complete):
    make_quiz("max_attempts = 1")
    user = trainee()
    client.login(user)
    from lms.models import Lesson
    complete(user, [l for l in db.session.scalars(select(Lesson)) if l.slug != "deep-dive"])
    take(client, WRONG)
    page = client.get("/courses/test-course/").get_data(as_text=True)
    assert "every attempt used" in page
    assert "Continue: Deep dive" in page  # not the quiz that can no longer be taken
    assert "2 of 4 steps done" in page  # and it does not count as done


def test_a_new_pass_mark_in_the_files_updates_who_passed(client, make_quiz, trainee):
    make_quiz()
    client.login(trainee())
    take(client, {**CORRECT, "pick-many": ["a"]})  # 85.7%
    assert "1 of 4 steps done" in client.get("/courses/test-course/").get_data(as_text=True)
    make_quiz()  # the same files again: nothing changes
    assert db.session.scalar(select(QuizResult.passed)) is True
    make_quiz(toml=quiz_toml().replace("pass_mark = 70", "pass_mark = 90"))
    db.session.expire_all()
    assert db.session.scalar(select(QuizResult.passed)) is False
    assert db.session.scalar(select(QuizAttempt.passed)) is False
    assert "0 of 4 steps done" in client.get("/courses/test-course/").get_data(as_text=True)  # progress follows


# --- the deadline's grace, to the second (mutation testing found these untested)


def test_answers_count_until_ten_seconds_after_the_deadline_and_not_one_more(client, make_quiz, trainee, clock):
    make_quiz("time_limit = 10")
    client.login(trainee())
    attempt = start(client)
    deadline = attempt.deadline
    clock.now = deadline + quizzes.DEADLINE_GRACE  # the last moment a save still counts
    assert quizzes.DEADLINE_GRACE == timedelta(seconds=10)
    assert save(client, attempt, {**WRONG, "pick-one": "b"}).status_code == 302
    clock.now = deadline + timedelta(seconds=11)
    assert save(client, attempt, CORRECT).status_code == 400
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt.id)
    assert attempt.state == "graded" and attempt.percent == pytest.approx(100 / 7)


def test_the_quiz_status_treats_an_attempt_as_over_only_after_the_grace(client, make_quiz, trainee, clock):
    make_quiz("time_limit = 10")
    user = trainee()
    client.login(user)
    attempt = start(client)
    save(client, attempt, CORRECT)
    quiz = db.session.get(Quiz, attempt.quiz_id)
    clock.now = attempt.deadline + timedelta(seconds=10)
    assert not quizzes.is_overdue(attempt)
    status = quizzes.status(user, quiz)
    assert status.in_progress is not None and status.in_progress.id == attempt.id  # still open at +10 s
    clock.now = attempt.deadline + timedelta(seconds=11)
    assert quizzes.is_overdue(attempt)
    status = quizzes.status(user, quiz)  # over, though not graded yet: a status is read by GETs, which never write
    assert status.in_progress is None and status.can_start is True
    [waiting] = status.attempts
    assert waiting.state == "in_progress" and status.result is None
    quizzes.close_overdue(quiz_id=quiz.id, user_id=user.id)  # the scheduler, or "Grade now"
    db.session.commit()
    db.session.expire_all()
    status = quizzes.status(user, quiz)
    [closed] = status.attempts
    assert closed.state == "graded" and closed.closed_by_deadline and closed.percent == 100.0
    assert status.result is not None and status.result.passed


def test_a_question_whose_english_changed_shows_japanese_readers_a_notice(make_quiz, trainee, client):
    make_quiz()
    make_quiz(toml=quiz_toml().replace('en = "Pick one"', 'en = "Pick exactly one"'))  # only the English changed
    client.login(trainee(locale="ja"))
    attempt = start(client)
    page = client.get(f"/quiz-attempts/{attempt.id}").get_data(as_text=True)
    assert page.count("この問題の英語版は") == 1
    assert 'form="drift-language" name="lang" value="en"' in page and 'id="drift-language"' in page
    client.logout()
    client.login(trainee(locale="en"))
    page = client.get(f"/quiz-attempts/{start(client).id}").get_data(as_text=True)
    assert "version of this question was updated" not in page and 'id="drift-language"' not in page
