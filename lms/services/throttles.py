"""Login throttles, counted from the audit trail.

Every failed login is a ``login.failure`` row (the typed e-mail in ``login_email``, the client address in ``ip``),
so the counts live in the database: every worker and every host sees the same ones, an admin can list them, and
clearing one is a ``login.throttle_cleared`` row after which older failures no longer count. Three limits, each a
setting in the Flask-Limiter notation ("10 per 15 minutes"):

- ``LOGIN_RATE_LIMIT_ACCOUNT``: failures for one account from one address;
- ``LOGIN_RATE_LIMIT_ADDRESS``: failures from one address, whatever the accounts;
- ``LOGIN_ACCOUNT_SUSPICIOUS``: failures for one account from anywhere. Past it the account is under attack,
  and an address that has itself failed for that account lately is refused; an address without such failures
  (the owner at their usual place) still logs in. Failures elsewhere never lock the owner out.

Checking a login is one query, whatever the number of rows (indexes on (login_email, created_at) and
(ip, created_at)). Nothing is kept in process memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from limits import parse as parse_limit
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import aliased

from .. import clock
from ..extensions import db
from ..models import AuditEvent, User
from . import audit

FAILURE = "login.failure"
THROTTLED = "login.throttled"
CLEARED = "login.throttle_cleared"
ADDRESS_TARGET = "address"
LIST_LIMIT = 100  # rows per table on the admin page, most recent first

# Why a login was refused (kept in the login.throttled row's details).
REASON_ACCOUNT = "account"  # this account from this address
REASON_ADDRESS = "address"  # this address, any accounts
REASON_SUSPICIOUS = "suspicious"  # this account is under attack and this address has failed for it


@dataclass(frozen=True)
class Limit:
    amount: int
    window: timedelta


def limit(key: str) -> Limit:
    item = parse_limit(current_app.config[key])
    return Limit(item.amount, timedelta(seconds=item.get_expiry()))


def normalize(email: str | None) -> str:
    """The account a login names, however it was typed (case, surrounding spaces)."""
    return (email or "").strip().lower()[:254]


def enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _latest_clear(*conditions):
    return (select(func.max(AuditEvent.created_at)).where(AuditEvent.action == CLEARED, *conditions)
            .scalar_subquery())


def _account_cleared(email):
    return _latest_clear(AuditEvent.login_email == email)


def _address_cleared(address):
    return _latest_clear(AuditEvent.target_type == ADDRESS_TARGET, AuditEvent.target_id == address)


def _after(column, since: datetime, *clears) -> list:
    """``column`` is within the window and after each (possibly missing) clear."""
    return [column > since, *(or_(clear.is_(None), column > clear) for clear in clears)]


def _failures(*conditions):
    return select(func.count(AuditEvent.id)).where(AuditEvent.action == FAILURE, *conditions).scalar_subquery()


def refusal(email: str, address: str) -> str | None:
    """Why a login for ``email`` from ``address`` is refused now (a ``REASON_*``), or None: it may be tried."""
    if not enabled():
        return None
    email, address = normalize(email), (address or "")[:45]
    now = clock.now()
    per_pair, per_address, suspicious = (limit("LOGIN_RATE_LIMIT_ACCOUNT"), limit("LOGIN_RATE_LIMIT_ADDRESS"),
                                         limit("LOGIN_ACCOUNT_SUSPICIOUS"))
    account_clear, address_clear = _account_cleared(email), _address_cleared(address)
    ip, login_email, at = AuditEvent.ip, AuditEvent.login_email, AuditEvent.created_at
    row = db.session.execute(select(
        _failures(ip == address, *_after(at, now - per_address.window, address_clear)),
        _failures(login_email == email, ip == address,
                  *_after(at, now - per_pair.window, account_clear, address_clear)),
        _failures(login_email == email, *_after(at, now - suspicious.window, account_clear)),
        _failures(login_email == email, ip == address,
                  *_after(at, now - suspicious.window, account_clear, address_clear)),
    )).one()
    from_address, pair, account, pair_lately = row
    if from_address >= per_address.amount:
        return REASON_ADDRESS
    if pair >= per_pair.amount:
        return REASON_ACCOUNT
    if account >= suspicious.amount and pair_lately > 0:
        return REASON_SUSPICIOUS
    return None


def record_failure(email: str, user: User | None) -> None:
    event = audit.record(FAILURE, "user", user.id if user else "", {"email": (email or "").strip()[:254]})
    event.login_email = normalize(email)


def record_refusal(email: str, reason: str) -> None:
    event = audit.record(THROTTLED, "user", "", {"email": (email or "").strip()[:254], "reason": reason})
    event.login_email = normalize(email)


# --- the admin page ---------------------------------------------------------------------------------------------

@dataclass
class Row:
    key: str  # the account's e-mail, the address, or "e-mail address" for a pair
    failures: int
    last_failure: datetime
    refused: bool
    email: str = ""
    address: str = ""


@dataclass
class Current:
    accounts: list[Row]
    addresses: list[Row]
    pairs: list[Row]
    per_pair: Limit
    per_address: Limit
    suspicious: Limit


def current() -> Current:
    """Accounts, addresses and (account, address) pairs with failures that still count: three grouped queries."""
    now = clock.now()
    per_pair, per_address, suspicious = (limit("LOGIN_RATE_LIMIT_ACCOUNT"), limit("LOGIN_RATE_LIMIT_ADDRESS"),
                                         limit("LOGIN_ACCOUNT_SUSPICIOUS"))
    failure = aliased(AuditEvent)
    account_clear = _account_cleared(failure.login_email).correlate(failure)
    address_clear = _address_cleared(failure.ip).correlate(failure)
    at, last = failure.created_at, func.max(failure.created_at)

    rows = db.session.execute(
        select(failure.login_email, func.count(failure.id), last)
        .where(failure.action == FAILURE, failure.login_email != "",
               *_after(at, now - suspicious.window, account_clear))
        .group_by(failure.login_email).order_by(last.desc()).limit(LIST_LIMIT)).all()
    accounts = [Row(email, count, when, count >= suspicious.amount, email=email) for email, count, when in rows]
    attacked = {row.email for row in accounts if row.refused}

    rows = db.session.execute(
        select(failure.ip, func.count(failure.id), last)
        .where(failure.action == FAILURE, *_after(at, now - per_address.window, address_clear))
        .group_by(failure.ip).order_by(last.desc()).limit(LIST_LIMIT)).all()
    addresses = [Row(ip, count, when, count >= per_address.amount, address=ip) for ip, count, when in rows]
    blocked = {row.address for row in addresses if row.refused}

    # Both windows at once: the pair limit's, and the account-wide rule's "has failed here lately".
    pair_start, lately_start = now - per_pair.window, now - suspicious.window
    in_pair = func.sum(case((at > pair_start, 1), else_=0))
    lately = func.sum(case((at > lately_start, 1), else_=0))
    rows = db.session.execute(
        select(failure.login_email, failure.ip, in_pair, lately, last)
        .where(failure.action == FAILURE, failure.login_email != "",
               *_after(at, min(pair_start, lately_start), account_clear, address_clear))
        .group_by(failure.login_email, failure.ip).order_by(last.desc()).limit(LIST_LIMIT)).all()
    pairs = [Row(f"{email} {ip}", int(count or 0), when,
                 ip in blocked or (count or 0) >= per_pair.amount or (email in attacked and (recent or 0) > 0),
                 email=email, address=ip)
             for email, ip, count, recent, when in rows]
    return Current(accounts, addresses, pairs, per_pair, per_address, suspicious)


def clear_account(email: str) -> bool:
    """Failures for this account so far stop counting (from every address). False when there is nothing to name."""
    email = normalize(email)
    if not email:
        return False
    user = db.session.scalar(select(User).where(User.email == email))  # stored lower-case
    event = audit.record(CLEARED, "user", user.id if user else "", {"email": email})
    event.login_email = email
    db.session.flush()
    return True


def clear_address(address: str) -> bool:
    """Failures from this address so far stop counting (for every account)."""
    address = (address or "").strip()
    if not address or len(address) > 45:
        return False
    audit.record(CLEARED, ADDRESS_TARGET, address, {"address": address})
    db.session.flush()
    return True
