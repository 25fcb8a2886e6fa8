"""Demo data for ``make run``: one admin, two mentors, four trainees in a demo cohort.

Only the try-it path (``flask lms demo``) calls this; the production path never does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..models import Cohort, CohortMember, Course, Enrolment, Role
from . import accounts

DEMO_PEOPLE = [
    # role, e-mail, Japanese name, Latin name, organisation, language
    (Role.ADMIN, "admin@example.org", "管理 太郎", "Taro Kanri", "KISTEC", "ja"),
    (Role.MENTOR, "mentor1@example.org", "指導 花子", "Hanako Shido", "CIEM", "ja"),
    (Role.MENTOR, "mentor2@example.org", "", "Emily Carter", "BioLabs", "en"),
    (Role.TRAINEE, "trainee1@example.org", "川崎 健", "Ken Kawasaki", "Skyfront Antibody Inc.", "ja"),
    (Role.TRAINEE, "trainee2@example.org", "殿町 彩", "Aya Tonomachi", "Tonomachi CellWorks", "ja"),
    (Role.TRAINEE, "trainee3@example.org", "", "Daniel Moreau", "Vectoria Therapeutics", "en"),
    (Role.TRAINEE, "trainee4@example.org", "大師 誠", "Makoto Daishi", "Keihin Gene Bio", "ja"),
]


def create_demo(password_factory: Callable[[], str], today: date) -> list[tuple[str, str, str]]:
    """Create the demo people and cohort; returns (role, e-mail, password) for the console."""
    made = []
    cohort = Cohort(name_ja="デモ・コホート", name_en="Demo cohort", program="entrepreneur", starts_on=today)
    db.session.add(cohort)
    courses = list(db.session.scalars(select(Course)))
    for course in courses:
        cohort.courses.append(course)
    for role, email, name_ja, name_latin, organisation, locale in DEMO_PEOPLE:
        password = password_factory()
        profile = accounts.Profile(name_ja=name_ja, name_latin=name_latin, organisation=organisation, locale=locale)
        user = accounts.create_user(email, password, profile, {role})
        made.append((role.value, email, password))
        if role in (Role.TRAINEE, Role.MENTOR):
            db.session.add(CohortMember(cohort=cohort, user_id=user.id, role=role.value))
        if role is Role.TRAINEE:
            for course in courses:
                db.session.add(Enrolment(user_id=user.id, course_id=course.id, source="cohort"))
    db.session.flush()
    return made
