"""E-mail addresses are checked once, strictly, by lms/rules/email.py: every form, the CLI and bulk imports."""

from __future__ import annotations

import pytest
from click.testing import CliRunner  # noqa: F401 (the app's runner is used)
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import User
from lms.rules.email import is_address
from lms.services import accounts

from .conftest import post, sign_in

BAD = ["a<b@x.io", "a,b@x.io", "a;b:c@x.io", "a>b@x.io", '"a b"@x.io', "a b@x.io", "(c)a@x.io", "a@x", "a@.x.io",
       "a@x..io", ".a@x.io", "a.@x.io", "a..b@x.io", "a@-x.io", "a@x-.io", "a@x.io.", "@x.io", "a@", "a@@x.io",
       "ａ@x.io", "a@ｘ.io", "a@x.io\n", "a\x00@x.io", "a@1.2.3.4", "a@[127.0.0.1]", "a" * 65 + "@x.io",
       "a@" + "b" * 250 + ".io", "a\u202e@x.io", ""]
GOOD = ["ken@example.org", "KEN.Sato+lms@mail.example.co.jp", "o'brien@x.io", "a_b-c@x-y.io", "1@x.io",
        "a@xn--wgv71a.jp"]


@pytest.mark.parametrize("address", BAD)
def test_the_rule_refuses(address):
    assert not is_address(address)


@pytest.mark.parametrize("address", GOOD)
def test_the_rule_accepts(address):
    assert is_address(address)


@pytest.mark.parametrize("address", ["a<b@x.io", "a,b@x.io", "a;b:c@x.io"])
def test_the_new_person_form_refuses_special_characters(app, make_client, make_user, address):
    admin = sign_in(make_client(), make_user("admin"))
    response = post(admin, "/admin/users/new", {"email": address, "name_latin": "X", "trainee": "y", "locale": "en"},
                    headers={"Accept-Language": "en"})
    assert response.status_code == 200 and "Enter a valid e-mail address" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_the_account_service_refuses_them_too(app):
    with pytest.raises(accounts.AccountError):
        accounts.create_user("a<b@x.io", "correct horse battery", accounts.Profile(name_latin="X"), set())
    with pytest.raises(accounts.AccountError):
        accounts.invite_user("a,b@x.io", accounts.Profile(name_latin="X"), set())


def test_the_cli_refuses_them(app):
    result = app.test_cli_runner().invoke(args=["lms", "create-user", "--email", "a;b:c@x.io", "--name-latin", "X",
                                                "--password", "correct horse battery"])
    assert result.exit_code != 0 and "valid e-mail address" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_bulk_import_uses_the_same_rule(app):
    from lms.services import cohort_import

    assert not hasattr(cohort_import, "EMAIL")  # no second definition to drift apart
