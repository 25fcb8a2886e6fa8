"""Request bodies: a global cap above the largest upload, a much smaller one for forms and JSON, fewer
multipart parts; oversized bodies get a 413 before they are read."""

from __future__ import annotations

import io

import pytest

from lms.content.assignments import MAX_FILES, MAX_MB

from .conftest import multipart

MB = 1024 * 1024


# --- 1. size caps -------------------------------------------------------------------------------------------------


def test_the_global_cap_is_set_and_above_the_largest_upload(app):
    assert app.config["MAX_CONTENT_LENGTH"] == app.config["MAX_REQUEST_MB"] * MB
    assert app.config["MAX_CONTENT_LENGTH"] > MAX_FILES * MAX_MB * MB  # every file an assignment may take, at once
    assert app.config["MAX_FORM_KB"] * 1024 * 50 < app.config["MAX_CONTENT_LENGTH"]  # forms: much smaller
    assert app.config["MAX_FORM_PARTS"] == app.config["MAX_FORM_PARTS"] and app.config["MAX_FORM_PARTS"] <= 1000


def test_an_oversized_form_is_refused_before_it_is_read(app, client, crash_as_visitor):
    limit = app.config["MAX_FORM_KB"] * 1024
    body = b"email=a%40example.org&password=" + b"x" * limit

    class Unreadable(io.BytesIO):
        def read(self, *args):
            raise AssertionError("the body was read")

        readline = readinto = read

    response = client.raw.post("/auth/login", input_stream=Unreadable(body),
                               content_type="application/x-www-form-urlencoded",
                               headers={"Content-Length": str(len(body))})
    assert response.status_code == 413


def test_a_form_under_the_cap_still_works(app, client, make_user):
    user = make_user()
    response = client.post_form("/auth/login", {"email": user.email, "password": "correct horse battery",
                                                "padding": "x" * 100_000})
    assert response.status_code == 302


def test_an_oversized_json_body_is_refused(app, client, crash_as_visitor):
    body = '{"credential": "' + "x" * (app.config["MAX_FORM_KB"] * 1024) + '"}'
    response = client.raw.post("/api/v1/credentials/verify", data=body, content_type="application/json")
    assert response.status_code == 413 and response.is_json


def test_a_big_multipart_body_is_refused_where_no_files_are_taken(app, client, crash_as_visitor):
    token = client.csrf_token()
    body, content_type = multipart({"csrf_token": token, "email": "a@example.org", "password": "x"},
                                   {"file": ("big.pdf", b"x" * (app.config["MAX_FORM_KB"] * 1024 + 1))})
    response = client.raw.post("/auth/login", data=body, content_type=content_type)
    assert response.status_code == 413


def test_the_upload_route_takes_bodies_up_to_the_global_cap(app):
    from lms.security import body_limit

    with app.test_request_context("/courses/c/assignments/a", method="POST", content_type="multipart/form-data"):
        assert body_limit() == app.config["MAX_CONTENT_LENGTH"]
    with app.test_request_context("/auth/login", method="POST", content_type="multipart/form-data"):
        assert body_limit() == app.config["MAX_FORM_KB"] * 1024


def test_the_limits_are_settings(monkeypatch):
    from lms.config import env_overrides

    monkeypatch.setenv("LMS_MAX_REQUEST_MB", "300")
    monkeypatch.setenv("LMS_MAX_FORM_KB", "512")
    monkeypatch.setenv("LMS_MAX_FORM_PARTS", "200")
    assert {k: v for k, v in env_overrides().items() if k.startswith("MAX_")} == {
        "MAX_REQUEST_MB": 300, "MAX_FORM_KB": 512, "MAX_FORM_PARTS": 200}
