"""TOML with line numbers: tomllib parses, a light scanner tells on which line a key stands.

tomllib gives values without positions; to report ``path:line`` for a bad value we find the
line of its key ourselves. The scanner understands the TOML this project writes (tables,
arrays of tables, dotted and inline-table keys, multi-line strings); when in doubt it
answers the line of the nearest enclosing key, which is still the right place to look.
"""

from __future__ import annotations

import re
import tomllib

_ARRAY_HEADER = re.compile(r"^\[\[\s*([A-Za-z0-9_.-]+)\s*\]\]")
_TABLE_HEADER = re.compile(r"^\[\s*([A-Za-z0-9_.-]+)\s*\]")
_ASSIGNMENT = re.compile(r"^([A-Za-z0-9_-]+(?:\s*\.\s*[A-Za-z0-9_-]+)*)\s*=")
_INLINE_KEY = re.compile(r"([A-Za-z0-9_-]+)\s*=")
_TOML_ERROR_LINE = re.compile(r"\(at line (\d+), column \d+\)")


class TomlSyntaxError(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def parse(text: str) -> dict:
    """Parse TOML, turning tomllib's error into a line number and a message."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = _TOML_ERROR_LINE.search(message)
        # "(at end of document)": something opened was never closed; point at the last line.
        line = int(found.group(1)) if found else max(1, len(text.splitlines()))
        message = _TOML_ERROR_LINE.sub("", message).replace("(at end of document)", "").strip()
        raise TomlSyntaxError(line, f"invalid TOML: {message}") from None


def key_lines(text: str) -> dict[str, int]:
    """Map each key path (``modules[1].title.ja``, ``questions[0].choices[2].id``) to the line where it is written."""
    lines: dict[str, int] = {}
    table = ""
    counters: dict[str, int] = {}  # resolved array-of-tables path -> tables seen so far
    open_string: str | None = None

    def resolve(name: str, new_element: bool) -> str:
        """A dotted header name as a path, indexing every array of tables on the way."""
        path = ""
        parts = [part.strip() for part in name.split(".")]
        for position, part in enumerate(parts):
            path = f"{path}.{part}" if path else part
            if new_element and position == len(parts) - 1:
                index = counters.get(path, 0)
                counters[path] = index + 1
                path = f"{path}[{index}]"
            elif path in counters:
                path = f"{path}[{counters[path] - 1}]"
        return path

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if open_string:
            if open_string in line:
                open_string = None
            continue
        if not line or line.startswith("#"):
            continue
        if header := _ARRAY_HEADER.match(line):
            table = resolve(header.group(1), new_element=True)
            lines.setdefault(table, number)
            lines.setdefault(table[:table.rindex("[")], number)  # the array itself: its first table
            continue
        if header := _TABLE_HEADER.match(line):
            table = resolve(header.group(1), new_element=False)
            lines.setdefault(table, number)
            continue
        assignment = _ASSIGNMENT.match(line)
        if not assignment:
            continue
        parts = [part.strip() for part in assignment.group(1).split(".")]
        prefix = table
        for part in parts:
            prefix = f"{prefix}.{part}" if prefix else part
            lines.setdefault(prefix, number)
        rest = line[assignment.end():].strip()
        if rest.startswith("{"):
            for key in _INLINE_KEY.findall(rest):
                lines.setdefault(f"{prefix}.{key}", number)
        for quote in ('"""', "'''"):
            if rest.count(quote) == 1:
                open_string = quote
    return lines


class Located:
    """A parsed TOML document that can say where a key is."""

    def __init__(self, text: str, first_line: int = 1):
        self.data = parse_at(text, first_line)
        self._lines = key_lines(text)
        self._offset = first_line - 1

    def line(self, key_path: str) -> int:
        """The line of ``key_path``, else of its nearest written parent, else the first line."""
        path = key_path
        while path:
            if path in self._lines:
                return self._lines[path] + self._offset
            path = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", path) if ("." in path or "[" in path) else ""
        return 1 + self._offset


def parse_at(text: str, first_line: int) -> dict:
    try:
        return parse(text)
    except TomlSyntaxError as error:
        raise TomlSyntaxError(error.line + first_line - 1, error.message) from None
