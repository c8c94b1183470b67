# The README's commands. Each one creates the virtualenv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.lock | cksum | cut -d' ' -f1)
PORT ?= 8000

.PHONY: run test test-fast lint format bench clean lock

# Installs exactly the lock file: every package, transitive ones too, at one version and checked
# against its hashes from PyPI (pip refuses anything else). The venv's own pip does it: an
# upgraded pip would be the one unpinned download.
$(STAMP): requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	rm -f $(VENV)/.installed-* && touch $@

# After editing requirements.txt or requirements-dev.txt (the human lists): the lock files, with
# the hashes of every file PyPI has for each pinned version (all platforms). No pip configuration
# is read, so no local index or wheel directory can put its own files' hashes in.
LOCK := env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null \
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url
lock: $(STAMP)
	$(LOCK) --output-file requirements.lock requirements.txt
	$(LOCK) --output-file requirements-dev.lock requirements-dev.txt

# With no configuration: SQLite, SqliteHuey, a development key, and the built-in YouTube simulator
# (demo mode). With YOUTUBE_API_KEYS set: the web server and the worker, on the real API.
run: $(STAMP)
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} APP_PORT=$(PORT) PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/honcho -f Procfile.demo \
		start $(if $(YOUTUBE_API_KEYS),web worker,)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The suite needs no configuration: DEBUG=1 gives it a development key (Django's test runner
# still runs the code with DEBUG off). DATABASE_URL / REDIS_URL select PostgreSQL and Redis.
test: lint
	DEBUG=$${DEBUG:-1} $(BIN)/python -m pytest $(PYTEST_ARGS)

# The unit and integration tests without the slow ones (tests/conftest.py's SLOW): a quick
# check while working. `make test` (and CI) runs everything.
test-fast: lint
	DEBUG=$${DEBUG:-1} $(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

# Not part of the tests: prints tables and writes bench/results/. Needs wrk (apt-get install -y wrk).
bench: $(STAMP)
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install -y wrk"; exit 1; }
	DEBUG=1 $(BIN)/python bench/suite.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles
