"""The `pra` command line wiring (the commands themselves are tested where they are implemented)."""

from datetime import date
from pathlib import Path

import pytest

from orchestration.cli import dagster_home, main, published_summary
from orchestration.lib.dagster_storage import instance_config
from orchestration.lib.settings import Settings
from tests.helpers import environ


def test_runs_are_recorded_in_the_projects_dagster_home_unless_set(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with environ({"PRA_HOME": str(tmp_path)}):
        home = dagster_home(Settings.from_env())
    assert home == tmp_path / ".dagster_home"
    assert (home / "dagster.yaml").read_text() == instance_config("sqlite")  # as `make dev` writes it
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "elsewhere"))
    assert dagster_home(Settings.from_env()) == tmp_path / "elsewhere"


def test_rollback_of_a_version_that_is_not_kept_fails_with_a_message(tmp_path: Path, capsys):
    with environ({"PRA_HOME": str(tmp_path), "PRA_WAREHOUSE_DIR": str(tmp_path / "wh")}):
        assert main(["rollback", "7"]) == 1
    assert "version 7 is not kept" in capsys.readouterr().err


def test_versions_and_published_summary_on_an_empty_warehouse(tmp_path: Path, capsys):
    with environ({"PRA_HOME": str(tmp_path), "PRA_WAREHOUSE_DIR": str(tmp_path / "wh")}):
        assert main(["versions"]) == 0
        assert published_summary() == "nothing published yet"
    assert capsys.readouterr().out.splitlines()[0].split()[:3] == ["version", "event", "as_of_date"]


def test_report_without_a_published_version_says_so(tmp_path: Path, capsys):
    with environ({"PRA_HOME": str(tmp_path), "PRA_WAREHOUSE_DIR": str(tmp_path / "wh")}):
        assert main(["report"]) == 1
    assert "nothing published yet" in capsys.readouterr().err
    assert not (tmp_path / "wh" / "report").exists()


def test_a_range_needs_both_ends():
    with pytest.raises(SystemExit):
        main(["run", "--start", "2024-01-01"])


class _Result:
    run_id, success, all_events = "r-1", True, []


def test_run_and_backfill_are_one_range_run_with_per_run_options(monkeypatch, capsys):
    import orchestration.cli as cli

    calls = []
    def fake_run_range(first, last, settings, **kw):
        calls.append((first, last, kw))
        return _Result()

    monkeypatch.setattr(cli, "run_range", fake_run_range)
    assert main(["run", "--start", "2024-01-01", "--end", "2024-03-31"]) == 0
    assert main(["backfill", "--start", "2024-01-01", "--end", "2024-03-31", "--full-refresh"]) == 0
    assert main(["run", "--start", "2024-01-01", "--end", "2024-03-31", "--allow-volume-jump"]) == 0
    assert main(["run", "--start", "2024-01-01", "--end", "2024-03-31", "--accept-mass-change"]) == 0
    assert main(["run", "--start", "2024-01-01", "--end", "2024-03-31", "--predict"]) == 0
    first, last = date(2024, 1, 1), date(2024, 3, 31)
    off = {
        "persistent": True,
        "full_refresh": False,
        "allow_volume_jump": False,
        "accept_mass_change": False,
        "predict": False,
    }
    assert calls == [
        (first, last, off),
        (first, last, off | {"full_refresh": True}),
        (first, last, off | {"allow_volume_jump": True}),
        (first, last, off | {"accept_mass_change": True}),
        (first, last, off | {"predict": True}),
    ]
    assert main(["run", "--start", "2024-01-01", "--end", "2024-03-31", "--no-record"]) == 0
    assert calls[-1] == (first, last, off | {"persistent": False})
    log = Settings.from_env().warehouse_dir / "logs" / "pra-r-1.log"
    lines = [f"run r-1: success; full log: {log}", "nothing published by this run"]
    assert capsys.readouterr().out.splitlines() == lines * 6


