"""Course content: read and validate ``courses/`` into dataclasses, then import them."""

from .loader import ContentError, CourseSpec, LessonSpec, ModuleSpec, Problem, load_courses

__all__ = ["ContentError", "CourseSpec", "LessonSpec", "ModuleSpec", "Problem", "load_courses"]
