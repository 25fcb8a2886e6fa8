"""Build cohorts with known progress straight into the database (bulk inserts for the large cases)."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import insert, select

from lms.extensions import db
from lms.models import (Assignment, Certificate, Cohort, CohortMember, Course, Enrolment, Lesson, LessonCompletion,
                        Module, Quiz, QuizAttempt, QuizResult, Review, Role, Submission, SubmissionEvent,
                        SubmissionVersion, User)

CRITERIA = [{"id": "clarity", "title": {"ja": "明確さ", "en": "Clarity"}, "description_html": {"ja": "", "en": ""},
             "levels": [{"points": p, "descriptor": {"ja": str(p), "en": str(p)}} for p in (0, 5, 10)]}]
SECTIONS = [{"id": "answer", "title": {"ja": "回答", "en": "Answer"}, "guidance_html": {"ja": "", "en": ""}}]


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def build_course(*, modules: int, lessons: int = 2, quiz_modules=None, assignments: dict[int, int] | None = None,
                 slug: str = "report-course") -> Course:
    """A course with ``modules`` modules of ``lessons`` lessons; a quiz in each of ``quiz_modules`` (default all)
    and ``assignments[m]`` assignments in module m (default one each)."""
    course = Course(slug=slug, program="regulatory", position=1, title_ja="報告テストコース",
                    title_en="Report test course")
    db.session.add(course)
    db.session.flush()
    quiz_modules = range(1, modules + 1) if quiz_modules is None else quiz_modules
    for m in range(1, modules + 1):
        module = Module(course_id=course.id, slug=f"m{m}", position=m, title_ja=f"第{m}章", title_en=f"Module {m}")
        db.session.add(module)
        db.session.flush()
        for n in range(1, lessons + 1):
            db.session.add(Lesson(course_id=course.id, module_id=module.id, slug=f"l{m}-{n}", position=n,
                                  title_ja=f"レッスン{m}-{n}", title_en=f"Lesson {m}-{n}"))
        if m in quiz_modules:
            db.session.add(Quiz(course_id=course.id, module_id=module.id, slug=f"m{m}", title_ja=f"小テスト{m}",
                                title_en=f"Quiz {m}", pass_mark=70))
        for n in range(1, (assignments or {}).get(m, 1) + 1):
            db.session.add(Assignment(course_id=course.id, module_id=module.id, slug=f"a{m}-{n}", position=n,
                                      title_ja=f"課題{m}-{n}", title_en=f"Assignment {m}-{n}", sections=SECTIONS,
                                      criteria=CRITERIA, pass_points=5))
    db.session.commit()
    return course


def items(model, course):
    return list(db.session.scalars(select(model).where(model.course_id == course.id).order_by(model.id)))


def new_cohort(course, *, starts_on=date(2026, 4, 1), ends_on=None, name_ja="一期生", name_en="First cohort"):
    cohort = Cohort(name_ja=name_ja, name_en=name_en, program=course.program, starts_on=starts_on, ends_on=ends_on)
    cohort.courses.append(course)
    db.session.add(cohort)
    db.session.commit()
    return cohort


def join(cohort, user, role="trainee", course=None, enrolled_at=utc(2026, 3, 20)):
    db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, role=role))
    if role == "trainee" and course is not None:
        db.session.add(Enrolment(user_id=user.id, course_id=course.id, source="cohort", created_at=enrolled_at))
    db.session.commit()


def hand_in(user, assignment, state, submitted_at, reviews=()):
    """A submission of one version, submitted by the trainee, with released (or draft) reviews on it.

    ``reviews``: (reviewer, released_at or None, total), one version each; ``state`` alone sets the outcome.
    """
    submission = Submission(assignment_id=assignment.id, user_id=user.id, course_id=assignment.course_id, state=state,
                            created_at=submitted_at, updated_at=submitted_at,
                            waiting_since=submitted_at if state in ("submitted", "resubmitted", "in_review") else None)
    db.session.add(submission)
    db.session.flush()
    if state == "draft":
        db.session.add(SubmissionVersion(submission_id=submission.id, number=1, created_at=submitted_at,
                                         saved_at=submitted_at))
        db.session.commit()
        return submission
    db.session.add(SubmissionEvent(submission_id=submission.id, actor_id=user.id, from_state="draft",
                                   to_state="submitted", version_number=1, at=submitted_at))
    for number, (reviewer, released_at, total) in enumerate(reviews, start=1):
        version = SubmissionVersion(submission_id=submission.id, number=number, created_at=submitted_at,
                                    saved_at=submitted_at, submitted_at=submitted_at)
        db.session.add(version)
        db.session.flush()
        db.session.add(Review(version_id=version.id, reviewer_id=reviewer.id, total=total, released_at=released_at,
                              updated_at=released_at or submitted_at,
                              decision=None if released_at is None else "approve"))
        if released_at is not None:  # the mentor's own events: not the trainee's activity
            db.session.add(SubmissionEvent(submission_id=submission.id, actor_id=reviewer.id, from_state="in_review",
                                           to_state=state, version_number=number, at=released_at))
    if not reviews:
        db.session.add(SubmissionVersion(submission_id=submission.id, number=1, created_at=submitted_at,
                                         saved_at=submitted_at, submitted_at=submitted_at))
    db.session.commit()
    return submission


def certify(user, course, issued_at, *, revoked_at=None, expires_at=None):
    certificate = Certificate(public_id=secrets.token_urlsafe(18), user_id=user.id, course_id=course.id,
                              holder_name_ja=user.name_ja, holder_name_latin=user.name_latin, course_slug=course.slug,
                              course_title_ja=course.title_ja, course_title_en=course.title_en,
                              program=course.program, issuer={}, completion={}, issued_at=issued_at,
                              expires_at=expires_at, revoked_at=revoked_at)
    db.session.add(certificate)
    db.session.commit()
    return certificate


# --- many trainees at once


def bulk(model, rows: list[dict]) -> None:
    if rows:  # an INSERT with no rows would add one row of defaults
        db.session.execute(insert(model), rows)


def populate(cohort, course, trainees: int, mentor: User, *, start: int = 0) -> list[int]:
    """``trainees`` more trainees with a mix of everything (lessons, attempts, results, submissions in every state,
    released reviews, certificates), bulk-inserted so that the large cases stay fast."""
    now = utc(2026, 4, 20)
    users = [User(email=f"bulk{start + i}@example.org", name_ja=f"受講者{start + i}",
                  name_latin=f"Trainee {start + i:04d}", organisation="スタートアップ株式会社", locale="ja",
                  is_trainee=True) for i in range(trainees)]
    db.session.add_all(users)
    db.session.flush()
    ids = [user.id for user in users]
    lessons, quizzes, assignments = items(Lesson, course), items(Quiz, course), items(Assignment, course)
    bulk(CohortMember, [{"cohort_id": cohort.id, "user_id": i, "role": "trainee"} for i in ids])
    bulk(Enrolment, [{"user_id": i, "course_id": course.id, "source": "cohort",
                                            "created_at": utc(2026, 3, 25)} for i in ids])
    bulk(LessonCompletion, [
        {"user_id": user_id, "lesson_id": lesson.id, "course_id": course.id, "completed_at": now}
        for n, user_id in enumerate(ids) for lesson in lessons[:(n * 7) % (len(lessons) + 1)]])
    bulk(QuizAttempt, [
        {"quiz_id": quiz.id, "user_id": user_id, "number": 1, "state": "graded", "started_at": now,
         "submitted_at": now, "graded_at": now, "percent": 50.0 + (n % 5) * 10, "passed": n % 5 >= 2, "layout": {}}
        for n, user_id in enumerate(ids) for quiz in quizzes[:n % 4]])
    bulk(QuizResult, [
        {"user_id": user_id, "quiz_id": quiz.id, "course_id": course.id, "percent": 50.0 + (n % 5) * 10,
         "passed": n % 5 >= 2, "attempts": 1, "updated_at": now}
        for n, user_id in enumerate(ids) for quiz in quizzes[:n % 4]])
    states = ("draft", "submitted", "in_review", "revision_requested", "approved")
    submissions = [Submission(assignment_id=a.id, user_id=user_id, course_id=course.id, state=states[(n + k) % 5],
                              created_at=now, updated_at=now)
                   for n, user_id in enumerate(ids) for k, a in enumerate(assignments[:n % 3])]
    db.session.add_all(submissions)
    db.session.flush()
    versions = [SubmissionVersion(submission_id=s.id, number=1, created_at=now, saved_at=now,
                                  submitted_at=None if s.state == "draft" else now) for s in submissions]
    db.session.add_all(versions)
    db.session.flush()
    bulk(SubmissionEvent, [
        {"submission_id": s.id, "actor_id": s.user_id, "from_state": "draft", "to_state": "submitted",
         "version_number": 1, "at": now} for s in submissions if s.state != "draft"])
    bulk(Review, [
        {"version_id": v.id, "reviewer_id": mentor.id, "total": 5, "scores": {}, "updated_at": now,
         "released_at": now + timedelta(hours=5), "decision": "approve"}
        for s, v in zip(submissions, versions) if s.state in ("revision_requested", "approved")])
    bulk(Certificate, [
        {"public_id": secrets.token_urlsafe(18), "user_id": user_id, "course_id": course.id, "holder_name_ja": "",
         "holder_name_latin": "", "course_slug": course.slug, "course_title_ja": "", "course_title_en": "",
         "program": course.program, "issuer": {}, "completion": {}, "issued_at": now}
        for n, user_id in enumerate(ids) if n % 5 == 0])
    db.session.commit()
    return ids


def mentor_for(cohort, make_user, **fields):
    mentor = make_user(Role.MENTOR, **fields)
    join(cohort, mentor, role="mentor")
    return mentor
