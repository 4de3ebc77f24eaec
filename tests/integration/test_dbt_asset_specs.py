"""The dbt models as Dagster sees them: the real code location (no pipeline run), read from the dbt manifest.

What a user finds on an asset page (every column of a mart with its type and description, a readable
description instead of SQL) and which marts are published (the dbt flag, read once from the asset specs).
"""

import json
import re
import subprocess
import sys

import dagster as dg
import pytest

from orchestration.defs.jobs import step_keys
from orchestration.defs.resources import dbt_project
from orchestration.defs.transformation.assets import (
    PUBLISHED_TAG,
    ProjectTranslator,
    build_dbt_assets,
    published_mart_keys,
)
from orchestration.lib.dbt_args import environment, run_args
from orchestration.lib.settings import WORK_DB_ENV, Settings
from tests.helpers import DBT_PROJECT_DIR

KPIS = dg.AssetKey(["marts", "fct_program_kpis_monthly"])
# Every model file under models/marts/ is published (the folder's meta flag), however many marts there are.
MART_COUNT = len(list((DBT_PROJECT_DIR / "models" / "marts").rglob("*.sql")))


def ls_one_model(dbt, target_path):
    """`dbt ls` of one model through the dbt resource, with a run's --target and --vars (so dbt can keep the
    project's saved parse), into `target_path`: the invocation, to stream."""
    settings = Settings.from_env()
    return dbt.cli(
        ["ls", "--select", "fct_program_kpis_monthly", "--resource-type", "model", "--output", "name"]
        + run_args(settings.dbt_vars(), settings.engine),
        manifest=DBT_PROJECT_DIR / "target" / "manifest.json",
        target_path=target_path,
    )


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    """The code location, built as `dagster dev` builds it."""
    from orchestration.definitions import defs

    return defs()


@pytest.fixture(scope="module")
def specs(definitions: dg.Definitions) -> dict[dg.AssetKey, dg.AssetSpec]:
    return {spec.key: spec for spec in definitions.resolve_all_asset_specs()}


def test_program_kpis_page_lists_every_column_with_type_and_description(specs):
    columns = specs[KPIS].metadata["dagster/column_schema"].columns
    assert len(columns) == 23
    first = ["month_start_date", "next_month_start_date", "period_grain", "is_partial_period"]
    assert [c.name for c in columns[:4]] == first
    assert columns[-1].name == "as_of_date"
    assert [c.name for c in columns if not c.type or not c.description] == []
    by_name = {c.name: c for c in columns}
    # Counts are BIGINT (the contract), money keeps its 4 decimals.
    assert by_name["active_partner_count"].type == "bigint"
    assert by_name["net_revenue_reporting"].type == "decimal(38,4)"
    # The doc block is rendered, not left as a Jinja call.
    assert by_name["churn_rate"].description.startswith("Partners of S who churned / S")


def test_every_published_column_has_a_type_and_a_description(specs):
    published = [spec for spec in specs.values() if spec.tags.get(PUBLISHED_TAG) == "true"]
    assert len(published) == MART_COUNT
    undocumented = [
        f"{spec.key.path[-1]}.{column.name}"
        for spec in published
        for column in spec.metadata["dagster/column_schema"].columns
        if not column.type or not column.description
    ]
    assert undocumented == [], "add a doc block (models/marts/_marts__docs.md) and a data_type for each"


def test_asset_descriptions_are_prose_not_sql(specs):
    with_sql = [key.to_user_string() for key, spec in specs.items() if "```" in (spec.description or "")]
    assert with_sql == []
    assert specs[KPIS].description.startswith("Program KPIs, one row per period")
    # Without a YAML description a model is described by its SQL file's leading comment, not by its SQL.
    manifest = json.loads(dbt_project().manifest_path.read_text())
    node = manifest["nodes"]["model.partner_retention.int_months_spined"]
    assert node["description"].startswith("One row per period (month, or quarter")
    described = ProjectTranslator().get_description({**node, "description": ""})
    assert described.startswith("One row per period (calendar month, or quarter with var period_grain) from")
    assert "select" not in described


