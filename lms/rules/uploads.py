"""What an attachment may be: its name, its extension and what its bytes really are.

Pure functions over a name and a file on disk; ``lms/storage.py`` does the storing.
"""

from __future__ import annotations

import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileType:
    extensions: tuple[str, ...]
    mimetype: str


FILE_TYPES = {
    "pdf": FileType((".pdf",), "application/pdf"),
    "docx": FileType((".docx",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "pptx": FileType((".pptx",), "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "xlsx": FileType((".xlsx",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "png": FileType((".png",), "image/png"),
    "jpeg": FileType((".jpg", ".jpeg"), "image/jpeg"),
}
# An inner extension like these ("plan.html.pdf") is how disguised files travel: refuse the name.
DISGUISING_EXTENSIONS = {
    "htm", "html", "xhtml", "shtml", "svg", "xml", "js", "mjs", "php", "phtml", "asp", "aspx", "jsp", "cgi", "pl",
    "py", "rb", "sh", "bash", "bat", "cmd", "com", "exe", "msi", "scr", "dll", "jar", "vbs", "ps1", "hta", "apk",
    "app", "lnk", "swf",
}
MAX_NAME = 200
# The member that tells one Office Open XML file from another (they are all zip files).
_OOXML_MARKERS = {"docx": "word/document.xml", "pptx": "ppt/presentation.xml", "xlsx": "xl/workbook.xml"}


class UploadRefused(ValueError):
    """The file may not be attached; the message says why (a lazy string for the trainee)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def type_for_name(name: str) -> str | None:
    """The file type its extension claims, or None."""
    suffix = Path(name).suffix.lower()
    return next((key for key, kind in FILE_TYPES.items() if suffix in kind.extensions), None)


# Format characters (bidirectional overrides and isolates such as U+202E, zero-width spaces and joiners, the BOM,
# soft hyphens, tag characters), surrogates, private-use and unassigned code points, line and paragraph separators:
# they make a name look like another ("invoice\u202efdp.exe" shows as "invoiceexe.pdf").
_INVISIBLE = {"Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def name_problem(name: str) -> str | None:
    """Why a file name is refused ("traversal", "invisible", "disguised", "empty", "long"), or None when it is
    fine."""
    if not name or not name.strip():
        return "empty"
    if any(ch in name for ch in "/\\\x00") or name.strip().startswith(".") or ".." in name:
        return "traversal"
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return "traversal"
    if any(unicodedata.category(ch) in _INVISIBLE for ch in name):
        return "invisible"
    if len(name) > MAX_NAME:
        return "long"
    inner = [part.lower() for part in name.split(".")[1:-1]]
    if any(part.strip() in DISGUISING_EXTENSIONS for part in inner):
        return "disguised"
    return None


def display_name(name: str) -> str:
    """The original name as data: NFC, trimmed. It is shown escaped and sent quoted, never used as a path."""
    return unicodedata.normalize("NFC", name).strip()


def sniff(path: Path) -> str | None:
    """What the bytes really are: one of FILE_TYPES, or None."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return None
        if "[Content_Types].xml" in names:
            return next((kind for kind, marker in _OOXML_MARKERS.items() if marker in names), None)
    return None


# --- zip bombs: Office Open XML files are zip archives ---------------------------------------------------------------

ZIP_TYPES = set(_OOXML_MARKERS)
# Below this many uncompressed bytes the ratio is not judged: small XML parts compress very well and are harmless.
RATIO_FLOOR = 256 * 1024


@dataclass(frozen=True)
class ZipLimits:
    max_uncompressed: int  # bytes, all members together, as the archive declares them
    max_ratio: int  # uncompressed bytes per byte of the file
    max_members: int


def zip_problem(path: Path, limits: ZipLimits) -> str | None:
    """"bomb" when a zip-based file declares more members or uncompressed bytes than allowed, or compresses too well
    to be a document; "content" when it cannot be read as a zip. Only the central directory is read (nothing is
    decompressed): a file that lies about its sizes is not a valid document and fails when opened anyway."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return "content"
    if len(members) > limits.max_members:
        return "bomb"
    uncompressed = sum(member.file_size for member in members)
    if uncompressed > limits.max_uncompressed:
        return "bomb"
    size = max(path.stat().st_size, 1)
    if uncompressed > RATIO_FLOOR and uncompressed > limits.max_ratio * size:
        return "bomb"
    return None
