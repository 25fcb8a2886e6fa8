"""Background saves (the page's script, ``X-Requested-With: fetch``): the same routes, services, CSRF and checks as
the buttons, answered with JSON instead of a redirect; and the hooks the scripts read from the pages."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import func, select

from lms.extensions import db
from lms.models import Attachment, QuizAttempt, QuizResponse, Submission, SubmissionVersion
from lms.services.assignments import MAX_SECTION_TEXT

from .test_assignments import URL as ASSIGNMENT_URL
from .test_assignments import lock_of, world  # noqa: F401 (fixture)
from .test_quizzes import clock, make_quiz, trainee  # noqa: F401 (fixtures)
from .test_quizzes import form_for, question, start

FETCH = {"X-Requested-With": "fetch"}


def answer(attempt_id, key):
    db.session.expire_all()
    return db.session.scalar(select(QuizResponse.answer).where(QuizResponse.attempt_id == attempt_id,
                                                               QuizResponse.question_id == question(key).id))


def save_in_background(client, attempt, answers, csrf=True, extra=()):
    data = form_for(client, attempt, answers, extra=extra)
    data.pop("action")  # a script's FormData carries no button
    if not csrf:
        data.pop("csrf_token")
    return client.raw.post(f"/quiz-attempts/{attempt.id}", data=data, headers=FETCH)


# --- quiz answers


def test_a_background_save_answers_json_with_the_time_in_tokyo_and_no_flash(client, make_quiz, trainee, clock):
    make_quiz()
    client.login(trainee())
    attempt = start(client)
    response = save_in_background(client, attempt, {"pick-one": "b", "term": "GCTP"})
    assert response.status_code == 200 and response.is_json
    body = response.get_json()
    assert body["ok"] is True and body["time"] == "10:00"  # 01:00 UTC
    assert body["message"] == "Saved 10:00" and body["notices"] == []
    assert body["saved_at"].startswith("2026-04-01T01:00:00")
    assert response.headers["Cache-Control"] == "no-store"
    assert answer(attempt.id, "pick-one") == "b" and answer(attempt.id, "term") == "GCTP"
    page = client.get(f"/quiz-attempts/{attempt.id}").get_data(as_text=True)
    assert "Your answers are saved." not in page  # nothing flashed for a later page


def test_the_saved_message_is_in_the_trainees_language(client, make_quiz, trainee, clock):
    make_quiz()
    client.login(trainee(locale="ja"))
    attempt = start(client)
    body = save_in_background(client, attempt, {"pick-one": "a"}).get_json()
    assert body["message"] == "10:00 に保存しました"


def test_a_value_that_is_not_a_number_is_saved_and_reported_in_the_answer(client, make_quiz, trainee):
    make_quiz()
    client.login(trainee())
    attempt = start(client)
    body = save_in_background(client, attempt, {"how-many": "forty"}).get_json()
    assert body["ok"] is True and "Not a number in question" in body["notices"][0]
    assert answer(attempt.id, "how-many") == "forty"


def test_ordering_is_saved_in_the_order_the_items_are_posted(client, make_quiz, trainee):
    make_quiz()
    client.login(trainee())
    attempt = start(client)
    order = list(reversed(attempt.layout["items"][str(question("steps").id)]))
    assert save_in_background(client, attempt, {"steps": order}).status_code == 200
    assert answer(attempt.id, "steps") == order


def test_without_the_csrf_token_nothing_is_saved_and_the_answer_says_why(client, make_quiz, trainee):
    make_quiz()
    client.login(trainee())
    attempt = start(client)
    response = save_in_background(client, attempt, {"pick-one": "b"}, csrf=False)
    assert response.status_code == 400 and response.get_json()["ok"] is False
    assert "expired" in response.get_json()["error"]
    assert answer(attempt.id, "pick-one") is None


def test_another_trainees_attempt_is_a_json_404_and_unchanged(as_, make_quiz, trainee):
    make_quiz()
    owner, intruder = as_(trainee()), as_(trainee())
    attempt = start(owner)
    data = form_for(intruder, attempt, {"pick-one": "a"})
    response = intruder.raw.post(f"/quiz-attempts/{attempt.id}", data=data, headers=FETCH)
    assert response.status_code == 404 and response.get_json() == {"ok": False, "error": "Page not found"}
    assert answer(attempt.id, "pick-one") is None


def test_a_background_save_after_logout_goes_to_the_login_page_and_saves_nothing(client, make_quiz, trainee):
    make_quiz()
    client.login(trainee())
    attempt = start(client)
    data = form_for(client, attempt, {"pick-one": "a"})
    client.logout()
    response = client.raw.post(f"/quiz-attempts/{attempt.id}", data=data, headers=FETCH)
    assert response.status_code in (302, 400) and not (response.is_json and response.get_json().get("ok"))
    assert answer(attempt.id, "pick-one") is None


def test_a_tampered_answer_is_a_json_400(client, make_quiz, trainee):
    make_quiz()
    client.login(trainee())
    attempt = start(client)
    response = save_in_background(client, attempt, {"pick-one": "zz"})
    assert response.status_code == 400 and "does not belong" in response.get_json()["error"]


def test_after_the_deadline_the_answer_says_closed_and_the_attempt_is_graded(client, make_quiz, trainee, clock):
    make_quiz("time_limit = 5")
    client.login(trainee())
    attempt = start(client)
    assert save_in_background(client, attempt, {"pick-one": "b"}).status_code == 200
    clock.now += timedelta(minutes=6)
    response = save_in_background(client, attempt, {"pick-one": "a"})
    body = response.get_json()
    assert response.status_code == 409 and body["closed"] is True
    assert body["location"] == f"/quiz-attempts/{attempt.id}/review" and "Time is up" in body["error"]
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).state == "graded"  # kept although the answer is an error
    assert answer(attempt.id, "pick-one") == "b"


def test_a_timed_attempt_page_carries_the_servers_deadline_and_clock(client, make_quiz, trainee, clock):
    make_quiz("time_limit = 5")
    client.login(trainee())
    attempt = start(client)
    clock.now += timedelta(seconds=30)
    page = client.get(f"/quiz-attempts/{attempt.id}").get_data(as_text=True)
    deadline_ms = int(attempt.deadline.timestamp() * 1000)
    assert f'data-deadline="{deadline_ms}"' in page
    assert f'data-server-now="{int(clock.now.timestamp() * 1000)}"' in page
    assert deadline_ms - int(clock.now.timestamp() * 1000) == 270_000
    assert f'action="/quiz-attempts/{attempt.id}/submit" hidden data-countdown-submit' in page
    assert "vendor/sortable.min." in page  # the test quiz has an ordering question
    finish = client.get(f"/quiz-attempts/{attempt.id}/finish").get_data(as_text=True)
    assert f'data-deadline="{deadline_ms}"' in finish and "data-countdown-submit" in finish


def test_an_untimed_attempt_has_no_countdown(client, make_quiz, trainee):
    make_quiz()
    client.login(trainee())
    attempt = start(client)
    page = client.get(f"/quiz-attempts/{attempt.id}").get_data(as_text=True)
    assert "data-countdown" not in page and "data-autosave" in page


# --- assignment drafts


def save_draft_in_background(client, user, problem="Who hurts", solution="What we do", lock=None, csrf=True,
                             **extra):
    data = {"section-problem": problem, "section-solution": solution,
            "lock": lock if lock is not None else lock_of(user), **extra}
    if csrf:
        data["csrf_token"] = client.csrf_token()
    return client.raw.post(ASSIGNMENT_URL, data=data, headers=FETCH)


def sections():
    db.session.expire_all()
    return db.session.scalar(select(SubmissionVersion.sections).order_by(SubmissionVersion.id.desc()))


def test_a_draft_saves_in_the_background_and_the_answer_carries_the_new_lock(world, as_, clock):
    trainee_ = world["trainee"]
    t = as_(trainee_)
    first = save_draft_in_background(t, trainee_, problem="first words", lock="")
    assert first.status_code == 200
    body = first.get_json()
    assert body["ok"] is True and body["message"] == "Saved 10:00" and body["lock"] == int(lock_of(trainee_))
    assert sections()["problem"] == "first words"
    # The page keeps working with the lock it was given: more background saves, then the Save button.
    second = save_draft_in_background(t, trainee_, problem="more words", lock=str(body["lock"]))
    assert second.status_code == 200 and second.get_json()["lock"] == body["lock"] + 1
    button = t.raw.post(ASSIGNMENT_URL, data={"csrf_token": t.csrf_token(), "section-problem": "final words",
                                              "section-solution": "x", "action": "save",
                                              "lock": str(second.get_json()["lock"])})
    assert button.status_code == 302 and sections()["problem"] == "final words"


def test_a_stale_page_gets_a_conflict_and_nothing_is_overwritten(world, as_):
    trainee_ = world["trainee"]
    t = as_(trainee_)
    loaded = lock_of(trainee_)  # "": the page was opened before anything was saved
    assert save_draft_in_background(t, trainee_, problem="from the other tab").status_code == 200
    response = save_draft_in_background(t, trainee_, problem="from this tab", lock=loaded or "1")
    body = response.get_json()
    assert response.status_code == 409 and body["ok"] is False and body["conflict"] is True
    assert "Nothing was overwritten" in body["error"]
    assert sections()["problem"] == "from the other tab"


def test_a_background_save_never_submits_nor_stores_files(world, as_, app):
    trainee_ = world["trainee"]
    t = as_(trainee_)
    data = {"csrf_token": t.csrf_token(), "section-problem": "p", "section-solution": "s", "action": "submit",
            "lock": lock_of(trainee_), "files": [(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "plan.pdf")]}
    response = t.raw.post(ASSIGNMENT_URL, data=data, headers=FETCH, content_type="multipart/form-data")
    assert response.status_code == 200
    db.session.expire_all()
    submission = db.session.scalar(select(Submission).where(Submission.user_id == trainee_.id))
    assert submission.state == "draft"
    assert db.session.scalar(select(func.count(Attachment.id))) == 0


def test_assignment_refusals_are_json(world, as_, client):
    trainee_ = world["trainee"]
    t = as_(trainee_)
    no_token = save_draft_in_background(t, trainee_, csrf=False)
    assert no_token.status_code == 400 and no_token.get_json()["ok"] is False
    too_long = save_draft_in_background(t, trainee_, problem="x" * (MAX_SECTION_TEXT + 1))
    assert too_long.status_code == 422 and "longer than" in too_long.get_json()["error"]
    assert sections() is None  # nothing saved by either
    outsider = as_(world["mentor"])  # staff may read the assignment, not write it
    refused = save_draft_in_background(outsider, world["mentor"])
    assert refused.status_code == 403 and refused.get_json()["ok"] is False
    anonymous = client.raw.post(ASSIGNMENT_URL, data={"section-problem": "p"}, headers=FETCH)
    assert anonymous.status_code in (302, 400) and sections() is None


def test_submitted_work_can_no_longer_be_saved_in_the_background(world, as_):
    trainee_ = world["trainee"]
    t = as_(trainee_)
    t.raw.post(ASSIGNMENT_URL, data={"csrf_token": t.csrf_token(), "section-problem": "p", "section-solution": "s",
                                     "action": "submit", "lock": ""})
    db.session.expire_all()
    assert db.session.scalar(select(Submission.state)) == "submitted"
    response = save_draft_in_background(t, trainee_, problem="late change")
    assert response.status_code == 400 and "can no longer be changed" in response.get_json()["error"]
    assert sections()["problem"] == "p"
