# `make run` and `make test` set everything up themselves on a fresh machine.
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app server
STAMP := $(VENV)/.installed

.PHONY: run test test-api test-e2e lint bench pwa clean conformance

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

node_modules/.installed: package.json
	@if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
	touch node_modules/.installed

# The PWA is built when its sources are present (package.json at the top).
pwa:
	@if [ -f package.json ]; then $(MAKE) node_modules/.installed && npm run build; \
	else echo "no package.json: PWA build skipped"; fi

# gunicorn reads its settings from gunicorn.conf.py.
run: $(STAMP) pwa
	$(FLASK) init-db
	$(FLASK) seed-demo
	$(VENV)/bin/gunicorn server.wsgi:app

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: $(STAMP) pwa lint
	$(VENV)/bin/pytest

# The API and sync tests alone, e.g. against PostgreSQL: make test-api DATABASE_URL=...
test-api: $(STAMP)
	$(VENV)/bin/pytest tests/unit tests/api tests/sync

# The protocol conformance suite against any server with the demo logins:
# make conformance URL=https://wijkpost.example   (without URL it starts the app itself)
conformance: $(STAMP)
	WIJKPOST_CONFORMANCE_URL=$(URL) $(VENV)/bin/pytest tests/protocol

# The CouchDB-style baseline (bench/couch) loads LevelDB from the prebuilt binary in its
# package: no install script needs to run.
bench/couch/node_modules/.installed: bench/couch/package.json bench/couch/package-lock.json
	cd bench/couch && npm ci --ignore-scripts --no-audit --no-fund
	touch bench/couch/node_modules/.installed

bench: $(STAMP) bench/couch/node_modules/.installed
	$(PY) bench/sync_bench.py

clean:
	rm -rf $(VENV) node_modules pwa/dist bench/couch/node_modules
