"""The one clock and the program's time zone.

Everything that asks "what time is it" calls ``clock.now()`` through this module (not a copy bound at import),
so a test sets the time for the whole app with ``monkeypatch.setattr(clock, "now", ...)``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

TIMEZONE = "Asia/Tokyo"
TOKYO = ZoneInfo(TIMEZONE)


def now() -> datetime:
    """The current moment, aware, in UTC."""
    return datetime.now(timezone.utc)


def today_in_tokyo():
    """The program's calendar date now (deadlines and reports count Tokyo days)."""
    return now().astimezone(TOKYO).date()
