"""The audit trail: who did what, when and from where. Rows are added, never changed."""

from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from ..extensions import db
from ..models import AuditEvent, User


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
