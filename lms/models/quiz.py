"""Quizzes (imported from courses/), trainees' attempts and the grade that stands."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .course import Module


class Quiz(db.Model):
    """The quiz that ends a module. Its identity is the module: one quiz per module."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), unique=True)
    slug: Mapped[str] = mapped_column(String(80))  # the module's slug, for URLs
    title_ja: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    intro_html_ja: Mapped[str] = mapped_column(Text, default="")
    intro_html_en: Mapped[str] = mapped_column(Text, default="")
    pass_mark: Mapped[int] = mapped_column(Integer)  # percent
    max_attempts: Mapped[int] = mapped_column(Integer, default=0)  # 0 = unlimited
    time_limit: Mapped[int | None] = mapped_column(Integer)  # minutes
    shuffle_questions: Mapped[bool] = mapped_column(Boolean, default=False)
    shuffle_choices: Mapped[bool] = mapped_column(Boolean, default=False)
    draw: Mapped[int | None] = mapped_column(Integer)  # questions per attempt; None = all
    grading: Mapped[str] = mapped_column(String(10), default="highest")
    reveal: Mapped[str] = mapped_column(String(20), default="after_attempt")
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    module: Mapped[Module] = relationship()


class Question(db.Model):
    # Identity: the question's id in quiz.toml. Removed questions are archived, so old attempts still show them.
    __table_args__ = (UniqueConstraint("quiz_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)
    type: Mapped[str] = mapped_column(String(12))
    points: Mapped[int] = mapped_column(Integer, default=1)
    text_html_ja: Mapped[str] = mapped_column(Text)
    text_html_en: Mapped[str] = mapped_column(Text)
    feedback_html_ja: Mapped[str] = mapped_column(Text, default="")
    feedback_html_en: Mapped[str] = mapped_column(Text, default="")
    # The grader's data (choices with their correctness, the numeric answer, accepted texts...).
    # Never sent to the browser as such; templates show only what the reveal policy allows.
    data: Mapped[dict] = mapped_column(JSON)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QuizAttempt(db.Model):
    # The number is unique per trainee and quiz, so two racing "start" requests cannot both create an attempt.
    __table_args__ = (UniqueConstraint("quiz_id", "user_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12), default="in_progress")  # in_progress, submitted, graded
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_deadline: Mapped[bool] = mapped_column(Boolean, default=False)
    percent: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    # Fixed at the start so the order survives reloads: {"questions": [question ids],
    # "choices": {"<question id>": [choice ids]}, "items": {"<question id>": [item ids, initial order]}}.
    layout: Mapped[dict] = mapped_column(JSON)

    quiz: Mapped[Quiz] = relationship()


class QuizResponse(db.Model):
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempt.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"), index=True)
    answer: Mapped[object | None] = mapped_column(JSON)
    fraction: Mapped[float | None] = mapped_column(Float)  # set when the attempt is graded
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QuizChoicePick(db.Model):
    """One picked choice of a graded attempt: item analysis counts these with GROUP BY."""

    __table_args__ = (Index("ix_quiz_choice_pick_question_choice", "question_id", "choice"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempt.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    choice: Mapped[str] = mapped_column(String(80))


class QuizResult(db.Model):
    """The grade that stands for a trainee and a quiz (by the quiz's grading policy)."""

    __table_args__ = (UniqueConstraint("user_id", "quiz_id"),
                      Index("ix_quiz_result_user_course", "user_id", "course_id"))  # a trainee's results in a course

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    percent: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column(Boolean)
    attempts: Mapped[int] = mapped_column(Integer)  # graded attempts so far
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
