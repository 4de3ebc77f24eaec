"""Fixtures shared by the suite. The small-preset pipeline runs once per session and is read by many tests."""

from __future__ import annotations

from datetime import date

import pytest

from tests.helpers import PipelineDirs, run_pipeline


@pytest.fixture(scope="session")
def small_pipeline(tmp_path_factory: pytest.TempPathFactory) -> PipelineDirs:
    """The small demo preset, generated and run end to end through Dagster (read-only for tests)."""
    from demo.generator import generate

    dirs = PipelineDirs(tmp_path_factory.mktemp("small_pipeline"))
    generate(dirs.landing, "small")
    manifest = dirs.manifest()
    result = run_pipeline(dirs, date.fromisoformat(manifest["start"]), date.fromisoformat(manifest["end"]))
    assert result.success, "the small-preset pipeline run failed; see the Dagster log above"
    return dirs
