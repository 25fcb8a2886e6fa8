"""Rate-limit counts in memory:// are per process: a started app that is not in debug or testing says so in its log."""

from __future__ import annotations

import logging

from lms import create_app


def make(database_url, tmp_path, **config):
    return create_app({"SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": database_url,
                       "INSTANCE_PATH": str(tmp_path), **config})


def warnings_in(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "RATELIMIT" in r.getMessage()]


def test_production_with_memory_storage_logs_a_warning(database_url, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        make(database_url, tmp_path, TESTING=False, DEBUG=False, RATELIMIT_STORAGE_URI="memory://")
    [message] = warnings_in(caplog)
    assert "LMS_RATELIMIT_STORAGE_URI" in message and "redis://" in message


def test_no_warning_in_testing_debug_or_with_a_shared_store(database_url, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        make(database_url, tmp_path, TESTING=True, RATELIMIT_STORAGE_URI="memory://")
        make(database_url, tmp_path, DEBUG=True, RATELIMIT_STORAGE_URI="memory://")
        make(database_url, tmp_path, TESTING=False, RATELIMIT_STORAGE_URI="redis://localhost:6379",
             RATELIMIT_ENABLED=False)
    assert warnings_in(caplog) == []
