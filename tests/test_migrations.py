"""`flask db upgrade` from an empty database reaches exactly the models' schema."""

from __future__ import annotations

import hashlib
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from lms import create_app
from lms.config import PACKAGE_DIR
from lms.extensions import db


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A new empty database of the same kind as the test database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    name = f"lms_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}"'))
        admin.dispose()


def test_upgrade_from_empty_matches_the_models(empty_database, tmp_path):
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database, "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == [], diff
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


# --- a database migrated before a revision was edited


HISTORY = Path(__file__).resolve().parent / "migration_history"


def _migrations_with_first_0004(tmp_path) -> Path:
    """The app's migrations folder with 0004 as it was first released (before commit 0d955d3 edited it)."""
    folder = tmp_path / "migrations_as_released"
    shutil.copytree(PACKAGE_DIR / "migrations", folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(HISTORY / "0004_certificates_as_first_released.py", folder / "versions" / "0004_certificates.py")
    return folder


def _in_force_index(engine) -> dict | None:
    return next((i for i in inspect(engine).get_indexes("certificate") if i["name"] == "uq_certificate_in_force"),
                None)


CERTIFICATE = ("INSERT INTO certificate (public_id, user_id, course_id, holder_name_ja, holder_name_latin, "
               "course_slug, course_title_ja, course_title_en, program, issuer, completion, issued_at{extra}) "
               "VALUES (:public_id, :user_id, :course_id, '', 'Ken', 'c', 'コース', 'Course', 'entrepreneur', "
               "'{{}}', '{{}}', :issued_at{values})")


def test_a_database_at_the_first_0004_gets_replaced_at_and_the_new_index(empty_database, tmp_path):
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database, "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade(directory=str(_migrations_with_first_0004(tmp_path)), revision="0004")
        assert "replaced_at" not in {c["name"] for c in inspect(db.engine).get_columns("certificate")}
        at = datetime(2026, 4, 1, tzinfo=timezone.utc).replace(tzinfo=None)
        with db.engine.begin() as conn:
            user = conn.execute(text("INSERT INTO \"user\" (email, password_hash, name_ja, name_latin, organisation, "
                                     "locale, is_trainee, is_mentor, is_admin, active, session_nonce, created_at) "
                                     "VALUES ('ken@example.org', '', '', 'Ken', '', 'en', :t, :f, :f, :t, 'n', :at) "
                                     "RETURNING id"), {"t": True, "f": False, "at": at}).scalar_one()
            course = conn.execute(text("INSERT INTO course (slug, program, enrolment_mode, position, title_ja, "
                                       "title_en, description_html_ja, description_html_en, completion_rules, "
                                       "certificate_info, imported_at) VALUES ('c', 'entrepreneur', 'open', 1, "
                                       "'コース', 'Course', '', '', '{}', '{}', :at) RETURNING id"),
                                  {"at": at}).scalar_one()
            conn.execute(text(CERTIFICATE.format(extra="", values="")),
                         {"public_id": "first", "user_id": user, "course_id": course, "issued_at": at})

        upgrade()  # the app's own migrations from 0004 (as first released) to head

        assert "replaced_at" in {c["name"] for c in inspect(db.engine).get_columns("certificate")}
        index = _in_force_index(db.engine)
        assert index is not None and index["unique"] and index["column_names"] == ["user_id", "course_id"]
        options = index["dialect_options"]
        assert "replaced_at" in str(options.get("sqlite_where", options.get("postgresql_where")))
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT public_id FROM certificate")).scalars().all() == ["first"]  # kept
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == [], diff
        # The new condition: a replaced certificate makes room for its renewal, a second one in force does not.
        replaced = CERTIFICATE.format(extra=", replaced_at", values=", :issued_at")
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE certificate SET replaced_at = :at"), {"at": at})
            conn.execute(text(CERTIFICATE.format(extra="", values="")),
                         {"public_id": "renewal", "user_id": user, "course_id": course, "issued_at": at})
            conn.execute(text(replaced), {"public_id": "older", "user_id": user, "course_id": course, "issued_at": at})
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(text(CERTIFICATE.format(extra="", values="")),
                         {"public_id": "twice", "user_id": user, "course_id": course, "issued_at": at})
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


# --- released migrations never change

# SHA-256 of every migration that has landed. A database that ran a revision never runs it again: an edit reaches
# only new databases (0004 was edited once and 0006 had to repair the databases it missed).
LANDED = {
    "0001_initial_schema.py": "578b0663a28756b4c6897facc87d4152caefc77229460ebc21d1dd84de73864e",
    "0002_quizzes.py": "7e6ce9586d220bcf1f83c3b27042a48e2bfc294e4963a9c00c2198d978f2e1f4",
    "0003_assignments.py": "6933e358fede13b743062419c53e2f2b5b2488e09cbbefc483753dae2887e685",
    "0004_certificates.py": "a99791a20f30f268a0a757c9c79da7c704fd9631f53038219c6fb75a9cf64dad",
    "0005_cohort_mentor_allocation.py": "db1ee130f17aa66616c2c9d58c668eb4dfae688f36aece82224654753f0e61f7",
    "0006_certificate_replaced_at.py": "f4112c201376499b6bae56a9e3103173c32b6fff73bf6a31a426dea6a49980ee",
}


def test_landed_migrations_are_never_edited():
    versions = PACKAGE_DIR / "migrations" / "versions"
    for name, digest in LANDED.items():
        actual = hashlib.sha256((versions / name).read_bytes().replace(b"\r\n", b"\n")).hexdigest()
        assert actual == digest, (
            f"{name} has changed since it landed: never edit a landed migration; add a new one "
            "(databases already past it will never run the edit)")
