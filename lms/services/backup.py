"""Backup and restore of a SQLite installation: the database, the uploads and the instance's keys.

``backup()`` copies the database with SQLite's online backup API, so the copy is consistent even while the app
writes (the copy is one snapshot, taken in one step). ``restore()`` puts a backup back into an empty database
(or any database with ``force``), replacing the file atomically. PostgreSQL has its own tools (``pg_dump -Fc`` and
``pg_restore``); both functions refuse any database that is not SQLite.

A backup folder holds ``lms.sqlite``, ``uploads/`` (the files of ``storage.root()`` without ``staging/``),
``signing_key.pem`` and ``secret_key`` when the instance has them, and ``manifest.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect, text

from .. import storage
from ..extensions import db
from . import credentials

FORMAT = 1
DATABASE_FILE = "lms.sqlite"
MANIFEST_FILE = "manifest.json"
UPLOADS_DIR = "uploads"
STAGING_DIR = "staging"

PG_BACKUP_HINT = ("This database is not SQLite: back up PostgreSQL with `pg_dump -Fc` "
                  "(e.g. pg_dump -Fc lms > lms-$(date +%F).dump) and copy the instance folder (keys, uploads/).")
PG_RESTORE_HINT = ("This database is not SQLite: restore PostgreSQL with `pg_restore` "
                   "(e.g. pg_restore --clean --if-exists -d lms lms.dump) and copy the instance folder back.")


class BackupError(Exception):
    """A refusal or a failure, with a message for the operator."""


@dataclass
class Result:
    folder: Path
    manifest: dict
    keys: list[str] = field(default_factory=list)


def is_sqlite() -> bool:
    return db.engine.url.get_backend_name() == "sqlite"


def database_path() -> Path:
    database = db.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"cannot back up or restore this SQLite database ({database or 'in memory'}): "
                          "it is not a plain file")
    return Path(database)


def _key_files() -> dict[str, Path]:
    """File name in a backup -> where the running instance keeps it."""
    return {"signing_key.pem": credentials.key_path(), "secret_key": Path(current_app.instance_path) / "secret_key"}


# --- backup --------------------------------------------------------------------------------------------------

def backup(parent: str | Path | None = None, now: datetime | None = None) -> Result:
    """Write a new backup folder ``<parent>/<YYYY-mm-dd-HHMMSS>`` (UTC; parent default ``instance/backups``)."""
    if not is_sqlite():
        raise BackupError(PG_BACKUP_HINT)
    source = database_path()
    if not source.is_file():
        raise BackupError(f"the database file {source} does not exist")
    now = now or datetime.now(timezone.utc)
    parent = Path(parent) if parent else Path(current_app.instance_path) / "backups"
    folder = parent / now.strftime("%Y-%m-%d-%H%M%S")
    parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=0o700)  # it holds the keys
    except FileExistsError:
        raise BackupError(f"{folder} already exists; wait a second and try again") from None

    try:
        manifest, keys = _write_backup(source, folder, now)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # no half-written backup that looks like a real one
        raise
    return Result(folder=folder, manifest=manifest, keys=keys)


def _write_backup(source: Path, folder: Path, now: datetime) -> tuple[dict, list[str]]:
    copy = folder / DATABASE_FILE
    # A plain connection, not mode=ro: a read-only one cannot open a WAL database whose -shm file is missing.
    with closing(sqlite3.connect(source, timeout=30)) as src, \
            closing(sqlite3.connect(copy)) as dst:
        src.backup(dst)  # all pages in one step: a single consistent snapshot
    tables, revision = _describe(copy)

    files = _copy_uploads(storage.root(), folder / UPLOADS_DIR)
    keys = []
    for name, path in _key_files().items():
        if path.is_file():
            shutil.copyfile(path, folder / name)
            os.chmod(folder / name, 0o600)
            keys.append(name)

    manifest = {
        "format": FORMAT,
        "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "database": DATABASE_FILE,
        "source_database": source.name,
        "alembic_revision": revision,
        "tables": tables,
        "files": files,
        "keys": keys,
    }
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest, keys


def _describe(path: Path) -> tuple[dict[str, int], str | None]:
    """Row counts per table and the Alembic revision of a SQLite file (None without ``alembic_version``)."""
    with closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
        names = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        tables = {name: conn.execute(f'SELECT COUNT(*) FROM "{name.replace(chr(34), chr(34) * 2)}"').fetchone()[0]
                  for name in names}
        revision = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
    return tables, revision


def _integrity(path: Path) -> str:
    with closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def _copy_uploads(root: Path, target: Path) -> int:
    """Copy every file under ``root`` but ``root/staging`` (half-received uploads); returns the file count."""
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    if not root.is_dir():
        return 0
    for directory, subdirs, names in os.walk(root):
        here = Path(directory)
        if here == root:
            subdirs[:] = [d for d in subdirs if d != STAGING_DIR]
        relative = here.relative_to(root)
        (target / relative).mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copy2(here / name, target / relative / name)
            count += 1
    return count


def _count_files(root: Path) -> int:
    return sum(len(names) for _, _, names in os.walk(root)) if root.is_dir() else 0


# --- restore -------------------------------------------------------------------------------------------------

def read_manifest(folder: Path) -> dict:
    """The manifest, checked against the folder: format, database file, its integrity and row counts, files."""
    path = folder / MANIFEST_FILE
    if not path.is_file():
        raise BackupError(f"{folder} is not a backup: it has no {MANIFEST_FILE}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise BackupError(f"{path} is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: unknown backup format (expected format {FORMAT})")
    database = manifest.get("database")
    if database != DATABASE_FILE or not (folder / database).is_file():
        raise BackupError(f"{folder}: the database file named in the manifest is missing")
    integrity = _integrity(folder / database)
    if integrity != "ok":
        raise BackupError(f"{folder / database} is damaged: {integrity}")
    tables, _ = _describe(folder / database)
    if tables != manifest.get("tables"):
        raise BackupError(f"{folder / database} does not hold the rows the manifest lists")
    if _count_files(folder / UPLOADS_DIR) != manifest.get("files"):
        raise BackupError(f"{folder / UPLOADS_DIR} does not hold the {manifest.get('files')} file(s) the manifest lists")
    return manifest


def non_empty_tables() -> dict[str, int]:
    """Tables of the current database that hold rows (``alembic_version`` and ``content_version``, bookkeeping
    that a new database already holds, do not count)."""
    found = {}
    preparer = db.engine.dialect.identifier_preparer
    for name in inspect(db.engine).get_table_names():
        if name in ("alembic_version", "content_version"):
            continue
        count = db.session.scalar(text(f"SELECT COUNT(*) FROM {preparer.quote(name)}"))
        if count:
            found[name] = count
    db.session.rollback()
    return found


def restore(folder: str | Path, force: bool = False) -> Result:
    """Put a backup back. Refuses a database that holds rows unless ``force``. Stop the app first."""
    if not is_sqlite():
        raise BackupError(PG_RESTORE_HINT)
    folder = Path(folder)
    target = database_path()
    manifest = read_manifest(folder)
    if target.exists() and not force:
        filled = non_empty_tables()
        if filled:
            listed = ", ".join(f"{name} ({count})" for name, count in sorted(filled.items()))
            raise BackupError(f"the database {target} is not empty: {listed}. "
                              "Nothing was changed; use --force to replace it.")

    # No connection of ours may keep the old file open (or write to it) once the new one is in place.
    db.session.remove()
    db.engine.dispose()
    for suffix in ("-wal", "-journal"):
        leftover = Path(f"{target}{suffix}")
        if leftover.exists() and leftover.stat().st_size:
            raise BackupError(f"{leftover} exists: another process has the database open. "
                              "Stop the app (every worker) and try again.")
    target.parent.mkdir(parents=True, exist_ok=True)
    _replace_file(folder / DATABASE_FILE, target)
    db.engine.dispose()

    uploads = folder / UPLOADS_DIR
    if uploads.is_dir():
        root = storage.root()
        root.mkdir(parents=True, exist_ok=True)
        shutil.copytree(uploads, root, dirs_exist_ok=True)
    keys = []
    for name, path in _key_files().items():
        if (folder / name).is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            _replace_file(folder / name, path, mode=0o600)
            keys.append(name)
    return Result(folder=folder, manifest=manifest, keys=keys)


def _replace_file(source: Path, target: Path, mode: int | None = None) -> None:
    """Copy ``source`` to a temporary file next to ``target``, flush it to disk, then rename it into place."""
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out)
            out.flush()
            os.fsync(out.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
