"""Uploaded files: the one place that touches ``instance/uploads/`` (``UPLOAD_FOLDER`` to move it).

A file is streamed to a temporary name first (``staging/``), checked, and moved to its random
final name only after the database commit that refers to it succeeded; if the commit fails, the
temporary file is removed. So there are no rows without files and no files without rows.
To serve several hosts, point ``UPLOAD_FOLDER`` at shared storage (NFS) or replace this module.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

_STORED_NAME = re.compile(r"^[0-9a-f]{32}$")
_CHUNK = 64 * 1024


class TooLarge(Exception):
    pass


@dataclass
class Staged:
    """A received file waiting for its database row to commit."""

    temp_path: Path
    stored_name: str
    size: int


def root() -> Path:
    configured = current_app.config.get("UPLOAD_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def _staging() -> Path:
    folder = root() / "staging"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def receive(stream, max_bytes: int) -> Staged:
    """Copy an upload to a temporary file, stopping (and removing it) as soon as it exceeds ``max_bytes``."""
    stored_name = secrets.token_hex(16)
    temp_path = _staging() / f"{stored_name}.part"
    size = 0
    try:
        with open(temp_path, "xb") as handle:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge()
                handle.write(chunk)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    return Staged(temp_path=temp_path, stored_name=stored_name, size=size)


def keep(staged: Staged) -> None:
    """After the commit: move the file to its final name (an atomic rename on one file system)."""
    final = path_of(staged.stored_name)
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged.temp_path, final)


def discard(staged: Staged) -> None:
    staged.temp_path.unlink(missing_ok=True)


def path_of(stored_name: str) -> Path:
    if not _STORED_NAME.match(stored_name):
        raise ValueError("not a stored file name")
    return root() / stored_name[:2] / stored_name


def delete(stored_name: str) -> None:
    path_of(stored_name).unlink(missing_ok=True)


def save_bytes(data: bytes) -> str:
    """Store generated content (a rendered PDF) under a new random name; returns the name."""
    stored_name = secrets.token_hex(16)
    temp_path = _staging() / f"{stored_name}.part"
    temp_path.write_bytes(data)
    keep(Staged(temp_path=temp_path, stored_name=stored_name, size=len(data)))
    return stored_name
