"""A small course that issues certificates, and ways to complete it step by step."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tests.content.helpers import import_courses  # imports and commits, as the CLI does
from lms.extensions import db
from lms.models import (Assignment, Cohort, CohortMember, Course, Enrolment, Lesson, LessonCompletion, Quiz,
                        QuizResult, Submission)
from tests.content.helpers import COURSE_TOML, write_assignment, write_course, write_quiz

CERTIFICATE = '''
[completion]
issue = "{issue}"
{extra}

[certificate]
issuer = {{ ja = "神奈川県立産業技術総合研究所", en = "Kanagawa Institute of Industrial Science and Technology" }}
issuer_url = "https://www.kistec.jp/"
signer = {{ ja = "山田 花子", en = "Hanako Yamada" }}
signer_title = {{ ja = "研修事務局長", en = "Head of Training" }}
description = {{ ja = "レギュラトリーサイエンスの研修を修了したことを証します。", en = "Completed the regulatory-science training." }}
'''


def course_toml(issue: str = "automatic", extra: str = "") -> str:
    head, modules = COURSE_TOML.split("\n[[modules]]", 1)
    return head + CERTIFICATE.format(issue=issue, extra=extra) + "\n[[modules]]" + modules


def import_certified_course(root, issue: str = "automatic", extra: str = "") -> Course:
    folder = write_course(root / "courses", toml=course_toml(issue, extra))
    write_quiz(folder)
    write_assignment(folder)
    import_courses(root / "courses")
    db.session.commit()  # the unit of work the CLI command would commit
    return db.session.scalar(select(Course))


def lessons_of(course):
    return list(db.session.scalars(select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.id)))


def finish_lessons(user, course, keep_last=False):
    lessons = lessons_of(course)
    for lesson in lessons[:-1] if keep_last else lessons:
        db.session.add(LessonCompletion(user_id=user.id, lesson_id=lesson.id, course_id=course.id))
    db.session.commit()
    return lessons[-1]


def pass_quiz(user, course, percent=90.0, passed=True, attempts=1):
    quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id))
    db.session.add(QuizResult(user_id=user.id, quiz_id=quiz.id, course_id=course.id, percent=percent,
                              passed=passed, attempts=attempts))
    db.session.commit()
    return quiz


def approve_assignment(user, course, state="approved"):
    assignment = db.session.scalar(select(Assignment).where(Assignment.course_id == course.id))
    db.session.add(Submission(assignment_id=assignment.id, user_id=user.id, course_id=course.id, state=state))
    db.session.commit()
    return assignment


def complete_everything(user, course):
    finish_lessons(user, course)
    pass_quiz(user, course)
    approve_assignment(user, course)


def enrol_in(user, course, cohort=None):
    db.session.add(Enrolment(user_id=user.id, course_id=course.id, source="admin"))
    if cohort is not None:
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, role="trainee"))
    db.session.commit()


def new_cohort(course, name="一期"):
    cohort = Cohort(name_ja=name, name_en=f"Cohort {name}", program=course.program, starts_on=date(2026, 4, 1))
    cohort.courses.append(course)
    db.session.add(cohort)
    db.session.commit()
    return cohort
