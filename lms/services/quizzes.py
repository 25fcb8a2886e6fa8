"""Quiz attempts: start, save as you go, submit once, grade on the server, reveal by policy.

The rules themselves (scores, tolerance, policies) are in ``lms/rules/grading.py``; this
module applies them to the database, each write in one transaction. ``lms.clock.now`` is the only
source of "now", so tests can move time.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import clock, unit_of_work
from ..extensions import core_connection, db
from ..models import Course, Enrolment, Question, Quiz, QuizAttempt, QuizChoicePick, QuizResponse, QuizResult, User
from ..rules import grading

# Answers that left the browser just before the deadline still count (network latency).
DEADLINE_GRACE = timedelta(seconds=10)
MAX_TEXT_ANSWER = 500


class QuizError(Exception):
    """A request the rules refuse; ``message`` is for the trainee."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class AttemptClosed(QuizError):
    pass


class BadAnswer(QuizError):
    """A tampered or impossible answer: a question or choice not in the attempt."""


# --- reading


def get_quiz(course: Course, slug: str) -> Quiz | None:
    return db.session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.slug == slug,
                                                Quiz.archived_at.is_(None)))


def active_quizzes(course_ids: list[int]) -> dict[int, Quiz]:
    """The live quiz of each module of these courses, by module id: one query."""
    if not course_ids:
        return {}
    return {quiz.module_id: quiz for quiz in db.session.scalars(
        select(Quiz).where(Quiz.course_id.in_(course_ids), Quiz.archived_at.is_(None)))}


def standing(user: User, course_ids: list[int], quizzes: dict[int, Quiz]) -> tuple[set[int], set[int]]:
    """Quiz ids the user passed, and those they can no longer pass (every attempt used): one query."""
    if not user.is_authenticated or not course_ids:
        return set(), set()
    limits = {quiz.id: quiz.max_attempts for quiz in quizzes.values()}
    passed, used_up = set(), set()
    for quiz_id, is_passed, attempts in core_connection().execute(  # Core: three columns, no entities
        select(QuizResult.quiz_id, QuizResult.passed, QuizResult.attempts)
        .where(QuizResult.user_id == user.id, QuizResult.course_id.in_(course_ids))
    ):
        if is_passed:
            passed.add(quiz_id)
        elif limits.get(quiz_id) and attempts >= limits[quiz_id]:
            used_up.add(quiz_id)
    return passed, used_up


def may_take(user: User, quiz: Quiz) -> bool:
    """A live quiz of a live module, in a course the user is enrolled in."""
    if quiz.archived_at is not None or quiz.module.archived_at is not None:
        return False
    return db.session.scalar(select(Enrolment.id).where(Enrolment.user_id == user.id,
                                                        Enrolment.course_id == quiz.course_id)) is not None


def question_count(quiz: Quiz) -> int:
    """Questions per attempt: the pool's draw, else every live question."""
    total = db.session.scalar(select(func.count(Question.id)).where(
        Question.quiz_id == quiz.id, Question.archived_at.is_(None)))
    return min(quiz.draw, total) if quiz.draw else total


def attempts_of(user: User, quiz: Quiz) -> list[QuizAttempt]:
    return list(db.session.scalars(select(QuizAttempt).where(
        QuizAttempt.user_id == user.id, QuizAttempt.quiz_id == quiz.id).order_by(QuizAttempt.number)))


def get_attempt(attempt_id: int, user: User) -> QuizAttempt | None:
    """The user's own attempt; someone else's is None, exactly like one that does not exist."""
    return db.session.scalar(select(QuizAttempt).where(QuizAttempt.id == attempt_id,
                                                       QuizAttempt.user_id == user.id))


def result_of(user: User, quiz: Quiz) -> QuizResult | None:
    return db.session.scalar(select(QuizResult).where(QuizResult.user_id == user.id, QuizResult.quiz_id == quiz.id))


