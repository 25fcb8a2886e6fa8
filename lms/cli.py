"""``flask lms ...``: the commands an operator runs."""

from __future__ import annotations

import functools
import secrets
import sys
from datetime import date
from types import SimpleNamespace

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

class UnitOfWorkGroup(AppGroup):
    """Commands that commit once, when they end without an error (the CLI's one place that commits)."""

    def command(self, *args, **kwargs):
        register = super().command(*args, **kwargs)

        def decorator(callback):
            @functools.wraps(callback)
            def run(*a, **kw):
                try:
                    result = callback(*a, **kw)
                except BaseException:
                    db.session.rollback()
                    raise
                db.session.commit()
                return result
            return register(run)
        return decorator


lms_cli = UnitOfWorkGroup("lms", help="Skyfront LMS administration.")


@lms_cli.command("import-courses")
@click.argument("path", required=False, type=click.Path(file_okay=False))
@click.option("--check", is_flag=True, help="Only validate; change nothing.")
def import_courses_command(path, check):
    """Validate course content and import it in one transaction (default PATH: courses/)."""
    from .content import load_courses
    from .content.importer import content_limits

    path = path or current_app.config["COURSES_DIR"]
    try:
        if check:
            specs = load_courses(path, content_limits())
            click.echo(f"OK: {len(specs)} course(s) valid in {path}")
            return
        report = import_courses(path)
    except ContentError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(error.problems)} problem(s) found; nothing was imported.", err=True)
        sys.exit(1)
    from .services import audit

    # In the import's own transaction (an operator's command: nobody's, no address).
    audit.record("content.import", details={"path": str(path), "created": report.created, "updated": report.updated,
                                            "archived": report.archived}, system=True)
    for line in report.lines():
        click.echo(line)


def _tokyo(moment) -> str:
    from . import clock

    return moment.astimezone(clock.TOKYO).strftime("%Y-%m-%d %H:%M") if moment else "now"


LANGUAGE_WORDS = {"ja": "Japanese", "en": "English"}


def _drift_line(path: str, unit: str, label: str, changed: str, stale: str, when) -> str:
    return (f"{path}: {unit} ({label}): the {LANGUAGE_WORDS[changed]} changed {_tokyo(when)} (Asia/Tokyo); "
            f"the {LANGUAGE_WORDS[stale]} is out of step")


@lms_cli.command("translation-status")
@click.option("--check", "check_path", type=click.Path(file_okay=False, exists=True),
              help="Report a folder (courses/ or one course) as it would be after importing it; change nothing.")
def translation_status_command(check_path):
    """List every unit whose two languages are out of step (one line each; the last line gives the count)."""
    from .content import load_courses
    from .content.importer import content_limits
    from .models import Course
    from .services import content_ops

    lines = []
    if check_path:
        try:
            specs = load_courses(check_path, content_limits())
        except ContentError as error:
            for problem in error.problems:
                click.echo(str(problem), err=True)
            click.echo(f"{len(error.problems)} problem(s) found.", err=True)
            sys.exit(1)
        for spec in specs:
            course = db.session.scalar(select(Course).where(Course.slug == spec.slug))
            created, _resolved, remaining = content_ops.drift_preview(course, spec)
            for item in remaining + created:
                lines.append(_drift_line(item.path, item.unit, item.label, item.changed, item.stale, item.changed_at))
    else:
        for state in content_ops.out_of_step():
            changed = "en" if state.stale == "ja" else "ja"
            lines.append(_drift_line(state.paths.get(state.stale, ""), state.unit, state.label, changed, state.stale,
                                     state.changed_at))
    for line in sorted(lines):
        click.echo(line)
    click.echo(f"{len(lines)} unit(s) out of step")


@lms_cli.command("content-history")
@click.argument("course_slug")
def content_history_command(course_slug):
    """List the published versions of a course, newest first."""
    from .models import Course
    from .services import content_ops

    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    if course is None:
        raise click.ClickException(f"no course '{course_slug}'")
    for version in content_ops.versions(course):
        who = version.user.email if version.user else "-"
        if version.summary.get("first"):
            summary = "first version: " + ", ".join(f"{n} {kind}" for kind, n in version.summary["counts"].items())
        else:
            changes = version.summary.get("changes", {})
            summary = "; ".join(f"{kind}: " + ", ".join(f"{len(v)} {k}" for k, v in entry.items() if v)
                                for kind, entry in changes.get("kinds", {}).items())
            if changes.get("answer_keys"):
                summary += f"; answer keys changed: {', '.join(changes['answer_keys'])}"
            summary = summary.strip("; ") or "settings only"
        click.echo(f"{version.number:>4}  {_tokyo(version.created_at)}  {version.source:<8}  {who}  {summary}")


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
    """Grade every timed quiz attempt whose time is up (the worker does this every minute)."""
    from .services.quizzes import close_overdue

    click.echo(f"closed {close_overdue()} overdue attempt(s)")



