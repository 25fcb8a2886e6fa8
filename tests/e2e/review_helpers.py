"""Helpers for the review-and-certificate scenario: a course done in the database but for a few steps, a small PDF."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lms.extensions import db
from lms.models import (Assignment, Course, Lesson, LessonCompletion, Quiz, QuizResult, Submission, SubmissionVersion,
                        User, utcnow)


def user_id(in_app, email: str) -> int:
    with in_app():
        return db.session.scalar(select(User.id).where(User.email == email))


def complete_all_but(in_app, email: str, course_slug: str, lesson_slug: str, assignment_slug: str) -> dict:
    """Mark every live lesson done but one, pass every quiz, approve every assignment but one.

    Returns the Japanese and English titles of the lesson and the assignment left to do.
    """
    with in_app():
        user = db.session.scalar(select(User).where(User.email == email))
        course = db.session.scalar(select(Course).where(Course.slug == course_slug))
        lessons = db.session.scalars(select(Lesson).where(Lesson.course_id == course.id, Lesson.archived_at.is_(None)))
        quizzes = db.session.scalars(select(Quiz).where(Quiz.course_id == course.id, Quiz.archived_at.is_(None)))
        work = db.session.scalars(select(Assignment).where(Assignment.course_id == course.id,
                                                          Assignment.archived_at.is_(None)))
        left = {}
        for lesson in lessons:
            if lesson.slug == lesson_slug:
                left["lesson"] = {"ja": lesson.title_ja, "en": lesson.title_en}
            else:
                db.session.add(LessonCompletion(user_id=user.id, lesson_id=lesson.id, course_id=course.id))
        for quiz in quizzes:
            db.session.add(QuizResult(user_id=user.id, quiz_id=quiz.id, course_id=course.id, percent=100.0,
                                      passed=True, attempts=1))
        now = utcnow()
        for assignment in work:
            if assignment.slug == assignment_slug:
                left["assignment"] = {"ja": assignment.title_ja, "en": assignment.title_en}
                continue
            submission = Submission(assignment_id=assignment.id, user_id=user.id, course_id=course.id,
                                    state="approved", waiting_since=None, created_at=now - timedelta(days=7),
                                    updated_at=now)
            db.session.add(submission)
            db.session.flush()
            texts = {section["id"]: "Done earlier." for section in assignment.sections}
            db.session.add(SubmissionVersion(submission_id=submission.id, number=1, sections=texts,
                                             sections_html={k: f"<p>{v}</p>" for k, v in texts.items()},
                                             created_at=now - timedelta(days=7), saved_at=now - timedelta(days=7),
                                             submitted_at=now - timedelta(days=6)))
        db.session.commit()
        assert set(left) == {"lesson", "assignment"}, f"{lesson_slug} or {assignment_slug} is not in {course_slug}"
        return left


def rubric_points(in_app, course_slug: str, assignment_slug: str) -> dict:
    """The rubric's totals: with every criterion at its second level, at its top level, and the pass points."""
    with in_app():
        assignment = db.session.scalar(select(Assignment).join(Course, Course.id == Assignment.course_id)
                                       .where(Course.slug == course_slug, Assignment.slug == assignment_slug))
        levels = [[level["points"] for level in criterion["levels"]] for criterion in assignment.criteria]
        return {"second": sum(points[1] for points in levels), "highest": sum(points[-1] for points in levels),
                "pass": assignment.pass_points}


def minimal_pdf() -> bytes:
    """A one-page PDF with a correct cross-reference table: small, and a real PDF."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def score_all(page, levels: str) -> None:
    """Pick a level for every rubric criterion on the review page: "lowest", "highest" or "second"."""
    for fieldset in page.locator("fieldset.criterion").all():
        radios = fieldset.locator("input[type=radio]")
        index = {"lowest": 0, "second": 1, "highest": radios.count() - 1}[levels]
        radios.nth(index).check()