def test_a_range_before_the_partitions_start_is_refused_in_one_line(tmp_path: Path, capsys):
    with environ({"PRA_HOME": str(tmp_path), "PRA_PARTITIONS_START": "2020-01-01"}):
        assert main(["backfill", "--start", "1997-01-01", "--end", "1997-01-03"]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == (
        "pra backfill: 1997-01-01 is before the first daily partition 2020-01-01: "
        "set PRA_PARTITIONS_START=1997-01-01 (or earlier) to load that history\n"
    )


def test_a_day_that_is_not_a_date_is_an_argument_error(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--start", "1997-13-01", "--end", "1997-12-31"])
    assert "not a day: '1997-13-01'" in capsys.readouterr().err


def test_a_failed_dbt_step_shows_dbt_s_own_errors_not_only_that_dbt_failed():
    from orchestration.lib.progress import failure_text

    message = (
        "The dbt CLI process with command\n\n`dbt build ...`\n\nfailed with exit code `1`. Check the stdout.\n\n"
        "Errors parsed from dbt logs:\n\nIO Error: Could not set lock on file \"work.duckdb\"\n\n"
        "Failure in test not_null_x (models/x.yml)"
    )
    assert failure_text(message) == (
        "The dbt CLI process with command",
        ['IO Error: Could not set lock on file "work.duckdb"', "Failure in test not_null_x (models/x.yml)"],
    )
    assert failure_text("raw.partners: no snapshot\nTraceback ...") == ("raw.partners: no snapshot", [])


def test_a_failed_step_shows_the_innermost_cause_not_dagster_s_wrapper():
    import sys

    from dagster._utils.error import serializable_error_info_from_exc_info

    from orchestration.lib.progress import failure_text, root_cause

    try:
        try:
            raise OSError('IO Error: Could not set lock on file "work.duckdb"')
        except OSError as exc:
            raise RuntimeError('Error occurred while executing op "publish_gates":') from exc
    except RuntimeError:
        error = serializable_error_info_from_exc_info(sys.exc_info())
    assert failure_text(root_cause(error))[0] == 'OSError: IO Error: Could not set lock on file "work.duckdb"'
    assert root_cause(None) == "failed"


def test_on_a_terminal_the_bar_gives_way_to_the_step_line_and_library_output_stays_in_the_log():
    import io
    import sys

    import dagster as dg
    from dagster._core.events import DagsterEvent, StepMaterializationData, StepSuccessData
    from rich.console import Console

    from orchestration.lib.progress import RunConsole, captured_output

    screen, log = io.StringIO(), io.StringIO()
    totals = {"dbt_models": 2, "dbt_models/tests": 0}
    run_console = RunConsole(Console(file=screen, force_terminal=True, width=100), totals)

    def event(kind: str, data=None) -> DagsterEvent:
        return DagsterEvent(event_type_value=kind, job_name="job", step_key="dbt_models", event_specific_data=data)

    with captured_output(log):
        run_console.handle(event("STEP_START"))
        print("1 of 2 OK created sql table model marts.a")  # what dagster-dbt writes to stdout
        for key in ("a", "b", "a"):  # a key seen again (one event per partition) counts once
            materialization = dg.AssetMaterialization(asset_key=["marts", key])
            run_console.handle(event("ASSET_MATERIALIZATION", StepMaterializationData(materialization)))
        run_console.handle(event("STEP_SUCCESS", StepSuccessData(duration_ms=5.0)))
        sys.stdout.write("after the step\n")
    assert log.getvalue() == "1 of 2 OK created sql table model marts.a\nafter the step\n"
    shown = screen.getvalue()
    assert "marts.a" not in shown
    assert shown.rstrip().endswith("dbt      models 2/2 built; tests 0/0 passed")


def test_the_weekly_jobs_second_dbt_step_has_a_line_of_its_own_with_its_totals():
    """The weekly job's dbt models run as two steps (`dbt_models`, then `dbt_models_2` after the predictive fit):
    each gets its line, with its own totals from the job; the nightly job has the first only."""
    import io

    from rich.console import Console

    from orchestration.cli import _step_totals
    from orchestration.definitions import defs
    from orchestration.lib.progress import RunConsole, StepCounts, op_of

    assert [op_of(s) for s in ("dbt_models_2", "dbt_models", "publish_gates_predictive", "published_marts")] == [
        "dbt_models",
        "dbt_models",
        "publish_gates_predictive",
        "published_marts",
    ]
    definitions = defs()
    weekly = _step_totals(definitions.resolve_job_def("partner_retention_weekly_job"))
    nightly = _step_totals(definitions.resolve_job_def("partner_retention_nightly_job"))
    # The ten models downstream of the fit's scores and their 22 data tests (dbt_project/models/**/_*.yml).
    assert (weekly["dbt_models_2"], weekly["dbt_models_2/tests"]) == (10, 22)
    assert weekly["dbt_models"] + 10 == nightly["dbt_models"]
    assert weekly["dbt_models/tests"] + 22 == nightly["dbt_models/tests"]
    assert "dbt_models_2" not in nightly
    console = RunConsole(Console(file=io.StringIO(), width=200), weekly)
    counts = StepCounts(assets={f"m{i}" for i in range(10)}, checks_passed=22)
    line = console.step_line("dbt_models_2", counts)
    assert line == "dbt      models 10/10 built; tests 22/22 passed (reading the predictive scores)"
    gates = StepCounts(checks_passed=10, gates_passed=5)
    assert console.step_line("publish_gates_predictive", gates) == (
        "quality  Great Expectations publish gates 5/5 passed (marts reading the predictive scores); "
        "no warning among 5 warning checks"
    )