@dataclass
class QuizStatus:
    """What the quiz page needs to say to one trainee."""

    attempts: list[QuizAttempt]
    result: QuizResult | None
    in_progress: QuizAttempt | None
    attempts_left: int | None  # None = unlimited
    reveal: bool

    @property
    def graded(self) -> list[QuizAttempt]:
        return [a for a in self.attempts if a.state == "graded"]

    @property
    def can_start(self) -> bool:
        return self.in_progress is None and (self.attempts_left is None or self.attempts_left > 0)


def status(user: User, quiz: Quiz) -> QuizStatus:
    """Reads only (a GET shows it): an attempt whose time is up is not "in progress" although the scheduler
    has not graded it yet; ``close_overdue`` (every minute, and before a new attempt starts) grades it."""
    attempts = attempts_of(user, quiz)
    result = result_of(user, quiz)
    graded = sum(1 for a in attempts if a.state == "graded")
    now = clock.now()
    return QuizStatus(
        attempts=attempts,
        result=result,
        in_progress=next((a for a in attempts if a.state == "in_progress" and not _overdue(a, now)), None),
        attempts_left=grading.attempts_left(quiz.max_attempts, len(attempts)),
        reveal=grading.may_reveal(quiz.reveal, passed=bool(result and result.passed), used=graded,
                                  max_attempts=quiz.max_attempts),
    )


# --- starting


