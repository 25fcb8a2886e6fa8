"""``flask lms ...``: the commands an operator runs."""

from __future__ import annotations

import secrets
import sys
from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import func, select

from .content import ContentError
from .content.importer import import_courses
from .extensions import db
from .models import Role, User
from .services import accounts

lms_cli = AppGroup("lms", help="Skyfront LMS administration.")


@lms_cli.command("import-courses")
@click.argument("path", required=False, type=click.Path(file_okay=False))
@click.option("--check", is_flag=True, help="Only validate; change nothing.")
def import_courses_command(path, check):
    """Validate course content and import it in one transaction (default PATH: courses/)."""
    from .content import load_courses

    path = path or current_app.config["COURSES_DIR"]
    try:
        if check:
            specs = load_courses(path)
            click.echo(f"OK: {len(specs)} course(s) valid in {path}")
            return
        report = import_courses(path)
    except ContentError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(error.problems)} problem(s) found; nothing was imported.", err=True)
        sys.exit(1)
    for line in report.lines():
        click.echo(line)


ROLE_NAMES = [role.value for role in Role]


@lms_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name-latin", required=True, help="Name in Latin script.")
@click.option("--name-ja", default="", help="Name in Japanese.")
@click.option("--organisation", default="")
@click.option("--locale", type=click.Choice(["ja", "en"]), default="ja")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLE_NAMES), default=["trainee"],
              help="Repeat for several roles.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when not given.")
def create_user_command(email, name_latin, name_ja, organisation, locale, roles, password):
    """Create an account that can log in at once."""
    profile = accounts.Profile(name_ja=name_ja, name_latin=name_latin, organisation=organisation, locale=locale)
    try:
        user = accounts.create_user(email, password, profile, {Role(r) for r in roles})
    except accounts.AccountError as error:
        with force_locale("en"):  # operators read the console in English
            raise click.ClickException(str(error.message)) from None
    click.echo(f"created {user.email} ({', '.join(r.value for r in user.roles)})")


@lms_cli.command("demo")
def demo_command():
    """Create demo accounts and a demo cohort, only in a database that has no users yet."""
    from .services.demo import create_demo

    if db.session.scalar(select(func.count(User.id))):
        click.echo("The database already has users; no demo data created.")
        return
    accounts_made = create_demo(password_factory=lambda: secrets.token_urlsafe(9), today=date.today())
    click.echo("")
    click.echo("Demo accounts (the passwords are shown only this once):")
    for role, email, password in accounts_made:
        click.echo(f"  {role:<8} {email:<32} {password}")
    click.echo("")


@lms_cli.command("close-overdue-attempts")
def close_overdue_attempts_command():
    """Grade every timed quiz attempt whose time is up (safe to run from cron, e.g. every 10 minutes).

    Attempts also close themselves when their owner or an item analysis next looks at them;
    this makes reports exact without waiting for that.
    """
    from .services.quizzes import close_overdue

    click.echo(f"closed {close_overdue()} overdue attempt(s)")


def register_cli(app) -> None:
    app.cli.add_command(lms_cli)
