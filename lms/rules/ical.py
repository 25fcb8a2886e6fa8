"""iCalendar text (RFC 5545) for the personal calendar feed: pure functions, no Flask, no database.

Only what the feed needs: VEVENTs with a UID, a DTSTAMP, a start (a moment in UTC, or a whole day), an optional
end, a summary, a description and a URL. Lines end with CRLF and are folded at 75 octets (never inside a UTF-8
character); text values escape backslash, semicolon, comma and line breaks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

CRLF = "\r\n"
MAX_OCTETS = 75


@dataclass(frozen=True)
class Event:
    uid: str
    summary: str
    start: datetime | date  # an aware datetime (written in UTC) or a whole day
    end: datetime | date | None = None  # a whole day's end is exclusive (the next day); None: one day / no length
    description: str = ""
    url: str = ""


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, line breaks as \\n."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Split a content line into chunks of at most 75 octets, continued by CRLF and one space (RFC 5545 3.1)."""
    parts, current, size = [], [], 0
    limit = MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size = [], 0
            limit = MAX_OCTETS - 1  # continuation lines start with a space
        current.append(char)
        size += width
    parts.append("".join(current))
    return (CRLF + " ").join(parts)


def utc_stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give an aware one")
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _when(name: str, value: datetime | date) -> str:
    if isinstance(value, datetime):
        return f"{name}:{utc_stamp(value)}"
    return f"{name};VALUE=DATE:{value.strftime('%Y%m%d')}"


def event_lines(event: Event, stamp: datetime) -> list[str]:
    lines = ["BEGIN:VEVENT", f"UID:{escape_text(event.uid)}", f"DTSTAMP:{utc_stamp(stamp)}",
             _when("DTSTART", event.start)]
    end = event.end
    if end is None and not isinstance(event.start, datetime):
        end = event.start + timedelta(days=1)
    if end is not None:
        lines.append(_when("DTEND", end))
    lines.append(f"SUMMARY:{escape_text(event.summary)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.url:
        lines.append(f"URL:{event.url}")
    lines.append("END:VEVENT")
    return lines


def calendar(events: Sequence[Event], *, name: str, stamp: datetime,
             prodid: str = "-//Skyfront LMS//Calendar feed//EN") -> str:
    """The whole VCALENDAR as text with CRLF line endings, every line folded."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{prodid}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape_text(name)}", "X-WR-TIMEZONE:Asia/Tokyo"]
    for event in events:
        lines.extend(event_lines(event, stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