def start_attempt(user: User, quiz: Quiz, rng: random.Random | None = None) -> QuizAttempt:
    """The attempt in progress, or a new one with its questions drawn and order fixed."""
    close_overdue(quiz_id=quiz.id, user_id=user.id)  # a timed-out attempt is graded before a new one starts
    current = status(user, quiz)
    if current.in_progress is not None:
        return current.in_progress
    if not current.can_start:
        raise QuizError(_l("You have used all your attempts at this quiz."))
    rng = rng or random.Random()
    questions = list(db.session.scalars(select(Question).where(
        Question.quiz_id == quiz.id, Question.archived_at.is_(None)).order_by(Question.position)))
    if not questions:
        raise QuizError(_l("This quiz has no questions yet."))
    now = clock.now()
    attempt = QuizAttempt(
        quiz_id=quiz.id, user_id=user.id, number=len(current.attempts) + 1, state="in_progress", started_at=now,
        deadline=now + timedelta(minutes=quiz.time_limit) if quiz.time_limit else None,
        layout=draw_layout(quiz, questions, rng),
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:  # a double click started it in another request: use that one
        attempt = status(user, quiz).in_progress
        if attempt is None:
            raise
    return attempt


def draw_layout(quiz: Quiz, questions: list[Question], rng: random.Random) -> dict:
    """Which questions, in which order, and the order of their choices: fixed for the attempt."""
    drawn = rng.sample(questions, quiz.draw) if quiz.draw and quiz.draw < len(questions) else list(questions)
    if quiz.shuffle_questions:
        rng.shuffle(drawn)
    else:
        drawn.sort(key=lambda q: q.position)
    choices, items = {}, {}
    for question in drawn:
        if question.type in ("single", "multiple"):
            ids = [c["id"] for c in question.data["choices"]]
            if quiz.shuffle_choices:
                rng.shuffle(ids)
            choices[str(question.id)] = ids
        elif question.type == "ordering":
            ids = [item["id"] for item in question.data["items"]]
            correct = list(ids)
            while ids == correct:  # the starting order must not already be the answer
                rng.shuffle(ids)
            items[str(question.id)] = ids
    return {"questions": [q.id for q in drawn], "choices": choices, "items": items}


# --- saving answers


_ID = re.compile(r"^[0-9]{1,9}$")  # ASCII digits only ("²".isdigit() is true), and a size int() and SQL take


@dataclass
class ParsedForm:
    answers: dict[int, object]
    moved: int | None = None  # the ordering question whose Up/Down button was pressed
    dropped: int = 0  # picks of choices removed from the course since the page was loaded


def parse_form(form, attempt: QuizAttempt, questions: dict[int, Question]) -> ParsedForm:
    """Turn the attempt form into answers per question id; refuse anything not in this attempt.

    Each question on the page posts ``shown=<id>``, so an unticked set of checkboxes is saved as
    "no answer" rather than ignored. A ``move=<id>:<item>:up|down`` button reorders an ordering answer.
    Choices are checked against the attempt's fixed layout and the current content together, so a
    page opened before the course files changed still saves (a pick of a removed choice is dropped).
    """
    refused = BadAnswer(_l("The form contains a question that is not part of this attempt."))
    in_attempt = set(attempt.layout["questions"])
    shown = []
    for raw in form.getlist("shown"):
        if not _ID.match(raw) or int(raw) not in in_attempt or int(raw) not in questions:
            raise refused
        shown.append(int(raw))
    for name in form:
        if name.startswith("q") and (not _ID.match(name[1:]) or int(name[1:]) not in shown):
            raise refused
    parsed = ParsedForm({})
    for qid in shown:
        parsed.answers[qid] = _parse_answer(questions[qid], form.getlist(f"q{qid}"), attempt, parsed)
    move = form.get("move")
    if move is not None:
        qid, item, direction = _parse_move(move, parsed.answers, questions)
        order = parsed.answers[qid]
        index = order.index(item)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(order):
            order[index], order[other] = order[other], order[index]
        parsed.moved = qid
    return parsed


def _known_ids(question: Question, attempt: QuizAttempt, key: str) -> tuple[set[str], list[str]]:
    """Ids the page may post (the attempt's layout and today's content) and today's ids in order."""
    current = [option["id"] for option in question.data[key]]
    laid_out = attempt.layout["choices" if key == "choices" else "items"].get(str(question.id), [])
    return set(current) | set(laid_out), current


def _parse_answer(question: Question, values: list[str], attempt: QuizAttempt, parsed: ParsedForm):
    qtype = question.type
    if qtype in ("single", "multiple"):
        known, current = _known_ids(question, attempt, "choices")
        if any(v not in known for v in values) or (qtype == "single" and len(values) > 1):
            raise BadAnswer(_l("The form contains a choice that does not belong to its question."))
        kept = [v for v in dict.fromkeys(values) if v in current]
        parsed.dropped += len(set(values)) - len(kept)
        return (kept[0] if kept else None) if qtype == "single" else kept
    if qtype == "true_false":
        if len(values) > 1 or any(v not in ("true", "false") for v in values):
            raise BadAnswer(_l("The form contains a choice that does not belong to its question."))
        return (values[0] == "true") if values else None
    if qtype == "ordering":
        known, current = _known_ids(question, attempt, "items")
        if len(set(values)) != len(values) or any(v not in known for v in values):
            raise BadAnswer(_l("The order posted does not match the items of its question."))
        order = [v for v in values if v in current]
        return order + [v for v in current if v not in order]  # items added since the page loaded go last
    if len(values) > 1 or any(len(v) > MAX_TEXT_ANSWER for v in values):
        raise BadAnswer(_l("An answer is longer than %(n)d characters.", n=MAX_TEXT_ANSWER))
    text = values[0].strip() if values else ""
    return text or None


def _parse_move(move: str, answers: dict, questions: dict[int, Question]):
    parts = move.split(":")
    if len(parts) == 3 and _ID.match(parts[0]) and parts[2] in ("up", "down"):
        qid = int(parts[0])
        if qid in answers and questions[qid].type == "ordering" and parts[1] in answers[qid]:
            return qid, parts[1], parts[2]
    raise BadAnswer(_l("The form contains a question that is not part of this attempt."))


def save_answers(attempt: QuizAttempt, answers: dict[int, object]) -> None:
    """Store answers of an open attempt, all or nothing; answers to a closed attempt are refused."""
    now = clock.now()
    # The conditional UPDATE both checks that the attempt is still open and locks its row,
    # so a submit in another request cannot grade while these answers are half written.
    claimed = db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.state == "in_progress",
               or_(QuizAttempt.deadline.is_(None), QuizAttempt.deadline >= now - DEADLINE_GRACE))
        .values(last_saved_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise AttemptClosed(_l("This attempt is closed; answers can no longer be changed."))
    existing = {r.question_id: r for r in db.session.scalars(
        select(QuizResponse).where(QuizResponse.attempt_id == attempt.id))}
    for qid, answer in answers.items():
        response = existing.get(qid)
        if response is None:
            db.session.add(QuizResponse(attempt_id=attempt.id, question_id=qid, answer=answer, saved_at=now))
        elif response.answer != answer:
            response.answer = answer
            response.saved_at = now


# --- submitting and grading


def _overdue(attempt: QuizAttempt, now: datetime) -> bool:
    return attempt.state == "in_progress" and attempt.deadline is not None and now > attempt.deadline + DEADLINE_GRACE


def is_overdue(attempt: QuizAttempt) -> bool:
    """In progress, but its time is up: the next visit closes and grades it."""
    return _overdue(attempt, clock.now())


def minutes_left(attempt: QuizAttempt) -> int | None:
    """Whole minutes left, rounded up (so "1" until the last second); None without a time limit."""
    if attempt.deadline is None:
        return None
    seconds = (attempt.deadline - clock.now()).total_seconds()
    return max(0, -int(-seconds // 60))


def submit(attempt: QuizAttempt) -> bool:
    """Submit and grade; True if this call did it, False if the attempt was already closed (a double submit)."""
    now = clock.now()
    claimed = db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.state == "in_progress")
        .values(state="submitted", submitted_at=now,
                closed_by_deadline=attempt.deadline is not None and now > attempt.deadline + DEADLINE_GRACE)
        .returning(QuizAttempt.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    if not claimed:
        return False
    _grade(claimed, now)
    return True


def close_overdue(quiz_id: int | None = None, user_id: int | None = None) -> int:
    """Submit and grade every attempt whose time is up (answers saved before the deadline count)."""
    now = clock.now()
    conditions = [QuizAttempt.state == "in_progress", QuizAttempt.deadline.is_not(None),
                  QuizAttempt.deadline < now - DEADLINE_GRACE]
    if quiz_id is not None:
        conditions.append(QuizAttempt.quiz_id == quiz_id)
    if user_id is not None:
        conditions.append(QuizAttempt.user_id == user_id)
    claimed = db.session.execute(
        update(QuizAttempt).where(*conditions)
        .values(state="submitted", submitted_at=now, closed_by_deadline=True)
        .returning(QuizAttempt.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    if claimed:
        _grade(claimed, now)
    return len(claimed)


def _grade(attempt_ids: list[int], now: datetime) -> None:
    """Grade submitted attempts in a fixed number of statements, however many there are."""
    attempts = list(db.session.scalars(select(QuizAttempt).where(QuizAttempt.id.in_(attempt_ids))))
    question_ids = {qid for a in attempts for qid in a.layout["questions"]}
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(question_ids)))}
    responses = defaultdict(dict)
    for response in db.session.scalars(select(QuizResponse).where(QuizResponse.attempt_id.in_(attempt_ids))):
        responses[response.attempt_id][response.question_id] = response
    quizzes = {q.id: q for q in db.session.scalars(select(Quiz).where(Quiz.id.in_({a.quiz_id for a in attempts})))}

    updates, inserts, picks, graded = [], [], [], []
    for attempt in attempts:
        marks = []
        for qid in attempt.layout["questions"]:
            question = questions.get(qid)
            if question is None:
                continue  # deleted with its quiz: nothing to grade against
            response = responses[attempt.id].get(qid)
            answer = response.answer if response else None
            fraction = grading.score(question.type, question.data, answer)
            marks.append((fraction, question.points))
            if response is None:  # unanswered questions get a row too, so item analysis counts them
                inserts.append({"attempt_id": attempt.id, "question_id": qid, "answer": None,
                                "fraction": fraction, "saved_at": now})
            else:
                updates.append({"id": response.id, "fraction": fraction})
            picks += [{"attempt_id": attempt.id, "question_id": qid, "choice": choice}
                      for choice in grading.picks(question.type, answer)]
        percent = grading.attempt_percent(marks)
        graded.append({"id": attempt.id, "state": "graded", "graded_at": now, "percent": percent,
                       "passed": grading.has_passed(percent, quizzes[attempt.quiz_id].pass_mark)})
    if updates:
        db.session.execute(update(QuizResponse), updates)
    if inserts:
        db.session.execute(insert(QuizResponse), inserts)
    if picks:
        db.session.execute(insert(QuizChoicePick), picks)
    db.session.execute(update(QuizAttempt), graded)
    _update_results({(a.user_id, a.quiz_id) for a in attempts}, quizzes, now)


def regrade_standing(quiz: Quiz) -> None:
    """After the pass mark or grading policy changed: recompute every attempt's pass and every standing
    result of this quiz, in the caller's transaction (the importer's)."""
    db.session.execute(update(QuizAttempt).where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.state == "graded")
                       .values(passed=QuizAttempt.percent >= quiz.pass_mark)
                       .execution_options(synchronize_session=False))
    users = set(db.session.scalars(select(QuizResult.user_id).where(QuizResult.quiz_id == quiz.id)))
    if users:
        _update_results({(user_id, quiz.id) for user_id in users}, {quiz.id: quiz}, clock.now())


def _update_results(pairs: set[tuple[int, int]], quizzes: dict[int, Quiz], now: datetime) -> None:
    """Recompute the grade that stands for each (trainee, quiz) from all their graded attempts."""
    users = {u for u, _ in pairs}
    quiz_ids = {q for _, q in pairs}
    graded = defaultdict(list)
    for user_id, quiz_id, number, percent in db.session.execute(
        select(QuizAttempt.user_id, QuizAttempt.quiz_id, QuizAttempt.number, QuizAttempt.percent)
        .where(QuizAttempt.user_id.in_(users), QuizAttempt.quiz_id.in_(quiz_ids), QuizAttempt.state == "graded")
    ):
        graded[(user_id, quiz_id)].append(grading.GradedAttempt(number, percent))
    existing = {(r.user_id, r.quiz_id): r for r in db.session.scalars(
        select(QuizResult).where(QuizResult.user_id.in_(users), QuizResult.quiz_id.in_(quiz_ids)))}
    new, changed = [], []
    for pair in pairs:
        quiz = quizzes[pair[1]]
        unit_of_work.progress_changed(pair[0], quiz.course_id)
        percent = grading.kept_percent(graded[pair], quiz.grading)
        values = {"percent": percent, "passed": grading.has_passed(percent, quiz.pass_mark),
                  "attempts": len(graded[pair]), "updated_at": now}
        if pair in existing:
            changed.append({"id": existing[pair].id, **values})
        else:
            new.append({"user_id": pair[0], "quiz_id": pair[1], "course_id": quiz.course_id, **values})
    if changed:
        db.session.execute(update(QuizResult), changed)
    if new:
        db.session.execute(insert(QuizResult), new)


# --- what the attempt and review pages show


@dataclass
class ShownQuestion:
    number: int
    question: Question
    answer: object
    options: list[dict] = field(default_factory=list)  # choices or ordering items, in this attempt's order
    fraction: float | None = None  # only once graded

    @property
    def answered(self) -> bool:
        return grading.is_answered(self.question.type, self.answer)

    @property
    def outcome(self) -> str | None:
        if self.fraction is None:
            return None
        return "correct" if self.fraction >= 1 else "partial" if self.fraction > 0 else "incorrect"

    def correct_answer(self):
        return grading.correct_answer(self.question.type, self.question.data)


def shown_questions(attempt: QuizAttempt) -> list[ShownQuestion]:
    """The attempt's questions in its fixed order with the saved answers: two queries."""
    ids = attempt.layout["questions"]
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(ids)))}
    responses = {r.question_id: r for r in db.session.scalars(
        select(QuizResponse).where(QuizResponse.attempt_id == attempt.id))}
    shown = []
    for qid in ids:
        question = questions.get(qid)
        if question is None:
            continue
        response = responses.get(qid)
        answer = response.answer if response else None
        item = ShownQuestion(number=len(shown) + 1, question=question, answer=answer,
                             fraction=response.fraction if response and attempt.state == "graded" else None)
        if question.type in ("single", "multiple"):
            item.options = _in_order(question.data["choices"], attempt.layout["choices"].get(str(qid)))
        elif question.type == "ordering":
            order = answer if isinstance(answer, list) else attempt.layout["items"].get(str(qid))
            item.options = _in_order(question.data["items"], order)
        shown.append(item)
    return shown


