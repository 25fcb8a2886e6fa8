"""The machine, the targets, and the report as Markdown and JSON."""

from __future__ import annotations

import json
import os
import platform
import socket
import sqlite3
from importlib import metadata
from pathlib import Path

from .pages import NOT_BUILT, PAGES, TRIVIAL, Page


def load_average() -> float | None:
    """The 1-minute load average: another process busy on the machine shows here (and in the timings)."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def machine_info() -> dict:
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass

    def version(package):
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    return {
        "host": socket.gethostname(),
        "cpu": cpu or platform.processor() or "unknown",
        "cpus": os.cpu_count(),
        "memory_gib": memory_gib,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": version("sqlalchemy"),
        "flask": version("flask"),
        "gunicorn": version("gunicorn"),
    }


# --- targets


def _over(value: float, target: float) -> str:
    return f"{value - target:.1f} ms ({(value / target - 1) * 100:.0f}%) over"


def evaluate(database: dict) -> tuple[list[dict], list[str]]:
    """One row per page with its figures and verdicts, and the targets missed in words."""
    scales = database["scales"]
    small, large = scales[0], scales[-1]
    compared = len(scales) > 1
    load = database.get("load") or {}
    routes = load.get("routes", {})
    rows, misses = [], []
    for page in [TRIVIAL, *PAGES]:
        s, l = small["pages"][page.key], large["pages"][page.key]
        row = {"key": page.key, "title": page.title, "route": route_of(page), "queries_small": s["queries"],
               "queries_large": l["queries"], "median_ms": l["median_ms"], "p95_ms": l["p95_ms"],
               "p95_target_ms": page.p95_target_ms, "ratio_target": page.ratio_target,
               "hello_target": page.hello_target}
        steady = s["queries_min"] == s["queries_max"] and l["queries_min"] == l["queries_max"]
        row["queries_constant"] = (s["queries"] == l["queries"] and steady) if compared else None
        if row["queries_constant"] is False:
            misses.append(f"{page.title}: not a constant number of queries ({s['queries']} at {small['scale']['name']}, "
                          f"{l['queries']} at {large['scale']['name']}"
                          f"{'' if steady else '; it varies between requests'})")
        row["p95_met"] = None if page.p95_target_ms is None else l["p95_ms"] < page.p95_target_ms
        if row["p95_met"] is False:
            misses.append(f"{page.title}: p95 {l['p95_ms']:.1f} ms against the {page.p95_target_ms:.0f} ms target, "
                          f"{_over(l['p95_ms'], page.p95_target_ms)}")
        figures = load.get("trivial") if page is TRIVIAL else routes.get(page.key)
        row["requests_per_s"] = figures["requests_per_s"] if figures else None
        row["ratio"] = (1.0 if page is TRIVIAL else figures.get("ratio")) if figures else None
        row["hello_ratio"] = figures.get("hello_ratio") if figures else None
        if page.hello_target is not None and row["hello_ratio"] is not None:
            row["hello_met"] = row["hello_ratio"] >= page.hello_target
            if not row["hello_met"]:
                short = page.hello_target - row["hello_ratio"]
                misses.append(f"{page.title}: {row['hello_ratio']:.3f} of hello-world Flask's throughput against the "
                              f"{page.hello_target:.2f} target, {short:.3f} ({short / page.hello_target * 100:.0f}%) short")
        else:
            row["hello_met"] = None
        row["load_errors"] = (figures.get("non_2xx_3xx", 0) + figures.get("socket_errors", 0)) if figures and page is not TRIVIAL else 0
        if row["load_errors"]:
            misses.append(f"{page.title}: {row['load_errors']} failed responses under load")
        if page.ratio_target is not None and row["ratio"] is not None:
            row["ratio_met"] = row["ratio"] >= page.ratio_target
            if not row["ratio_met"]:
                short = page.ratio_target - row["ratio"]
                misses.append(f"{page.title}: {row['ratio']:.2f} of the trivial route's throughput against the "
                              f"{page.ratio_target:.2f} target, {short:.2f} ({short / page.ratio_target * 100:.0f}%) short")
        else:
            row["ratio_met"] = None
        rows.append(row)
    return rows, misses


def route_of(page: Page) -> str:
    return {
        "trivial": "GET /bench/trivial",
        "dashboard": "GET /dashboard",
        "course": "GET /courses/<slug>/",
        "lesson": "GET /courses/<slug>/lessons/<lesson>",
        "quiz_attempt": "GET /quiz-attempts/<id>",
        "quiz_submit": "POST /quiz-attempts/<id>/submit",
        "mentor_queue": "GET /reviews/",
        "review": "GET /submissions/<id>",
        "pdf_first": "GET /certificates/<public_id>.pdf",
        "pdf_cached": "GET /certificates/<public_id>.pdf",
        "verify": "GET /verify/<public_id>",
        "verify_json": "GET /api/v1/certificates/<public_id>",
        "admin_people": "GET /admin/users",
        "admin_cohorts": "GET /admin/cohorts",
        "admin_cohort": "GET /admin/cohorts/<id>",
        "cohort_report": "GET /admin/cohorts/<id>/report",
        "report_csv": "POST /admin/cohorts/<id>/report.csv",
        "grades_csv": "POST /admin/cohorts/<id>/grades.csv",
        "audit_log": "GET /admin/audit",
    }.get(page.key, page.key)


# --- Markdown


def _mark(flag) -> str:
    return "–" if flag is None else ("yes" if flag else "**NO**")


def _num(value, digits=1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _database_section(database: dict) -> list[str]:
    rows, misses = evaluate(database)
    database["evaluation"] = {"rows": rows, "misses": misses}
    scales = database["scales"]
    large = scales[-1]
    lines = [f"## {database['label']}", ""]
    for scale in scales:
        world = scale["world"]
        lines.append(f"- **{scale['scale']['name']}** seed: {scale['description']}; seeded in {world['seconds']:.1f} s; "
                     f"pages measured in {scale['seconds']:.1f} s.")
    rows_large = large["world"]["rows"]
    lines.append("- Rows at " + large["scale"]["name"] + ": " + ", ".join(f"{k} {v:,}" for k, v in rows_large.items()) + ".")
    load = database.get("load") or {}
    if load.get("routes"):
        lines.append(f"- Load: gunicorn {load['workers']} workers, `wrk -t{load['threads']} -c{load['connections']} "
                     f"-d{load['seconds']:.0f}s` per route at the {large['scale']['name']} seed; trivial route "
                     f"{load['trivial']['before']['requests_per_s']:,.0f} req/s before the pages and "
                     f"{load['trivial']['after']['requests_per_s']:,.0f} after (mean used for the ratios).")
        if load.get("hello"):
            lines.append(f"- Hello-world Flask (`bench/hello.py`, same gunicorn and wrk settings): "
                         f"{load['hello']['before']['requests_per_s']:,.0f} req/s before the LMS and "
                         f"{load['hello']['after']['requests_per_s']:,.0f} after (mean used for the × hello ratios).")
    elif load.get("skipped"):
        lines.append(f"- Load: not measured ({load['skipped']}).")
    lines.append(f"- Total for this database: {database['seconds']:.0f} s.")
    small_name, large_name = scales[0]["scale"]["name"], large["scale"]["name"]
    lines += ["", f"| Page | Route | Queries {small_name} | Queries {large_name} | Constant | Median ms | p95 ms "
                  f"| p95 target | p95 met | req/s | × trivial | Target | Met | × hello | Target | Met |",
              "|---|---|--:|--:|:-:|--:|--:|--:|:-:|--:|--:|--:|:-:|--:|--:|:-:|"]
    for row in rows:
        p95_target = "–" if row["p95_target_ms"] is None else f"< {row['p95_target_ms']:.0f}"
        ratio_target = "–" if row["ratio_target"] is None else f"≥ {row['ratio_target']:.2f}"
        hello_target = "–" if row["hello_target"] is None else f"≥ {row['hello_target']:.2f}"
        lines.append(
            f"| {row['title']} | `{row['route']}` | {row['queries_small']} | {row['queries_large']} "
            f"| {_mark(row['queries_constant'])} | {_num(row['median_ms'])} | {_num(row['p95_ms'])} "
            f"| {p95_target} | {_mark(row['p95_met'])} "
            f"| {_num(row['requests_per_s'], 0)} | {_num(row['ratio'], 2)} "
            f"| {ratio_target} | {_mark(row['ratio_met'])} "
            f"| {_num(row['hello_ratio'], 3)} | {hello_target} | {_mark(row['hello_met'])} |")
    for key, title in NOT_BUILT:
        lines.append(f"| {title} | – | not built yet | | | | | | | | | | | | | |")
    lines += ["", "**Targets missed:**" if misses else "**Every target is met.**", ""]
    lines += [f"- {miss}" for miss in misses]
    if misses:
        lines.append("")
    return lines


def _samples_of(key: str) -> int | None:
    return next(page.samples for page in PAGES if page.key == key)


def markdown(run: dict) -> str:
    m = run["machine"]
    versions = ", ".join(f"{d['label']} {d['version']}" for d in run["databases"])
    lines = [
        "# Skyfront LMS performance report",
        "",
        f"- **Date:** {run['date']}",
        f"- **Machine:** {m['cpu']}, {m['cpus']} CPUs, {m['memory_gib']} GiB RAM; {m['os']} (host {m['host']})",
        f"- **Software:** Python {m['python']}, {versions}, SQLAlchemy {m['sqlalchemy']}, Flask {m['flask']}, "
        f"gunicorn {m['gunicorn'] or '–'}, wrk {run['settings'].get('wrk') or '–'}",
        f"- **Load average** (1 min) when the run started: {_num(run['load_average']['start'], 2)}, when it ended: "
        f"{_num(run['load_average']['end'], 2)} (on {m['cpus']} CPUs; much above 1 means something else was busy "
        "and the timings are pessimistic).",
        f"- **Run:** `{run['settings']['command']}`, {run['seconds']:.0f} s in all; scales "
        f"{', '.join(run['settings']['scales'])}; {run['settings']['samples']} timed requests per page in-process "
        f"({_samples_of('pdf_first')} for the first PDF render).",
        "",
        "Targets: every page a constant number of SQL queries (the same at the small and the large seed); "
        "lesson and verification pages (HTML and JSON) at least 0.50 of the trivial route's throughput; "
        "as a share of a hello-world Flask app's throughput measured in the same run (issue 18): trivial route "
        "0.80, lesson, dashboard and quiz attempt page 0.10, course page 0.08, mentor queue and review page 0.05, "
        "cohort report 0.01; "
        "p95 server time under 50 ms at the large seed for every page except the PDF's first render (under 500 ms), "
        "the cohort report (under 100 ms; a cohort of the large seed has 100 trainees) and its streamed CSV exports "
        "(whole body under 500 ms).",
        "",
    ]
    for database in run["databases"]:
        lines += _database_section(database)
    lines += [
        "## How it was measured",
        "",
        "- **Seed:** `bench/seed.py` imports `courses/` and bulk-inserts the program into a fresh database "
        "(tables dropped and created). The measured trainee, mentor and certificate have the same shape at every "
        "size; the cohorts, the mentor's queue and every table grow.",
        "- **Queries and server time:** in-process with Flask's test client, each request in its own app context "
        "(as in production), after warm-up requests; SQL statements counted with a `before_cursor_execute` "
        "listener; time is the whole request through the WSGI app with the body read, median and p95 "
        "(nearest rank). The quiz submit samples each submit a fresh attempt started and answered beforehand "
        "(untimed); the first-render PDF samples each drop the stored PDF beforehand (untimed).",
        "- **Throughput:** gunicorn with 2 sync workers on 127.0.0.1 and wrk on the same machine (they share its "
        "CPUs), a logged-in session cookie for the trainee and mentor pages, none for the verification pages. "
        "The trivial route `GET /bench/trivial` exists only in the bench's app (`bench/app.py`): it returns "
        "\"ok\" through the whole request pipeline (session cookie verified, hooks, security headers) without "
        "touching the database or a template. It is measured before and after the pages in the same run, and "
        "every page's figure is reported as a ratio to it, so runs on different machines compare. "
        "A hello-world Flask app (`bench/hello.py`, one route returning a string) runs under the same gunicorn "
        "settings and wrk load before and after the LMS: the × hello column is each page's share of it, the "
        "distance to the physical limit of Flask on this machine. "
        "Submit and first PDF render are not load-tested (each request needs its own set-up).",
        "- **PostgreSQL** gets `VACUUM ANALYZE` after the bulk load (as autovacuum would), so that its plans "
        "use statistics and autovacuum does not run during the measurements; its other settings are the "
        "server's (JIT on by default). SQLite is used as the app leaves it (no `ANALYZE`).",
        "- **Rate limits are off** in the bench's app (`RATELIMIT_ENABLED=False`): every request comes from "
        "127.0.0.1, and the verification routes allow 60 look-ups a minute per address.",
        "- **Admin pages** are measured as an admin of the program; the cohort report, its CSV and the grades CSV "
        "are for the measured trainee's cohort (100 trainees at the large seed, both courses, the first shown). "
        "The CSV figures are the whole streamed body.",
        "",
        "Reproduce: `make bench` (SQLite; with `LMS_DATABASE_URL=postgresql+psycopg://…` PostgreSQL too, in a "
        "database of its own: the bench drops and recreates every table). `BENCH_SCALE=small make bench` for a "
        "quick run; `BENCH_LOAD_SECONDS`, `BENCH_SAMPLES` change the durations.",
        "",
    ]
    return "\n".join(lines)


def write(run: dict, results_dir: Path, report_path: Path) -> list[Path]:
    """``results/<date>-<db>.md`` and ``.json`` per database, and the whole run as ``REPORT.md``."""
    text = markdown(run)  # also fills in each database's evaluation
    results_dir.mkdir(parents=True, exist_ok=True)
    day = run["date"][:10]
    written = []
    for database in run["databases"]:
        single = {**run, "databases": [database]}
        stem = results_dir / f"{day}-{database['name']}"
        stem.with_suffix(".md").write_text(markdown(single), encoding="utf-8")
        stem.with_suffix(".json").write_text(json.dumps(single, indent=2, ensure_ascii=False, default=str) + "\n",
                                             encoding="utf-8")
        written += [stem.with_suffix(".md"), stem.with_suffix(".json")]
    report_path.write_text(text, encoding="utf-8")
    written.append(report_path)
    return written
