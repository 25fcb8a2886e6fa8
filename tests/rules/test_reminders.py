"""When reminders are due, on Tokyo calendar days."""

from datetime import date, datetime, timedelta, timezone

import pytest

from lms.rules import reminders as rules

# Due at the end of 15 April in Tokyo (14:59:59 UTC).
DUE = datetime(2026, 4, 15, 14, 59, 59, tzinfo=timezone.utc)


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.mark.parametrize("now, expected", [
    (utc(2026, 4, 11, 14, 59), None),  # 23:59 Tokyo on 11 April: 4 days
    (utc(2026, 4, 11, 15, 0), 3),  # 00:00 Tokyo on 12 April: 3 days (UTC still says the 11th)
    (utc(2026, 4, 12, 14, 0), 3),
    (utc(2026, 4, 13, 3, 0), None),  # 2 days
    (utc(2026, 4, 14, 0, 0), 1),
    (utc(2026, 4, 14, 14, 59), 1),
    (utc(2026, 4, 15, 1, 0), None),  # due today
    (utc(2026, 4, 16, 1, 0), None),  # past
])
def test_due_reminder_counts_tokyo_days(now, expected):
    assert rules.due_reminder(now, DUE) == expected


def test_no_due_date_no_reminder():
    assert rules.due_reminder(utc(2026, 4, 12), None) is None


RELEASED = utc(2026, 4, 1, 3, 0)


@pytest.mark.parametrize("now, saved, expected", [
    (RELEASED + timedelta(days=7), RELEASED - timedelta(hours=1), True),
    (RELEASED + timedelta(days=7) - timedelta(seconds=1), RELEASED - timedelta(hours=1), False),
    (RELEASED + timedelta(days=9), RELEASED + timedelta(days=2), False),  # saved since: touched
    (RELEASED + timedelta(days=9), None, True),
])
def test_revision_untouched(now, saved, expected):
    assert rules.revision_untouched(now, RELEASED, saved) is expected


def test_revision_without_release_is_not_waiting():
    assert rules.revision_untouched(utc(2026, 5, 1), None, None) is False


@pytest.mark.parametrize("now, monday", [
    (utc(2026, 4, 5, 23, 0), date(2026, 4, 6)),  # Sunday 23:00 UTC is Monday 08:00 in Tokyo
    (utc(2026, 4, 6, 14, 0), date(2026, 4, 6)),
    (utc(2026, 4, 12, 14, 59), date(2026, 4, 6)),  # Sunday 23:59 Tokyo
    (utc(2026, 4, 12, 15, 0), date(2026, 4, 13)),
])
def test_week_of_is_the_tokyo_monday(now, monday):
    assert rules.week_of(now) == monday


@pytest.mark.parametrize("roles, kinds", [
    (["trainee"], ["due_soon", "revision_waiting", "certificate_issued", "announcement"]),
    (["mentor"], ["mentor_digest", "announcement"]),
    (["admin"], ["admin_digest"]),
    (["mentor", "admin"], ["mentor_digest", "admin_digest", "announcement"]),
    ([], []),
])
def test_kinds_for_roles(roles, kinds):
    assert rules.kinds_for(roles) == kinds


@pytest.mark.parametrize("day, expected", [
    (date(2026, 4, 1), True), (date(2026, 4, 15), True), (date(2026, 4, 16), False), (date(2026, 3, 31), False),
    (None, False),
])
def test_within_days(day, expected):
    assert rules.within_days(day, date(2026, 4, 1), 14) is expected
