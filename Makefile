# Skyfront LMS — everything runs from a project-local virtualenv (.venv).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: assets run test test-e2e test-multi test-all install install-dev translations extract-messages update-catalogs db courses demo clean bench mutation

# Installed marker files: reinstall when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

$(VENV)/.installed-e2e: pyproject.toml $(VENV)/.installed-dev
	$(BIN)/pip install --quiet -e '.[dev,e2e]'
	touch $@

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed-dev
	$(BIN)/pip install --quiet -e '.[prod,dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Compile the catalogs (.po -> .mo); .mo files are build output, not committed.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d translations --statistics 2>&1 | tail -n +1

## After changing UI strings: re-extract messages.pot and merge it into the catalogs.
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  --project "Skyfront LMS" --copyright-holder "Skyfront LMS" -o translations/messages.pot .
update-catalogs: extract-messages
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

## Front-end assets: npm ci (exact versions from package-lock.json), then static/src/build.mjs writes the
## fingerprinted files and manifest under static/dist. The build is committed: running and testing need only Python.
assets:
	npm ci --ignore-scripts --no-audit --no-fund
	npm run build

db: $(VENV)/.installed
	$(FLASK) db upgrade

courses: db
	$(FLASK) lms import-courses

## The try-it path: install, migrate, import courses, demo accounts (new database only), then the web server
## and the job worker (mail, certificate PDFs, reminders, scheduled work) together; Ctrl+C stops both.
## Absolute links (mails, certificates) follow HOST and PORT unless LMS_BASE_URL is set.
run: export LMS_BASE_URL ?= http://$(HOST):$(PORT)
run: translations courses
	$(FLASK) lms demo
	@echo ""
	@echo "Skyfront LMS is running at http://$(HOST):$(PORT)/  (Ctrl+C to stop the server and the worker)"
	@echo ""
	@$(FLASK) lms worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(FLASK) run --host $(HOST) --port $(PORT)

## The whole unit and page test suite (SQLite, or LMS_DATABASE_URL when set).
test: $(VENV)/.installed-dev
	$(BIN)/pybabel compile -d translations --statistics
	$(BIN)/python -m pytest

## Browser tests in Debian's Chromium (apt-get install chromium fonts-ipafont-gothic; .ci/run does it).
## On failure: a screenshot and the page HTML in test-results/.
test-e2e: $(VENV)/.installed-e2e
	$(BIN)/pybabel compile -d translations --statistics
	LMS_E2E=1 $(BIN)/python -m pytest tests/e2e -p no:cacheprovider

## Several app servers: two gunicorn servers (2 workers each) and one job worker on one PostgreSQL and one Redis
## (tests/multi). Needs LMS_DATABASE_URL (a PostgreSQL database of its own: every table is dropped) and
## LMS_REDIS_URL (its database is emptied); .ci/run starts both. Skipped by plain `make test`.
test-multi: $(VENV)/.installed-bench
	$(BIN)/pybabel compile -d translations --statistics
	LMS_MULTI_INSTANCE=1 $(BIN)/python -m pytest tests/multi -p no:cacheprovider

## Performance report: seeds a small and a large program into fresh databases (SQLite; PostgreSQL too when
## LMS_DATABASE_URL is set), measures the key pages in-process and under gunicorn + wrk on 127.0.0.1, and writes
## bench/REPORT.md and bench/results/<date>-<db>.md/.json. BENCH_SCALE=small for a quick run.
bench: $(VENV)/.installed-bench
	command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(BIN)/pybabel compile -d translations --statistics
	$(BIN)/python -m bench

## Mutation testing of the pure rules (lms/rules/ against tests/rules/, settings in pyproject.toml [tool.mutmut]).
## Slow and not part of `make test` or CI; survivors are listed at the end (`.venv/bin/mutmut show NAME` for one).
mutation: $(VENV)/.installed-dev
	$(BIN)/pip install --quiet 'mutmut>=3,<4'
	$(BIN)/mutmut run
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) .pytest_cache test-results mutants translations/*/LC_MESSAGES/*.mo
