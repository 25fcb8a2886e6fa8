"""Operator commands: create-user and the demo data of `make run`."""

from __future__ import annotations

from sqlalchemy import func, select

from lms.extensions import db
from lms.models import Cohort, CohortMember, Enrolment, Role, User


def test_create_user(app):
    result = app.test_cli_runner().invoke(args=[
        "lms", "create-user", "--email", "Ops@Example.org", "--name-latin", "Ops Person",
        "--role", "admin", "--role", "mentor", "--password", "a long password"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User))
    assert user.email == "ops@example.org" and user.roles == [Role.MENTOR, Role.ADMIN]


def test_create_user_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(args=[
        "lms", "create-user", "--email", "x@example.org", "--name-latin", "X", "--password", "short"])
    assert result.exit_code != 0 and "at least 10 characters" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_demo_creates_people_once(app, make_course):
    make_course()
    make_course(program="regulatory")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["lms", "demo"])
    assert first.exit_code == 0
    people = list(db.session.scalars(select(User)))
    assert sum(u.is_admin for u in people) == 1
    assert sum(u.is_mentor for u in people) == 2
    assert sum(u.is_trainee for u in people) == 4
    cohort = db.session.scalar(select(Cohort))
    assert db.session.scalar(select(func.count(CohortMember.id)).where(CohortMember.role == "trainee")) == 4
    assert len(cohort.courses) == 2
    assert db.session.scalar(select(func.count(Enrolment.id))) == 8
    # each password is printed once and works
    line = next(l for l in first.output.splitlines() if "trainee1@example.org" in l)
    password = line.split()[-1]
    trainee = db.session.scalar(select(User).where(User.email == "trainee1@example.org"))
    assert trainee.check_password(password)

    second = runner.invoke(args=["lms", "demo"])
    assert "already has users" in second.output
    assert db.session.scalar(select(func.count(User.id))) == 7
