# Two entry points: `make run` (serve the demo) and `make test` (the whole suite).
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

.PHONY: run test venv db clean

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

# The browser tests (tests/browser) drive Debian's Chromium (and read the PDFs it prints with pdftotext, from
# poppler-utils), and the PDF report needs Pango: what is missing
# is installed first (as root, or through sudo). If that fails those tests fail loudly; they never skip.
test: venv
	@missing=""; [ -x /usr/bin/chromium ] || missing="chromium"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	{ ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || \
	  missing="$$missing libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; \
	  else sudo="none"; fi; \
	  if [ "$$sudo" = none ]; then echo "make test: $$missing missing and neither root nor sudo is" \
	    "available; the browser and PDF tests will fail" >&2; \
	  else echo "make test: installing $$missing (apt-get)"; \
	    $$sudo apt-get update -qq && \
	    $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing \
	    || echo "make test: could not install $$missing; the browser and PDF tests will fail" >&2; \
	  fi; \
	fi
	$(BIN)/python -m pytest -n auto --maxprocesses 4

clean:
	rm -rf $(VENV) .pytest_cache
