"""The one mailer: SMTP when ``SMTP_HOST`` is set, otherwise files in ``instance/outbox/``.

Messages are rendered in the recipient's language from ``templates/mail/<name>.txt``
(the first line is the subject, the rest the body).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale

log = logging.getLogger(__name__)


def send_template(recipient, template: str, **context) -> EmailMessage:
    """Render ``mail/<template>.txt`` in the recipient's language and send it."""
    with force_locale(recipient.locale or "ja"):
        text = render_template(f"mail/{template}.txt", recipient=recipient, **context)
    subject, _, body = text.strip().partition("\n")
    return send(recipient.email, subject.strip(), body.strip() + "\n")


class MailError(Exception):
    """The message could not be handed to the mail server."""


def send(to: str, subject: str, body: str) -> EmailMessage:
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
            log.exception("mail to %s failed", to)
            raise MailError(str(error)) from error
        log.info("mail sent to %s: %s", to, subject)
    else:
        path = _write_outbox(message)
        log.info("mail to %s written to %s: %s", to, path, subject)
    return message


def _send_smtp(message: EmailMessage, config) -> None:
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=30) as smtp:
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
