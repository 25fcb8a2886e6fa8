"""All models, importable from one place (Alembic sees them through this module)."""

from .announcement import Announcement
from .assignment import (Assignment, Attachment, MentorAllocation, Notification, Review, Submission,
                         SubmissionEvent, SubmissionVersion)
from .base import UTCDateTime, utcnow
from .certificate import AuditEvent, Certificate
from .content import CourseVersion, TranslationState
from .course import ContentVersion, Course, Lesson, Module
from .mail import OutgoingMail
from .progress import Cohort, CohortCourse, CohortMember, CohortPairing, Enrolment, LessonCompletion
from .quiz import Question, Quiz, QuizAttempt, QuizChoicePick, QuizResponse, QuizResult
from .user import ROLE_LABELS, Role, Token, TokenPurpose, User, UserSession

__all__ = [
    "Announcement", "Assignment", "Attachment", "MentorAllocation", "Notification", "Review", "Submission", "SubmissionEvent",
    "SubmissionVersion",
    "AuditEvent", "Certificate", "ContentVersion", "CourseVersion", "TranslationState", "Cohort", "CohortCourse", "CohortMember", "CohortPairing", "Course", "Enrolment", "Lesson", "LessonCompletion",
    "Module", "OutgoingMail", "Question", "Quiz", "QuizAttempt", "QuizChoicePick", "QuizResponse", "QuizResult",
    "ROLE_LABELS", "Role", "Token", "TokenPurpose", "User", "UserSession", "UTCDateTime", "utcnow",
]