def test_published_marts_are_the_dbt_flagged_models_for_gates_and_publication(definitions, specs):
    published = published_mart_keys(build_dbt_assets())
    assert len(published) == MART_COUNT
    assert {"dim_partners", "fct_partner_monthly", "fct_program_kpis_monthly"} <= set(published)
    # Only marts are flagged: the intermediate models they select from are not.
    assert {key.path[0] for key in published.values()} == {"marts"}
    assert {key for key, spec in specs.items() if spec.tags.get(PUBLISHED_TAG) == "true"} == set(published.values())
    assert {dep.asset_key for dep in specs[dg.AssetKey("published_marts")].deps} == set(published.values())
    gates = definitions.resolve_asset_graph().asset_check_keys
    assert {dg.AssetCheckKey(key, f"{mart}__publish") for mart, key in published.items()} <= gates
    assert not any(check.name.endswith("__publish") and check.asset_key.path[0] != "marts" for check in gates)


def test_every_asset_has_an_owner_and_every_check_a_prose_description(definitions, specs):
    from orchestration.defs.resources import OWNERS

    assert {key.to_user_string() for key, spec in specs.items() if list(spec.owners) != OWNERS} == set()
    # Asset checks (dbt tests, GE gates, volume checks) say what they check, not how in SQL.
    checks = definitions.resolve_asset_graph().asset_check_keys
    graph = definitions.resolve_asset_graph()
    sql = [k.to_user_string() for k in checks if "select " in (graph.get_check_spec(k).description or "").lower()]
    assert sql == []


def test_the_nightly_job_is_one_dbt_step_and_the_weekly_fits_between_two(definitions):
    """Nightly: ingest -> dbt -> gates -> publish, one dbt step. Weekly: Dagster runs the dbt models as two steps
    around the predictive fit, the summary the fit reads first and the models reading its scores after, and each of
    the two gate steps after the dbt step of its marts; nothing before the day's load."""
    nightly = definitions.resolve_job_def("partner_retention_nightly_job")
    assert set(nightly.graph.node_names()) == {
        "ingest_landing_files",
        "landing_freshness",
        "dbt_models",
        "publish_gates",
        "publish_gates_predictive",
        "published_marts",
    }
    weekly = definitions.resolve_job_def("partner_retention_weekly_job")
    deps = weekly.graph.dependency_structure

    def upstream(step: str) -> set[str]:
        return {handle.node_name for handle in deps.all_upstream_outputs_from_node(step)}

    def keys(step: str) -> set[str]:
        return {key.to_user_string() for key in step_keys(weekly)[step] if isinstance(key, dg.AssetKey)}

    assert upstream("dbt_models") == {"ingest_landing_files"}
    assert upstream("predictive_fit") == {"dbt_models"}
    assert {"dbt_models", "predictive_fit"} <= upstream("dbt_models_2")
    # The scorecard joins the scores; the at-risk list and its backtest read the scorecard.
    after_fit = {
        "staging/stg_predictive__fit_runs",
        "staging/stg_predictive__partner_scores",
        "marts/fct_partner_predictions",
        "marts/fct_program_predictions",
        "marts/fct_partner_scorecard_monthly",
        "intermediate/int_partner_months_risk_signals",
        "marts/fct_partners_at_risk",
        "marts/fct_early_warning_backtest",
        "internal/internal_partners_at_risk_contacts",
        "internal/internal_partner_scorecards_monthly",
    }
    assert keys("dbt_models_2") == after_fit
    (models,) = build_dbt_assets()
    assert keys("dbt_models") == {key.to_user_string() for key in models.keys} - after_fit
    # The gates: the first dbt step's marts right after it (the second step reads gated marts), the others after the
    # second, each gate op one step.
    gates = {step: upstream(step) for step in weekly.graph.node_names() if step.startswith("publish_gates")}
    assert gates == {"publish_gates": {"dbt_models"}, "publish_gates_predictive": {"dbt_models_2"}}
    assert "publish_gates" in upstream("dbt_models_2")
    predictive_marts = {k.asset_key.to_user_string() for k in step_keys(weekly)["publish_gates_predictive"]}
    assert predictive_marts == {k for k in after_fit if k.startswith("marts/")}
    # Every dbt model has a parent in the lineage: one without would start the graph, and Dagster would run it as a
    # step of its own, before the load (the spine and the replaced-rows model declare the transactions, in their SQL).
    graph = definitions.resolve_asset_graph()
    assert [key.to_user_string() for key in models.keys if not graph.get(key).parent_keys] == []


