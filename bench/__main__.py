"""``python -m bench`` (``make bench``): seed, measure in-process, measure under load, write the report."""

from __future__ import annotations

import argparse
import gc
import os
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from lms.extensions import db

from . import load, report
from .app import TRIVIAL_PATH, bench_config, create
from .pages import PAGES, make_clients, measure_all
from .seed import SCALES, Scale, seed, tiny

BENCH_DIR = Path(__file__).resolve().parent
LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _scales(text: str) -> list[Scale]:
    scales = []
    for name in (part.strip() for part in text.split(",") if part.strip()):
        if name in SCALES:
            scales.append(SCALES[name])
        elif name.isdigit() and int(name) > 0:
            scales.append(tiny(int(name)))
        else:
            raise SystemExit(f"unknown scale {name!r}: use {', '.join(SCALES)} or a number of trainees")
    return scales


def _say(message: str) -> None:
    print(message, flush=True)


def _bench_database(name: str, url: str | None, scales: list[Scale], args) -> dict:
    started = time.perf_counter()
    database = {"name": name, "label": LABELS.get(name, name), "version": None, "scales": [], "load": None}
    for index, scale in enumerate(scales):
        workdir = Path(tempfile.mkdtemp(prefix="lms-bench-"))
        try:
            database_url = url or f"sqlite:///{workdir / 'bench.sqlite'}"
            secret = secrets.token_urlsafe(48)
            instance = str(workdir / "instance")
            app = create(bench_config(database_url, instance, secret))
            _say(f"[{database['label']}] seeding {scale.name}: {scale.describe()}")
            with app.app_context():
                db.drop_all()
                db.create_all()
                world = seed(scale)
                _settle()
                database["version"] = ".".join(str(n) for n in (db.engine.dialect.server_version_info or ()))
                db.session.remove()
                gc.collect()  # the seed's garbage goes now; what survives is the long-lived process (wsgi.py freezes it)
                gc.freeze()
            _say(f"[{database['label']}] seeded in {world.seconds:.1f} s; measuring {len(PAGES) + 1} pages in-process")
            measured = time.perf_counter()
            pages = measure_all(app, world, samples=args.samples, progress=_say)
            database["scales"].append({"scale": asdict(scale), "description": scale.describe(),
                                       "world": world.as_dict(), "pages": pages,
                                       "seconds": time.perf_counter() - measured})
            if index == len(scales) - 1:
                database["load"] = _load(app, world, database_url, instance, secret, workdir, args, database["label"])
            with app.app_context():
                db.engine.dispose()
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    database["seconds"] = time.perf_counter() - started
    return database


def _settle() -> None:
    """PostgreSQL: VACUUM ANALYZE after the bulk load, as autovacuum would do by itself, so that plans use
    statistics and autovacuum does not run in the middle of the measurements. SQLite is left as the app
    leaves it (no ANALYZE)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))


def _load(app, world, database_url, instance, secret, workdir, args, label) -> dict:
    if args.no_load:
        return {"skipped": "--no-load"}
    if not load.wrk_available():
        return {"skipped": "wrk is not installed (apt-get install wrk; `make bench` does it)"}
    clients = make_clients(app, world)
    cookie = {role: clients.cookie(role) for role in ("trainee", "mentor", "admin")} | {"anonymous": None}
    routes = [load.Route(page.key, page.url(world), cookie[page.who]) for page in PAGES if page.load]
    _say(f"[{label}] load: gunicorn -w {load.WORKERS}, wrk -c{load.CONNECTIONS} -d{args.load_seconds:.0f}s per route")
    return load.run(routes, load.Route("trivial", TRIVIAL_PATH, cookie["trainee"]), database_url=database_url,
                    instance_path=instance, secret_key=secret, seconds=args.load_seconds, log_dir=workdir,
                    progress=_say)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", default=os.environ.get("BENCH_SCALE") or "small,large",
                        help="comma-separated scales, smallest first: small, large, or a number of trainees "
                             "(default small,large; env BENCH_SCALE)")
    parser.add_argument("--samples", type=int, default=int(os.environ.get("BENCH_SAMPLES") or 40),
                        help="timed requests per page in-process (default 40; env BENCH_SAMPLES)")
    parser.add_argument("--load-seconds", type=float, default=float(os.environ.get("BENCH_LOAD_SECONDS") or 5),
                        help="wrk duration per route (default 5; env BENCH_LOAD_SECONDS)")
    parser.add_argument("--no-load", action="store_true", help="skip gunicorn + wrk")
    parser.add_argument("--database", action="append", metavar="URL",
                        help="benchmark this SQLAlchemy URL (repeatable) instead of SQLite plus LMS_DATABASE_URL")
    parser.add_argument("--results", type=Path, default=BENCH_DIR / "results")
    parser.add_argument("--report", type=Path, default=BENCH_DIR / "REPORT.md")
    args = parser.parse_args(argv)
    scales = _scales(args.scale)

    if args.database:
        targets = [(make_url(url).get_backend_name(), url) for url in args.database]
    else:
        targets = [("sqlite", None)]
        if os.environ.get("LMS_DATABASE_URL"):
            url = os.environ["LMS_DATABASE_URL"]
            targets.append((make_url(url).get_backend_name(), url))

    started = time.perf_counter()
    run = {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": report.machine_info(),
        "settings": {"command": " ".join(["python -m bench", *argv]), "scales": [s.name for s in scales],
                     "samples": args.samples, "load_seconds": args.load_seconds, "wrk": load.wrk_version()},
        "load_average": {"start": report.load_average(), "end": None},
        "not_built": [title for _, title in report.NOT_BUILT],
        "databases": [],
    }
    for name, url in targets:
        run["databases"].append(_bench_database(name, url, scales, args))
    run["seconds"] = time.perf_counter() - started
    run["load_average"]["end"] = report.load_average()
    written = report.write(run, args.results, args.report)
    _say("")
    for database in run["databases"]:
        misses = database["evaluation"]["misses"]
        _say(f"{database['label']}: " + ("every target met" if not misses else f"{len(misses)} target(s) missed"))
        for miss in misses:
            _say(f"  - {miss}")
    _say(f"Run took {run['seconds']:.0f} s. Wrote " + ", ".join(str(p.relative_to(Path.cwd()) if p.is_relative_to(Path.cwd()) else p) for p in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
