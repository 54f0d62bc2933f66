# Two entry points: `make run` (serve the demo) and `make test` (the whole suite); `make test-scale` runs the tests
# that need a real PostgreSQL and Redis, and the service and realtime suites again on PostgreSQL.
# For a class on the room's network: `make run HOST=0.0.0.0` (links use this machine's network address),
# and `PUBLIC_URL=http://…` when students reach the server by another address.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
PUBLIC_URL ?=
LINKS := $(if $(strip $(PUBLIC_URL)),--public-url '$(strip $(PUBLIC_URL))')

.PHONY: run serve test test-scale venv db clean

# The test files that store exercises, run again by `make test-scale` with each app on its own PostgreSQL
# database (FACILITATOR_TEST_DATABASE=postgresql; tests/conftest.py). Tests of what only a SQLite file has
# (its PRAGMAs, backup and restore, its file's permissions) skip themselves there.
POSTGRES_SUITES := $(addprefix tests/,test_persistence.py test_exactly_once.py test_realtime.py test_api.py \
	test_exercise_control.py test_schedule.py test_restart.py test_presence.py test_integrity.py test_secrets.py test_snapshots.py \
	test_data_safety.py test_app_cli.py test_authorization.py test_export.py test_names_and_texts.py test_fuzz.py \
	test_group_commit.py test_store_fast_path.py)

# Installs the Debian packages named in the shell variable `missing`, if any (as root, or through sudo); $(1):
# the tests that fail without them. A recipe line sets `missing`, then ends with `$(call apt_install,…)`.
define apt_install
if [ -n "$$missing" ]; then \
  if [ "$$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; \
  else sudo="none"; fi; \
  if [ "$$sudo" = none ]; then echo "make $@: $$missing missing and neither root nor sudo is" \
    "available; $(1) will fail" >&2; \
  else echo "make $@: installing $$missing (apt-get)"; \
    $$sudo apt-get update -qq && \
    $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing \
    || echo "make $@: could not install $$missing; $(1) will fail" >&2; \
  fi; \
fi
endef

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

db: venv
	$(BIN)/facilitator db upgrade

run: db
	$(BIN)/facilitator demo --host $(HOST) --port $(PORT) $(LINKS)
	$(BIN)/facilitator serve --host $(HOST) --port $(PORT) $(LINKS)

# A conference on one server: gunicorn with one gevent worker (docs/deploy.md); no demo is made.
serve: db
	$(BIN)/facilitator serve --production --host $(HOST) --port $(PORT) $(LINKS)

# The browser tests (tests/browser) drive Debian's Chromium (and read the PDFs it prints with pdftotext, from
# poppler-utils), and the PDF report needs Pango: what is missing
# is installed first (as root, or through sudo). If that fails those tests fail loudly; they never skip.
# The tests marked `scale` (a real PostgreSQL and Redis) are left to `make test-scale`.
test: venv
	@missing=""; [ -x /usr/bin/chromium ] || missing="chromium"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	{ ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || \
	  missing="$$missing libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"; \
	$(call apt_install,the browser and PDF tests)
	$(BIN)/python -m pytest -n auto --maxprocesses 4 -m "not scale"

# PostgreSQL's server (Debian's postgresql) and redis-server, installed first when missing, as for `make test`;
# the tests start their own throwaway servers (tests/throwaway_servers.py) and fail loudly without them. First
# the tests marked `scale`, then $(POSTGRES_SUITES) on PostgreSQL.
test-scale: venv
	@missing=""; ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || \
	  missing="postgresql"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	$(call apt_install,the PostgreSQL and Redis tests)
	$(BIN)/python -m pytest -n auto --maxprocesses 4 -m scale
	FACILITATOR_TEST_DATABASE=postgresql $(BIN)/python -m pytest -n auto --maxprocesses 4 $(POSTGRES_SUITES)

clean:
	rm -rf $(VENV) .pytest_cache
