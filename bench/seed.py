"""A whole program of a given size, written straight into the database.

The real courses are imported from ``courses/`` first (``lms.content.importer``); everything else
(people, cohorts, progress, quiz attempts with their responses, submissions with versions, reviews
and timelines, certificates) goes in with SQLAlchemy Core bulk inserts, ids read back by natural keys,
so the same code runs on SQLite and PostgreSQL. One password is hashed once and shared by everyone.

The shape around the people whose pages are measured is the same at every size (so query counts
can be compared); what grows is everything around them: cohorts, the mentor's queue, the tables.
"""

from __future__ import annotations

import random
import secrets
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import func, insert, select
from werkzeug.security import generate_password_hash

from lms.config import PROJECT_DIR
from lms.content.importer import import_courses
from lms.extensions import db
from lms.models import (Assignment, Certificate, Cohort, CohortCourse, CohortMember, Course, Enrolment, Lesson,
                        LessonCompletion, MentorAllocation, Module, Notification, Question, Quiz, QuizAttempt,
                        QuizResponse, QuizResult, Review, Submission, SubmissionEvent, SubmissionVersion, User,
                        utcnow)
from lms.rules import grading
from lms.rules import review as flow
from lms.sanitize import render_markdown
from lms.services import certificates as certificate_service
from lms.services import quizzes as quiz_service

PASSWORD = "bench password 2024"
ENTREPRENEUR, REGULATORY = "global-entrepreneur", "regulatory-science"
LESSON_SLUG = "tpp-fundamentals"  # a lesson in the middle of the entrepreneur course
ATTEMPT_QUIZ = "fundraising-milestones"  # no time limit: the attempt stays open however long the run takes
SUBMIT_QUIZ = "customer-discovery"  # unlimited attempts: each submit sample starts a fresh one
CONTENT_MODELS = (Course, Module, Lesson, Quiz, Question, Assignment)
INSERT_CHUNK = 20_000
ASSIGNMENTS_PER_TRAINEE = 5  # the two courses have five assignments between them


@dataclass(frozen=True)
class Scale:
    name: str
    trainees: int
    cohorts: int
    attempts: int  # graded quiz attempts, each with its responses
    submissions: int  # at most one per trainee and assignment
    certificates: int  # at most one per trainee here

    def describe(self) -> str:
        return (f"{self.trainees:,} trainees in {self.cohorts} cohorts, both courses, {self.attempts:,} quiz attempts, "
                f"{self.submissions:,} submissions with reviews, {self.certificates:,} certificates")


SCALES = {
    "small": Scale("small", trainees=20, cohorts=2, attempts=500, submissions=100, certificates=10),
    "large": Scale("large", trainees=2_000, cohorts=20, attempts=50_000, submissions=10_000, certificates=1_000),
}


