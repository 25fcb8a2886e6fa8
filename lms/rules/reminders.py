"""When reminders and digests are due: pure rules on Asia/Tokyo calendar days (no Flask, no database)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from .. import clock

TOKYO = clock.TOKYO

# What a person can switch off, per role (the profile page shows only the kinds of their roles).
DUE_SOON, REVISION_WAITING, CERTIFICATE_ISSUED = "due_soon", "revision_waiting", "certificate_issued"
MENTOR_DIGEST, ADMIN_DIGEST, ANNOUNCEMENT = "mentor_digest", "admin_digest", "announcement"
KINDS = (DUE_SOON, REVISION_WAITING, CERTIFICATE_ISSUED, MENTOR_DIGEST, ADMIN_DIGEST, ANNOUNCEMENT)
KINDS_BY_ROLE = {
    "trainee": (DUE_SOON, REVISION_WAITING, CERTIFICATE_ISSUED, ANNOUNCEMENT),
    "mentor": (MENTOR_DIGEST, ANNOUNCEMENT),
    "admin": (ADMIN_DIGEST,),
}
DUE_REMINDER_DAYS = (3, 1)  # Tokyo calendar days before the due day
REVISION_WAITING_DAYS = 7


def kinds_for(roles) -> list[str]:
    """The switchable kinds for someone with these roles (role values), in KINDS order."""
    wanted = {kind for role in roles for kind in KINDS_BY_ROLE.get(str(getattr(role, "value", role)), ())}
    return [kind for kind in KINDS if kind in wanted]


def days_until(now: datetime, due: datetime) -> int:
    """Tokyo calendar days from today to the due day (0: due today, negative: past)."""
    return (due.astimezone(TOKYO).date() - now.astimezone(TOKYO).date()).days


def due_reminder(now: datetime, due: datetime | None) -> int | None:
    """3 or 1 when a due reminder is due today (Tokyo days before the due day), else None."""
    if due is None or due <= now:
        return None
    days = days_until(now, due)
    return days if days in DUE_REMINDER_DAYS else None


def revision_untouched(now: datetime, released_at: datetime | None, last_saved_at: datetime | None,
                       days: int = REVISION_WAITING_DAYS) -> bool:
    """A revision was requested at least ``days`` ago and nothing was saved since."""
    if released_at is None or now - released_at < timedelta(days=days):
        return False
    return last_saved_at is None or last_saved_at <= released_at


def week_of(now: datetime) -> date:
    """The Monday (Tokyo) of the week ``now`` falls in: names a weekly digest's occasion."""
    today = now.astimezone(TOKYO).date()
    return today - timedelta(days=today.weekday())


def within_days(day: date | None, today: date, days: int) -> bool:
    """``day`` is today or in the next ``days`` days."""
    return day is not None and 0 <= (day - today).days <= days
