"""The audit log: the new kinds of events, the admin page (filters, Tokyo dates, query count), the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import AuditEvent, Role, User

from ..content.helpers import write_course

BOM = "\ufeff".encode()


def events(action=None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


@pytest.fixture
def add_event(app):
    def add(action="certificate.issue", *, actor=None, at=None, target=("", ""), details=None, ip="192.0.2.1"):
        event = AuditEvent(action=action, actor_id=actor.id if actor else None, target_type=target[0],
                           target_id=str(target[1]), details=details or {}, ip=ip,
                           created_at=at or datetime(2026, 4, 1, 3, 0, tzinfo=timezone.utc))
        db.session.add(event)
        db.session.commit()
        return event
    return add


def page(client, **params) -> str:
    return client.get("/admin/audit", query_string=params, headers={"Accept-Language": "en"}).get_data(as_text=True)


# --- what is recorded


def test_role_changes_and_deactivation_are_recorded_once(client, make_user):
    admin = make_user(Role.ADMIN, email="boss@example.org")
    trainee = make_user(email="kenji@example.org")
    client.login(admin)
    assert client.post_form(f"/admin/users/{trainee.id}", {"trainee": "y", "mentor": "y"}).status_code == 302
    roles, = events("user.roles")
    assert (roles.actor_id, roles.target_type, roles.target_id, roles.ip) == (admin.id, "user", str(trainee.id),
                                                                             "127.0.0.1")
    assert roles.details == {"email": "kenji@example.org", "before": ["trainee"], "after": ["trainee", "mentor"]}
    deactivated, = events("user.deactivate")
    assert (deactivated.actor_id, deactivated.target_id, deactivated.ip) == (admin.id, str(trainee.id), "127.0.0.1")

    # Saving the same again changes nothing, so records nothing.
    client.post_form(f"/admin/users/{trainee.id}", {"trainee": "y", "mentor": "y"})
    assert len(events("user.roles")) == 1 and len(events("user.deactivate")) == 1

    client.post_form(f"/admin/users/{trainee.id}", {"trainee": "y", "mentor": "y", "active": "y"})
    activated, = events("user.activate")
    assert activated.actor_id == admin.id and len(events("user.roles")) == 1

    html = page(client, action="user.roles")
    assert "Roles changed" in html and "kenji@example.org" in html and "trainee, mentor" in html


def test_course_import_from_the_cli_is_recorded_as_the_system(app, tmp_path):
    root = tmp_path / "courses"
    write_course(root)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["lms", "import-courses", "--check", str(root)]).exit_code == 0
    assert events("content.import") == []  # validating changes nothing and records nothing
    assert runner.invoke(args=["lms", "import-courses", str(root)]).exit_code == 0
    event, = events("content.import")
    assert event.actor_id is None and event.ip == ""
    assert event.details == {"path": str(root), "created": ["test-course"], "updated": [], "archived": []}


def test_the_export_is_recorded_with_its_filters(client, make_user):
    admin = make_user(Role.ADMIN)
    client.login(admin)
    response = client.post_form("/admin/audit/export.csv?action=certificate.revoke&actor=x%40y&date_from=2026-04-01"
                          "&page=3&action_bogus=1")
    assert response.status_code == 200
    response.get_data()
    event, = events("audit.export")
    assert event.actor_id == admin.id and event.ip == "127.0.0.1"
    assert event.details == {"format": "csv", "filters": {"action": "certificate.revoke", "actor": "x@y",
                                                          "date_from": "2026-04-01"}}


# --- the page


def test_only_admins_see_the_log_and_the_export(client, as_, make_user):
    for role in (Role.TRAINEE, Role.MENTOR):
        other = as_(make_user(role))
        assert other.get("/admin/audit").status_code == 403
        assert other.post_form("/admin/audit/export.csv").status_code == 403
    assert client.get("/admin/audit").headers["Location"].startswith("/auth/login")
    assert client.post_form("/admin/audit/export.csv").headers["Location"].startswith("/auth/login")
    assert events("audit.export") == []
    admin = as_(make_user(Role.ADMIN))
    assert admin.get("/admin/audit").status_code == 200


def test_no_route_changes_an_audit_event(app):
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin/audit")]
    assert {rule.endpoint for rule in rules} == {"audit.index", "audit.export"}
    for rule in rules:
        # The export is a POST only because it records itself; it changes no event.
        allowed = {"POST", "OPTIONS"} if rule.endpoint == "audit.export" else {"GET", "HEAD", "OPTIONS"}
        assert rule.methods <= allowed, rule


def test_filters_by_action_actor_target_and_text(client, make_user, add_event):
    admin = make_user(Role.ADMIN, email="office@example.org")
    mentor = make_user(Role.MENTOR, email="mentor.mori@example.org")
    trainee = make_user()
    add_event("review.approve", actor=mentor, target=("submission", 7), details={"marker": "approved-one"})
    add_event("certificate.revoke", actor=admin, target=("certificate", "abcDEF123"),
              details={"marker": "revoked-one", "reason": "名前の誤り"})
    add_event("user.roles", actor=admin, target=("user", trainee.id), details={"marker": "roles-one"})
    add_event("login.failure", target=("user", ""), details={"marker": "failed-one"})
    client.login(admin)

    def shown(**params):
        html = page(client, **params)
        return {m for m in ("approved-one", "revoked-one", "roles-one", "failed-one") if m in html}

    assert shown() == {"approved-one", "revoked-one", "roles-one", "failed-one"}
    assert shown(action="certificate.revoke") == {"revoked-one"}
    assert shown(action="not.an.action") == shown()  # unknown actions are ignored, not an empty page
    assert shown(actor="MENTOR.MORI") == {"approved-one"}
    assert shown(actor="%") == set()  # wildcards are literal
    assert shown(target_type="user") == {"roles-one", "failed-one"}
    assert shown(target_type="user", target_id=str(trainee.id)) == {"roles-one"}
    assert shown(q="名前") == {"revoked-one"}  # Japanese text in the details
    assert shown(q="approved") == {"approved-one"}

    html = page(client)
    assert f'href="/admin/users/{trainee.id}"' in html
    assert 'href="/admin/certificates/abcDEF123"' in html
    assert 'href="/submissions/7"' in html
    assert "Not signed in" in html and "Certificate revoked" in html and "192.0.2.1" in html


def test_details_are_escaped(client, make_user, add_event):
    admin = make_user(Role.ADMIN)
    add_event("certificate.revoke", actor=admin, details={"reason": "<script>alert(1)</script>"})
    client.login(admin)
    html = page(client)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_dates_are_tokyo_calendar_days(client, make_user, add_event):
    admin = make_user(Role.ADMIN)
    add_event(details={"marker": "late-on-the-first"}, at=datetime(2026, 4, 1, 14, 59, tzinfo=timezone.utc))
    add_event(details={"marker": "early-on-the-second"}, at=datetime(2026, 4, 1, 15, 30, tzinfo=timezone.utc))
    client.login(admin)

    def shown(**params):
        html = page(client, **params)
        return {m for m in ("late-on-the-first", "early-on-the-second") if m in html}

    assert shown(date_from="2026-04-02", date_to="2026-04-02") == {"early-on-the-second"}
    assert shown(date_to="2026-04-01") == {"late-on-the-first"}
    assert shown(date_from="2026-04-01", date_to="2026-04-01") == {"late-on-the-first"}
    assert shown(date_from="2026-04-03") == set()
    assert shown(date_from="not-a-date") == {"late-on-the-first", "early-on-the-second"}
    assert "Apr 2, 2026, 00:30" in page(client, date_from="2026-04-02")  # shown in Tokyo time


def test_the_page_costs_the_same_queries_for_5_and_200_events(app, client, make_user, count_queries):
    admin = make_user(Role.ADMIN)
    people = [make_user() for _ in range(5)]
    client.login(admin)

    def add(n):
        db.session.add_all(AuditEvent(action="user.roles", actor_id=people[i % 5].id, target_type="user",
                                      target_id=str(people[i % 5].id), details={"n": i}, ip="192.0.2.9")
                           for i in range(n))
        db.session.commit()

    def cost():
        with count_queries() as counted:
            response = client.get("/admin/audit?page=2")
        assert response.status_code == 200
        return counted.count

    add(5)
    small = cost()
    add(195)
    assert cost() == small
    app.config["PAGE_SIZE"] = 10
    assert "Page 2 of 20" in page(client, page=2)


def test_pager_keeps_the_filters(app, client, make_user, add_event):
    admin = make_user(Role.ADMIN)
    for _ in range(3):
        add_event("certificate.revoke", actor=admin)
    app.config["PAGE_SIZE"] = 2
    client.login(admin)
    html = page(client, action="certificate.revoke")
    assert "action=certificate.revoke" in html and "page=2" in html


# --- the export


def read_csv(response) -> list[list[str]]:
    data = response.get_data()
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[len(BOM):].decode("utf-8"))))


def test_csv_export_is_translated_and_keeps_japanese(client, make_user, add_event):
    admin = make_user(Role.ADMIN, locale="ja", name_ja="山田 花子", email="hanako@example.org")
    add_event("certificate.revoke", actor=admin, target=("certificate", "pub123"),
              details={"reason": "氏名の誤記", "course": "test-course"},
              at=datetime(2026, 4, 1, 15, 30, tzinfo=timezone.utc))
    add_event("review.approve", details={"version": 1})
    client.login(admin)
    response = client.post_form("/admin/audit/export.csv?action=certificate.revoke")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.mimetype_params.get("charset") == "utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=audit-") and disposition.endswith(".csv")
    header, *rows = read_csv(response)
    assert header[0] == "日時（日本時間）" and "操作" in header and "詳細" in header
    assert rows == [["2026-04-02T00:30:00+09:00", "山田 花子", "hanako@example.org", "修了証の失効",
                     "certificate.revoke", "certificate", "pub123", "reason: 氏名の誤記; course: test-course",
                     "192.0.2.1"]]


def test_the_export_is_streamed(client, make_user, add_event):
    admin = make_user(Role.ADMIN, locale="ja")
    add_event("certificate.revoke", actor=admin, details={"reason": "誤発行"})
    client.login(admin)
    response = client.post_form("/admin/audit/export.csv")
    assert response.is_streamed
    body = response.get_data()
    assert body.startswith(BOM) and "誤発行".encode() in body and "日時（日本時間）".encode() in body


def test_csv_export_in_english_and_in_batches(client, make_user):
    admin = make_user(Role.ADMIN, locale="en")
    db.session.add_all(AuditEvent(action="login.failure", details={"email": f"n{i}@example.org"})
                       for i in range(1203))
    db.session.commit()
    client.login(admin)
    header, *rows = read_csv(client.post_form("/admin/audit/export.csv?action=login.failure"))
    assert header[:4] == ["When (Asia/Tokyo)", "Who", "E-mail address", "Action"]
    assert len(rows) == 1203 and rows[0][1] == "Not signed in" and rows[0][3] == "Failed login"
    assert len({row[7] for row in rows}) == 1203


def test_every_action_the_code_records_has_a_label():
    """A new ``audit.record("x.y", ...)`` without a label would show its code to admins and miss the filter."""
    import re
    from pathlib import Path

    from lms.views.audit import ACTION_LABELS

    source = "\n".join(p.read_text(encoding="utf-8") for p in (Path(__file__).parents[2] / "lms").rglob("*.py"))
    literal = set(re.findall(r'audit\.record\(\s*"([a-z_]+\.[a-z_]+)"', source))
    # Actions built at run time: the review decision (review.<decision>) and the two report exports.
    built = {f"review.{decision}" for decision in ("approve", "revise")} | {"report.export", "grades.export"}
    assert literal and set(re.findall(r'audit\.record\(f"review\.\{', source))
    assert literal | built <= set(ACTION_LABELS), sorted((literal | built) - set(ACTION_LABELS))


def test_adding_one_person_is_recorded_like_a_bulk_add(client, make_user):
    admin = make_user(Role.ADMIN)
    client.login(admin)
    assert client.post_form("/admin/users/new", {"email": "one@example.org", "name_latin": "One Person",
                                                 "locale": "en", "trainee": "y", "mentor": "y"}).status_code == 302
    assert client.post_form("/admin/users/new", {"email": "two@example.org", "name_latin": "Two Person", "locale": "en",
                                                 "trainee": "y", "password": "a long enough password"}).status_code == 302
    first, second = events("user.create")
    created = db.session.scalar(select(User).where(User.email == "one@example.org"))
    assert (first.actor_id, first.target_type, first.target_id) == (admin.id, "user", str(created.id))
    assert first.details == {"email": "one@example.org", "roles": ["trainee", "mentor"], "invited": True}
    assert second.details == {"email": "two@example.org", "roles": ["trainee"], "invited": False}
    html = page(client, action="user.create")
    assert "Account created by an admin" in html and "one@example.org" in html