def tiny(trainees: int) -> Scale:
    """The same proportions as ``SCALES`` for a handful of trainees (the test)."""
    return Scale(f"tiny-{trainees}", trainees=trainees, cohorts=max(1, trainees // 6), attempts=trainees * 25,
                 submissions=trainees * ASSIGNMENTS_PER_TRAINEE, certificates=max(1, trainees // 2))


@dataclass
class World:
    """What the measured pages need: who logs in and which rows they look at."""

    scale: Scale
    password: str
    trainee_email: str
    mentor_email: str
    admin_email: str
    trainee_id: int
    course_slug: str
    lesson_slug: str
    attempt_id: int  # the trainee's attempt in progress (the quiz attempt page)
    submit_quiz_id: int  # each submit sample starts a fresh attempt at this quiz
    review_submission_id: int  # resubmitted work of a trainee in the mentor's cohort
    certificate_id: str  # the trainee's own certificate (the PDF)
    verify_id: str  # another holder's certificate (the public verification page and JSON)
    cohort_id: int  # the trainee's (and the mentor's) cohort: the admin's cohort page, report and exports
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        data = asdict(self)
        data["scale"] = asdict(self.scale)
        del data["password"]
        return data


def reset(keep_content: bool = False) -> None:
    """Delete every row (the imported courses too, unless ``keep_content``)."""
    content = {model.__table__ for model in CONTENT_MODELS}
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        if keep_content and table in content:
            continue
        db.session.execute(table.delete())
    db.session.commit()


def _bulk(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), INSERT_CHUNK):
        db.session.execute(insert(model), rows[start:start + INSERT_CHUNK])


def stored_answer(question: Question, correct: bool = True):
    """An answer in the shape the attempt form saves it, right or wrong."""
    data = question.data
    kind = question.type
    if kind == "single":
        choices = [c["id"] for c in data["choices"] if c["correct"] == correct]
        return choices[0]
    if kind == "multiple":
        return [c["id"] for c in data["choices"] if c["correct"] == correct][:2]
    if kind == "true_false":
        return data["answer"] if correct else not data["answer"]
    if kind == "numeric":
        return str(data["answer"]) if correct else str(data["answer"] * 3 + 7)
    if kind == "text":
        return data["answers"][0] if correct else "no idea"
    items = [item["id"] for item in data["items"]]
    return items if correct else list(reversed(items))


def seed(scale: Scale, courses_dir=None, rng_seed: int = 20240601) -> World:
    """Write the program into the (empty, or content-only) database; returns what the pages need."""
    started = time.perf_counter()
    rng = random.Random(rng_seed)
    now = utcnow()
    if db.session.scalar(select(func.count(Course.id))) == 0:
        import_courses(courses_dir or PROJECT_DIR / "courses")
    content = _Content.load()
    people = _people(scale, now)
    _cohorts(scale, people, content, now)
    _progress(scale, people, content, now)
    attempt_id = _quiz_attempts(scale, people, content, now, rng)
    review_submission_id = _submissions(scale, people, content, now)
    certificate_id, verify_id = _certificates(scale, people, content, now)
    db.session.commit()
    world = World(
        scale=scale, password=PASSWORD,
        trainee_email=people.emails[people.trainees[0]], mentor_email=people.emails[people.mentors[0][0]],
        admin_email=people.emails[people.admin], trainee_id=people.trainees[0],
        course_slug=ENTREPRENEUR, lesson_slug=LESSON_SLUG, attempt_id=attempt_id,
        submit_quiz_id=content.quiz_by_slug[(ENTREPRENEUR, SUBMIT_QUIZ)].id,
        review_submission_id=review_submission_id, certificate_id=certificate_id, verify_id=verify_id,
        cohort_id=people.cohort_ids[people.cohort_of[0]],
    )
    world.rows = row_counts()
    world.seconds = time.perf_counter() - started
    return world


def row_counts() -> dict[str, int]:
    models = (User, Cohort, CohortMember, Enrolment, LessonCompletion, QuizAttempt, QuizResponse, QuizResult,
              Submission, SubmissionVersion, Review, SubmissionEvent, Notification, Certificate)
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) for model in models}


# --- the courses as imported


@dataclass
class _Content:
    courses: list[Course]  # entrepreneur, regulatory
    lessons: dict[int, list[Lesson]]  # course id -> in course order
    quizzes: list[Quiz]  # in course order
    questions: dict[int, list[Question]]  # quiz id -> live questions
    assignments: list[Assignment]  # in course order
    quiz_by_slug: dict[tuple[str, str], Quiz]

    @classmethod
    def load(cls) -> "_Content":
        courses = {c.slug: c for c in db.session.scalars(select(Course))}
        ordered = [courses[ENTREPRENEUR], courses[REGULATORY]]
        slugs = {c.id: c.slug for c in ordered}
        lessons = {c.id: [] for c in ordered}
        for lesson in db.session.scalars(
                select(Lesson).join(Module, Module.id == Lesson.module_id)
                .where(Lesson.archived_at.is_(None), Module.archived_at.is_(None))
                .order_by(Lesson.course_id, Module.position, Lesson.position)):
            lessons[lesson.course_id].append(lesson)
        quizzes = list(db.session.scalars(
            select(Quiz).join(Module, Module.id == Quiz.module_id).where(Quiz.archived_at.is_(None))
            .order_by(Quiz.course_id, Module.position)))
        questions = {quiz.id: [] for quiz in quizzes}
        for question in db.session.scalars(select(Question).where(Question.archived_at.is_(None))
                                           .order_by(Question.quiz_id, Question.position)):
            questions.setdefault(question.quiz_id, []).append(question)
        assignments = list(db.session.scalars(
            select(Assignment).join(Module, Module.id == Assignment.module_id).where(Assignment.archived_at.is_(None))
            .order_by(Assignment.course_id, Module.position, Assignment.position)))
        return cls(ordered, lessons, quizzes, questions, assignments,
                   {(slugs[q.course_id], q.slug): q for q in quizzes})


