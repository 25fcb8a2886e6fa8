"""Browser tests: the app in a live server on 127.0.0.1 (random port, fresh database), driven by Debian's Chromium.

Run by ``make test-e2e`` (and by .ci/run), not by ``make test``. On failure, a screenshot and the page HTML are
saved under ``test-results/`` and their paths printed.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from lms import create_app
from tests.content.helpers import import_courses  # imports and commits, as the CLI does
from lms.extensions import db
from lms.models import Role
from lms.services import accounts

from ..conftest import PASSWORD, REPO

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
RESULTS = REPO / "test-results"
PEOPLE = {
    "admin": ("admin@example.org", "Program Office", "プログラム事務局", {Role.ADMIN}, "en"),
    "mentor": ("mentor@example.org", "Maria Mentor", "メンター 真理", {Role.MENTOR}, "en"),
    "trainee": ("trainee@example.org", "Taro Yamada", "山田 太郎", {Role.TRAINEE}, "en"),
    "keyboard": ("keys@example.org", "Hana Suzuki", "鈴木 花", {Role.TRAINEE}, "ja"),
    # Only test_review_and_certificate.py uses the founder: their course is completed in the database.
    "founder": ("founder@example.org", "Kenji Sato", "佐藤 健司", {Role.TRAINEE}, "ja"),
}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e")
    app = create_app({
        "SECRET_KEY": "e2e-secret-key-for-browser-tests-only",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'e2e.sqlite'}",
        "INSTANCE_PATH": str(folder / "instance"),
        "SMTP_HOST": None,
    })
    with app.app_context():
        db.create_all()
        import_courses(REPO / "courses")
        for email, latin, ja, roles, locale in PEOPLE.values():
            profile = accounts.Profile(name_ja=ja, name_latin=latin, organisation="Skyfront Bio", locale=locale)
            accounts.create_user(email, PASSWORD, profile, roles)
        db.session.commit()  # the set-up is one unit of work, like a CLI command
        db.session.remove()
    return app


@pytest.fixture(scope="session")
def base_url(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    live_app.config["BASE_URL"] = url  # absolute links (share links, QR codes) point at this server
    # A real job queue (Huey on a SQLite file in the instance folder) and a worker beside the server, as `make run`.
    from lms.jobs import huey

    worker = huey.create_consumer(workers=2, worker_type="thread", periodic=True, initial_delay=0.05,
                                  max_delay=0.5)
    worker.start()
    yield url
    worker.stop(graceful=True)
    server.shutdown()


@pytest.fixture
def in_app(live_app):
    """``with in_app(): ...`` to read the database the server writes, or to write as a CLI command would
    (one unit of work, committed when the block ends without an error)."""
    @contextmanager
    def context():
        with live_app.app_context():
            yield
            db.session.commit()
    return context


# Werkzeug's development server, which serves the app to the browser here, does not close a static file whose
# download the browser abandons (it navigates on while a font is still arriving); the file is closed by the garbage
# collector, which Python reports as an "unclosed file" and the suite's filterwarnings=error turns into a failure
# of whichever test is running. Production servers close it. Only that report, for the built assets, is ignored.
ABANDONED_ASSET = (r"ignore:Exception ignored in. <_io\.(FileIO|BufferedReader) name='[^']*/static/dist/"
                   r":pytest.PytestUnraisableExceptionWarning")


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.filterwarnings(ABANDONED_ASSET))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and page is not None:
        RESULTS.mkdir(exist_ok=True)
        stem = RESULTS / item.name.replace("/", "_")
        try:
            page.screenshot(path=f"{stem}.png", full_page=True)
            Path(f"{stem}.html").write_text(page.content(), encoding="utf-8")
            print(f"\nsaved {stem}.png and {stem}.html (page {page.url})")
        except Exception as error:  # the page may be gone; the test's own error matters more
            print(f"\ncould not save the page: {error}")


def log_in(page, who: str) -> None:
    email = PEOPLE[who][0]
    page.goto("/auth/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_url(lambda url: "/auth/login" not in url)


def tab_to(page, selector: str, limit: int = 120) -> None:
    """Press Tab until the focused element matches ``selector``: proves it is reachable by keyboard."""
    page.wait_for_load_state()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} is not reachable with Tab")
