# The two commands of the README: `make dev` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# the webserver, and pandas for examples/article/analytics.py
DEV_EXTRAS := ui,pandas

.PHONY: dev test lint typecheck bench bench-dbt clean ui screenshots

# The web UI (ui/, React + Vite) is built into the package; rebuilt when its sources change.
UI_OUT := src/headwater/server/static/index.html
UI_SRC := $(shell find ui/src ui/public -type f 2>/dev/null) ui/index.html ui/package.json \
	ui/package-lock.json ui/vite.config.ts ui/tsconfig.json

# `make test` installs everything (the `dev` extra); `make dev` only the webserver and what the
# example project imports, so that the UI is up in about a minute. Each has its own stamp.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q -U pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

$(DEV_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q -U pip
	$(BIN)/python -m pip install -q -e '.[$(DEV_EXTRAS)]'
	touch $(DEV_STAMP)

# The web UI, daemon and code server on http://127.0.0.1:3000 (Ctrl-C stops them all).
dev: $(DEV_STAMP) ui
	$(BIN)/headwater dev -f examples/article/analytics.py -p 3000 -h 127.0.0.1

# The suite runs on two pytest-xdist workers (a test file stays on one worker: its module fixtures
# start servers once); most tests wait on real processes, so two workers fit two cores.
test: $(STAMP) ui
	$(BIN)/ruff check src tests examples bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadfile --durations=25 -rs

# The docs site into build/site/ (open build/site/index.html); --strict fails on any warning:
# a broken link or anchor, a page left out of the nav, an API name the reference cannot resolve.
.PHONY: docs
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

lint: $(STAMP)
	$(BIN)/ruff check src tests examples bench

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/run.py

# dbt build alone vs headwater_dbt vs dagster-dbt on examples/warehouse (bench/README.md).
bench-dbt: $(STAMP)
	$(BIN)/python bench/dbt.py

ui: $(UI_OUT)

# docs/ui.md's pictures are taken by the browser suite: run it (each test saves what it shows
# to build/ui-screenshots/), then copy the pictures docs/ui.md names into docs/img/.
screenshots: $(STAMP) ui
	rm -rf build/ui-screenshots
	$(BIN)/python -m pytest tests/ui -q -p no:cacheprovider
	for f in $$(grep -o 'img/[a-z0-9-]*\.png' docs/ui.md | sort -u); do \
		cp build/ui-screenshots/$${f#img/} docs/$$f || exit 1; done

$(UI_OUT): $(UI_SRC)
	cd ui && npm ci --no-audit --no-fund && npm run build

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
