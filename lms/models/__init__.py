"""All models, importable from one place (Alembic sees them through this module)."""

from .base import UTCDateTime, utcnow
from .course import Course, Lesson, Module
from .progress import Cohort, CohortCourse, CohortMember, Enrolment, LessonCompletion
from .quiz import Question, Quiz, QuizAttempt, QuizChoicePick, QuizResponse, QuizResult
from .user import ROLE_LABELS, Role, Token, TokenPurpose, User

__all__ = [
    "Cohort", "CohortCourse", "CohortMember", "Course", "Enrolment", "Lesson", "LessonCompletion",
    "Module", "Question", "Quiz", "QuizAttempt", "QuizChoicePick", "QuizResponse", "QuizResult",
    "ROLE_LABELS", "Role", "Token", "TokenPurpose", "User", "UTCDateTime", "utcnow",
]