def _in_order(options: list[dict], order: list[str] | None) -> list[dict]:
    """Options in the attempt's order; any the author added since go last, any removed are dropped."""
    by_id = {o["id"]: o for o in options}
    ordered = [by_id[i] for i in (order or []) if i in by_id]
    return ordered + [o for o in options if o["id"] not in set(order or [])]


def questions_for(attempt: QuizAttempt) -> dict[int, Question]:
    ids = attempt.layout["questions"]
    return {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(ids)))}


# --- item analysis


@dataclass
class QuestionStats:
    question: Question
    responses: int
    facility: float | None  # share answering fully correctly
    mean_mark: float | None  # mean fraction of the points, counts partial credit
    picks: dict[str, int]

    def pick_share(self, choice_id: str) -> float:
        return self.picks.get(choice_id, 0) / self.responses if self.responses else 0.0


@dataclass
class QuizStats:
    attempts: int
    trainees: int
    mean_percent: float | None
    pass_rate: float | None  # share of graded attempts that passed
    trainees_passed: int  # trainees whose standing grade passes (by the grading policy)
    questions: list[QuestionStats]


def item_analysis(quiz: Quiz) -> QuizStats:
    """Per quiz and per question figures over graded attempts, in six queries however many there are."""
    graded = and_(QuizAttempt.quiz_id == quiz.id, QuizAttempt.state == "graded")
    attempts, trainees, mean, passes = db.session.execute(
        select(func.count(QuizAttempt.id), func.count(func.distinct(QuizAttempt.user_id)),
               func.avg(QuizAttempt.percent), func.sum(case((QuizAttempt.passed.is_(True), 1), else_=0)))
        .where(graded)
    ).one()
    per_question = {
        qid: (count, full, mean_fraction)
        for qid, count, full, mean_fraction in db.session.execute(
            select(QuizResponse.question_id, func.count(QuizResponse.id),
                   func.sum(case((QuizResponse.fraction >= 1, 1), else_=0)), func.avg(QuizResponse.fraction))
            .join(QuizAttempt, QuizAttempt.id == QuizResponse.attempt_id).where(graded)
            .group_by(QuizResponse.question_id)
        )
    }
    picks = defaultdict(dict)
    for qid, choice, count in db.session.execute(
        select(QuizChoicePick.question_id, QuizChoicePick.choice, func.count(QuizChoicePick.id))
        .join(QuizAttempt, QuizAttempt.id == QuizChoicePick.attempt_id).where(graded)
        .group_by(QuizChoicePick.question_id, QuizChoicePick.choice)
    ):
        picks[qid][choice] = count
    questions = db.session.scalars(select(Question).where(Question.quiz_id == quiz.id)
                                   .order_by(Question.archived_at.is_not(None), Question.position))
    stats = []
    for question in questions:
        count, full, mean_fraction = per_question.get(question.id, (0, 0, None))
        if question.archived_at is not None and not count:
            continue
        stats.append(QuestionStats(question=question, responses=count,
                                   facility=(full or 0) / count if count else None,
                                   mean_mark=float(mean_fraction) if mean_fraction is not None else None,
                                   picks=picks[question.id]))
    trainees_passed = db.session.scalar(select(func.count(QuizResult.id)).where(
        QuizResult.quiz_id == quiz.id, QuizResult.passed.is_(True)))
    return QuizStats(attempts=attempts, trainees=trainees,
                     mean_percent=float(mean) if mean is not None else None,
                     pass_rate=(passes or 0) / attempts if attempts else None,
                     trainees_passed=trainees_passed, questions=stats)
