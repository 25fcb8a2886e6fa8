"""Deeply nested JSON on the credential check is a 400 with a JSON error, not a RecursionError."""

from __future__ import annotations

from .conftest import NESTED_JSON


# --- 6. deeply nested JSON ------------------------------------------------------------------------------------------


def test_deeply_nested_json_is_a_400_with_a_json_error(app, client, crash_as_visitor):
    response = client.raw.post("/api/v1/credentials/verify", data=NESTED_JSON, content_type="application/json")
    assert response.status_code == 400
    assert response.is_json and response.get_json()["status"] == "invalid"
