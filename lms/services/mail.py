"""The one mailer, as an outbox: a mail is a row written in the same transaction as the work it reports.

``queue`` renders ``templates/mail/<name>.txt`` in the recipient's language (first line the subject, the rest
the body) and adds an ``OutgoingMail`` row; after the commit, the ``deliver_mail`` job (``lms.tasks``) sends it. A rolled-back
request sends nothing. Transport: SMTP when ``SMTP_HOST`` is set, otherwise ``.eml`` files in
``instance/outbox/``.

Never lost: a failed attempt is tried again with a growing delay (``MAIL_RETRY_MINUTES``); after the last one
the row is ``failed`` and the admin home lists it with "send again". Never twice: every mail has a key naming
its occasion (unique), and a row is claimed with a conditional update before it is sent, so two workers, or a
retry racing the sweep, cannot both send it. A worker that dies after handing the message to the server but
before recording it leaves the row ``sending``; the sweep marks such rows failed for a person to decide.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
import uuid
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..extensions import db
from ..models import OutgoingMail, User
from ..models.mail import FAILED, QUEUED, SENDING, SENT

log = logging.getLogger(__name__)

# A row still "sending" after this long belongs to a worker that died mid-send.
STALE_SENDING = timedelta(minutes=15)


class MailError(Exception):
    """The message could not be handed to the mail server."""


def render(recipient: User, template: str, **context) -> tuple[str, str]:
    """Subject and body of ``mail/<template>.txt`` in the recipient's language."""
    with force_locale(recipient.locale or "ja"):
        text = render_template(f"mail/{template}.txt", recipient=recipient, **context)
    subject, _, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def queue(recipient: User, template: str, key: str, **context) -> OutgoingMail | None:
    """Add the mail to the caller's transaction; sent after the commit. None if this occasion was mailed already."""
    if db.session.scalar(select(OutgoingMail.id).where(OutgoingMail.key == key)) is not None:
        return None
    subject, body = render(recipient, template, **context)
    message = OutgoingMail(key=key[:200], user_id=recipient.id, to_address=recipient.email, subject=subject[:300],
                           body=body, status=QUEUED, next_attempt_at=clock.now())
    try:
        with db.session.begin_nested():  # a racing request queued the same occasion: keep theirs
            db.session.add(message)
    except IntegrityError:
        return None
    from ..tasks import deliver_mail  # the tasks import the services

    deliver_mail.enqueue_after_commit(message.id)
    return message


def claim(mail_id: int) -> OutgoingMail | None:
    """Take a queued, due mail for sending (a conditional update: only one taker); None if not ours to send."""
    claimed = db.session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id == mail_id, OutgoingMail.status == QUEUED, OutgoingMail.next_attempt_at <= clock.now())
        .values(status=SENDING, attempts=OutgoingMail.attempts + 1)
        .execution_options(synchronize_session=False)).rowcount
    return db.session.get(OutgoingMail, mail_id, populate_existing=True) if claimed else None


def send_claimed(message: OutgoingMail) -> None:
    """Send a claimed mail and record the outcome: sent, queued for a later try, or failed for good."""
    try:
        transport(message.to_address, message.subject, message.body or "")
    except MailError as error:
        retries = current_app.config["MAIL_RETRY_MINUTES"]
        if message.attempts > len(retries):
            message.status = FAILED
            log.error("mail %s to %s failed for good: %s", message.key, message.to_address, error)
        else:
            message.status = QUEUED
            message.next_attempt_at = clock.now() + timedelta(minutes=retries[message.attempts - 1])
        message.last_error = str(error)[:500]
        return
    message.status, message.sent_at, message.body, message.last_error = SENT, clock.now(), None, None


def due_for_sending(limit: int = 500) -> list[int]:
    """Queued mails whose time has come (retries, or a job lost before it reached the queue); stale sends fail."""
    now = clock.now()
    db.session.execute(update(OutgoingMail).where(
        OutgoingMail.status == SENDING, OutgoingMail.next_attempt_at < now - STALE_SENDING)
        .values(status=FAILED, last_error="The worker stopped while sending; it may or may not have arrived.")
        .execution_options(synchronize_session=False))
    return list(db.session.scalars(select(OutgoingMail.id).where(
        OutgoingMail.status == QUEUED, OutgoingMail.next_attempt_at <= now).order_by(OutgoingMail.id).limit(limit)))


def failed(limit: int = 50) -> list[OutgoingMail]:
    """Mails that could not be sent, newest first (the admin home lists them)."""
    return list(db.session.scalars(select(OutgoingMail).where(OutgoingMail.status == FAILED)
                                   .order_by(OutgoingMail.created_at.desc(), OutgoingMail.id.desc()).limit(limit)))


def failed_count() -> int:
    return db.session.scalar(select(func.count(OutgoingMail.id)).where(OutgoingMail.status == FAILED))


def send_again(mail_id: int) -> bool:
    """An admin asks for another try of a failed mail; False if it is not failed (any more)."""
    again = db.session.execute(
        update(OutgoingMail).where(OutgoingMail.id == mail_id, OutgoingMail.status == FAILED, OutgoingMail.body.is_not(None))
        .values(status=QUEUED, attempts=0, next_attempt_at=clock.now())
        .execution_options(synchronize_session=False)).rowcount
    if again:
        from ..tasks import deliver_mail

        deliver_mail.enqueue_after_commit(mail_id)
    return bool(again)


# --- transport


def transport(to: str, subject: str, body: str) -> EmailMessage:
    """Hand one message to the mail server (or the outbox folder). Raises MailError."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="skyfront-lms")
    message.set_content(body)
    if config.get("SMTP_HOST"):
        try:
            _send_smtp(message, config)
        except (OSError, smtplib.SMTPException) as error:
            log.warning("mail to %s failed: %s", to, error)
            raise MailError(str(error)) from error
        log.info("mail sent to %s: %s", to, subject)
    else:
        try:
            path = _write_outbox(message)
        except OSError as error:
            raise MailError(str(error)) from error
        log.info("mail to %s written to %s: %s", to, path, subject)
    return message


def _send_smtp(message: EmailMessage, config) -> None:
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"]) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config.get("SMTP_USERNAME"):
            smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
        smtp.send_message(message)


def outbox_dir() -> Path:
    return Path(current_app.instance_path) / "outbox"


def _write_outbox(message: EmailMessage) -> Path:
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"  # sorts by time
    path.write_bytes(bytes(message))
    return path
