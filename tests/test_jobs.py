"""The unit of work and the job queue: mail is part of the transaction that wrote it, sent after the commit,
retried with a delay, never lost and never sent twice; a slow mail server never slows a request."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms import clock, jobs, unit_of_work
from lms.extensions import db
from lms.models import OutgoingMail, Role
from lms.services import mail
from lms.tasks import deliver_mail, sweep_mail

from .views.test_assignments import URL, save, world  # noqa: F401  (the assignment world fixture)


@pytest.fixture
def frozen(monkeypatch):
    """A clock the test moves by hand."""
    class Clock:
        now = clock.now()
    monkeypatch.setattr(clock, "now", lambda: Clock.now)
    return Clock


def queue_one(user, key="test:1"):
    return mail.queue(user, "password_reset", key=key, link="http://localhost/x", minutes=60)


def test_a_rolled_back_transaction_sends_nothing(app, make_user, outbox):
    user = make_user()
    with app.test_request_context():
        queue_one(user)
    db.session.rollback()
    assert outbox() == [] and db.session.scalar(select(OutgoingMail)) is None
    with app.test_request_context():
        queue_one(user)
    db.session.commit()
    [message] = outbox()
    assert message["To"] == user.email
    row = db.session.scalar(select(OutgoingMail))
    assert row.status == "sent" and row.sent_at is not None and row.body is None  # the link is not kept


def test_one_occasion_is_mailed_once_and_a_claimed_mail_is_never_sent_twice(app, make_user, outbox):
    user = make_user()
    with app.test_request_context():
        assert queue_one(user) is not None
        db.session.commit()
        assert queue_one(user) is None  # the same key: the same occasion
        db.session.commit()
    row = db.session.scalar(select(OutgoingMail))
    deliver_mail.call_local(row.id)  # a second job for the same mail (a retry racing the sweep)
    assert len(outbox()) == 1


def test_a_failing_server_is_tried_again_later_then_listed_as_failed(app, make_user, outbox, frozen, monkeypatch):
    user = make_user()
    tries = []

    def refuse(*args):
        tries.append(clock.now())
        raise mail.MailError("connection refused")

    monkeypatch.setattr(mail, "transport", refuse)
    with app.test_request_context():
        queue_one(user)
    db.session.commit()
    row = db.session.scalar(select(OutgoingMail))
    assert (row.status, row.attempts, row.last_error) == ("queued", 1, "connection refused")
    sweep_mail.call_local()
    assert len(tries) == 1  # not due yet: the first retry waits MAIL_RETRY_MINUTES[0]
    for minutes in app.config["MAIL_RETRY_MINUTES"]:
        frozen.now += timedelta(minutes=minutes, seconds=1)
        sweep_mail.call_local()
    db.session.expire_all()
    row = db.session.get(OutgoingMail, row.id)
    assert row.status == "failed" and row.attempts == len(app.config["MAIL_RETRY_MINUTES"]) + 1
    assert [m.id for m in mail.failed()] == [row.id]
    delays = [round((b - a).total_seconds() / 60) for a, b in zip(tries, tries[1:])]
    assert delays == list(app.config["MAIL_RETRY_MINUTES"])  # a growing delay between tries

    monkeypatch.undo()  # the server is back; an admin asks for another try
    with app.test_request_context():
        assert mail.send_again(row.id)
    db.session.commit()
    assert [m["To"] for m in outbox()] == [user.email]
    with app.test_request_context():
        assert not mail.send_again(row.id)  # sent now: nothing to send again


def test_a_worker_that_died_while_sending_leaves_the_mail_for_a_person(app, make_user, frozen, monkeypatch):
    monkeypatch.setattr(deliver_mail, "enqueue_after_commit", lambda *args: None)  # the worker is late
    user = make_user()
    with app.test_request_context():
        queue_one(user)
    db.session.commit()
    row = db.session.scalar(select(OutgoingMail))
    assert mail.claim(row.id) is not None  # a worker claims it ...
    db.session.commit()  # ... and dies before it could say whether the server took it
    sweep_mail.call_local()
    db.session.expire_all()
    assert db.session.get(OutgoingMail, row.id).status == "sending"  # a slow send is not a dead one
    frozen.now += mail.STALE_SENDING + timedelta(minutes=1)
    sweep_mail.call_local()
    db.session.expire_all()
    assert db.session.get(OutgoingMail, row.id).status == "failed"  # not sent again blindly: a person decides


def test_side_effects_wait_for_the_outermost_commit(app):
    ran = []
    with app.test_request_context():
        unit_of_work.after_commit(lambda: ran.append("mail"))
        with db.session.begin_nested():
            pass  # a savepoint released is not a commit
        assert ran == []
        db.session.commit()
    assert ran == ["mail"]
    undone = []
    db.session.scalar(select(OutgoingMail.id))
    unit_of_work.on_rollback(lambda: undone.append("file"))
    db.session.commit()
    assert undone == []
    db.session.scalar(select(OutgoingMail.id))
    unit_of_work.on_rollback(lambda: undone.append("file"))
    db.session.rollback()
    assert undone == ["file"]


# --- a real queue and a slow mail server


class SlowSMTP:
    """An SMTP server that waits before its greeting, then accepts every message and records the recipients."""

    def __init__(self, delay: float):
        self.delay, self.recipients, self.port = delay, [], None
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._session, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self.server = server
        self.ready.set()
        self.loop.run_forever()
        server.close()
        self.loop.run_until_complete(server.wait_closed())
        self.loop.close()

    async def _session(self, reader, writer):
        await asyncio.sleep(self.delay)
        writer.write(b"220 slow.example ESMTP\r\n")
        in_data = False
        while line := await reader.readline():
            if in_data:
                if line == b".\r\n":
                    in_data = False
                    writer.write(b"250 queued\r\n")
                continue
            command = line.decode("ascii", "replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                writer.write(b"250 slow.example\r\n")
            elif command.startswith("RCPT TO:"):
                self.recipients.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                writer.write(b"250 ok\r\n")
            elif command == "DATA":
                in_data = True
                writer.write(b"354 go on\r\n")
            elif command == "QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()

    def __enter__(self):
        self.thread.start()
        self.ready.wait(5)
        return self

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def real_queue(app, tmp_path):
    """The app with a real queue (Huey on a SQLite file), as under ``flask lms worker``."""
    app.config["JOBS_IMMEDIATE"] = False
    app.config["JOBS_SQLITE_FILE"] = str(tmp_path / "jobs.sqlite")
    jobs.init_app(app)
    yield jobs.huey
    app.config["JOBS_IMMEDIATE"] = True
    jobs.init_app(app)


def run_pending(huey) -> int:
    """What a worker does: take each queued job and run it."""
    ran = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        ran += 1
    return ran


def test_a_slow_mail_server_does_not_slow_a_submission(world, as_, app, real_queue):  # noqa: F811
    second = world["other_mentor"]
    with SlowSMTP(delay=3.0) as server:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_STARTTLS=False, SMTP_TIMEOUT=10)
        trainee = as_(world["trainee"])
        started = time.perf_counter()
        response = save(trainee, world["trainee"], action="submit")
        elapsed = time.perf_counter() - started
        assert response.status_code == 302
        assert elapsed < 1.0, f"the submission waited {elapsed:.1f} s for the mail server"
        assert server.recipients == []  # nothing sent inside the request
        assert real_queue.pending_count() >= 1
        assert run_pending(real_queue) >= 1  # the worker's turn
        assert world["mentor"].email in server.recipients and second.email not in server.recipients
    row = db.session.scalar(select(OutgoingMail).where(OutgoingMail.to_address == world["mentor"].email))
    assert row.status == "sent"


def test_the_worker_command_refuses_immediate_mode(app):
    result = app.test_cli_runner().invoke(args=["lms", "worker"])
    assert result.exit_code != 0 and "JOBS_IMMEDIATE" in result.output


def test_an_admin_sees_a_failed_mail_and_sends_it_again(app, as_, make_user, outbox, monkeypatch):
    admin = as_(make_user(Role.ADMIN))
    user = make_user()
    monkeypatch.setitem(app.config, "MAIL_RETRY_MINUTES", ())  # no retries: fails at once
    monkeypatch.setattr(mail, "transport", lambda *args: (_ for _ in ()).throw(mail.MailError("no route to host")))
    with app.test_request_context():
        queue_one(user)
    db.session.commit()
    row = db.session.scalar(select(OutgoingMail))
    assert row.status == "failed"
    home = admin.get("/admin/").get_data(as_text=True)
    assert user.email in home and "no route to host" in home
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "MAIL_RETRY_MINUTES", ())
    assert admin.post_form(f"/admin/mails/{row.id}/send-again").status_code == 302
    assert [m["To"] for m in outbox()] == [user.email]


def test_a_save_that_fails_at_the_commit_shows_the_typed_text_back(world, as_, app, monkeypatch):  # noqa: F811
    from flask import has_request_context
    from flask_sqlalchemy.session import Session
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # the 500 page, as in production
    trainee = as_(world["trainee"])
    trainee.get(URL)

    def broken_commit(session):
        if has_request_context():  # the request's commit fails (a full disk, a lost connection)
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    event.listen(Session, "before_commit", broken_commit)
    try:
        response = save(trainee, world["trainee"], problem="Clinics lack a point-of-care test for sepsis")
    finally:
        event.remove(Session, "before_commit", broken_commit)
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "What you typed was not saved" in page and "Clinics lack a point-of-care test for sepsis" in page
