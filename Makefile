# gtfs-builder: every set-up step lives here, so a fresh machine needs only `make build` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
SOURCES := $(wildcard source/*/)
NETWORKS := $(patsubst source/%/,%,$(SOURCES))

.PHONY: build test bench lint rules consumers browser clean help

help:
	@echo "make build   create .venv, install, build + validate + publish every network in source/ to feeds/"
	@echo "make test    install test dependencies and consumers, run the whole suite"
	@echo "make bench   scaled-feed benchmarks against peers (slow; writes bench/results.md)"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Publish each network, then render the site of each published feed into feeds/<network>/.
build: $(VENV)/.installed
	@set -e; for n in $(NETWORKS); do \
	  $(BIN)/gtfs-builder publish source/$$n --feeds-dir feeds; \
	  if [ -f feeds/$$n.zip ]; then $(BIN)/gtfs-builder render feeds/$$n.zip -o feeds/$$n; fi; \
	done

# Consumers that tests load our feeds into (npm packages, PostgreSQL); see tests/consumers/.
consumers: $(VENV)/.installed-test
	bash tests/consumers/install.sh

# Headless Chromium (Debian) for the rendered-site tests; see tests/render/.
browser: $(VENV)/.installed-test
	bash tests/render/install.sh

test: $(VENV)/.installed-test consumers browser build
	$(BIN)/ruff check gtfs_builder tests bench
	$(BIN)/pytest -q

rules: $(VENV)/.installed
	$(PY) -m gtfs_builder.validate.rules_doc > RULES.md

lint: $(VENV)/.installed-test
	$(BIN)/ruff check gtfs_builder tests bench

bench: $(VENV)/.installed-test
	$(BIN)/pip install --quiet -e '.[bench]'
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .consumers
