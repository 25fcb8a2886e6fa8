"""Operations: `flask lms backup` / `restore` (SQLite; PostgreSQL is refused with a pointer to its tools) and /healthz."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from lms import create_app, storage
from lms.extensions import db
from lms.models import Course, User
from lms.services import backup, credentials


def sqlite_only():
    if not backup.is_sqlite():
        pytest.skip("backup and restore work on SQLite only")


def rows(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(path)) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}


def run_backup(app, parent):
    result = app.test_cli_runner().invoke(args=["lms", "backup", "--to", str(parent)])
    assert result.exit_code == 0, result.output
    (folder,) = [p for p in Path(parent).iterdir() if p.is_dir()]
    return folder, result


@pytest.fixture
def second_app(app, tmp_path):
    """Another installation (own SQLite file, instance and uploads) with an empty schema, its context pushed."""
    sqlite_only()
    other = create_app({
        "TESTING": True, "SECRET_KEY": "other-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'second' / 'lms.sqlite'}",
        "INSTANCE_PATH": str(tmp_path / "second"),
    })
    with other.app_context():
        db.create_all()
        yield other
        db.session.remove()
        db.engine.dispose()


def test_backup_while_another_thread_writes(app, make_user, tmp_path):
    sqlite_only()
    for _ in range(3):
        make_user()
    written, errors, stop = [], [], threading.Event()

    def writer():
        with app.app_context():
            try:
                n = 0
                while not stop.is_set() and n < 5000:
                    n += 1
                    db.session.add(User(email=f"writer{n}@example.org", name_latin=f"Writer {n}"))
                    db.session.commit()
                    written.append(n)
            except Exception as error:  # reported by the assertion below
                errors.append(error)
            finally:
                db.session.remove()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while len(written) < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        folder, result = run_backup(app, tmp_path / "backups")
        at_backup = len(written)
        while len(written) < at_backup + 20 and time.monotonic() < deadline + 10:
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert "backup written to" in result.output

    copy = folder / "lms.sqlite"
    with closing(sqlite3.connect(copy)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["tables"] == rows(copy)
    assert manifest["database"] == "lms.sqlite" and manifest["format"] == 1
    assert manifest["created_at"].endswith("Z") and folder.name == time.strftime(
        "%Y-%m-%d-%H%M%S", time.strptime(manifest["created_at"], "%Y-%m-%dT%H:%M:%SZ"))
    # a snapshot taken in the middle of the writes: some of them, not all
    users = manifest["tables"]["user"]
    assert 3 + 20 <= users < 3 + len(written)
    assert db.session.scalar(select(func.count(User.id))) == 3 + len(written)


def test_backup_copies_uploads_and_keys_but_not_staging(app, make_user, tmp_path):
    sqlite_only()
    make_user()
    stored = storage.save_bytes(b"%PDF-1.4 certificate")
    (storage.root() / "staging").mkdir(parents=True, exist_ok=True)
    (storage.root() / "staging" / "half.part").write_bytes(b"half an upload")
    credentials.signing_key()  # creates instance/signing_key.pem
    folder, result = run_backup(app, tmp_path / "backups")

    assert (folder / "uploads" / stored[:2] / stored).read_bytes() == b"%PDF-1.4 certificate"
    assert not (folder / "uploads" / "staging").exists()
    assert (folder / "signing_key.pem").read_bytes() == credentials.key_path().read_bytes()
    assert not (folder / "secret_key").exists()  # this app's key comes from its config, not from the file
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["files"] == 1 and manifest["keys"] == ["signing_key.pem"]
    assert manifest["alembic_revision"] is None  # the test schema comes from create_all, not from migrations
    assert "keys: signing_key.pem" in result.output


def test_default_folder_is_under_instance_backups(app, make_user):
    sqlite_only()
    make_user()
    result = app.test_cli_runner().invoke(args=["lms", "backup"])
    assert result.exit_code == 0, result.output
    (folder,) = (Path(app.instance_path) / "backups").iterdir()
    assert (folder / "manifest.json").is_file() and (folder / "lms.sqlite").is_file()


def test_restore_into_an_empty_database(app, make_user, make_course, tmp_path, second_app):
    with app.app_context():
        people = [make_user(), make_user("mentor"), make_user("admin")]
        make_course()
        stored = storage.save_bytes(b"uploaded bytes")
        credentials.signing_key()
        (Path(app.instance_path) / "secret_key").write_text("k" * 64)
        folder, _ = run_backup(app, tmp_path / "backups")
        emails = sorted(u.email for u in people)
        titles = list(db.session.scalars(select(Course.title_en)))
        source_rows = rows(Path(db.engine.url.database))

    result = second_app.test_cli_runner().invoke(args=["lms", "restore", str(folder)])
    assert result.exit_code == 0, result.output
    assert "restored the backup" in result.output
    assert rows(Path(db.engine.url.database)) == source_rows
    assert sorted(db.session.scalars(select(User.email))) == emails
    assert list(db.session.scalars(select(Course.title_en))) == titles
    admin = db.session.scalar(select(User).where(User.email == people[2].email))
    assert admin.is_admin and admin.check_password("correct horse battery")
    assert storage.path_of(stored).read_bytes() == b"uploaded bytes"
    instance = Path(second_app.instance_path)
    assert (instance / "signing_key.pem").read_bytes() == (folder / "signing_key.pem").read_bytes()
    assert (instance / "secret_key").read_text() == "k" * 64
    assert not list(instance.glob(".lms.sqlite.*"))  # no temporary file left behind


def test_restore_refuses_a_database_with_data_unless_forced(app, make_user, tmp_path, second_app):
    with app.app_context():
        make_user(email="from-backup@example.org")
        folder, _ = run_backup(app, tmp_path / "backups")
    db.session.add(User(email="already-here@example.org", name_latin="Here"))
    db.session.commit()
    target = Path(db.engine.url.database)
    before = target.read_bytes()

    refused = second_app.test_cli_runner().invoke(args=["lms", "restore", str(folder)])
    assert refused.exit_code == 1
    assert "not empty" in refused.output and "user (1)" in refused.output and "--force" in refused.output
    assert target.read_bytes() == before
    assert list(db.session.scalars(select(User.email))) == ["already-here@example.org"]

    forced = second_app.test_cli_runner().invoke(args=["lms", "restore", str(folder), "--force"])
    assert forced.exit_code == 0, forced.output
    assert list(db.session.scalars(select(User.email))) == ["from-backup@example.org"]


def test_restore_checks_the_manifest(app, make_user, tmp_path, second_app):
    with app.app_context():
        make_user()
        folder, _ = run_backup(app, tmp_path / "backups")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["tables"]["user"] += 1
    (folder / "manifest.json").write_text(json.dumps(manifest))
    runner = second_app.test_cli_runner()
    result = runner.invoke(args=["lms", "restore", str(folder)])
    assert result.exit_code == 1 and "does not hold the rows the manifest lists" in result.output

    result = runner.invoke(args=["lms", "restore", str(tmp_path)])
    assert result.exit_code == 1 and "has no manifest.json" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_postgresql_is_refused_with_a_pointer_to_its_tools(app, tmp_path, monkeypatch):
    monkeypatch.setattr(backup, "is_sqlite", lambda: False)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "backup", "--to", str(tmp_path / "backups")])
    assert result.exit_code == 1 and "pg_dump -Fc" in result.output
    assert not (tmp_path / "backups").exists()
    result = runner.invoke(args=["lms", "restore", str(tmp_path)])
    assert result.exit_code == 1 and "pg_restore" in result.output


def test_postgresql_refusal_on_a_real_postgresql_database(app, tmp_path):
    if db.engine.url.get_backend_name() != "postgresql":
        pytest.skip("runs when the suite runs on PostgreSQL")
    result = app.test_cli_runner().invoke(args=["lms", "backup", "--to", str(tmp_path / "backups")])
    assert result.exit_code == 1 and "pg_dump -Fc" in result.output


# --- /healthz ------------------------------------------------------------------------------------------------

def test_healthz_answers_ok_without_login_or_cookie(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_healthz_for_a_signed_in_user_sets_no_cookie_either(as_, make_user):
    response = as_(make_user()).get("/healthz")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers


def test_healthz_answers_503_when_the_database_fails(client, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("could not connect to server: secret-host:5432"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unavailable"}
    assert "secret-host" not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert "secret-host" in caplog.text  # the operator finds the reason in the log
