"""Fixtures shared by the suite. The small-preset pipeline runs once per session and is read by many tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.lib.dagster_storage import use_dagster_env
from tests.helpers import DBT_PROJECT_DIR, PipelineDirs, built_once_per_session, run_pipeline

# Runs started by a lone `pytest` get the Dagster settings `make test`, `pra` and the bench give theirs.
use_dagster_env()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Parse the dbt project once, before any worker starts, when the manifest is older than the project.

    `make test` has just built it; a lone `pytest tests/...` gets a fresh one. Never inside a test: a worker
    rewriting target/manifest.json while another loads the definitions would read half a file.
    """
    if hasattr(session.config, "workerinput"):
        return
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    sources = [p for p in DBT_PROJECT_DIR.rglob("*") if p.suffix in (".sql", ".yml", ".md") and "target" not in p.parts]
    if not manifest.exists() or max(p.stat().st_mtime for p in sources) > manifest.stat().st_mtime:
        from orchestration.cli import build_manifest

        build_manifest()


# The test files `make test` starts first, in this order: the longest (several whole pipeline runs, a UI server,
# killed processes), and early among them a reader of `small_pipeline`, so that shared run is built while the other
# worker is still busy with a long file rather than while it waits for it. `make test` hands whole files to its
# two workers in collection order (`--dist loadfile --no-loadscope-reorder`); by default pytest-xdist starts the
# files with the most tests first, which left test_incremental.py's six minutes running alone at the end. Only
# the order changes: a stale list costs time, never a result.
FILES_FIRST = (
    "tests/integration/test_incremental.py",
    "tests/integration/test_dagster_ui.py",
    "tests/e2e/test_marts_recompute.py",
    "tests/corpus/test_corpus.py",
    "tests/integration/test_quality_gates.py",
    "tests/integration/test_publication.py",
    "tests/integration/test_operations_concurrency.py",
    "tests/integration/test_rejudge.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """FILES_FIRST first, in that order; every other file after them, in the order collected."""
    missing = [path for path in FILES_FIRST if not (DBT_PROJECT_DIR.parent / path).exists()]
    if missing:  # a renamed file would quietly lose its place
        raise pytest.UsageError(f"tests/conftest.py FILES_FIRST names files that do not exist: {missing}")
    rank = {path: i for i, path in enumerate(FILES_FIRST)}
    position = {id(item): i for i, item in enumerate(items)}
    items.sort(key=lambda item: (rank.get(item.nodeid.split("::")[0], len(rank)), position[id(item)]))


@pytest.fixture(scope="session")
def small_pipeline(tmp_path_factory: pytest.TempPathFactory) -> PipelineDirs:
    """The small demo preset, generated and run end to end through Dagster (read-only for tests).

    The weekly job: the nightly work plus the predictive fit, so the published marts carry its scores. Built once per
    session and shared by the xdist workers (tests/helpers.py, `built_once_per_session`).
    """

    def build(root: Path) -> None:
        from demo.generator import generate

        dirs = PipelineDirs(root)
        generate(dirs.landing, "small")
        result = run_pipeline(dirs, *dirs.landing_range(), job_name="partner_retention_weekly_job")
        assert result.success, "the small-preset pipeline run failed; see the Dagster log above"

    return PipelineDirs(built_once_per_session(tmp_path_factory, "small_pipeline", build))


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server on 127.0.0.1 for this test session (tests/postgres_server.py).

    Skips where the server binaries are missing; fails on CI (CI set), where `make test-engines` installs them.
    """
    import os

    from tests import postgres_server as pg

    reason = pg.available()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with pg.running_server() as server:
        yield server
