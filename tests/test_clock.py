"""One clock and one Tokyo zone: every module asks lms.clock, so one monkeypatch moves the whole app."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from lms import clock
from lms.services import assignments, audit, certificate_pdf, certificates, quizzes, reports

from .conftest import REPO


def test_the_services_use_the_one_clock_and_zone():
    for module in (quizzes, assignments, reports, certificates):
        assert module.clock is clock, module.__name__  # no per-module copy that a test would have to patch
    assert audit.TOKYO is clock.TOKYO and certificate_pdf.TOKYO is clock.TOKYO


def test_one_patch_moves_every_module(monkeypatch):
    moment = datetime(2030, 1, 1, 15, 0, tzinfo=timezone.utc)
    monkeypatch.setattr(clock, "now", lambda: moment)
    assert quizzes.clock.now() == certificates.clock.now() == reports.clock.now() == moment
    assert clock.today_in_tokyo().isoformat() == "2030-01-02"  # already the next day in Tokyo


def test_no_other_time_zone_definition_or_clock_copy():
    for path in (REPO / "lms").rglob("*.py"):
        if path.name == "clock.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "ZoneInfo(" not in text, f"{path}: use lms.clock.TOKYO"
        assert not re.search(r"^clock = |^def clock\(", text, re.M), f"{path}: use lms.clock.now()"


def test_i18n_keeps_its_timezone_name():
    from lms import i18n

    assert i18n.TIMEZONE == clock.TIMEZONE == "Asia/Tokyo"
