"""Error pages never read the request body again (a 413 from the form parser must not become a 500)."""

from __future__ import annotations

import pytest

from .conftest import csrf, many_parts, sign_in


# --- 7. error pages do not read the body --------------------------------------------------------------------------


@pytest.mark.parametrize("parts", [1100, 2100, 5000])
def test_too_many_multipart_parts_for_a_signed_in_user_is_a_413_page(app, make_client, make_user, parts,
                                                                     crash_as_visitor):
    client = sign_in(make_client(), make_user("trainee"))
    body, content_type = many_parts(csrf(client), parts)
    response = client.raw.post("/notifications/read", data=body, content_type=content_type)
    assert response.status_code == 413
    assert "<form" in response.get_data(as_text=True)  # the full page, header and language switch included


def test_an_error_page_never_reads_the_request_body(app, make_client, make_user, monkeypatch, crash_as_visitor):
    from werkzeug.exceptions import RequestEntityTooLarge
    from werkzeug.wrappers import Request

    raised, reads_after = [], []

    @app.route("/_too_large", methods=["POST"])
    def too_large():
        raised.append(True)
        raise RequestEntityTooLarge()

    client = sign_in(make_client(), make_user("admin"))
    original = Request._load_form_data

    def counting(self):
        if raised:
            reads_after.append(self.path)
        return original(self)

    monkeypatch.setattr(Request, "_load_form_data", counting)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # a body nothing has parsed before the view
    response = client.raw.post("/_too_large", data="x" * 100, content_type="text/plain")
    assert response.status_code == 413 and "<form" in response.get_data(as_text=True)
    assert reads_after == []
