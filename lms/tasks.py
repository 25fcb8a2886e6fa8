"""Every job and periodic task, in one place: the worker imports this module to know them all.

Each job is a unit of work (``lms.jobs``): it commits once when it returns. Jobs orchestrate services the way
views do; the rules stay in the services and ``lms.rules``.
"""

from __future__ import annotations

from .extensions import db
from .jobs import crontab, job, periodic
from .services import mail


@job()
def deliver_mail(mail_id: int) -> None:
    """Send one queued mail."""
    message = mail.claim(mail_id)
    db.session.commit()  # the claim stands before the slow part: no other worker takes it meanwhile
    if message is not None:
        mail.send_claimed(message)


@periodic(crontab(minute="*"))
def sweep_mail() -> None:
    """Every minute: send again what is due (retries with backoff, or a job lost before it reached the queue)."""
    for mail_id in mail.due_for_sending():
        deliver_mail.enqueue_after_commit(mail_id)


@job()
def render_certificate_pdf(certificate_id: int) -> None:
    """Render and keep a newly issued certificate's PDF, so the holder's first download is instant."""
    from .models import Certificate
    from .services import certificates

    certificate = db.session.get(Certificate, certificate_id)
    if certificate is not None:
        certificates.store_pdf(certificate)


@periodic(crontab(minute="*"))
def close_overdue_attempts() -> None:
    """Every minute: grade timed attempts whose time is up (which may complete a course: the progress event)."""
    from .services import quizzes

    quizzes.close_overdue()


@periodic(crontab(minute="5"))
def send_reminders() -> None:
    """Every hour: assignments due in 3 and 1 days, revisions untouched for 7 days (each occasion once: keys)."""
    from . import clock
    from .services import reminders

    reminders.send_reminders(clock.now())


# Monday 08:00 in Tokyo is Sunday 23:00 UTC; the app's Huey runs its crontabs in UTC (utc=True, the default).
@periodic(crontab(minute="0", hour="23", day_of_week="0"))
def send_digests() -> None:
    """Every Monday 08:00 Tokyo: the mentors' and the program office's weekly digests."""
    from . import clock
    from .services import reminders

    reminders.send_digests(clock.now())
