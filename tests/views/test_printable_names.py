"""Names the certificate fonts cannot print are refused where they are typed, not when the certificate is due.

The shipped fonts draw some emoji (DejaVu Sans has 😀 in black and white), so the tests use 🎉 and 🚀, which neither
IPAexGothic nor DejaVu Sans has.
"""
from __future__ import annotations

import html

from sqlalchemy import func, select

from lms.extensions import db
from lms.models import Role, User

from .test_auth import _link

MESSAGE = "This name contains characters that cannot be printed on a certificate: 🎉"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_profile_form_refuses_an_emoji_in_a_name(client, make_user):
    user = make_user(name_latin="Hanako Kawasaki")
    client.login(user)
    response = client.post_form("/account/", {"name_latin": "Hanako 🎉", "name_ja": "", "locale": "en"})
    assert response.status_code == 200 and MESSAGE in text(response)
    db.session.refresh(user)
    assert user.name_latin == "Hanako Kawasaki"
    response = client.post_form("/account/", {"name_latin": "Hanako", "name_ja": "川崎 🎉🚀", "locale": "en"})
    assert "cannot be printed on a certificate: 🎉, 🚀" in text(response)


def test_the_admin_new_person_form_refuses_an_emoji_in_a_name(client, make_user):
    client.login(make_user(Role.ADMIN))
    response = client.post_form("/admin/users/new", {"email": "smile@example.org", "name_latin": "Smile 🎉",
                                                     "locale": "en", "trainee": "y"})
    assert response.status_code == 200 and MESSAGE in text(response)
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "smile@example.org")) == 0


def test_accepting_an_invitation_refuses_an_emoji_in_a_name(client, make_user, outbox):
    client.login(make_user(Role.ADMIN))
    client.post_form("/admin/users/new", {"email": "guest@example.org", "name_latin": "Guest", "locale": "ja",
                                          "trainee": "y"})
    token = _link(outbox()[-1], "/auth/invitation")
    guest = client.__class__(client.raw.application.test_client())
    response = guest.post_form(f"/auth/invitation/{token}", {
        "name_latin": "Guest", "name_ja": "客 🎉", "locale": "ja",
        "password": "my own password", "confirm": "my own password"})
    assert response.status_code == 200
    assert "この氏名には修了証に印刷できない文字が含まれています：🎉" in text(response)
    assert db.session.scalar(select(User.password_hash).where(User.email == "guest@example.org")) is None


def test_bulk_add_refuses_a_new_account_whose_name_cannot_be_printed(client, make_user):
    from lms.models import Cohort
    from datetime import date

    client.login(make_user(Role.ADMIN))
    cohort = Cohort(name_ja="一期", name_en="First", program="entrepreneur", starts_on=date(2026, 4, 1))
    db.session.add(cohort)
    db.session.commit()
    page = client.raw.post(f"/admin/cohorts/{cohort.id}/import", data={
        "csrf_token": client.csrf_token(), "role": "trainee", "create_accounts": "y",
        "text": "email,name_latin\nsmile@example.org,Smile 🎉\nplain@example.org,Plain Name\n"},
        content_type="multipart/form-data")
    body = text(page)
    assert MESSAGE in body and "1 row has a problem and will be skipped." in body
    assert "1 new account will be created and invited." in body