# --- people and cohorts


@dataclass
class _People:
    admin: int
    mentors: list[list[int]]  # per cohort: two mentor ids
    trainees: list[int]  # in order; index 0 is the measured trainee
    cohort_of: list[int]  # trainee index -> cohort index
    cohort_ids: list[int] = field(default_factory=list)
    emails: dict[int, str] = field(default_factory=dict)
    names: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (ja, latin)


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return generate_password_hash(PASSWORD, method="scrypt")  # once, shared by everyone


def _people(scale: Scale, now) -> _People:
    password_hash = _password_hash()

    def person(email, name_ja, name_latin, locale, *, trainee=False, mentor=False, admin=False):
        return {"email": email, "password_hash": password_hash, "name_ja": name_ja, "name_latin": name_latin,
                "organisation": "Skyfront Bench", "locale": locale, "is_trainee": trainee, "is_mentor": mentor,
                "is_admin": admin, "active": True, "session_nonce": secrets.token_urlsafe(16),
                "created_at": now - timedelta(days=120)}

    rows = [person("admin@bench.example", "管理 太郎", "Taro Kanri", "ja", admin=True)]
    for c in range(scale.cohorts):
        for k in range(2):
            rows.append(person(f"mentor{c:02d}-{k}@bench.example", f"指導 {c}-{k}", f"Mentor {c}-{k}",
                               "en" if k else "ja", mentor=True))
    for i in range(scale.trainees):
        rows.append(person(f"trainee{i:05d}@bench.example", f"研修 {i}", f"Trainee {i}", "en" if i % 3 == 2 else "ja",
                           trainee=True))
    _bulk(User, rows)
    ids = dict(db.session.execute(select(User.email, User.id).where(User.email.like("%@bench.example"))).all())
    people = _People(
        admin=ids["admin@bench.example"],
        mentors=[[ids[f"mentor{c:02d}-{k}@bench.example"] for k in range(2)] for c in range(scale.cohorts)],
        trainees=[ids[f"trainee{i:05d}@bench.example"] for i in range(scale.trainees)],
        cohort_of=[i * scale.cohorts // scale.trainees for i in range(scale.trainees)],
    )
    people.emails = {user_id: email for email, user_id in ids.items()}
    people.names = {ids[row["email"]]: (row["name_ja"], row["name_latin"]) for row in rows}
    return people


def _cohorts(scale: Scale, people: _People, content: _Content, now) -> None:
    today = now.date()
    names = [f"Bench cohort {c + 1:02d}" for c in range(scale.cohorts)]
    _bulk(Cohort, [{"name_ja": f"ベンチ第{c + 1}期", "name_en": names[c], "program": "entrepreneur",
                    "starts_on": today - timedelta(days=30 + 7 * (scale.cohorts - c)), "ends_on": None,
                    "created_at": now - timedelta(days=90)} for c in range(scale.cohorts)])
    by_name = dict(db.session.execute(select(Cohort.name_en, Cohort.id).where(Cohort.name_en.in_(names))).all())
    people.cohort_ids = [by_name[name] for name in names]
    _bulk(CohortCourse, [{"cohort_id": cohort_id, "course_id": course.id}
                         for cohort_id in people.cohort_ids for course in content.courses])
    members = [{"cohort_id": people.cohort_ids[c], "user_id": mentor_id, "role": "mentor"}
               for c, pair in enumerate(people.mentors) for mentor_id in pair]
    members += [{"cohort_id": people.cohort_ids[people.cohort_of[i]], "user_id": trainee_id, "role": "trainee"}
                for i, trainee_id in enumerate(people.trainees)]
    _bulk(CohortMember, members)
    _bulk(Enrolment, [{"user_id": trainee_id, "course_id": course.id, "source": "cohort",
                       "created_at": now - timedelta(days=60)}
                      for trainee_id in people.trainees for course in content.courses])
    # A few direct allocations: each cohort's first mentor also looks after two trainees of the next cohort.
    if scale.cohorts > 1:
        allocations = []
        for c, pair in enumerate(people.mentors):
            others = [t for i, t in enumerate(people.trainees) if people.cohort_of[i] == (c + 1) % scale.cohorts]
            allocations += [{"mentor_id": pair[0], "trainee_id": t, "created_at": now} for t in others[:2]]
        _bulk(MentorAllocation, allocations)


def _progress(scale: Scale, people: _People, content: _Content, now) -> None:
    """Lessons completed: 3 to 10 per course (the measured trainee: 3, so they are never eligible)."""
    rows = []
    for i, trainee_id in enumerate(people.trainees):
        for course in content.courses:
            lessons = content.lessons[course.id]
            done = 3 + (i % (len(lessons) - 2))
            rows += [{"user_id": trainee_id, "lesson_id": lesson.id, "course_id": course.id,
                      "completed_at": now - timedelta(days=30 - n)} for n, lesson in enumerate(lessons[:done])]
    _bulk(LessonCompletion, rows)


# --- quizzes


def _quiz_attempts(scale: Scale, people: _People, content: _Content, now, rng: random.Random) -> int:
    """Graded attempts (with responses and the standing results), plus the measured trainee's open attempt."""
    quizzes = content.quizzes
    layouts = {q.id: quiz_service.draw_layout(q, content.questions[q.id], random.Random(q.id)) for q in quizzes}
    questions = {question.id: question for qs in content.questions.values() for question in qs}
    variants = {}  # question id -> {True: (answer, fraction), False: (...)}
    for question in questions.values():
        variants[question.id] = {}
        for correct in (True, False):
            answer = stored_answer(question, correct)
            variants[question.id][correct] = (answer, grading.score(question.type, question.data, answer))
    attempt_rows, outcomes, results = [], [], []
    per_trainee, extra = divmod(scale.attempts, scale.trainees)
    for i, trainee_id in enumerate(people.trainees):
        quota = per_trainee + (1 if i < extra else 0)
        counts = [0] * len(quizzes)
        position = i % len(quizzes)
        while quota and any(q.max_attempts == 0 or counts[n] < q.max_attempts for n, q in enumerate(quizzes)):
            quiz = quizzes[position]
            if quiz.max_attempts == 0 or counts[position] < quiz.max_attempts:
                counts[position] += 1
                quota -= 1
            position = (position + 1) % len(quizzes)
        skill = 0.45 + 0.5 * rng.random()
        for n, quiz in enumerate(quizzes):
            graded = []
            for number in range(1, counts[n] + 1):
                layout = layouts[quiz.id]
                marks = [(qid, rng.random() < skill + 0.08 * number) for qid in layout["questions"]]
                percent = grading.attempt_percent(
                    (variants[qid][ok][1], questions[qid].points) for qid, ok in marks)
                begun = now - timedelta(days=40 - 3 * n - number, minutes=i % 600)
                attempt_rows.append({
                    "quiz_id": quiz.id, "user_id": trainee_id, "number": number, "state": "graded",
                    "started_at": begun,
                    "deadline": begun + timedelta(minutes=quiz.time_limit) if quiz.time_limit else None,
                    "last_saved_at": begun + timedelta(minutes=8), "submitted_at": begun + timedelta(minutes=9),
                    "graded_at": begun + timedelta(minutes=9), "closed_by_deadline": False, "percent": percent,
                    "passed": grading.has_passed(percent, quiz.pass_mark), "layout": layout})
                outcomes.append(marks)
                graded.append(grading.GradedAttempt(number, percent))
            if graded:
                kept = grading.kept_percent(graded, quiz.grading)
                results.append({"user_id": trainee_id, "quiz_id": quiz.id, "course_id": quiz.course_id,
                                "percent": kept, "passed": grading.has_passed(kept, quiz.pass_mark),
                                "attempts": len(graded), "updated_at": now - timedelta(days=1)})
    # The measured trainee's attempt in progress, half answered.
    trainee_id = people.trainees[0]
    open_quiz = content.quiz_by_slug[(ENTREPRENEUR, ATTEMPT_QUIZ)]
    open_number = 1 + sum(1 for row in attempt_rows if row["user_id"] == trainee_id and row["quiz_id"] == open_quiz.id)
    attempt_rows.append({
        "quiz_id": open_quiz.id, "user_id": trainee_id, "number": open_number, "state": "in_progress",
        "started_at": now - timedelta(minutes=5), "deadline": None, "last_saved_at": now - timedelta(minutes=1),
        "submitted_at": None, "graded_at": None, "closed_by_deadline": False, "percent": None, "passed": None,
        "layout": layouts[open_quiz.id]})
    _bulk(QuizAttempt, attempt_rows)
    _bulk(QuizResult, results)
    ids = {(u, q, n): a for a, u, q, n in db.session.execute(
        select(QuizAttempt.id, QuizAttempt.user_id, QuizAttempt.quiz_id, QuizAttempt.number))}
    responses = []
    for row, marks in zip(attempt_rows, outcomes):
        attempt_id = ids[(row["user_id"], row["quiz_id"], row["number"])]
        for qid, ok in marks:
            answer, fraction = variants[qid][ok]
            responses.append({"attempt_id": attempt_id, "question_id": qid, "answer": answer, "fraction": fraction,
                              "saved_at": row["last_saved_at"]})
        if len(responses) >= INSERT_CHUNK:
            _bulk(QuizResponse, responses)
            responses = []
    open_id = ids[(trainee_id, open_quiz.id, open_number)]
    shown = layouts[open_quiz.id]["questions"]
    responses += [{"attempt_id": open_id, "question_id": qid, "answer": variants[qid][True][0], "fraction": None,
                   "saved_at": now - timedelta(minutes=1)} for qid in shown[: len(shown) // 2]]
    _bulk(QuizResponse, responses)
    return open_id


# --- assignments


# The state of trainee i's work on assignment a: (i * 7 + a * 3) % 20 picks one of these plans.
# Each plan lists its versions: (decision of the review of that version, or None when not reviewed yet).
_PLANS = (
    [("approve",)] * 10  # 50% approved at the first version ...
    + [("revise",)] * 3  # 15% revision requested
    + [()] * 3  # 15% submitted, waiting
    + [("revise", None)] * 2  # 10% resubmitted, waiting
    + [("draft_review",)]  # 5% in review (a draft review)
    + [("unsubmitted",)]  # 5% still a draft
)


def _plan(i: int, a: int) -> tuple:
    plan = _PLANS[(i * 7 + a * 3) % len(_PLANS)]
    if plan == ("approve",) and (i + a) % 3 == 0:
        return ("revise", "approve")  # ... or at the second
    return plan


_SECTION_TEXT = ("{title}: version {v}.\n\nWe interviewed {n} people across three segments and wrote down what "
                 "they did, not what they said they would do.\n\n- Finding one for version {v}\n- Finding two\n"
                 "- The decision we took and why\n")


def _submissions(scale: Scale, people: _People, content: _Content, now) -> int:
    """Submissions in every workflow state, with versions, reviews, the timeline and notifications."""
    texts = {}  # (assignment id, version) -> (sections, sections_html)
    for assignment in content.assignments:
        for v in (1, 2):
            sections = {s["id"]: _SECTION_TEXT.format(title=s["title"]["en"], v=v, n=8 + v) for s in assignment.sections}
            texts[(assignment.id, v)] = (sections, {k: render_markdown(t) for k, t in sections.items()})
    comments = {d: (text, render_markdown(text)) for d, text in (
        ("approve", "Well argued and supported by the interview log. Approved."),
        ("revise", "Please tighten the hypotheses and add the refutation criteria before the interviews."),
        ("draft_review", "Notes so far: the segment map is good."))}
    slugs = {c.id: c.slug for c in content.courses}
    review_target = (1 % scale.trainees, 0)  # the mentor's review page: resubmitted work, two versions

    plans, submission_rows = [], []
    count = 0
    for i, trainee_id in enumerate(people.trainees):
        for a, assignment in enumerate(content.assignments):
            if count >= scale.submissions:
                break
            count += 1
            plan = ("revise", None) if (i, a) == review_target else _plan(i, a)
            t0 = now - timedelta(days=40 - 6 * a, minutes=i % 1000)
            state, waiting = _final_state(plan, t0)
            submission_rows.append({"assignment_id": assignment.id, "user_id": trainee_id,
                                    "course_id": assignment.course_id, "state": state, "waiting_since": waiting,
                                    "created_at": t0, "updated_at": t0 + timedelta(days=3 * len(plan)),
                                    "lock": 1 + 2 * len(plan)})
            plans.append((i, trainee_id, assignment, plan, t0))
    _bulk(Submission, submission_rows)
    submission_ids = {(a, u): s for s, a, u in db.session.execute(
        select(Submission.id, Submission.assignment_id, Submission.user_id))}

    versions = []
    for i, trainee_id, assignment, plan, t0 in plans:
        submission_id = submission_ids[(assignment.id, trainee_id)]
        for v, decision in enumerate(plan or (None,), start=1):
            sections, html = texts[(assignment.id, min(v, 2))]
            submitted = None if decision == "unsubmitted" else t0 + timedelta(days=3 * (v - 1), hours=1)
            versions.append({"submission_id": submission_id, "number": v, "sections": sections,
                             "sections_html": html, "created_at": t0 + timedelta(days=3 * (v - 1)),
                             "saved_at": t0 + timedelta(days=3 * (v - 1), minutes=50), "submitted_at": submitted,
                             "late": False})
    _bulk(SubmissionVersion, versions)
    version_ids = {(s, n): v for v, s, n in db.session.execute(
        select(SubmissionVersion.id, SubmissionVersion.submission_id, SubmissionVersion.number))}

    reviews, events, notices = [], [], []
    for i, trainee_id, assignment, plan, t0 in plans:
        submission_id = submission_ids[(assignment.id, trainee_id)]
        mentor_id = people.mentors[people.cohort_of[i]][i % 2]
        name_ja, name_latin = people.names[trainee_id]
        state = flow.DRAFT
        for v, decision in enumerate(plan or (None,), start=1):
            if decision == "unsubmitted":
                break
            at = t0 + timedelta(days=3 * (v - 1), hours=1)
            target = flow.SUBMITTED if state == flow.DRAFT else flow.RESUBMITTED
            events.append(_event(submission_id, trainee_id, state, target, v, at))
            state = target
            if decision is None:
                continue
            reviewed = at + timedelta(days=1)
            events.append(_event(submission_id, mentor_id, state, flow.IN_REVIEW, v, reviewed))
            state = flow.IN_REVIEW
            released = decision in ("approve", "revise")
            scores = {c["id"]: max(level["points"] for level in c["levels"]) if decision == "approve"
                      else sorted(level["points"] for level in c["levels"])[1] for c in assignment.criteria}
            comment, comment_html = comments[decision]
            reviews.append({"version_id": version_ids[(submission_id, v)], "reviewer_id": mentor_id,
                            "scores": scores, "total": sum(scores.values()), "comment": comment,
                            "comment_html": comment_html, "section_comments": {}, "section_comments_html": {},
                            "decision": decision if released else None, "updated_at": reviewed,
                            "released_at": reviewed if released else None})
            if released:
                state = flow.APPROVED if decision == "approve" else flow.REVISION_REQUESTED
                events.append(_event(submission_id, mentor_id, flow.IN_REVIEW, state, v, reviewed))
                notices.append({
                    "user_id": trainee_id, "kind": "review_released",
                    "params": {"assignment_ja": assignment.title_ja, "assignment_en": assignment.title_en,
                               "trainee_ja": name_ja, "trainee_en": name_latin, "version": v,
                               "submission": submission_id, "decision": decision},
                    "link": f"/courses/{slugs[assignment.course_id]}/assignments/{assignment.slug}",
                    "created_at": reviewed, "read_at": None if (i + v) % 4 == 0 else reviewed + timedelta(hours=5)})
    _bulk(Review, reviews)
    _bulk(SubmissionEvent, events)
    _bulk(Notification, notices)
    target_trainee = people.trainees[review_target[0]]
    return submission_ids[(content.assignments[review_target[1]].id, target_trainee)]


def _final_state(plan: tuple, t0) -> tuple[str, object]:
    if plan == ("unsubmitted",):
        return flow.DRAFT, None
    last = plan[-1] if plan else None
    submitted_last = t0 + timedelta(days=3 * (max(len(plan), 1) - 1), hours=1)
    if last is None:
        return (flow.RESUBMITTED if len(plan) > 1 else flow.SUBMITTED), submitted_last
    if last == "draft_review":
        return flow.IN_REVIEW, submitted_last
    return (flow.APPROVED if last == "approve" else flow.REVISION_REQUESTED), None


def _event(submission_id, actor_id, from_state, to_state, version, at) -> dict:
    return {"submission_id": submission_id, "actor_id": actor_id, "from_state": from_state, "to_state": to_state,
            "version_number": version, "at": at}


# --- certificates


def _certificates(scale: Scale, people: _People, content: _Content, now) -> tuple[str, str]:
    """Certificates as ``services.certificates`` snapshots them; the measured trainee holds one (regulatory)."""
    entrepreneur, regulatory = content.courses
    snapshots = {}
    for course in content.courses:
        quizzes = [q for q in content.quizzes if q.course_id == course.id]
        assignments = [a for a in content.assignments if a.course_id == course.id]
        completion = {
            "lessons": len(content.lessons[course.id]),
            "quizzes": [{"title": {"ja": q.title_ja, "en": q.title_en}, "percent": 90.0} for q in quizzes],
            "quiz_average": 90.0,
            "min_quiz_score": (course.completion_rules or {}).get("min_quiz_score"),
            "assignments": [{"title": {"ja": a.title_ja, "en": a.title_en},
                             "approved_at": (now - timedelta(days=3)).isoformat()} for a in assignments],
            "completed_at": (now - timedelta(days=2)).isoformat(),
        }
        issuer = dict(course.certificate_info)
        issuer["criteria"] = certificate_service.criteria_text(completion)
        snapshots[course.id] = (issuer, completion)
    rows = []
    for j in range(min(scale.certificates, scale.trainees)):
        course = regulatory if j % 2 == 0 else entrepreneur
        user_id = people.trainees[j]
        name_ja, name_latin = people.names[user_id]
        issuer, completion = snapshots[course.id]
        months = (course.completion_rules or {}).get("valid_months")
        issued = now - timedelta(days=2, minutes=j)
        rows.append({
            "public_id": secrets.token_urlsafe(certificate_service.PUBLIC_ID_BYTES), "user_id": user_id,
            "course_id": course.id, "holder_name_ja": name_ja, "holder_name_latin": name_latin,
            "course_slug": course.slug, "course_title_ja": course.title_ja, "course_title_en": course.title_en,
            "program": course.program, "issuer": issuer, "completion": completion, "issued_at": issued,
            "expires_at": certificate_service.add_months(issued, months) if months else None,
            "issued_by_id": people.admin if course is regulatory else None,
            "revoked_at": None, "revoked_reason": None, "revoked_by_id": None, "pdf_name": None})
    _bulk(Certificate, rows)
    mine = rows[0]["public_id"]
    other = rows[1]["public_id"] if len(rows) > 1 else mine
    return mine, other
