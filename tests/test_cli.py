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


def test_set_role_adds_and_removes_a_role_with_an_audit_event(app, make_user):
    from lms.models import AuditEvent

    user = make_user("trainee", email="someone@example.org")
    runner = app.test_cli_runner()
    added = runner.invoke(args=["lms", "set-role", "--email", "Someone@Example.org", "--role", "mentor"])
    assert added.exit_code == 0, added.output
    db.session.refresh(user)
    assert user.roles == [Role.TRAINEE, Role.MENTOR]

    removed = runner.invoke(args=["lms", "set-role", "--email", "someone@example.org", "--role", "trainee", "--remove"])
    assert removed.exit_code == 0, removed.output
    db.session.refresh(user)
    assert user.roles == [Role.MENTOR]

    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.roles").order_by(AuditEvent.id)))
    assert [(e.target_id, e.details["before"], e.details["after"], e.actor_id) for e in events] == [
        (str(user.id), ["trainee"], ["trainee", "mentor"], None),
        (str(user.id), ["trainee", "mentor"], ["mentor"], None),
    ]

    again = runner.invoke(args=["lms", "set-role", "--email", "someone@example.org", "--role", "mentor"])
    assert again.exit_code == 0 and "already has" in again.output
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "user.roles")) == 2


def test_set_role_unknown_email_and_last_admin(app, make_user):
    from lms.models import AuditEvent

    admin = make_user("admin", email="only-admin@example.org")
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["lms", "set-role", "--email", "nobody@example.org", "--role", "admin"])
    assert unknown.exit_code == 1 and "no account with the e-mail address nobody@example.org" in unknown.output

    last = runner.invoke(args=["lms", "set-role", "--email", admin.email, "--role", "admin", "--remove"])
    assert last.exit_code == 1 and "last active administrator" in last.output
    db.session.refresh(admin)
    assert admin.is_admin
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0

    make_user("admin")
    ok = runner.invoke(args=["lms", "set-role", "--email", admin.email, "--role", "admin", "--remove"])
    assert ok.exit_code == 0, ok.output
    db.session.refresh(admin)
    assert not admin.is_admin
