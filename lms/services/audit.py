"""The audit trail: who did what, when and from where. Rows are added, never changed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import String, cast, func, or_, select

from .. import clock
from ..extensions import db
from ..models import AuditEvent, User
from ..pagination import clamp_page
from .people import Page

TOKYO = clock.TOKYO  # the one definition is lms.clock.TOKYO


def record(action: str, target_type: str = "", target_id: str | int = "", details: dict | None = None,
           actor: User | None = None, system: bool = False) -> AuditEvent:
    """Add an event to the caller's transaction: it is kept exactly when the action itself is.

    The actor defaults to the logged-in user; ``system=True`` records an automatic action as nobody's,
    even when someone's request happened to trigger it.
    """
    if actor is None and not system and has_request_context() and current_user.is_authenticated:
        actor = current_user
    event = AuditEvent(action=action, target_type=target_type, target_id=str(target_id), details=details or {},
                       actor_id=actor.id if actor is not None else None,
                       ip=(request.remote_addr or "")[:45] if has_request_context() else "")
    db.session.add(event)
    return event


# --- reading the trail (the admin page and its CSV export) --------------------------------------------------------

TARGET_TYPES = ("user", "certificate", "submission", "cohort", "mail", "address", "course")
EXPORT_BATCH = 500  # rows read from the database, and written to the response, at a time


@dataclass
class Filters:
    """What the admin asked to see; every field empty means everything."""

    action: str = ""
    actor: str = ""  # part of the actor's e-mail address
    target_type: str = ""
    target_id: str = ""
    date_from: date | None = None  # calendar days in Asia/Tokyo, both inclusive
    date_to: date | None = None
    q: str = ""  # free text in the details (or the target id)

    def query_args(self) -> dict[str, str]:
        """The non-empty filters as GET parameters (for the pager, the export link and the export's record)."""
        values = {"action": self.action, "actor": self.actor, "target_type": self.target_type,
                  "target_id": self.target_id, "date_from": self.date_from.isoformat() if self.date_from else "",
                  "date_to": self.date_to.isoformat() if self.date_to else "", "q": self.q}
        return {key: value for key, value in values.items() if value}


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def parse_filters(args, known_actions) -> Filters:
    """Filters from request arguments; unknown actions and target types and malformed dates are ignored."""
    action = (args.get("action") or "").strip()
    target_type = (args.get("target_type") or "").strip()
    return Filters(action=action if action in known_actions else "",
                   actor=(args.get("actor") or "").strip()[:254],
                   target_type=target_type if target_type in TARGET_TYPES else "",
                   target_id=(args.get("target_id") or "").strip()[:64],
                   date_from=_day(args.get("date_from")), date_to=_day(args.get("date_to")),
                   q=(args.get("q") or "").strip()[:200])


def tokyo_midnight(day: date) -> datetime:
    """The UTC instant a calendar day starts in Asia/Tokyo."""
    return datetime.combine(day, time(0), tzinfo=TOKYO).astimezone(timezone.utc)


def _contains(column, term: str):
    # Escape LIKE's wildcards (and the escape character): "_" means the character, not "anything".
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def _conditions(filters: Filters) -> list:
    conditions = []
    if filters.action:
        conditions.append(AuditEvent.action == filters.action)
    if filters.actor:
        conditions.append(_contains(User.email, filters.actor))
    if filters.target_type:
        conditions.append(AuditEvent.target_type == filters.target_type)
    if filters.target_id:
        conditions.append(AuditEvent.target_id == filters.target_id)
    if filters.date_from:
        conditions.append(AuditEvent.created_at >= tokyo_midnight(filters.date_from))
    if filters.date_to:
        conditions.append(AuditEvent.created_at < tokyo_midnight(filters.date_to + timedelta(days=1)))
    if filters.q:
        # Details are stored as JSON text, where non-ASCII characters are \\u escapes: look for both spellings.
        details = cast(AuditEvent.details, String)
        escaped = json.dumps(filters.q)[1:-1]
        conditions.append(or_(_contains(details, filters.q), _contains(details, escaped),
                              _contains(AuditEvent.target_id, filters.q)))
    return conditions


def _events(filters: Filters):
    """(event, actor or None) rows, newest first: the actor comes in the same query."""
    return (select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.actor_id)
            .where(*_conditions(filters)).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()))


def search(filters: Filters, page: int, per_page: int) -> Page:
    """One page of events with their actors: two queries, however many events there are."""
    total = db.session.scalar(select(func.count(AuditEvent.id)).select_from(AuditEvent)
                              .outerjoin(User, User.id == AuditEvent.actor_id).where(*_conditions(filters)))
    page, _pages = clamp_page(page, total, per_page)
    rows = db.session.execute(_events(filters).limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=list(rows), page=page, per_page=per_page, total=total)


def stream(filters: Filters) -> Iterator[tuple[AuditEvent, User | None]]:
    """Every matching event with its actor, read in batches (a server-side cursor on PostgreSQL)."""
    result = db.session.execute(_events(filters).execution_options(yield_per=EXPORT_BATCH))
    try:
        yield from result
    finally:
        result.close()


def detail_text(value) -> str:
    """A details value as a person reads it: lists joined with commas, nested objects as JSON."""
    if isinstance(value, list):
        return ", ".join(detail_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if value is None:
        return ""
    return str(value)


def detail_pairs(details) -> list[tuple[str, str]]:
    """An event's details as (key, text) pairs, in the order they were recorded."""
    if not isinstance(details, dict):
        return [("", detail_text(details))] if details else []
    return [(str(key), detail_text(value)) for key, value in details.items()]


def tokyo_iso(moment: datetime) -> str:
    """An aware UTC datetime as ISO 8601 in Asia/Tokyo, e.g. 2026-04-02T00:30:00+09:00."""
    return moment.astimezone(TOKYO).isoformat(timespec="seconds")
