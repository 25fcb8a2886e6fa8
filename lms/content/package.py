"""Course packages: a zip of one course folder in the courses/ format (``<slug>/course.toml``, ...).

``build`` makes the package of a folder (the same bytes for the same files: sorted, fixed dates);
``extract`` checks an uploaded package before anything is written and unpacks it into a fresh folder. The checks:
the size of the package and of every member, the number of files, one top folder, no absolute paths, no ``..``,
no backslashes, no symbolic links or other special entries, only the format's file types (``.toml`` and ``.md``).
Every refusal is a ``Problem`` with the member's path, like the validator's."""

from __future__ import annotations

import io
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .base import SLUG, ContentError, Problem

ALLOWED_SUFFIXES = (".toml", ".md")
FIXED_DATE = (2020, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class PackageLimits:
    """Settings CONTENT_PACKAGE_MAX_MB and CONTENT_PACKAGE_MAX_FILES (and the course tree limit unpacked)."""

    max_bytes: int = 10 * 1024 * 1024
    max_files: int = 500
    max_unpacked_bytes: int = 20 * 1024 * 1024


def build(folder: Path) -> bytes:
    """The package of one course folder; hidden files are left out."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if any(part.startswith(".") for part in relative.parts) or not path.is_file():
                continue
            info = zipfile.ZipInfo(f"{folder.name}/{relative.as_posix()}", date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def files(data: bytes) -> dict[str, bytes]:
    """Path -> bytes of a package made by ``build`` (for comparing two versions)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}


def extract(data: bytes, destination: Path, limits: PackageLimits) -> Path:
    """Check ``data`` and unpack it under ``destination``; returns the course folder. Raises ``ContentError`` (and
    writes nothing) when the package is refused."""
    name = Path("package.zip")
    if len(data) > limits.max_bytes:
        raise ContentError([Problem(name, 1, f"too large: {len(data) // 1024} KB (at most "
                                             f"{limits.max_bytes // (1024 * 1024)} MB)")])
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ContentError([Problem(name, 1, "not a zip file")]) from None
    problems: list[Problem] = []
    file_members = [m for m in members if not m.is_dir()]
    if len(file_members) > limits.max_files:
        raise ContentError([Problem(name, 1, f"too many files: {len(file_members)} (at most {limits.max_files})")])
    tops: set[str] = set()
    total = 0
    for member in members:
        shown = Path(member.filename or "?")
        raw = member.filename
        parts = PurePosixPath(raw).parts
        mode = member.external_attr >> 16
        if "\\" in raw or raw.startswith("/") or (len(raw) > 1 and raw[1] == ":") or "\x00" in raw:
            problems.append(Problem(shown, 1, "absolute or malformed path: refused"))
            continue
        if any(part in ("..", ".") for part in parts) or not parts:
            problems.append(Problem(shown, 1, "path leaves the course folder ('..'): refused"))
            continue
        if mode and stat.S_ISLNK(mode):
            problems.append(Problem(shown, 1, "symbolic link: refused"))
            continue
        if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # no type bits: a plain file
            problems.append(Problem(shown, 1, "not a regular file: refused"))
            continue
        tops.add(parts[0])
        if member.is_dir():
            continue
        if any(part.startswith(".") for part in parts):
            problems.append(Problem(shown, 1, "hidden file: refused"))
            continue
        if not raw.endswith(ALLOWED_SUFFIXES) or len(parts) < 2:
            problems.append(Problem(shown, 1, "file type not part of the course format (only .toml and .md files "
                                              "inside the course folder)"))
            continue
        total += member.file_size
    if len(tops) != 1:
        problems.append(Problem(name, 1, "the package must hold exactly one course folder (found: "
                                         f"{', '.join(sorted(tops)) or 'nothing'})"))
    elif not SLUG.match(next(iter(tops))):
        problems.append(Problem(Path(next(iter(tops))), 1, "the course folder's name is not a slug"))
    if total > limits.max_unpacked_bytes:
        problems.append(Problem(name, 1, f"too large unpacked: {total // 1024} KB (at most "
                                         f"{limits.max_unpacked_bytes // (1024 * 1024)} MB)"))
    if problems:
        raise ContentError(problems)
    root = destination.resolve()
    for member in file_members:
        target = (root / member.filename).resolve()
        if not target.is_relative_to(root):  # cannot happen after the checks above; never write outside
            raise ContentError([Problem(Path(member.filename), 1, "path leaves the course folder: refused")])
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(member) as source:
            content = source.read(member.file_size + 1)
        if len(content) > member.file_size:
            raise ContentError([Problem(Path(member.filename), 1, "size differs from the zip's directory: refused")])
        target.write_bytes(content)
    return root / next(iter(tops))
