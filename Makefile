# Funnelhouse: `make run` and `make test` work on a fresh clone with only python3.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
LANDING ?= data/landing
# Dagster's instance: runs started by `make run` are kept here and show in `make dev` and `make up`.
DAGSTER_HOME ?= $(CURDIR)/data/dagster

.PHONY: install install-spark landing-zone run up test test-spark lint format bench dev docs dashboard clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv

# Installs exactly the versions in uv.lock (test tools included), and the project itself.
$(VENV)/.installed: pyproject.toml uv.lock | $(BIN)/python
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --inexact --extra test --python $(BIN)/python
	touch $@

install: $(VENV)/.installed

# The same, with dbt-spark and pyspark for the Spark target (README "Spark"); Spark also needs Java 17 or later.
$(VENV)/.installed-spark: pyproject.toml uv.lock | $(BIN)/python
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --inexact --extra test --extra spark --python $(BIN)/python
	touch $@

install-spark: $(VENV)/.installed-spark

# The demo shop, written when there is no landing zone: `make run` and `make up` work on a fresh clone.
landing-zone: install
	@if [ ! -d "$${FUNNELHOUSE_LANDING:-$(LANDING)}" ]; then \
		echo "No landing zone at $${FUNNELHOUSE_LANDING:-$(LANDING)}: generating the demo shop"; \
		$(BIN)/funnelhouse generate --out "$${FUNNELHOUSE_LANDING:-$(LANDING)}"; \
	fi

run: landing-zone $(DAGSTER_HOME)/dagster.yaml
	DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/funnelhouse run

# The production service in the foreground (README "Run it in production"): the Dagster daemon with the hourly
# schedule and the landing sensor on, and the Dagster UI on http://$(UP_HOST):$(UP_PORT), until Ctrl-C.
UP_HOST ?= 127.0.0.1
UP_PORT ?= 3000
up: landing-zone
	DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/funnelhouse serve --host $(UP_HOST) --port $(UP_PORT)

# Two test processes (pytest-xdist), each taking whole files: a file's module fixtures are built once, and the
# files with the longest setups start first (tests/conftest.py). The Spark tests are `make test-spark`'s.
TEST_WORKERS ?= 2
test: install
	$(BIN)/pytest -m "not spark" -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=25

# The same shop built on DuckDB and on Spark, every public mart compared row for row (tests/spark/).
test-spark: install-spark
	$(BIN)/pytest -m spark tests/spark --durations=25

lint: install
	$(BIN)/ruff check orchestration tests
	$(BIN)/ruff format --check orchestration tests
	cd dbt_project && ../$(BIN)/sqlfluff lint models

format: install
	$(BIN)/ruff check --fix orchestration tests
	$(BIN)/ruff format orchestration tests

bench: install
	$(BIN)/python -m orchestration.benchmark

dev: install $(DAGSTER_HOME)/dagster.yaml
	DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/dagster dev -w workspace.yaml

# The dbt documentation site (every model and column, lineage from sources to marts), built from the serving
# copy with the readers' target, so it never waits for a run: after `make run`.
DOCS_PORT ?= 8080
docs: install
	cd dbt_project && ../$(BIN)/dbt docs generate --target-path target/docs --log-path target/docs
	cd dbt_project && ../$(BIN)/dbt docs serve --target-path target/docs --log-path target/docs --port $(DOCS_PORT) --no-browser

# The analysts' dashboard over the serving copy (FUNNELHOUSE_SERVING_DB), read-only: http://localhost:$(DASHBOARD_PORT)
DASHBOARD_PORT ?= 8501
dashboard: install
	$(BIN)/streamlit run orchestration/dashboard/app.py --server.headless true \
		--browser.gatherUsageStats false --client.toolbarMode viewer --server.port $(DASHBOARD_PORT)

# The instance settings (one run at a time) live in the repository; Dagster reads them from DAGSTER_HOME.
$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

clean:
	rm -rf data dbt_project/target dbt_project/logs
