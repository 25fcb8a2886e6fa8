"""What every content reader shares: problems with a place, and checked TOML values."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .tomlsource import Located, TomlSyntaxError

LANGUAGES = ("ja", "en")
LANGUAGE_NAMES = {"ja": "Japanese", "en": "English"}
# Slugs: at most 80 characters (the column size).
SLUG = re.compile(r"^(?=.{1,80}$)[a-z0-9]+(?:-[a-z0-9]+)*$")
# Limits of the database columns, checked while reading so a long value is a problem, not a crash.
MAX_TITLE = 200


@dataclass(frozen=True)
class ContentLimits:
    """Sizes checked before anything is parsed (settings COURSE_MAX_LESSON_KB, COURSE_MAX_TOML_KB,
    COURSE_MAX_TREE_MB)."""

    lesson_bytes: int = 1024 * 1024  # a lesson (or any other) file
    toml_bytes: int = 256 * 1024  # course.toml, quiz.toml, assignment-*.toml
    tree_bytes: int = 20 * 1024 * 1024  # every file read under the folder given, together


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(Exception):
    """The content has problems; nothing was imported."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (str(p.path), p.line, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class TomlReader:
    """Reads values out of one TOML file, recording each problem at the line of its key."""

    toml_path: Path
    doc: Located | None
    problems: list[Problem]

    def __init__(self, path: Path, problems: list[Problem]):
        self.toml_path = path
        self.problems = problems
        self.doc = None
        self.count_before = len(problems)  # read() succeeded when no problem was added

    def load(self) -> dict | None:
        """Parse ``toml_path`` into ``self.doc``; on a problem, record it and return None."""
        try:
            self.doc = Located(self.toml_path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            self.problem(self.toml_path, 1, "not UTF-8 text")
            return None
        except TomlSyntaxError as error:
            self.problem(self.toml_path, error.line, error.message)
            return None
        return self.doc.data

    def problem(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(path, line, message))

    def at(self, key: str, message: str) -> None:
        self.problem(self.toml_path, self.doc.line(key), message)

    def unknown_keys(self, table: dict, allowed: set[str], prefix: str = "", what: str = "") -> None:
        for key in sorted(set(table) - allowed):
            where = f" in {what}" if what else ""
            self.at(f"{prefix}{key}", f"unknown key '{key}'{where} (allowed: {', '.join(sorted(allowed))})")

    def bilingual(self, table: dict, key: str, *, prefix: str = "", required: bool,
                  max_length: int | None = None) -> dict[str, str]:
        """A ``{ja = "...", en = "..."}`` value: both languages present and non-empty."""
        path = f"{prefix}{key}"
        value = table.get(key)
        if value is None:
            if required:
                self.at(prefix.rstrip(".") or key, f"missing '{path}' (a table with 'ja' and 'en')")
            return {}
        if not isinstance(value, dict):
            self.at(path, f"'{path}' must be a table with 'ja' and 'en'")
            return {}
        for lang in sorted(set(value) - set(LANGUAGES)):
            self.at(f"{path}.{lang}", f"unknown language '{lang}' in '{path}' (allowed: ja, en)")
        result = {}
        for lang in LANGUAGES:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                self.at(path, f"missing {LANGUAGE_NAMES[lang]} translation of '{path}' ({path}.{lang})")
            elif max_length and len(text.strip()) > max_length:
                self.at(f"{path}.{lang}", f"'{path}.{lang}' is longer than {max_length} characters")
            else:
                result[lang] = text.strip()
        return result

    def whole_number(self, table: dict, key: str, low: int, high: int, default: int | None,
                     *, prefix: str = "") -> int | None:
        """An integer in [low, high], or ``default`` when absent; a problem (and the default) otherwise."""
        value = table.get(key, default)
        if value is None and default is None and key not in table:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            self.at(f"{prefix}{key}", f"'{prefix}{key}' must be a whole number from {low} to {high}")
            return default
        return value

    def choice(self, table: dict, key: str, allowed: tuple[str, ...], default: str | None,
               *, prefix: str = "") -> str | None:
        value = table.get(key, default)
        if value not in allowed:
            self.at(f"{prefix}{key}", f"'{prefix}{key}' must be one of {', '.join(allowed)}; found {value!r}")
            return default
        return value

    def boolean(self, table: dict, key: str, default: bool, *, prefix: str = "") -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.at(f"{prefix}{key}", f"'{prefix}{key}' must be true or false")
            return default
        return value
