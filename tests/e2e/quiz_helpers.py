"""Answer a quiz in the browser with the answers the database holds (what a well-prepared trainee would do)."""

from __future__ import annotations

from sqlalchemy import select

from lms.extensions import db
from lms.models import Question, QuizAttempt


def attempt_id_of(page) -> int:
    return int(page.url.split("/quiz-attempts/")[1].split("/")[0].split("#")[0])


def questions_of(in_app, attempt_id: int) -> list[Question]:
    with in_app():
        attempt = db.session.get(QuizAttempt, attempt_id)
        by_id = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(attempt.layout["questions"])))}
        questions = [by_id[qid] for qid in attempt.layout["questions"]]
        for q in questions:
            db.session.expunge(q)
        return questions


def _number(value) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def fill_correct(page, question: Question) -> None:
    """Fill the inputs of one question (not ordering) with its correct answer."""
    box = page.locator(f"#q{question.id}")
    data = question.data
    if question.type == "single":
        correct = next(c["id"] for c in data["choices"] if c["correct"])
        box.locator(f"input[value='{correct}']").check()
    elif question.type == "multiple":
        for choice in data["choices"]:
            box.locator(f"input[value='{choice['id']}']").set_checked(choice["correct"])
    elif question.type == "true_false":
        box.locator(f"input[value='{'true' if data['answer'] else 'false'}']").check()
    elif question.type == "numeric":
        box.locator("input[type=text]").fill(_number(data["answer"]))
    elif question.type == "text":
        box.locator("input[type=text]").fill(data["answers"][0])


def put_in_order(page, question: Question) -> None:
    """Use the Up buttons (each press saves the form) until the items are in the right order."""
    correct = [item["id"] for item in question.data["items"]]
    for _ in range(len(correct) ** 2):
        current = page.locator(f"#q{question.id} input[name='q{question.id}']").evaluate_all(
            "inputs => inputs.map(i => i.value)")
        if current == correct:
            return
        index = next(i for i, (a, b) in enumerate(zip(current, correct)) if a != b)
        wanted = correct[index]
        page.locator(f"button[name=move][value='{question.id}:{wanted}:up']").click()
        page.wait_for_load_state()
    raise AssertionError("could not put the items in order")
