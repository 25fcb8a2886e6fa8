"""Performance bench: seed a program of a given size, measure the key pages, write a report.

``make bench`` (or ``python -m bench``) seeds a small and a large program into fresh databases
(SQLite, and PostgreSQL too when ``LMS_DATABASE_URL`` is set), then for every key page records the
SQL query count, the median and p95 server time in-process, and the throughput under gunicorn
(2 workers) and wrk as a ratio to a trivial route of the same app measured in the same run.

- ``seed``: the program, written with SQLAlchemy Core bulk inserts (``Scale``, ``seed``, ``reset``).
- ``pages``: the pages measured and the in-process measuring (shared with ``tests/test_bench.py``).
- ``load``: gunicorn + wrk on 127.0.0.1.
- ``report``: the machine, the targets, Markdown and JSON.
- ``app``: the app as the bench runs it (``lms.create_app`` plus ``/bench/trivial``, no rate limits).
"""
