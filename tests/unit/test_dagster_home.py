"""`make dagster-home`: the instance config is the committed dagster.yaml, plus the PostgreSQL storage block on demand.

The PostgreSQL instance itself (and the tables `make dagster-home` creates in it) runs in
tests/engines/test_dagster_postgres.py.
"""

import os
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def make_home(home: Path, storage: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAGSTER_")} | {"DAGSTER_HOME": str(home)}
    cmd = ["make", "-s", "-o", ".venv/.installed", "dagster-home", f"DAGSTER_STORAGE={storage}"]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)


def test_the_postgres_home_is_the_committed_config_plus_the_storage_block_and_switches_back(tmp_path: Path):
    committed = yaml.safe_load((REPO / "dagster.yaml").read_text())
    storage = yaml.safe_load((REPO / "deploy" / "dagster-postgres.yaml").read_text())
    sqlite = yaml.safe_load((REPO / "deploy" / "dagster-sqlite.yaml").read_text())
    # Each storage file holds only the storage block; the committed file none (no block in two files).
    assert list(storage) == ["storage"] and list(sqlite) == ["storage"] and "storage" not in committed
    # Without the connection variables the config is written, and make says which variables Dagster's tables wait on.
    made = make_home(tmp_path, "postgres")
    assert made.returncode != 0
    assert "Dagster's tables are not created: set DAGSTER_PG_HOST, DAGSTER_PG_PORT, DAGSTER_PG_DB" in made.stderr
    assert yaml.safe_load((tmp_path / "dagster.yaml").read_text()) == {**committed, **storage}
    # Every connection field comes from the environment; the only literal is the driver.
    db = storage["storage"]["postgres"]["postgres_db"]
    assert {k: v for k, v in db.items() if k != "scheme"} == {
        "hostname": {"env": "DAGSTER_PG_HOST"},
        "port": {"env": "DAGSTER_PG_PORT"},
        "db_name": {"env": "DAGSTER_PG_DB"},
        "username": {"env": "DAGSTER_PG_USERNAME"},
        "password": {"env": "DAGSTER_PG_PASSWORD"},
    }
    # Back to SQLite on the same home: the committed file and the SQLite block, byte for byte.
    assert make_home(tmp_path, "sqlite").returncode == 0
    text = (tmp_path / "dagster.yaml").read_text()
    assert text == (REPO / "dagster.yaml").read_text() + (REPO / "deploy" / "dagster-sqlite.yaml").read_text()
    assert yaml.safe_load(text)["storage"]["custom"]["class"] == "PooledSqliteStorage"


def test_an_unknown_storage_is_refused(tmp_path: Path):
    made = make_home(tmp_path, "mysql")
    assert made.returncode != 0 and "DAGSTER_STORAGE must be sqlite or postgres" in made.stderr
    assert not (tmp_path / "dagster.yaml").exists()


def test_make_gives_make_dev_the_dagster_settings_pra_and_the_tests_use():
    """`make dev`'s webserver and daemon create runs without importing the project: the Makefile exports the same
    Dagster environment settings as DAGSTER_ENV, which `pra`, the bench and the tests set."""
    from orchestration.lib.dagster_storage import DAGSTER_ENV

    env = {k: v for k, v in os.environ.items() if not k.startswith("DAGSTER_")}
    names = " ".join(DAGSTER_ENV)
    printed = subprocess.run(
        ["make", "-s", "--eval", f"print-env: ; @for n in {names}; do printenv $$n || echo unset; done", "print-env"],
        cwd=REPO, env=env, capture_output=True, text=True, check=True,
    ).stdout.split()
    assert dict(zip(DAGSTER_ENV, printed, strict=True)) == DAGSTER_ENV
