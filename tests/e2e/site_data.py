"""One realistic program for the every-page check: a cohort with both courses, a trainee part-way through one
course (lessons, a passed quiz, an open attempt, a submission waiting for review and an approved one) who holds a
certificate for the other, a mentor with a queue, an announcement, an invitation and a password reset in flight.

Written through the services where they exist (so events, notifications and audit rows are real) in one unit of
work, as a CLI command would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from lms.extensions import db
from lms.models import (Assignment, Cohort, CohortMember, Course, Enrolment, Lesson, LessonCompletion, Quiz,
                        QuizResult, Role, TokenPurpose, User)
from lms.services import accounts, announcements, assignments, certificates, content_ops, quizzes

from ..conftest import PASSWORD

PEOPLE = {
    # who: e-mail, Latin name, Japanese name, roles
    "admin": ("pages-admin@example.org", "Keiko Ito", "伊藤 恵子", {Role.ADMIN}),
    "mentor": ("pages-mentor@example.org", "Hiroshi Tanaka", "田中 博", {Role.MENTOR}),
    "trainee": ("pages-trainee@example.org", "Aiko Kobayashi", "小林 愛子", {Role.TRAINEE}),
    "peer": ("pages-peer@example.org", "Ren Watanabe", "渡辺 蓮", {Role.TRAINEE}),
}
WORKING = "global-entrepreneur"  # the course the trainee is working through
DONE = "regulatory-science"  # the course the trainee has completed (certificate issued)


@dataclass
class Site:
    ids: dict  # who -> user id
    cohort_id: int
    member_id: int  # the peer's cohort membership (the remove-member confirmation page)
    lesson: tuple[str, str]  # course slug, lesson slug
    quiz: tuple[str, str]
    assignment: tuple[str, str]
    waiting_submission: int
    reviewed_submission: int
    open_attempt: int
    finished_attempt: int
    certificate: str  # public id
    announcement: int
    invitation: str
    reset: str
    staged: str  # a course package uploaded for preview (the admin content pages)
    staged_lesson: str


# A section as long as a real one (several paragraphs), so that the grading view's work column is taller than the
# screen and its rubric panel has to stay in view while the mentor scrolls.
PARAGRAPH = ("KISTEC の支援で非臨床試験を計画しています。動物試験は CIEM の施設で行い、結果を PMDA の対面助言で確認します。"
             " We plan the pivotal toxicology study with a CRO in Kawasaki and keep the CMC comparability plan in step.")


def _texts(assignment: Assignment, words: str) -> dict[str, str]:
    body = "\n\n".join([PARAGRAPH] * 4)
    return {section["id"]: f"{words}\n\n{body}\n\n- KISTEC の支援で非臨床試験を計画しています。\n- Partnering with a CRO in Kawasaki."
            for section in assignment.sections}


def _lessons(course: Course) -> list[Lesson]:
    return [lesson for module in course.modules for lesson in module.lessons if lesson.archived_at is None]


def seed(app) -> Site:
    with app.test_request_context("/"):
        users = {}
        for who, (email, latin, ja, roles) in PEOPLE.items():
            profile = accounts.Profile(name_ja=ja, name_latin=latin, organisation="Tonomachi Bio", locale="en")
            users[who] = accounts.create_user(email, PASSWORD, profile, roles)
        working = db.session.scalar(select(Course).where(Course.slug == WORKING))
        done = db.session.scalar(select(Course).where(Course.slug == DONE))

        cohort = Cohort(name_ja="2027年度 第1期", name_en="2027 first cohort", program="entrepreneur",
                        starts_on=date.today() - timedelta(days=30), ends_on=date.today() + timedelta(days=150))
        cohort.courses.extend([working, done])
        db.session.add(cohort)
        db.session.flush()
        members = {who: CohortMember(cohort_id=cohort.id, user_id=users[who].id,
                                     role="mentor" if who == "mentor" else "trainee")
                   for who in ("mentor", "trainee", "peer")}
        db.session.add_all(members.values())
        for who in ("trainee", "peer"):
            for course in (working, done):
                db.session.add(Enrolment(user_id=users[who].id, course_id=course.id, source="cohort"))
        db.session.flush()

        trainee = users["trainee"]
        # The completed course: every lesson, every quiz passed, every assignment approved, then the certificate.
        for lesson in _lessons(done):
            db.session.add(LessonCompletion(user_id=trainee.id, lesson_id=lesson.id, course_id=done.id))
        for quiz in db.session.scalars(select(Quiz).where(Quiz.course_id == done.id, Quiz.archived_at.is_(None))):
            db.session.add(QuizResult(user_id=trainee.id, quiz_id=quiz.id, course_id=done.id, percent=90.0,
                                      passed=True, attempts=1))
        db.session.flush()
        reviewed = []
        work = list(db.session.scalars(select(Assignment).where(Assignment.archived_at.is_(None))
                                       .order_by(Assignment.course_id, Assignment.id)))
        for assignment in [a for a in work if a.course_id == done.id] + [a for a in work if a.course_id == working.id][:1]:
            submission = _submit(trainee, assignment, "Our regulatory plan / 規制戦略の計画")
            top = {c["id"]: c["levels"][-1]["points"] for c in assignment.criteria}
            assignments.save_review(users["mentor"], submission, assignments.ReviewInput(
                scores=top, comment="Clear and well argued. **Approved.**",
                section_comments={s["id"]: "根拠が明確です。" for s in assignment.sections}, decision="approve"),
                submission.lock)
            reviewed.append(submission)
        issued = certificates.issue(done, [trainee], by=users["admin"])
        certificate = certificates.of_user(trainee)[0]
        assert issued is not None and certificate is not None

        # The course in progress: a few lessons, a passed quiz and an open attempt, one submission waiting.
        for lesson in _lessons(working)[:3]:
            db.session.add(LessonCompletion(user_id=trainee.id, lesson_id=lesson.id, course_id=working.id))
        quiz_list = list(db.session.scalars(select(Quiz).where(Quiz.course_id == working.id, Quiz.archived_at.is_(None))
                                            .order_by(Quiz.id)))
        # The finished attempt is on the course's last quiz: the browser scenario takes the first one itself and
        # reads its item analysis, which an attempt here would change (the browser tests share one database).
        finished = quizzes.start_attempt(trainee, quiz_list[-1], rng=random.Random(1))
        db.session.flush()
        quizzes.submit(finished)
        open_attempt = quizzes.start_attempt(trainee, quiz_list[1], rng=random.Random(2))
        waiting_assignment = [a for a in work if a.course_id == working.id][1]
        waiting = _submit(trainee, waiting_assignment, "Customer discovery: 20 interviews / 顧客インタビュー20件")
        _submit(users["peer"], waiting_assignment, "Interviews with hospital pharmacists")

        notice = announcements.post(cohort, users["admin"], announcements.Draft(
            title_ja="中間発表会のお知らせ", title_en="Mid-term pitch day",
            body_ja="6月12日（金）に殿町のLiSEで中間発表会を開きます。", body_en="Pitch day is on **Friday 12 June** at LiSE, Tonomachi."))
        invited, invitation = accounts.add_invited_user(
            "pages-invited@example.org", accounts.Profile(name_ja="", name_latin="Mina Sato", organisation="", locale="en"),
            {Role.TRAINEE})
        reset = accounts._issue_token(users["peer"], TokenPurpose.PASSWORD_RESET, timedelta(hours=2))
        db.session.flush()
        lesson = _lessons(working)[3]
        # An admin's upload waiting in preview: the working course's own package, as the content page downloads it.
        staged = content_ops.stage(content_ops.course_package(working), target=WORKING, source="upload",
                                   filename=f"{WORKING}.zip")
        site = Site(ids={who: user.id for who, user in users.items()}, cohort_id=cohort.id,
                    member_id=members["peer"].id, lesson=(WORKING, lesson.slug),
                    quiz=(WORKING, quiz_list[-1].slug), assignment=(WORKING, waiting_assignment.slug),
                    waiting_submission=waiting.id, reviewed_submission=reviewed[-1].id,
                    open_attempt=open_attempt.id, finished_attempt=finished.id,
                    certificate=certificate.public_id, announcement=notice.id, invitation=invitation, reset=reset,
                    staged=staged.token, staged_lesson=lesson.slug)
        db.session.commit()
        return site


def _submit(user: User, assignment: Assignment, words: str):
    assignments.save_draft(user, assignment, _texts(assignment, words), None)
    submission = assignments.submission_of(user, assignment)
    return assignments.submit(user, assignment, submission.lock)
