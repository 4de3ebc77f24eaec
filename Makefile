# The README's commands. Every target installs what it needs into .venv first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PRA_HOME ?= $(CURDIR)
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
# Where `make dev` serves the UI (e.g. `make dev DEV_PORT=3001` when 3000 is taken).
DEV_HOST ?= 127.0.0.1
DEV_PORT ?= 3000
# Where the Dagster instance keeps runs, events and schedules: sqlite (files in $DAGSTER_HOME) or postgres
# (deploy/dagster-postgres.yaml; the DAGSTER_PG_* variables say which server, docs/scale-out.md).
DAGSTER_STORAGE ?= sqlite
export GX_ANALYTICS_ENABLED := False
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
# Dagster settings that are environment variables only, for `make dev`'s webserver and daemon too: one "planned"
# event per asset for a single-run range, one stored batch of per-day events per asset (docs/operations.md). The
# same values as DAGSTER_ENV in orchestration/lib/dagster_storage.py (a test keeps them equal).
export DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS ?= true
export DAGSTER_EVENT_BATCH_SIZE ?= 1000

.PHONY: install demo test test-engines bench dev lint manifest clean dagster-home FORCE

install: $(STAMP)

# uv installs the pinned set (uv's own version is pinned in constraints.txt) in about a minute on two cores, where pip
# took two and a half: it fetches and unpacks in parallel and compiles the bytecode on every core (docs/operations.md,
# "Installing"). Should uv fail (a registry only pip's own configuration reaches), pip installs the same set.
INSTALL_ARGS := -c constraints.txt -e '.[dev,engines]'
$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode $(INSTALL_ARGS) \
	  || { echo "uv could not install the project; installing it with pip"; $(BIN)/python -m pip install --quiet $(INSTALL_ARGS); }
	touch $(STAMP)

# The committed dagster.yaml plus the storage block of deploy/dagster-$(DAGSTER_STORAGE).yaml (sqlite or postgres).
# Checked on every use, so switching DAGSTER_STORAGE (or pulling a new dagster.yaml) never leaves a stale config.
dagster-home: $(DAGSTER_HOME)/dagster.yaml

$(DAGSTER_HOME)/dagster.yaml: FORCE $(STAMP)
	@$(BIN)/python -m orchestration.lib.dagster_storage $(DAGSTER_HOME) $(DAGSTER_STORAGE)

FORCE:

manifest: install
	$(BIN)/pra manifest

demo: install $(DAGSTER_HOME)/dagster.yaml manifest
	$(BIN)/pra demo

test: install $(DAGSTER_HOME)/dagster.yaml manifest
	sh tests/system_deps.sh browser
	# Two workers, one test file each at a time (module fixtures stay together), the longest files first
	# (tests/conftest.py); then the tests that time how runs take turns on the warehouse pool's slot, alone,
	# so their timing is not another test's load (docs/operations.md).
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder -m "not serial and not engines"
	$(BIN)/python -m pytest -m "serial and not engines"

# The same project on PostgreSQL and Spark, publication to PostgreSQL, Dagster on PostgreSQL (docs/scale-out.md):
# real servers and a local Spark session, started by the tests. CI runs it after `make test`.
test-engines: install $(DAGSTER_HOME)/dagster.yaml manifest
	sh tests/system_deps.sh engines
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "engines"

bench: install manifest
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# After `make demo`, the UI's daily partitions start where the demo data starts: Settings reads the default
# landing folder's manifest (docs/operations.md, "Settings").
dev: install $(DAGSTER_HOME)/dagster.yaml manifest
	$(BIN)/dagster dev -w workspace.yaml -h $(DEV_HOST) -p $(DEV_PORT)

lint: install $(DAGSTER_HOME)/dagster.yaml manifest
	$(BIN)/ruff check orchestration demo tests bench
	$(BIN)/dagster definitions validate -w workspace.yaml

clean:
	rm -rf warehouse data dbt_project/target dbt_project/logs .dagster_home
