"""The job queue: work that may be slow or fail (mail, PDF rendering, scheduled work) runs here, not in a request.

Huey runs the queue: on one machine its storage is a SQLite file in ``instance/`` (``jobs.sqlite``); with
``REDIS_URL`` it is Redis, shared by every app server and worker. ``flask lms worker`` runs the consumer with
the periodic tasks (``make run`` starts one beside the web server). ``JOBS_IMMEDIATE`` (the tests) runs each
job at once, still after the commit that queued it and in its own app context and database session.

Every job is one unit of work: it runs in a fresh app context and commits once when it returns.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from flask import current_app, has_app_context
from huey import Huey, crontab  # noqa: F401  (crontab re-exported for the periodic tasks)
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

from . import unit_of_work
from .extensions import db

log = logging.getLogger(__name__)

# Created in immediate mode (memory, no file) so importing the package touches nothing; ``init_app`` sets the storage.
huey = Huey("skyfront-lms", results=False, immediate=True, storage_class=MemoryStorage)
_app = None


def init_app(app) -> None:
    global _app
    _app = app
    if app.config["JOBS_IMMEDIATE"]:
        huey.storage_class, huey.storage_kwargs = MemoryStorage, {}
        huey.immediate = True
        return
    if app.config.get("REDIS_URL"):
        huey.storage_class, huey.storage_kwargs = RedisStorage, {"url": app.config["REDIS_URL"]}
    else:
        path = Path(app.config.get("JOBS_SQLITE_FILE") or Path(app.instance_path) / "jobs.sqlite")
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": str(path)}
    huey.immediate = False
    huey.storage = huey.create_storage()


def _app_for_jobs():
    return current_app._get_current_object() if has_app_context() else _app


def _unit_of_work(fn):
    """Run ``fn`` in its own app context (so its own database session) and commit once when it returns."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        app = _app_for_jobs()
        if app is None:
            raise RuntimeError("no Flask app for jobs: create_app() must run in this process first")
        with app.app_context():
            try:
                result = fn(*args, **kwargs)
                db.session.commit()
                return result
            except Exception:
                db.session.rollback()
                raise
    return run


def job(**options):
    """A task on the queue. ``task.enqueue_after_commit(*args)`` queues it once the current transaction commits."""
    def decorator(fn):
        task = huey.task(name=f"{fn.__module__}.{fn.__name__}", **options)(_unit_of_work(fn))
        task.enqueue_after_commit = lambda *args, **kwargs: unit_of_work.after_commit(
            functools.partial(task, *args, **kwargs))
        return task
    return decorator


def periodic(schedule):
    """A task the worker runs on a schedule (``crontab(minute="*")``)."""
    def decorator(fn):
        return huey.periodic_task(schedule, name=f"{fn.__module__}.{fn.__name__}")(_unit_of_work(fn))
    return decorator


def run_worker(workers: int = 2) -> None:
    """The consumer with its scheduler (periodic tasks), until interrupted."""
    from . import tasks  # noqa: F401  (registers every task and periodic task)

    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True, check_worker_health=True)
    consumer.run()
