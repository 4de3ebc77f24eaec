"""The `pra` command line wiring (the commands themselves are tested where they are implemented)."""

from pathlib import Path

import pytest

from orchestration.cli import main, published_summary
from tests.helpers import environ


def test_rollback_of_a_version_that_is_not_kept_fails_with_a_message(tmp_path: Path, capsys):
    with environ({"PRA_HOME": str(tmp_path), "PRA_WAREHOUSE_DIR": str(tmp_path / "wh")}):
        assert main(["rollback", "7"]) == 1
    assert "version 7 is not kept" in capsys.readouterr().err


def test_versions_and_published_summary_on_an_empty_warehouse(tmp_path: Path, capsys):
    with environ({"PRA_HOME": str(tmp_path), "PRA_WAREHOUSE_DIR": str(tmp_path / "wh")}):
        assert main(["versions"]) == 0
        assert published_summary() == "nothing published yet"
    assert capsys.readouterr().out.splitlines()[0].split()[:3] == ["version", "event", "as_of_date"]


def test_a_range_needs_both_ends():
    with pytest.raises(SystemExit):
        main(["run", "--start", "2024-01-01"])
