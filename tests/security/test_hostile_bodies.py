"""Hostile bodies and query strings on every route (oversized, deeply nested JSON, thousands of multipart
parts, invalid UTF-8, NUL bytes), anonymous and signed in: refused or ignored, never a 500."""

from __future__ import annotations

import re

from lms.extensions import db

from .conftest import NESTED_JSON, many_parts, multipart, sign_in


# --- hostile bodies on every route ------------------------------------------------------------------------------------


def _url(rule) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "1" if "id" in m.group(1) else "x", rule.rule)


def hostile_requests(token: str, limit: int):
    multipart_body, multipart_type = many_parts(token, 3000)
    yield "oversized form", dict(data=b"a=" + b"x" * (limit + 1), content_type="application/x-www-form-urlencoded")
    body, content_type = multipart({"csrf_token": token}, {"f": ("a.pdf", b"x" * (limit + 1))})
    yield "oversized multipart", dict(data=body, content_type=content_type)
    yield "nested JSON", dict(data=NESTED_JSON, content_type="application/json")
    yield "thousands of parts", dict(data=multipart_body, content_type=multipart_type)
    yield "invalid UTF-8 form", dict(data=b"csrf_token=" + token.encode() + b"&email=%FF%FE&name_ja=\xff\xfe&q=\xc3",
                                     content_type="application/x-www-form-urlencoded")
    body, content_type = multipart({"csrf_token": token, "name_ja": b"\xff\xfe", "email": b"a\xff@x.io"},
                                   {"files": ("\udcff.pdf", b"\xff\xfe")})
    yield "invalid UTF-8 multipart", dict(data=body, content_type=content_type)
    yield "invalid UTF-8 JSON", dict(data=b'{"credential": "\xff\xfe"}', content_type="application/json")
    yield "NUL in form", dict(data={"csrf_token": token, "email": "a\x00@x.io", "name_ja": "\x00", "lock": "\x00",
                                    "text": "\x00", "q": "\x00"})
    yield "NUL in JSON", dict(data='{"credential": "a\\u0000b"}', content_type="application/json")
    yield "invalid UTF-8 and NUL in the query", dict(query_string="q=%FF%00&page=%C3&course=%FF%FE&next=%00")


def test_hostile_bodies_on_every_route_never_give_a_server_error(app, make_client, make_user, make_course, enrol,
                                                                  fast_sqlite, crash_as_visitor):
    app.config.update(RESET_RATE_LIMIT="100000 per hour", LOGIN_RATE_LIMIT_ADDRESS="100000 per hour",
                      LOGIN_RATE_LIMIT_ACCOUNT="100000 per hour", VERIFY_RATE_LIMIT="100000 per minute",
                      LOGIN_FAILURES_PER_ADDRESS="100000 per hour",
                      LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS="100000 per hour")
    admin, trainee = make_user("admin"), make_user("trainee")
    enrol(trainee, make_course(slug="x"))
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    limit = app.config["MAX_FORM_KB"] * 1024
    errors = []
    for who in (None, trainee, admin):
        client = make_client()
        token = client.csrf_token()
        for rule in rules:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                for label, kwargs in hostile_requests(token, limit):
                    if who is not None:
                        sign_in(client, who)  # a hostile logout or password change must not end the run
                    try:
                        response = client.raw.open(_url(rule), method=method, **kwargs)
                    except Exception as error:  # any crash is what is reported
                        db.session.rollback()
                        errors.append(f"{method} {rule.rule} {label} as {who}: {type(error).__name__}")
                        continue
                    response.close()
                    if response.status_code >= 500:
                        errors.append(f"{method} {rule.rule} {label} as {who}: {response.status_code}")
    assert not errors, "server errors:\n  " + "\n  ".join(errors)
