"""The iCalendar writer: structure, CRLF, escaping, folding at 75 octets (RFC 5545)."""

from datetime import date, datetime, timezone

import pytest

from lms.rules import ical

STAMP = datetime(2026, 4, 1, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("raw, escaped", [
    ("plain", "plain"),
    ("a,b", "a\\,b"),
    ("a;b", "a\\;b"),
    ("back\\slash", "back\\\\slash"),
    ("two\nlines", "two\\nlines"),
    ("crlf\r\nline", "crlf\\nline"),
    ("all ,;\\\n", "all \\,\\;\\\\\\n"),
    ("事業計画、提出", "事業計画、提出"),
])
def test_escape_text(raw, escaped):
    assert ical.escape_text(raw) == escaped


@pytest.mark.parametrize("line", [
    "SUMMARY:" + "x" * 67,  # exactly 75 octets: not folded
    "SUMMARY:" + "x" * 68,
    "SUMMARY:" + "y" * 500,
    "SUMMARY:" + "締切" * 60,  # three octets per character: never split inside one
    "SUMMARY:" + "a" + "締" * 40,
])
def test_fold_keeps_every_line_within_75_octets_and_unfolds_back(line):
    folded = ical.fold(line)
    physical = folded.split("\r\n")
    assert all(len(part.encode("utf-8")) <= 75 for part in physical)
    assert all(part.startswith(" ") for part in physical[1:])
    assert folded.replace("\r\n ", "") == line  # unfolding (RFC 5545 3.1) gives the line back
    if len(line.encode()) <= 75:
        assert folded == line


def test_calendar_structure_crlf_uid_dtstamp():
    events = [
        ical.Event("a-1@x", "Due: Plan, v2; final", datetime(2026, 4, 15, 14, 59, 59, tzinfo=timezone.utc),
                   description="Line one\nLine two", url="https://lms.example/a"),
        ical.Event("c-1@x", "Cohort starts", date(2026, 4, 1)),
    ]
    text = ical.calendar(events, name="My, calendar", stamp=STAMP)
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = text.replace("\r\n ", "").split("\r\n")[:-1]
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(l.startswith("PRODID:") for l in lines)
    assert "X-WR-CALNAME:My\\, calendar" in lines
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == 2
    assert lines.count("DTSTAMP:20260401T000000Z") == 2
    assert "UID:a-1@x" in lines and "UID:c-1@x" in lines
    assert "DTSTART:20260415T145959Z" in lines
    assert "SUMMARY:Due: Plan\\, v2\\; final" in lines
    assert "DESCRIPTION:Line one\\nLine two" in lines
    # A whole day: DATE values, the end exclusive (the next day).
    assert "DTSTART;VALUE=DATE:20260401" in lines and "DTEND;VALUE=DATE:20260402" in lines


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        ical.utc_stamp(datetime(2026, 4, 1))