def test_a_dbt_command_starts_only_dbt_and_builds_no_adapter_in_the_dagster_process(tmp_path):
    """dagster-dbt asks `_initialize_dbt_core_adapter` for an adapter before each command and `_cli_version` for dbt's
    version; the project's resource answers no adapter and the installed dbt-core's version
    (orchestration/defs/resources.py). The command still runs and reports, and the only process it starts is dbt's
    own: no `dbt --version` (seen through Python's audit events, which every subprocess start raises)."""
    from orchestration.defs.resources import ProjectDbtCliResource, build_resources

    asked: list[list[str]] = []

    class Recording(ProjectDbtCliResource):
        def _initialize_dbt_core_adapter(self, args):
            asked.append(list(args))
            return super()._initialize_dbt_core_adapter(args)

    started: list[list[str]] = []
    recording = [True]

    def audit(event: str, args: tuple) -> None:
        if recording[0] and event == "subprocess.Popen":
            started.append([str(a) for a in args[1]])

    sys.addaudithook(audit)  # for the rest of this process: `recording` turns it off below
    resource = build_resources()["dbt"]
    assert isinstance(resource, ProjectDbtCliResource)
    dbt = Recording(**resource.model_dump())
    try:
        invocation = ls_one_model(dbt, tmp_path)
        events = [e.raw_event["info"] for e in invocation.stream_raw_events()]
    finally:
        recording[0] = False
    listed = [info["msg"] for info in events if info["name"] in ("ListCmdOut", "PrintEvent")]  # `dbt ls` output
    assert invocation.is_successful()
    assert listed == ["fct_program_kpis_monthly"]
    assert invocation.adapter is None
    assert len(asked) == 1 and asked[0][0] == "ls", asked
    assert [args[1] for args in started] == ["ls"], started
    # The version it answered is the one the dbt executable itself reports.
    reported = subprocess.run([dbt.dbt_executable, "--version"], capture_output=True, text=True, check=True).stdout
    assert re.search(r"installed: (\d+\.\d+\.\d+)", reported).group(1) == str(dbt._cli_version)


@pytest.mark.parametrize(
    ("work_file", "parses_again"),
    [("work.duckdb", False), ("other.duckdb", True)],
    ids=["same file name: keeps the parse", "another file name: parses again"],
)
def test_a_new_warehouse_starts_from_the_projects_saved_parse(tmp_path, work_file, parses_again):
    """A dbt command of a warehouse the project's saved parse never saw (`pra manifest` parsed with the default
    warehouse), into an empty target folder, as a new warehouse's first run: dagster-dbt copies the project's
    `partial_parse.msgpack` there and the project's `pra-dbt` keeps it, though the work file's path differs
    (orchestration/lib/dbt_command.py; dbt alone parses the whole project again because the path is in its profile
    hash). A work file of another name is another DuckDB database, which the parsed nodes name: that one parses."""
    from orchestration.defs.resources import build_resources

    dbt = build_resources()["dbt"]
    settings = Settings.from_env()
    target = tmp_path / "warehouse" / "dbt_target"
    with environment({**settings.dbt_env(), WORK_DB_ENV: str(tmp_path / "warehouse" / work_file)}):
        invocation = ls_one_model(dbt, target)
        events = [e.raw_event["info"] for e in invocation.stream_raw_events()]
    assert invocation.is_successful()
    reparsed = [info["msg"] for info in events if info["name"] == "UnableToPartialParse"]
    assert reparsed == (["Unable to do partial parsing because profile has changed"] if parses_again else [])
