"""All models, importable from one place (Alembic sees them through this module)."""

from .assignment import (Assignment, Attachment, MentorAllocation, Notification, Review, Submission,
                         SubmissionEvent, SubmissionVersion)
from .base import UTCDateTime, utcnow
from .certificate import AuditEvent, Certificate
from .course import Course, Lesson, Module
from .progress import Cohort, CohortCourse, CohortMember, CohortPairing, Enrolment, LessonCompletion
from .quiz import Question, Quiz, QuizAttempt, QuizChoicePick, QuizResponse, QuizResult
from .user import ROLE_LABELS, Role, Token, TokenPurpose, User, UserSession

__all__ = [
    "Assignment", "Attachment", "MentorAllocation", "Notification", "Review", "Submission", "SubmissionEvent",
    "SubmissionVersion",
    "AuditEvent", "Certificate", "Cohort", "CohortCourse", "CohortMember", "CohortPairing", "Course", "Enrolment", "Lesson", "LessonCompletion",
    "Module", "Question", "Quiz", "QuizAttempt", "QuizChoicePick", "QuizResponse", "QuizResult",
    "ROLE_LABELS", "Role", "Token", "TokenPurpose", "User", "UserSession", "UTCDateTime", "utcnow",
]
