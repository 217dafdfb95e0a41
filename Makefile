# The two commands: `make run` (serve on SQLite with demo data) and `make test` (the whole suite,
# on SQLite and on a throwaway PostgreSQL server). Both set themselves up on a fresh machine.
PYTHON ?= python3
# Two workers (the machines have two cores); a test file stays on one worker so its real
# server starts once.
PYTEST_ARGS ?= -n auto --dist loadfile
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install install-test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(BIN)/accession db upgrade
	$(BIN)/accession demo --if-empty
	$(BIN)/accession serve

# Uses ACCESSION_TEST_POSTGRES_URL when set; otherwise starts a throwaway PostgreSQL server if
# its binaries are installed (Debian: apt-get install postgresql), and skips those tests if not.
test: install-test
	@if [ -n "$$ACCESSION_TEST_POSTGRES_URL" ] || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		$(BIN)/pytest $(PYTEST_ARGS); \
	else \
		eval "$$(scripts/throwaway-postgres start)"; \
		$(BIN)/pytest $(PYTEST_ARGS); status=$$?; \
		scripts/throwaway-postgres stop "$$PGTMP"; exit $$status; \
	fi

lint: install-test
	$(BIN)/ruff check app tests migrations

clean:
	rm -rf $(VENV) var .pytest_cache

# Re-extract interface text into app/locales/messages.pot and merge it into each catalogue;
# then translate what is new (tests/web/test_i18n.py fails while a message lacks French).
.PHONY: messages
messages: install
	$(BIN)/pybabel extract -F babel.cfg --project="Accession Tracker" -o app/locales/messages.pot . && \
		$(BIN)/pybabel update -i app/locales/messages.pot -d app/locales -D messages

# The load benchmark (bench/README.md): builds a synthetic data set, serves it as production does
# and prints throughput and latency beside the targets. Needs wrk (apt-get install -y wrk).
# `make bench SIZE=small`, `make bench BENCH_ARGS=--postgres`.
SIZE ?= default
BENCH_ARGS ?=
.PHONY: bench
bench: install
	$(BIN)/python -m bench.run --size $(SIZE) $(BENCH_ARGS)
