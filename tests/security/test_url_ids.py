"""Ids in URLs are ASCII digits: full-width, superscript and other Unicode digits are a 404."""

from __future__ import annotations

import re

import pytest
from werkzeug.exceptions import NotFound


# --- 11. ids are ASCII digits ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("digits", ["１", "²", "١", "๑", "1１"])
def test_ids_in_urls_are_ascii_digits_only(app, digits):
    adapter = app.url_map.bind("localhost")
    rules = [rule for rule in app.url_map.iter_rules() if "<id:" in rule.rule]
    assert rules
    for rule in rules:
        url = re.sub(r"<id:\w+>", digits, rule.rule)
        url = re.sub(r"<(?:\w+:)?\w+>", "x", url)
        method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        with pytest.raises(NotFound):
            endpoint, _ = adapter.match(url, method=method)
            assert endpoint != rule.endpoint  # another route may take it, but never this one with an id
            raise NotFound()


def test_a_quiz_review_with_a_full_width_id_is_a_404(client, make_user, as_):
    admin = as_(make_user("admin"))
    assert admin.get("/quiz-attempts/１/review").status_code == 404