@lms_cli.command("worker")
@click.option("--workers", default=2, show_default=True, help="Threads running jobs.")
def worker_command(workers):
    """Run the job queue: mail, certificate PDFs, reminders and the scheduled tasks (until Ctrl+C)."""
    from .jobs import huey, run_worker

    if huey.immediate:
        raise click.ClickException("JOBS_IMMEDIATE is set: jobs run in the web process; no worker is needed.")
    click.echo(f"worker: {workers} thread(s), queue in {huey.storage.__class__.__name__}")
    run_worker(workers)


@lms_cli.command("backup")
@click.option("--to", "parent", type=click.Path(file_okay=False),
              help="Folder in which the timestamped backup folder is created (default: instance/backups).")
def backup_command(parent):
    """Copy the SQLite database (consistently, while the app runs), the uploads and the keys into a new folder."""
    from .services import backup

    try:
        result = backup.backup(parent)
    except backup.BackupError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    click.echo(f"backup written to {result.folder}")
    _echo_contents(result, no_keys="none found")
    if result.keys:
        click.echo("  The folder holds secret keys: keep it as private as the instance folder.")


@lms_cli.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def restore_command(folder, force):
    """Put a backup made by `flask lms backup` back (stop the app first; refuses a non-empty database)."""
    from .services import backup

    try:
        result = backup.restore(folder, force=force)
    except backup.BackupError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    click.echo(f"restored the backup of {result.manifest['created_at']} from {result.folder}")
    _echo_contents(result, no_keys="none in the backup")


def _echo_contents(result, no_keys: str) -> None:
    """What a backup holds, from its manifest: the same lines after a backup and after a restore."""
    manifest = result.manifest
    click.echo(f"  database: {sum(manifest['tables'].values())} row(s) in {len(manifest['tables'])} table(s), "
               f"Alembic revision {manifest['alembic_revision'] or '(none)'}")
    click.echo(f"  uploads: {manifest['files']} file(s)")
    click.echo(f"  keys: {', '.join(result.keys) if result.keys else no_keys}")
    click.echo("Run `flask db upgrade` if the code is newer than the backup, then start the app.")


# The command line acts as nobody in particular: no account is "oneself" there.
_CONSOLE = SimpleNamespace(id=None)


@lms_cli.command("set-role")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(ROLE_NAMES))
@click.option("--remove", is_flag=True, help="Remove the role instead of adding it.")
def set_role_command(email, role, remove):
    """Add (or with --remove, take away) one role of an account; recorded in the audit trail."""
    user = accounts.find_user(email)
    if user is None:
        click.echo(f"no account with the e-mail address {accounts.normalize_email(email)}", err=True)
        sys.exit(1)
    role = Role(role)
    roles = set(user.roles)
    if (role in roles) != remove:
        click.echo(f"{user.email} {'does not have' if remove else 'already has'} the role {role.value}; nothing changed")
        return
    if remove and role is Role.ADMIN and user.active:
        admins = db.session.scalar(select(func.count(User.id)).where(User.is_admin.is_(True), User.active.is_(True)))
        if admins <= 1:
            click.echo(f"{user.email} is the last active administrator; give someone else the admin role first.",
                       err=True)
            sys.exit(1)
    roles = roles - {role} if remove else roles | {role}
    try:
        # Records "user.roles" (before and after) in the audit trail, in the same commit.
        accounts.update_account(user, roles=roles, active=user.active, acting=_CONSOLE)
    except accounts.AccountError as error:
        db.session.rollback()
        with force_locale("en"):
            click.echo(str(error.message), err=True)
        sys.exit(1)
    click.echo(f"{user.email}: {'removed' if remove else 'added'} {role.value} "
               f"(roles now: {', '.join(r.value for r in user.roles) or 'none'})")


def register_cli(app) -> None:
    app.cli.add_command(lms_cli)
